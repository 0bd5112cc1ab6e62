"""The contrastive chapter's checkers recognise typical wrong answers, written here as a learner would.

The wrong answers below are independent of the mistake models in lossbook/exercises/contrastive.py.
"""

import math

import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook.exercises import contrastive as ex


def test_exercises_in_chapter_order():
    assert ex.__all__ == ["info_nce", "mi_bound", "clip", "negative_weights", "supcon"]


@pytest.mark.parametrize("name", ex.__all__)
def test_the_worked_solution_passes(name):
    exercise = getattr(ex, name)
    feedback = exercise.evaluate(exercise._solution)
    assert feedback.passed and feedback.reason == "correct", feedback.message


# -- info_nce --------------------------------------------------------------------------------------


def info_nce_with_a_loop(similarity, temperature):
    # slow but right: one row at a time, in log space
    losses = []
    for i in range(similarity.shape[0]):
        row = similarity[i] / temperature
        losses.append(torch.logsumexp(row, 0) - row[i])
    return torch.stack(losses).mean()


def info_nce_without_temperature(similarity, temperature):
    return F.cross_entropy(similarity, torch.arange(len(similarity)))


def info_nce_times_temperature(similarity, temperature):
    return F.cross_entropy(similarity * temperature, torch.arange(len(similarity)))


def info_nce_along_the_columns(similarity, temperature):
    return -torch.log_softmax(similarity / temperature, dim=0).diagonal().mean()


def info_nce_negatives_in_the_denominator(similarity, temperature):
    logits = similarity / temperature
    off = ~torch.eye(len(logits), dtype=torch.bool)
    negatives = torch.where(off, logits.exp(), torch.zeros_like(logits)).sum(1)
    return (negatives.log() - logits.diagonal()).mean()


def info_nce_summed(similarity, temperature):
    return F.cross_entropy(similarity / temperature, torch.arange(len(similarity)), reduction="sum")


def info_nce_with_exp(similarity, temperature):
    # the textbook formula, literally: overflows in float32 for a small temperature
    e = torch.exp(similarity / temperature)
    return (-torch.log(e.diagonal() / e.sum(1))).mean()


def test_info_nce_accepts_a_loop_in_log_space():
    assert ex.info_nce.evaluate(info_nce_with_a_loop).passed


@pytest.mark.parametrize(
    "answer, reason",
    [
        (info_nce_without_temperature, "no_temperature"),
        (info_nce_times_temperature, "times_temperature"),
        (info_nce_along_the_columns, "columns"),
        (info_nce_summed, "sum_not_mean"),
        (info_nce_with_exp, "not_finite"),
    ],
)
def test_info_nce_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.info_nce, answer, reason, language)


def test_info_nce_refuses_a_denominator_without_the_positive():
    # with N = 1 the denominator is empty: log 0 = -inf, so the value is reported as not finite
    feedback = ex.info_nce.evaluate(info_nce_negatives_in_the_denominator)
    assert not feedback.passed
    assert feedback.reason in ("positive_not_in_denominator", "not_finite"), feedback.message


# -- mi_bound --------------------------------------------------------------------------------------


def bound_is_minus_the_loss(similarity, temperature):
    return -F.cross_entropy(similarity / temperature, torch.arange(len(similarity)))


def bound_counts_negatives(similarity, temperature):
    n = len(similarity)
    return math.log(max(n - 1, 1)) - F.cross_entropy(similarity / temperature, torch.arange(n))


def bound_reversed(similarity, temperature):
    n = len(similarity)
    return F.cross_entropy(similarity / temperature, torch.arange(n)) - math.log(n)


def bound_in_bits(similarity, temperature):
    n = len(similarity)
    return math.log2(n) - F.cross_entropy(similarity / temperature, torch.arange(n)) / math.log(2)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (bound_is_minus_the_loss, "no_log_n"),
        (bound_counts_negatives, "negatives_count"),
        (bound_reversed, "sign"),
        (bound_in_bits, "log2"),
    ],
)
def test_mi_bound_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.mi_bound, answer, reason, language)


def test_mi_bound_never_exceeds_log_n_on_its_cases():
    for case in ex.mi_bound.cases():
        similarity, temperature = case.args
        bound = ex._mi_bound_reference(similarity.double(), temperature).item()
        assert bound <= math.log(len(similarity)) + 1e-12


# -- clip ------------------------------------------------------------------------------------------


def clip_image_to_text_only(images, texts, temperature):
    logits = F.normalize(images, dim=1) @ F.normalize(texts, dim=1).T / temperature
    return F.cross_entropy(logits, torch.arange(len(images)))


def clip_added(images, texts, temperature):
    logits = F.normalize(images, dim=1) @ F.normalize(texts, dim=1).T / temperature
    target = torch.arange(len(images))
    return F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)


def clip_dot_products(images, texts, temperature):
    logits = images @ texts.T / temperature
    target = torch.arange(len(images))
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def clip_two_matrices(images, texts, temperature):
    # right: the text -> image logits computed as their own matrix
    i, t = F.normalize(images, dim=1), F.normalize(texts, dim=1)
    target = torch.arange(len(images))
    return (
        F.cross_entropy(i @ t.T / temperature, target) + F.cross_entropy(t @ i.T / temperature, target)
    ) / 2


def test_clip_accepts_the_second_direction_as_its_own_matrix():
    assert ex.clip.evaluate(clip_two_matrices).passed


@pytest.mark.parametrize(
    "answer, reason",
    [
        (clip_image_to_text_only, "one_direction"),
        (clip_added, "summed"),
        (clip_dot_products, "not_normalized"),
    ],
)
def test_clip_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.clip, answer, reason, language)


# -- negative_weights ------------------------------------------------------------------------------


def weights_without_one_over_tau(s_pos, s_neg, temperature):
    logits = torch.cat([s_pos.view(1), s_neg]) / temperature
    return logits.softmax(0)[1:]


def weights_softmax_of_the_negatives(s_pos, s_neg, temperature):
    return (s_neg / temperature).softmax(0) / temperature


def weights_as_a_descent_direction(s_pos, s_neg, temperature):
    logits = torch.cat([s_pos.view(1), s_neg]) / temperature
    return -logits.softmax(0)[1:] / temperature


def weights_by_exp(s_pos, s_neg, temperature):
    # right in float64, but exp(100) overflows in float32 at τ = 0.01
    e = torch.exp(torch.cat([s_pos.view(1), s_neg]) / temperature)
    return e[1:] / e.sum() / temperature


@pytest.mark.parametrize(
    "answer, reason",
    [
        (weights_without_one_over_tau, "no_temperature_factor"),
        (weights_softmax_of_the_negatives, "negatives_only"),
        (weights_as_a_descent_direction, "sign"),
        (weights_by_exp, "not_finite"),
    ],
)
def test_negative_weights_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.negative_weights, answer, reason, language)


def test_negative_weights_reference_is_the_formula():
    for case in ex.negative_weights.cases():
        s_pos, s_neg, tau = case.args
        p = (torch.cat([s_pos.view(1), s_neg]).double() / tau).softmax(0)
        torch.testing.assert_close(
            ex._weights_reference(*case.args).double(), p[1:] / tau, rtol=1e-5, atol=1e-8
        )


# -- supcon ----------------------------------------------------------------------------------------


def _supcon_parts(embeddings, labels, temperature):
    z = F.normalize(embeddings, dim=1)
    n = len(z)
    eye = torch.eye(n, dtype=torch.bool)
    sim = z @ z.T / temperature
    positive = (labels[:, None] == labels[None, :]) & ~eye
    return sim, eye, positive


def supcon_loop(embeddings, labels, temperature):
    # slow but right: anchor by anchor, positive by positive
    sim, eye, positive = _supcon_parts(embeddings, labels, temperature)
    terms = []
    for i in range(len(sim)):
        others = torch.logsumexp(sim[i][~eye[i]], 0)
        pos = positive[i].nonzero().flatten()
        if len(pos):
            terms.append(torch.stack([others - sim[i, p] for p in pos]).mean())
    return torch.stack(terms).mean()


def supcon_inside_the_log(embeddings, labels, temperature):
    sim, eye, positive = _supcon_parts(embeddings, labels, temperature)
    terms = []
    for i in range(len(sim)):
        if positive[i].any():
            num = sim[i][positive[i]].exp().mean()
            den = sim[i][~eye[i]].exp().sum()
            terms.append(-torch.log(num / den))
    return torch.stack(terms).mean()


def supcon_negatives_in_the_denominator(embeddings, labels, temperature):
    sim, eye, positive = _supcon_parts(embeddings, labels, temperature)
    negative = ~positive & ~eye
    terms = []
    for i in range(len(sim)):
        pos = positive[i].nonzero().flatten()
        if len(pos):
            neg = sim[i][negative[i]].exp().sum()
            terms.append(
                torch.stack([-torch.log(sim[i, p].exp() / (sim[i, p].exp() + neg)) for p in pos]).mean()
            )
    return torch.stack(terms).mean()


def supcon_anchor_in_its_denominator(embeddings, labels, temperature):
    sim, eye, positive = _supcon_parts(embeddings, labels, temperature)
    log_prob = sim - torch.logsumexp(sim, 1, keepdim=True)
    count = positive.sum(1)
    per_anchor = -(log_prob * positive).sum(1) / count.clamp(min=1)
    return per_anchor[count > 0].mean()


def supcon_over_every_anchor(embeddings, labels, temperature):
    sim, eye, positive = _supcon_parts(embeddings, labels, temperature)
    log_prob = sim.masked_fill(eye, float("-inf")).log_softmax(1)
    count = positive.sum(1)
    per_anchor = -torch.where(positive, log_prob, torch.zeros_like(log_prob)).sum(1) / count.clamp(min=1)
    return per_anchor.mean()


def test_supcon_accepts_a_loop_over_anchors_and_positives():
    assert ex.supcon.evaluate(supcon_loop).passed


@pytest.mark.parametrize(
    "answer, reason",
    [
        (supcon_inside_the_log, "l_in"),
        (supcon_negatives_in_the_denominator, "negatives_only"),
        (supcon_anchor_in_its_denominator, "self_in_denominator"),
        (supcon_over_every_anchor, "all_anchors"),
    ],
)
def test_supcon_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.supcon, answer, reason, language)


def test_supcon_reference_is_pytorch_metric_learning():
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    for case in ex.supcon.cases():
        embeddings, labels, tau = case.args
        want = losses.SupConLoss(temperature=tau)(embeddings.double(), labels)
        got = lossbook.supcon_loss(embeddings.double(), labels, tau)
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)
