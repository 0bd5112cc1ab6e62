"""The segmentation chapter's checkers recognise typical wrong answers, written here as a learner would.

The wrong answers below are independent of the mistake models in lossbook/exercises/segmentation.py.
"""

import pytest
import torch

import lossbook
from lossbook.exercises import segmentation as ex


def test_exercises_in_chapter_order():
    assert ex.__all__ == ["soft_dice", "tversky", "giou_disjoint", "diou_penalty", "lovasz_gradient"]


@pytest.mark.parametrize("name", ["soft_dice", "tversky", "diou_penalty"])
def test_the_worked_solution_passes(name):
    exercise = getattr(ex, name)
    feedback = exercise.evaluate(exercise._solution)
    assert feedback.passed and feedback.reason == "correct", feedback.message


# -- soft_dice -------------------------------------------------------------------------------------


def dice_returns_the_coefficient(probs, target, smooth=1.0):
    inter = torch.sum(probs * target)
    return (2 * inter + smooth) / (torch.sum(probs) + torch.sum(target) + smooth)


def dice_smooth_on_top_only(probs, target, smooth=1.0):
    inter = torch.sum(probs * target)
    return 1 - (2 * inter + smooth) / (torch.sum(probs) + torch.sum(target))


def dice_smooth_as_eps(probs, target, smooth=1.0):
    # smoothing used as a mere eps in the denominator
    return 1 - 2 * (probs * target).sum() / (probs.sum() + target.sum() + smooth)


def dice_forgot_the_two(probs, target, smooth=1.0):
    return 1 - ((probs * target).sum() + smooth) / (probs.sum() + target.sum() + smooth)


def dice_is_iou(probs, target, smooth=1.0):
    inter = (probs * target).sum()
    union = probs.sum() + target.sum() - inter
    return 1 - (inter + smooth) / (union + smooth)


def dice_per_image_then_mean(probs, target, smooth=1.0):
    losses = []
    for p, t in zip(probs, target, strict=True):
        losses.append(1 - (2 * (p * t).sum() + smooth) / (p.sum() + t.sum() + smooth))
    return torch.stack(losses).mean()


def dice_vnet_squares(probs, target, smooth=1.0):
    inter = (probs * target).sum()
    return 1 - (2 * inter + smooth) / (probs.pow(2).sum() + target.pow(2).sum() + smooth)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (dice_returns_the_coefficient, "score_not_loss"),
        (dice_smooth_on_top_only, "smooth_numerator_only"),
        (dice_smooth_as_eps, "smooth_denominator_only"),
        (dice_forgot_the_two, "no_factor_two"),
        (dice_is_iou, "jaccard"),
        (dice_per_image_then_mean, "per_image"),
        (dice_vnet_squares, "squared"),
    ],
)
def test_soft_dice_names_the_mistake(answer, reason, assert_fails_with_its_hint, language):
    assert_fails_with_its_hint(ex.soft_dice, answer, reason, language)


def dice_without_smoothing(probs, target, smooth=1.0):
    return 1 - 2 * (probs * target).sum() / (probs.sum() + target.sum())


def test_soft_dice_without_smoothing_fails_on_the_smoothed_cases():
    feedback = ex.soft_dice.evaluate(dice_without_smoothing)
    assert not feedback.passed


def dice_from_lossbook(probs, target, smooth=1.0):
    return lossbook.dice_loss(probs, target, mode="binary", from_logits=False, smooth=smooth)


def test_soft_dice_catches_lossbooks_own_smooth_which_counts_twice():
    # lossbook (smp 0.5) adds smooth to TP / (TP + FP/2 + FN/2): 2 s in the exercise's form
    assert not ex.soft_dice.evaluate(dice_from_lossbook).passed


# -- tversky ---------------------------------------------------------------------------------------


def tversky_weights_swapped(probs, target, alpha=0.5, beta=0.5):
    tp = (probs * target).sum()
    fn = ((1 - probs) * target).sum()
    fp = (probs * (1 - target)).sum()
    return 1 - tp / (tp + alpha * fn + beta * fp)


def tversky_returns_the_index(probs, target, alpha=0.5, beta=0.5):
    tp = (probs * target).sum()
    return tp / (tp + alpha * (probs * (1 - target)).sum() + beta * ((1 - probs) * target).sum())


def tversky_that_is_dice(probs, target, alpha=0.5, beta=0.5):
    return 1 - 2 * (probs * target).sum() / (probs.sum() + target.sum())


def tversky_without_tp_below(probs, target, alpha=0.5, beta=0.5):
    tp = (probs * target).sum()
    return 1 - tp / (alpha * (probs * (1 - target)).sum() + beta * ((1 - probs) * target).sum())


@pytest.mark.parametrize(
    "answer, reason",
    [
        (tversky_weights_swapped, "swapped"),
        (tversky_returns_the_index, "index_not_loss"),
        (tversky_that_is_dice, "dice_always"),
        (tversky_without_tp_below, "no_tp_in_denominator"),
    ],
)
def test_tversky_names_the_mistake(answer, reason, assert_fails_with_its_hint, language):
    assert_fails_with_its_hint(ex.tversky, answer, reason, language)


def test_tversky_at_one_half_is_the_dice_of_the_soft_dice_exercise():
    g = torch.Generator().manual_seed(0)
    probs = torch.rand(2, 6, 6, generator=g, dtype=torch.float64)
    target = (torch.rand(2, 6, 6, generator=g) < 0.4).double()
    assert torch.allclose(ex.my_tversky(probs, target, 0.5, 0.5), ex.my_soft_dice(probs, target, smooth=0.0))


# -- giou_disjoint ---------------------------------------------------------------------------------


def test_giou_disjoint_answers(check_answer_exercise, language):
    check_answer_exercise(ex.giou_disjoint, 1.2, [1.0, 0.2, 1.25, -0.2], "1.2", language)


def test_giou_disjoint_is_lossbooks_value_of_the_exercise_boxes():
    boxes1, boxes2 = (torch.tensor(b, dtype=torch.float64) for b in ex.GIOU_BOXES)
    assert ex.giou_disjoint.evaluate(lossbook.generalized_box_iou_loss(boxes1, boxes2).item()).passed


# -- diou_penalty ----------------------------------------------------------------------------------


def centers(b):
    return (b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2


def enclosing_size(b1, b2):
    w = torch.maximum(b1[..., 2], b2[..., 2]) - torch.minimum(b1[..., 0], b2[..., 0])
    h = torch.maximum(b1[..., 3], b2[..., 3]) - torch.minimum(b1[..., 1], b2[..., 1])
    return w, h


def penalty_from_top_left_corners(boxes1, boxes2):
    w, h = enclosing_size(boxes1, boxes2)
    return ((boxes1[..., 0] - boxes2[..., 0]) ** 2 + (boxes1[..., 1] - boxes2[..., 1]) ** 2) / (w**2 + h**2)


def penalty_distances_not_squared(boxes1, boxes2):
    (x1, y1), (x2, y2) = centers(boxes1), centers(boxes2)
    w, h = enclosing_size(boxes1, boxes2)
    return torch.hypot(x1 - x2, y1 - y2) / torch.hypot(w, h)


def penalty_over_enclosing_area(boxes1, boxes2):
    (x1, y1), (x2, y2) = centers(boxes1), centers(boxes2)
    w, h = enclosing_size(boxes1, boxes2)
    return ((x1 - x2) ** 2 + (y1 - y2) ** 2) / (w * h)


def penalty_over_target_diagonal(boxes1, boxes2):
    (x1, y1), (x2, y2) = centers(boxes1), centers(boxes2)
    w, h = boxes2[..., 2] - boxes2[..., 0], boxes2[..., 3] - boxes2[..., 1]
    return ((x1 - x2) ** 2 + (y1 - y2) ** 2) / (w**2 + h**2)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (penalty_from_top_left_corners, "corners"),
        (penalty_distances_not_squared, "not_squared"),
        (penalty_over_enclosing_area, "area"),
        (penalty_over_target_diagonal, "target_diagonal"),
    ],
)
def test_diou_penalty_names_the_mistake(answer, reason, assert_fails_with_its_hint, language):
    assert_fails_with_its_hint(ex.diou_penalty, answer, reason, language)


def penalty_summed_over_boxes(boxes1, boxes2):
    return ex.my_diou_penalty(boxes1, boxes2).sum()


def test_diou_penalty_must_keep_one_value_per_pair(assert_fails):
    assert_fails(ex.diou_penalty, penalty_summed_over_boxes, "wrong_shape")


# -- lovasz_gradient --------------------------------------------------------------------------------


def test_lovasz_gradient_answers(check_answer_exercise, language):
    check_answer_exercise(ex.lovasz_gradient, 1 / 6, [0.667, 0.0, 0.333, 0.5], "1/6", language)


def test_lovasz_gradient_is_lossbooks_gradient_of_the_hinge():
    # Lovász hinge errors are 1 - x (2 y - 1): logits that give the exercise's errors
    truth = torch.tensor(ex.LOVASZ_TRUTH, dtype=torch.float64)
    errors = torch.tensor(ex.LOVASZ_ERRORS, dtype=torch.float64)
    logits = ((1 - errors) * (2 * truth - 1)).requires_grad_()
    loss = lossbook.lovasz_loss(logits[None], truth[None], mode="binary")
    (grad,) = torch.autograd.grad(loss, logits)
    # d loss / d logit_3 = d loss / d m_3 * d m_3 / d logit_3, and d m_3 / d logit_3 = 1 (background)
    assert loss.item() == pytest.approx(0.4)
    assert ex.lovasz_gradient.evaluate(grad[2].item()).passed
