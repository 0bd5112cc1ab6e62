"""The metric-learning chapter's exercises: the solutions pass, typical wrong answers get their hint."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lossbook.exercises import metric_learning as ex
from lossbook.exercises._messages import REDUCTION_MISTAKES
from lossbook.validation import reduce as _reduce


def _hint(exercise, key):
    for mistake in exercise.mistakes:
        if mistake.key == key:
            return mistake.hint
    return REDUCTION_MISTAKES[key]


# -- the reference solutions (and other right answers) pass ------------------------------------------


@pytest.mark.parametrize("name", ["contrastive", "triplet", "triplet_grad", "count_triplets"])
def test_the_solution_passes(name):
    feedback = getattr(ex, name).evaluate(getattr(ex, "my_" + name))
    assert feedback.passed and feedback.reason == "correct", feedback.message


def test_other_right_answers_pass():
    def contrastive_with_torch_distance(x1, x2, target, margin=1.0, reduction="mean"):
        d = F.pairwise_distance(x1, x2)  # eps = 1e-6 inside the norm
        loss = torch.where(target == 1, 0.5 * d**2, 0.5 * F.relu(margin - d) ** 2)
        return {"mean": loss.mean(), "sum": loss.sum()}.get(reduction, loss)

    def triplet_with_torch(anchor, positive, negative, margin=1.0, reduction="mean"):
        return F.triplet_margin_loss(anchor, positive, negative, margin=margin, reduction=reduction)

    def triplet_grad_by_autograd(anchor, positive, negative, margin=1.0):
        n = negative.clone().requires_grad_(True)
        loss = (anchor - positive).norm(dim=1) - (anchor - n).norm(dim=1) + margin
        return torch.autograd.grad(loss.clamp(min=0).sum(), n)[0]

    def count_with_a_float(P, K):
        return float(P * K * (K - 1) * (P - 1) * K)

    def count_with_numpy(P, K):
        return np.int64(P) * K * (K - 1) * (P - 1) * K

    def count_with_torch(P, K):
        y = torch.arange(P).repeat_interleave(K)
        same = y[:, None] == y[None, :]
        positive = same & ~torch.eye(P * K, dtype=torch.bool)
        return (positive[:, :, None] & ~same[:, None, :]).sum()  # a 0-dimensional tensor

    def count_by_loops(P, K):
        labels = [c for c in range(P) for _ in range(K)]
        n = len(labels)
        return sum(
            1
            for a in range(n)
            for p in range(n)
            for q in range(n)
            if a != p and labels[a] == labels[p] and labels[q] != labels[a]
        )

    for exercise, answer in [
        (ex.contrastive, contrastive_with_torch_distance),
        (ex.triplet, triplet_with_torch),
        (ex.triplet_grad, triplet_grad_by_autograd),
        (ex.count_triplets, count_with_a_float),
        (ex.count_triplets, count_with_numpy),
        (ex.count_triplets, count_with_torch),
        (ex.count_triplets, count_by_loops),
    ]:
        feedback = exercise.evaluate(answer)
        assert feedback.passed, (answer.__name__, feedback.message)


# -- the contrastive loss --------------------------------------------------------------------------


def contrastive_without_half(x1, x2, target, margin=1.0, reduction="mean"):
    d = (x1 - x2).norm(dim=1)
    return _reduce(target * d**2 + (1 - target) * torch.clamp(margin - d, min=0) ** 2, reduction)


def contrastive_paper_labels(x1, x2, target, margin=1.0, reduction="mean"):
    # the 2006 paper's convention: Y = 0 for a similar pair
    d = torch.linalg.vector_norm(x1 - x2, dim=1)
    y = target.double() if x1.dtype == torch.float64 else target.float()
    return _reduce(0.5 * (1 - y) * d**2 + 0.5 * y * torch.relu(margin - d) ** 2, reduction)


def contrastive_hinge_not_squared(x1, x2, target, margin=1.0, reduction="mean"):
    d = (x1 - x2).norm(dim=1)
    return _reduce(0.5 * target * d.pow(2) + 0.5 * (1 - target) * (margin - d).clamp(min=0), reduction)


def contrastive_without_max(x1, x2, target, margin=1.0, reduction="mean"):
    d = (x1 - x2).norm(dim=1)
    return _reduce(0.5 * target * d**2 + 0.5 * (1 - target) * (margin - d) ** 2, reduction)


def contrastive_hinge_on_squares(x1, x2, target, margin=1.0, reduction="mean"):
    s = ((x1 - x2) ** 2).sum(dim=1)
    return _reduce(0.5 * target * s + 0.5 * (1 - target) * torch.clamp(margin - s, min=0) ** 2, reduction)


def contrastive_naive_sqrt(x1, x2, target, margin=1.0, reduction="mean"):
    d = ((x1 - x2) ** 2).sum(dim=1).sqrt()
    return _reduce(0.5 * target * d**2 + 0.5 * (1 - target) * torch.clamp(margin - d, min=0) ** 2, reduction)


def contrastive_sum_always(x1, x2, target, margin=1.0, reduction="mean"):
    d = (x1 - x2).norm(dim=1)
    loss = 0.5 * target * d**2 + 0.5 * (1 - target) * torch.clamp(margin - d, min=0) ** 2
    return loss if reduction == "none" else loss.sum()


def contrastive_ignores_reduction(x1, x2, target, margin=1.0, reduction="mean"):
    d = (x1 - x2).norm(dim=1)
    return (0.5 * target * d**2 + 0.5 * (1 - target) * torch.clamp(margin - d, min=0) ** 2).mean()


@pytest.mark.parametrize(
    "answer, reason",
    [
        (contrastive_without_half, "missing_half"),
        (contrastive_paper_labels, "labels_swapped"),
        (contrastive_hinge_not_squared, "hinge_not_squared"),
        (contrastive_without_max, "no_clamp"),
        (contrastive_hinge_on_squares, "hinge_on_squared_distance"),
        (contrastive_sum_always, "reduction_sum_for_mean"),
        (contrastive_ignores_reduction, "reduction_ignored"),
    ],
)
def test_contrastive_wrong_answers_get_their_hint(answer, reason, language, assert_fails):
    assert_fails(ex.contrastive, answer, reason, _hint(ex.contrastive, reason).format(language))


def test_contrastive_naive_sqrt_gets_the_nan_gradient_hint(language):
    feedback = ex.contrastive.evaluate(contrastive_naive_sqrt)
    assert feedback.reason == "wrong_gradient", feedback.message
    assert "nan" in feedback.message
    assert getattr(ex.contrastive.unstable_hint, language) in feedback.message


# -- the triplet loss ------------------------------------------------------------------------------


def triplet_without_hinge(anchor, positive, negative, margin=1.0, reduction="mean"):
    loss = (anchor - positive).norm(dim=1) - (anchor - negative).norm(dim=1) + margin
    return _reduce(loss, reduction)


def triplet_source_000(anchor, positive, negative, margin=1.0, reduction="mean"):
    distance_positive = (anchor - positive).pow(2).sum(1)
    distance_negative = (anchor - negative).pow(2).sum(1)
    return _reduce(F.relu(distance_positive - distance_negative + margin), reduction)


def triplet_swapped(anchor, positive, negative, margin=1.0, reduction="mean"):
    loss = torch.clamp((anchor - negative).norm(dim=1) - (anchor - positive).norm(dim=1) + margin, min=0)
    return _reduce(loss, reduction)


def triplet_keepdim(anchor, positive, negative, margin=1.0, reduction="mean"):
    d_ap = torch.linalg.vector_norm(anchor - positive, dim=1)
    d_an = torch.linalg.vector_norm(anchor - negative, dim=1, keepdim=True)
    return _reduce(F.relu(d_ap - d_an + margin), reduction)


def triplet_naive_sqrt(anchor, positive, negative, margin=1.0, reduction="mean"):
    d_ap = (anchor - positive).pow(2).sum(1).sqrt()
    d_an = (anchor - negative).pow(2).sum(1).sqrt()
    return _reduce(F.relu(d_ap - d_an + margin), reduction)


def triplet_mean_for_sum(anchor, positive, negative, margin=1.0, reduction="mean"):
    loss = F.relu((anchor - positive).norm(dim=1) - (anchor - negative).norm(dim=1) + margin)
    return loss if reduction == "none" else loss.mean()


@pytest.mark.parametrize(
    "answer, reason",
    [
        (triplet_without_hinge, "no_hinge"),
        (triplet_source_000, "squared_distances"),
        (triplet_swapped, "swapped"),
        (triplet_keepdim, "broadcast"),
        (triplet_mean_for_sum, "reduction_mean_for_sum"),
    ],
)
def test_triplet_wrong_answers_get_their_hint(answer, reason, language, assert_fails):
    assert_fails(ex.triplet, answer, reason, _hint(ex.triplet, reason).format(language))


def test_triplet_naive_sqrt_gets_the_nan_gradient_hint(language):
    feedback = ex.triplet.evaluate(triplet_naive_sqrt)
    assert feedback.reason == "wrong_gradient", feedback.message
    assert getattr(ex.triplet.unstable_hint, language) in feedback.message


# -- the gradient with respect to the negative -------------------------------------------------------


def _active(anchor, positive, negative, margin):
    d_ap = (anchor - positive).norm(dim=1)
    d_an = (anchor - negative).norm(dim=1)
    return (d_ap - d_an + margin > 0).unsqueeze(1), d_an.unsqueeze(1)


def grad_wrong_sign(anchor, positive, negative, margin=1.0):
    active, d_an = _active(anchor, positive, negative, margin)
    return torch.where(active, (negative - anchor) / d_an, torch.zeros_like(negative))


def grad_without_indicator(anchor, positive, negative, margin=1.0):
    return (anchor - negative) / (anchor - negative).norm(dim=1, keepdim=True)


def grad_not_normalized(anchor, positive, negative, margin=1.0):
    active, _ = _active(anchor, positive, negative, margin)
    return active * (anchor - negative)


def grad_of_squared_distances(anchor, positive, negative, margin=1.0):
    s_ap = ((anchor - positive) ** 2).sum(1)
    s_an = ((anchor - negative) ** 2).sum(1)
    active = (s_ap - s_an + margin > 0).unsqueeze(1)
    return active * 2 * (anchor - negative)


def grad_of_the_mean(anchor, positive, negative, margin=1.0):
    n = negative.clone().requires_grad_(True)
    loss = F.triplet_margin_loss(anchor, positive, n, margin=margin, eps=0.0)  # reduction "mean"
    return torch.autograd.grad(loss, n)[0]


@pytest.mark.parametrize(
    "answer, reason",
    [
        (grad_wrong_sign, "sign"),
        (grad_without_indicator, "no_indicator"),
        (grad_not_normalized, "not_normalized"),
        (grad_of_squared_distances, "squared"),
        (grad_of_the_mean, "mean"),
    ],
)
def test_triplet_grad_wrong_answers_get_their_hint(answer, reason, language, assert_fails):
    assert_fails(ex.triplet_grad, answer, reason, _hint(ex.triplet_grad, reason).format(language))


# -- the margin ranking loss ------------------------------------------------------------------------


def ranking_sign_flipped(input1, input2, target, margin=0.0, reduction="mean"):
    return _reduce(F.relu(target * (input1 - input2) + margin), reduction)


def ranking_margin_subtracted(input1, input2, target, margin=0.0, reduction="mean"):
    return _reduce(torch.clamp(target * (input2 - input1) - margin, min=0), reduction)


def ranking_without_max(input1, input2, target, margin=0.0, reduction="mean"):
    return _reduce(margin - target * (input1 - input2), reduction)


def ranking_squared_hinge(input1, input2, target, margin=0.0, reduction="mean"):
    return _reduce(F.relu(margin - target * (input1 - input2)).pow(2), reduction)


def ranking_sum_always(input1, input2, target, margin=0.0, reduction="mean"):
    loss = F.relu(margin - target * (input1 - input2))
    return loss if reduction == "none" else loss.sum()


def ranking_ignores_reduction(input1, input2, target, margin=0.0, reduction="mean"):
    return F.relu(margin - target * (input1 - input2)).mean()


@pytest.mark.parametrize(
    "answer, reason",
    [
        (ranking_sign_flipped, "sign"),
        (ranking_margin_subtracted, "minus_margin"),
        (ranking_without_max, "no_hinge"),
        (ranking_squared_hinge, "squared"),
        (ranking_sum_always, "reduction_sum_for_mean"),
        (ranking_ignores_reduction, "reduction_ignored"),
    ],
)
def test_margin_ranking_wrong_answers_get_their_hint(answer, reason, language, assert_fails):
    assert_fails(ex.margin_ranking, answer, reason, _hint(ex.margin_ranking, reason).format(language))


def test_margin_ranking_accepts_torch_and_a_where_form():
    def with_torch(input1, input2, target, margin=0.0, reduction="mean"):
        return F.margin_ranking_loss(input1, input2, target, margin=margin, reduction=reduction)

    def with_where(input1, input2, target, margin=0.0, reduction="mean"):
        lead = torch.where(target > 0, input1 - input2, input2 - input1)  # how far the right one leads
        return _reduce(torch.clamp(margin - lead, min=0), reduction)

    for answer in (with_torch, with_where, ex.my_margin_ranking):
        feedback = ex.margin_ranking.evaluate(answer)
        assert feedback.passed, (answer.__name__, feedback.message)


# -- counting triplets -----------------------------------------------------------------------------


def count_with_the_anchor_as_positive(P, K):
    return (P * K) * K * ((P - 1) * K)


def count_unordered_positive_pairs(P, K):
    return P * K * (K - 1) / 2 * (P - 1) * K  # a float


def count_negative_classes(P, K):
    return P * K * (K - 1) * (P - 1)


def count_every_other_sample_as_negative(P, K):
    return P * K * (K - 1) * (P * K - 1)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (count_with_the_anchor_as_positive, "self_as_positive"),
        (count_unordered_positive_pairs, "unordered_pairs"),
        (count_negative_classes, "negative_classes"),
        (count_every_other_sample_as_negative, "every_other_sample"),
    ],
)
def test_count_triplets_wrong_answers_get_their_hint(answer, reason, language, assert_fails):
    assert_fails(ex.count_triplets, answer, reason, _hint(ex.count_triplets, reason).format(language))


def test_count_triplets_reports_a_string_or_a_fraction_as_the_wrong_type():
    assert ex.count_triplets.evaluate(lambda P, K: "216").reason == "wrong_type"
    assert ex.count_triplets.evaluate(lambda P, K: P * K * (K - 1) * (P - 1) * K + 0.5).reason == "wrong_type"


def test_count_triplets_reference_is_the_closed_form():
    for P in range(1, 6):
        for K in range(1, 6):
            assert ex._count_triplets_reference(P, K) == P * K * (K - 1) * (P - 1) * K


# -- the answer exercises --------------------------------------------------------------------------


def test_center_alone(language):
    right = ex.center_alone.evaluate("collapse")
    assert right.passed and getattr(ex.center_alone.why, language) in right.message
    assert ex.center_alone.evaluate("  Collapse ").passed
    for wrong, hint in ex.center_alone.mistakes:
        feedback = ex.center_alone.evaluate(wrong)
        assert not feedback.passed and feedback.reason == f"mistake:{wrong}"
        assert getattr(hint, language) in feedback.message
    assert ex.center_alone.evaluate("it shrinks").reason == "not_a_choice"
    assert ex.center_alone.evaluate(3).reason == "not_a_choice"
    assert ex.center_alone.evaluate(None).reason == "not_yet"


def test_arcface_jump(language):
    for right in (180 - math.degrees(0.5), 151.35, 150.0, torch.tensor(151.0)):
        assert ex.arcface_jump.evaluate(right).passed, right
    for wrong, hint in ex.arcface_jump.mistakes:
        feedback = ex.arcface_jump.evaluate(wrong)
        assert not feedback.passed and feedback.reason.startswith("mistake:")
        assert getattr(hint, language) in feedback.message
    assert ex.arcface_jump.evaluate(120.0).reason == "wrong_answer"
    assert ex.arcface_jump.evaluate("151").reason == "not_a_number"
    assert ex.arcface_jump.evaluate(None).reason == "not_yet"
