"""The CTC chapter's exercises: the solutions pass, typical wrong answers get their hint.

The wrong answers below are written as a learner would write them, independently of the
mistake models in lossbook/exercises/ctc.py.
"""

import math

import pytest
import torch

import lossbook
from lossbook.exercises import ctc as ex


def _hint(exercise, reason):
    """The Text the checker should print for ``reason``."""
    if reason == "not_finite":
        return exercise.unstable_hint
    return next(m.hint for m in exercise.mistakes if m.key == reason)


def _assert_fails_with(exercise, answer, reason, language):
    feedback = exercise.evaluate(answer)
    assert not feedback.passed
    assert feedback.reason == reason, feedback.message
    assert _hint(exercise, reason).format(language) in feedback.message


@pytest.mark.parametrize("name", ["collapse", "min_frames", "ctc_nll", "ctc_grad"])
def test_solution_passes(name):
    exercise = getattr(ex, name)
    feedback = exercise.evaluate(getattr(ex, "my_" + name))
    assert feedback.passed and feedback.reason == "correct", feedback.message


def test_exercises_in_chapter_order():
    assert ex.__all__ == ["collapse", "min_frames", "ctc_nll", "ctc_grad", "gradcheck", "all_blank"]


# -- collapse ----------------------------------------------------------------------------------


def collapse_drop_blanks_first(path, blank):
    without = [c for c in path if c != blank]
    out = []
    for c in without:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out) if isinstance(path, str) else out


def collapse_keeps_blanks(path, blank):
    out = []
    for c in path:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out) if isinstance(path, str) else out


def collapse_no_merge(path, blank):
    out = [c for c in path if c != blank]
    return "".join(out) if isinstance(path, str) else out


def collapse_from_index_one(path, blank):
    out = []
    for i in range(1, len(path)):
        if path[i] != blank and path[i] != path[i - 1]:
            out.append(path[i])
    return "".join(out) if isinstance(path, str) else out


def collapse_fixed_blank(path, blank):
    blank = "-" if isinstance(path, str) else 0  # the argument is not used
    out, previous = [], None
    for c in path:
        if c != blank and c != previous:
            out.append(c)
        previous = c
    return "".join(out) if isinstance(path, str) else out


def collapse_dash_everywhere(path, blank):
    out, previous = [], None
    for c in path:
        if c != "-" and c != previous:
            out.append(c)
        previous = c
    return "".join(out) if isinstance(path, str) else out


@pytest.mark.parametrize(
    "answer, reason",
    [
        (collapse_drop_blanks_first, "drop_then_merge"),
        (collapse_keeps_blanks, "blanks_kept"),
        (collapse_no_merge, "no_merge"),
        (collapse_from_index_one, "first_frame_lost"),
        (collapse_fixed_blank, "blank_ignored"),
        (collapse_dash_everywhere, "blanks_kept"),  # lists keep their 0s: the hint names the blank argument
    ],
)
def test_collapse_wrong_answers(answer, reason, language):
    _assert_fails_with(ex.collapse, answer, reason, language)


def test_collapse_list_for_string_is_wrong_type():
    feedback = ex.collapse.evaluate(lambda path, blank: [c for c in lossbook.ctc_collapse(path, blank)])
    assert feedback.reason == "wrong_type" and "'-s-t-aatte'" in feedback.message


# -- min_frames --------------------------------------------------------------------------------


def frames_one_per_symbol(target):
    return len(target)


def frames_extended_label(target):
    return len(target) * 2 + 1


def frames_blank_between_all(target):
    return 2 * len(target) - 1


def frames_any_repeat(target):
    return len(target) + (len(target) - len(set(target)))


def frames_one_blank_per_run(target):
    extra = 0
    i = 0
    while i < len(target):
        j = i
        while j + 1 < len(target) and target[j + 1] == target[i]:
            j += 1
        if j > i:
            extra += 1
        i = j + 1
    return len(target) + extra


@pytest.mark.parametrize(
    "answer, reason",
    [
        (frames_one_per_symbol, "repeats_forgotten"),
        (frames_extended_label, "extended_label"),
        (frames_blank_between_all, "blank_everywhere"),
        (frames_any_repeat, "any_repeat"),
        (frames_one_blank_per_run, "runs_once"),
    ],
)
def test_min_frames_wrong_answers(answer, reason, language):
    _assert_fails_with(ex.min_frames, answer, reason, language)


def test_min_frames_float_is_wrong_type():
    feedback = ex.min_frames.evaluate(lambda target: float(ex.my_min_frames(target)))
    assert feedback.reason == "wrong_type"


# -- ctc_nll: learner-style forward algorithms (a double loop, as in the paper) ------------------


def _forward(log_probs, target, blank=0, *, skip, start_label=True, end_label=True, sign=-1.0):
    ext = [blank]
    for k in target:
        ext += [k, blank]
    T, L = log_probs.shape[0], len(ext)
    alpha = [[None] * L for _ in range(T)]
    minus_inf = torch.tensor(-math.inf, dtype=log_probs.dtype)
    for s in range(L):
        alpha[0][s] = log_probs[0, ext[s]] if s == 0 or (s == 1 and start_label) else minus_inf
    for t in range(1, T):
        for s in range(L):
            terms = [alpha[t - 1][s]]
            if s >= 1:
                terms.append(alpha[t - 1][s - 1])
            if skip(ext, s, blank):
                terms.append(alpha[t - 1][s - 2])
            alpha[t][s] = torch.logsumexp(torch.stack(terms), 0) + log_probs[t, ext[s]]
    ends = alpha[T - 1][-2:] if end_label else alpha[T - 1][-1:]
    return sign * torch.logsumexp(torch.stack(ends), 0)


def nll_without_skip(log_probs, target, blank=0):
    return _forward(log_probs, target, blank, skip=lambda ext, s, b: False)


def nll_skip_any_label(log_probs, target, blank=0):
    return _forward(log_probs, target, blank, skip=lambda ext, s, b: s >= 2 and ext[s] != b)


def nll_skip_anywhere(log_probs, target, blank=0):
    return _forward(log_probs, target, blank, skip=lambda ext, s, b: s >= 2)


def _skip_ok(ext, s, b):
    return s >= 2 and ext[s] != b and ext[s] != ext[s - 2]


def nll_starts_on_blank(log_probs, target, blank=0):
    return _forward(log_probs, target, blank, skip=_skip_ok, start_label=False)


def nll_ends_on_blank(log_probs, target, blank=0):
    return _forward(log_probs, target, blank, skip=_skip_ok, end_label=False)


def nll_returns_log_p(log_probs, target, blank=0):
    return _forward(log_probs, target, blank, skip=_skip_ok, sign=1.0)


def nll_probability_space(log_probs, target, blank=0):
    y = log_probs.exp()
    ext = [blank]
    for k in target:
        ext += [k, blank]
    L = len(ext)
    alpha = torch.zeros(L, dtype=y.dtype)
    alpha[0] = y[0, ext[0]]
    if L > 1:
        alpha[1] = y[0, ext[1]]
    for t in range(1, y.shape[0]):
        new = []
        for s in range(L):
            total = alpha[s]
            if s >= 1:
                total = total + alpha[s - 1]
            if _skip_ok(ext, s, blank):
                total = total + alpha[s - 2]
            new.append(total * y[t, ext[s]])
        alpha = torch.stack(new)
    return -torch.log(alpha[-2:].sum())


def nll_max_trick(log_probs, target, blank=0):
    def logaddexp(a, b):  # the textbook trick, without care for -inf
        m = torch.maximum(a, b)
        return m + torch.log1p(torch.exp(-(a - b).abs()))

    ext = [blank]
    for k in target:
        ext += [k, blank]
    L = len(ext)
    ninf = torch.tensor(-math.inf, dtype=log_probs.dtype)
    alpha = [log_probs[0, ext[0]]] + [log_probs[0, ext[1]] if L > 1 else ninf] + [ninf] * (L - 2)
    alpha = alpha[:L]
    for t in range(1, log_probs.shape[0]):
        new = []
        for s in range(L):
            total = alpha[s]
            if s >= 1:
                total = logaddexp(total, alpha[s - 1])
            if _skip_ok(ext, s, blank):
                total = logaddexp(total, alpha[s - 2])
            new.append(total + log_probs[t, ext[s]])
        alpha = new
    return -(logaddexp(alpha[-1], alpha[-2]) if L > 1 else alpha[-1])


def nll_float32_buffer(log_probs, target, blank=0):
    ext = [blank]
    for k in target:
        ext += [k, blank]
    L = len(ext)
    alpha = torch.full((L,), -math.inf)  # float32 whatever the input: the loss changes dtype
    alpha = torch.where(torch.arange(L) < 2, log_probs[0, ext].float(), alpha)
    for t in range(1, log_probs.shape[0]):
        step = torch.cat([torch.full((1,), -math.inf), alpha[:-1]])
        jump = torch.cat([torch.full((2,), -math.inf), alpha[:-2]])[:L]
        ok = torch.tensor([_skip_ok(ext, s, blank) for s in range(L)])
        jump = torch.where(ok, jump, torch.full((L,), -math.inf))
        alpha = torch.logsumexp(torch.stack([alpha, step[:L], jump]), 0) + log_probs[t, ext].float()
    return -torch.logsumexp(alpha[-2:], 0)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (nll_without_skip, "no_skip"),
        (nll_skip_any_label, "skip_between_equal"),
        (nll_skip_anywhere, "skip_onto_blank"),
        (nll_starts_on_blank, "start_blank_only"),
        (nll_ends_on_blank, "end_blank_only"),
        (nll_returns_log_p, "sign"),
        (nll_probability_space, "not_finite"),
        (nll_max_trick, "not_finite"),
    ],
)
def test_ctc_nll_wrong_answers(answer, reason, language):
    _assert_fails_with(ex.ctc_nll, answer, reason, language)


def test_ctc_nll_probability_space_fails_only_on_long_inputs():
    feedback = ex.ctc_nll.evaluate(nll_probability_space)
    assert "T = 200" in feedback.message


def test_ctc_nll_float32_buffer_is_wrong_dtype():
    assert ex.ctc_nll.evaluate(nll_float32_buffer).reason == "wrong_dtype"


def test_ctc_nll_detached_has_no_gradient():
    feedback = ex.ctc_nll.evaluate(lambda lp, target, blank=0: ex.my_ctc_nll(lp.detach(), target, blank))
    assert feedback.reason == "no_gradient"


# -- ctc_grad: learner-style gradients from the given log-alphas and log-betas --------------------


def _pieces(scores, target, log_alpha, blank):
    log_y = torch.log_softmax(scores, dim=1)
    ext = [blank]
    for k in target:
        ext += [k, blank]
    log_p = torch.logsumexp(log_alpha[-1, -2:], 0)
    return log_y, ext, log_p


def _sum_per_symbol(log_y, ext, gamma):
    out = torch.zeros_like(log_y)
    for s, k in enumerate(ext):
        out[:, k] += gamma[:, s]
    return out


def grad_wrt_log_probs(scores, target, log_alpha, log_beta, blank=0):
    log_y, ext, log_p = _pieces(scores, target, log_alpha, blank)
    gamma = torch.exp(log_alpha + log_beta - log_y[:, ext] - log_p)
    return -_sum_per_symbol(log_y, ext, gamma)


def grad_wrong_sign(scores, target, log_alpha, log_beta, blank=0):
    log_y, ext, log_p = _pieces(scores, target, log_alpha, blank)
    gamma = torch.exp(log_alpha + log_beta - log_y[:, ext] - log_p)
    return _sum_per_symbol(log_y, ext, gamma) - log_y.exp()


def grad_alpha_beta_not_divided(scores, target, log_alpha, log_beta, blank=0):
    log_y, ext, log_p = _pieces(scores, target, log_alpha, blank)
    gamma = torch.exp(log_alpha + log_beta - log_p)
    return log_y.exp() - _sum_per_symbol(log_y, ext, gamma)


def grad_not_over_p(scores, target, log_alpha, log_beta, blank=0):
    log_y, ext, log_p = _pieces(scores, target, log_alpha, blank)
    gamma = torch.exp(log_alpha + log_beta - log_y[:, ext])
    return log_y.exp() - _sum_per_symbol(log_y, ext, gamma)


def grad_assigned(scores, target, log_alpha, log_beta, blank=0):
    log_y, ext, log_p = _pieces(scores, target, log_alpha, blank)
    gamma = torch.exp(log_alpha + log_beta - log_y[:, ext] - log_p)
    g = torch.zeros_like(log_y)
    g[:, torch.tensor(ext)] = gamma  # duplicates: one position wins
    return log_y.exp() - g


def grad_probability_space(scores, target, log_alpha, log_beta, blank=0):
    log_y, ext, log_p = _pieces(scores, target, log_alpha, blank)
    y = log_y.exp()
    gamma = log_alpha.exp() * log_beta.exp() / (y[:, ext] * log_p.exp())
    return y - _sum_per_symbol(log_y, ext, gamma)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (grad_wrt_log_probs, "log_probs_gradient"),
        (grad_wrong_sign, "sign"),
        (grad_alpha_beta_not_divided, "no_division_by_y"),
        (grad_not_over_p, "not_normalized"),
        (grad_assigned, "overwritten"),
        (grad_probability_space, "not_finite"),
    ],
)
def test_ctc_grad_wrong_answers(answer, reason, language):
    _assert_fails_with(ex.ctc_grad, answer, reason, language)


def test_ctc_grad_ignoring_softmax_is_wrong():
    # Using the scores as if they were log-probabilities: a plain wrong value (no named mistake).
    def grad_no_log_softmax(scores, target, log_alpha, log_beta, blank=0):
        ext = [blank]
        for k in target:
            ext += [k, blank]
        gamma = torch.exp(log_alpha + log_beta - scores[:, ext] - torch.logsumexp(log_alpha[-1, -2:], 0))
        return scores.exp() - _sum_per_symbol(scores, ext, gamma)

    feedback = ex.ctc_grad.evaluate(grad_no_log_softmax)
    assert not feedback.passed and feedback.reason == "wrong_value"


def test_ctc_grad_cases_hold_the_trellis_of_their_scores():
    for case in ex.ctc_grad.cases():
        scores, target, log_alpha, log_beta = case.args
        blank = case.kwargs.get("blank", 0)
        want_alpha, want_beta = lossbook.ctc_log_alpha_beta(scores.log_softmax(1), target, blank)
        assert torch.equal(log_alpha, want_alpha) and torch.equal(log_beta, want_beta)


# -- answer exercises --------------------------------------------------------------------------


@pytest.mark.parametrize("exercise, right", [(ex.gradcheck, "lossbook only"), (ex.all_blank, "empty")])
def test_answer_right(exercise, right, language):
    for answer in (right, f"  {right.upper()} "):
        feedback = exercise.evaluate(answer)
        assert feedback.passed and feedback.reason == "correct"
        assert exercise.why.format(language) in feedback.message


@pytest.mark.parametrize("exercise", [ex.gradcheck, ex.all_blank])
def test_answer_wrong_choices_get_their_hint(exercise, language):
    assert exercise.mistakes
    for wrong, hint in exercise.mistakes:
        feedback = exercise.evaluate(wrong)
        assert not feedback.passed and feedback.reason == f"mistake:{wrong}"
        assert hint.format(language) in feedback.message


@pytest.mark.parametrize("exercise", [ex.gradcheck, ex.all_blank])
def test_answer_junk(exercise, language):
    assert exercise.evaluate(None).reason == "not_yet"
    assert exercise.evaluate("maybe").reason == "not_a_choice"
    assert exercise.evaluate(1).reason == "not_a_choice"
