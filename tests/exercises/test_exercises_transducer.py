"""The transducer chapter's checkers recognise typical wrong answers, written here as a learner would.

The wrong answers below are independent of the mistake models in lossbook/exercises/transducer.py.
"""

import itertools
import math

import pytest
import torch

import lossbook
from lossbook.exercises import transducer as ex


def test_exercises_in_chapter_order():
    assert ex.__all__ == ["lattice_paths", "alpha_grid", "viterbi", "blank_only"]


@pytest.mark.parametrize("name", ["lattice_paths", "viterbi"])
def test_the_worked_solution_passes(name):
    exercise = getattr(ex, name)
    feedback = exercise.evaluate(exercise._solution)
    assert feedback.passed and feedback.reason == "correct", feedback.message


# -- lattice_paths ---------------------------------------------------------------------------------


def paths_all_steps_free(T, U):
    return math.factorial(T + U) // (math.factorial(T) * math.factorial(U))


def paths_at_most_one_label_per_frame(T, U):
    return math.comb(T, U)


def paths_each_label_picks_a_frame(T, U):
    return T**U


def paths_copied_from_ctc(T, U):
    return math.comb(T + U, 2 * U)


def paths_two_choices_per_step(T, U):
    return 2 ** (T + U - 1)


def paths_by_counting_on_the_grid(T, U):
    # a learner's dynamic program that forgets that the last step is the blank off the lattice
    count = [[0] * (U + 1) for _ in range(T + 1)]
    count[0][0] = 1
    for t in range(T + 1):
        for u in range(U + 1):
            if t:
                count[t][u] += count[t - 1][u]
            if u:
                count[t][u] += count[t][u - 1]
    return count[T][U]


def paths_as_a_float(T, U):
    return math.comb(T - 1 + U, U) * 1.0


def paths_as_a_tensor(T, U):
    return torch.tensor(math.comb(T - 1 + U, U))


@pytest.mark.parametrize(
    "answer, reason",
    [
        (paths_all_steps_free, "final_blank_free"),
        (paths_by_counting_on_the_grid, "final_blank_free"),
        (paths_at_most_one_label_per_frame, "one_label_per_frame"),
        (paths_each_label_picks_a_frame, "labels_unordered"),
        (paths_copied_from_ctc, "ctc_count"),
        (paths_two_choices_per_step, "two_moves_everywhere"),
    ],
)
def test_lattice_paths_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.lattice_paths, answer, reason, language)


@pytest.mark.parametrize("answer", [paths_as_a_float, paths_as_a_tensor])
def test_lattice_paths_accepts_a_count_as_a_float_or_a_tensor(answer):
    assert ex.lattice_paths.evaluate(answer).passed


def test_lattice_paths_counts_agree_with_enumeration():
    for T, U in [(1, 0), (1, 3), (2, 1), (3, 2), (4, 3)]:
        # every interleaving of T blanks and U labels that ends with a blank
        strings = {s for s in itertools.permutations("b" * T + "l" * U) if s[-1] == "b"}
        assert ex.my_lattice_paths(T, U) == len(strings) == ex._lattice_paths_reference(T, U)


# -- alpha_grid ------------------------------------------------------------------------------------


def test_alpha_grid_is_the_brute_force_probability_of_its_table(check_answer_exercise, language):
    log_probs = torch.tensor(
        [[ex.ALPHA_GRID[t, u] for u in range(2)] for t in range(2)], dtype=torch.float64
    ).log()  # (T, U + 1, V) with the blank first
    p = lossbook.rnnt_loss_bruteforce(log_probs, [1], blank=0).neg().exp().item()
    assert math.isclose(p, 0.666, abs_tol=1e-12)
    check_answer_exercise(ex.alpha_grid, 0.666, [0.74, 0.378, 0.288, 0.7], "0.666", language)


def test_alpha_grid_accepts_the_answer_to_three_digits_and_refuses_the_loss():
    assert ex.alpha_grid.evaluate(0.6660).passed
    assert ex.alpha_grid.evaluate(2 / 3).passed  # 0.6667 rounds to the same three digits
    assert not ex.alpha_grid.evaluate(-math.log(0.666)).passed  # the loss, not the probability
    assert not ex.alpha_grid.evaluate(0.676).passed


# -- viterbi ---------------------------------------------------------------------------------------


def _double_loop(log_probs, target, blank=-1, *, combine, final=True, source=True):
    T, U = log_probs.shape[0], len(target)
    score = {(0, 0): log_probs.new_zeros(())}
    for t in range(T):
        for u in range(U + 1):
            if t == 0 and u == 0:
                continue
            moves = []
            if t > 0:
                moves.append(score[t - 1, u] + log_probs[t - 1 if source else t, u, blank])
            if u > 0:
                moves.append(score[t, u - 1] + log_probs[t, u - 1 if source else u, target[u - 1]])
            score[t, u] = combine(torch.stack(moves))
    last = log_probs[T - 1, U, blank] if final else 0.0
    return score[T - 1, U] + last


def viterbi_with_logsumexp(log_probs, target, blank=-1):
    return _double_loop(log_probs, target, blank, combine=lambda m: torch.logsumexp(m, 0))


def viterbi_without_the_last_blank(log_probs, target, blank=-1):
    return _double_loop(log_probs, target, blank, combine=lambda m: m.max(), final=False)


def viterbi_as_a_cost(log_probs, target, blank=-1):
    return -_double_loop(log_probs, target, blank, combine=lambda m: m.max())


def viterbi_reads_the_destination_node(log_probs, target, blank=-1):
    return _double_loop(log_probs, target, blank, combine=lambda m: m.max(), source=False)


def viterbi_in_probability_space(log_probs, target, blank=-1):
    probs = log_probs.exp()
    T, U = probs.shape[0], len(target)
    best = torch.zeros(T, U + 1, dtype=probs.dtype)
    best[0, 0] = 1.0
    for t in range(T):
        for u in range(U + 1):
            if t == 0 and u == 0:
                continue
            right = best[t - 1, u] * probs[t - 1, u, blank] if t else torch.zeros((), dtype=probs.dtype)
            up = best[t, u - 1] * probs[t, u - 1, target[u - 1]] if u else torch.zeros((), dtype=probs.dtype)
            best[t, u] = torch.maximum(right, up)
    return torch.log(best[T - 1, U] * probs[T - 1, U, blank])


def viterbi_by_enumeration(log_probs, target, blank=-1):
    # slow but right: every alignment as a string of moves
    T, U = log_probs.shape[0], len(target)
    best = None
    for labels_at in itertools.combinations(range(T - 1 + U), U):
        t = u = 0
        total = log_probs.new_zeros(())
        for step in range(T + U):
            if step in labels_at:
                total = total + log_probs[t, u, target[u]]
                u += 1
            else:
                total = total + log_probs[t, u, blank]
                t += 1
        best = total if best is None else torch.maximum(best, total)
    return best


@pytest.mark.parametrize(
    "answer, reason",
    [
        (viterbi_with_logsumexp, "sum_not_max"),
        (viterbi_without_the_last_blank, "no_final_blank"),
        (viterbi_as_a_cost, "negated"),
        (viterbi_reads_the_destination_node, "destination_node"),
        (viterbi_in_probability_space, "not_finite"),
    ],
)
def test_viterbi_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.viterbi, answer, reason, language)


def test_viterbi_accepts_a_correct_enumeration_and_matches_a_max_over_the_oracles_paths():
    # the reference against an independent enumeration, on every case of the checker
    for case in ex.viterbi.cases():
        log_probs, target = case.args
        if log_probs.shape[0] <= 10:
            want = viterbi_by_enumeration(log_probs.double(), target, **case.kwargs)
            assert math.isclose(
                ex._viterbi_reference(*case.args, **case.kwargs).item(), want.item(), rel_tol=1e-6
            )
    small = [c for c in ex.viterbi.cases() if c.args[0].shape[0] <= 6]
    assert small
    # never above the sum: the best alignment is one term of p(y | x)
    for case in ex.viterbi.cases():
        best = ex._viterbi_reference(*case.args, **case.kwargs).item()
        assert best <= ex._viterbi_sum(*case.args, **case.kwargs).item() + 1e-6


# -- blank_only ------------------------------------------------------------------------------------


def test_blank_only_is_what_rnnt_loss_gives_a_uniform_joiner(check_answer_exercise, language):
    T, V = ex.FRAMES, ex.CLASSES
    logits = torch.zeros(1, T, 1, V, dtype=torch.float64)
    loss = lossbook.rnnt_loss(
        logits, torch.zeros(1, 0, dtype=torch.int64), torch.tensor([T]), torch.tensor([0])
    )
    derived = round(loss.item(), 2)
    assert derived == 33.57
    wrong = [0.0, round(math.log(V), 2), round((T + 1) * math.log(V), 2), round(T * math.log(V - 1), 2)]
    check_answer_exercise(ex.blank_only, derived, wrong, "nothing", language)
