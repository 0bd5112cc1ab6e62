"""The concepts chapter's exercises: reference solutions pass, typical wrong answers get their hint."""

import pytest
import torch

from lossbook.exercises import concepts as ex
from lossbook.validation import reduce as _reduce


@pytest.mark.parametrize("name", ["mse", "mse_grad", "smooth_asymmetric"])
def test_reference_solution_passes(name):
    feedback = getattr(ex, name).evaluate(getattr(ex, f"my_{name}"))
    assert feedback.passed and feedback.reason == "correct", feedback.message


def test_every_exercise_is_listed_in_chapter_order():
    assert ex.__all__ == [
        "mse",
        "mse_grad",
        "centred_condition",
        "sum_learning_rate",
        "pos_weight",
        "smooth_asymmetric",
    ]


# -- mse: wrong answers as a learner writes them ----------------------------------------------------


def mse_abs(input, target, reduction="mean"):
    loss = torch.abs(input - target)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def mse_half(input, target, reduction="mean"):
    loss = (input - target) ** 2 / 2
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def mse_rmse(input, target, reduction="mean"):
    squared = (input - target).pow(2)
    if reduction == "none":
        return squared
    return torch.sqrt(squared.mean() if reduction == "mean" else squared.sum())


def mse_always_sum(input, target, reduction="mean"):
    squared = (input - target) ** 2
    return squared if reduction == "none" else squared.sum()


def mse_always_mean(input, target, reduction="mean"):
    squared = (input - target) ** 2
    return squared if reduction == "none" else torch.mean(squared)


def mse_ignores_reduction(input, target, reduction="mean"):
    return ((input - target) ** 2).mean()


def mse_detached(input, target, reduction="mean"):
    loss = _reduce((input - target) ** 2, reduction)
    return torch.tensor(loss.tolist(), dtype=input.dtype)


def mse_in_place(input, target, reduction="mean"):
    input -= target
    return _reduce(input**2, reduction)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (mse_abs, "absolute_error"),
        (mse_half, "extra_half"),
        (mse_rmse, "root"),
        (mse_always_sum, "reduction_sum_for_mean"),
        (mse_always_mean, "reduction_mean_for_sum"),
        (mse_ignores_reduction, "reduction_ignored"),
        (mse_detached, "no_gradient"),
        (mse_in_place, "raised"),  # autograd refuses the in-place change of a leaf that requires grad
    ],
)
def test_mse_wrong_answers(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.mse, answer, reason, language)


# -- mse_grad ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, reason",
    [
        (lambda input, target: 2 * (input - target), "missing_n"),
        (lambda input, target: (input - target) / input.numel(), "missing_two"),
        (lambda input, target: -2 * (input - target) / input.numel(), "sign"),
        (lambda input, target: 2 * (input - target) / len(input), "rows_not_elements"),
        (lambda input, target: torch.sign(input - target) / input.numel(), "wrong_value"),
    ],
)
def test_mse_grad_wrong_answers(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.mse_grad, answer, reason, language)


def test_mse_grad_accepts_autograd_of_the_learners_own_mse():
    def by_autograd(input, target):
        input = input.clone().requires_grad_(True)
        loss = ((input - target) ** 2).mean()
        return torch.autograd.grad(loss, input)[0]

    assert ex.mse_grad.evaluate(by_autograd).passed


# -- smooth_asymmetric -------------------------------------------------------------------------------


def smooth_naive_sigmoid(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    loss = d**2 * (1 + (under - 1) / (1 + torch.exp(k * d)))
    return _reduce(loss, reduction)


def smooth_naive_sigmoid_ratio(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    e = torch.exp(-k * d)
    return _reduce(d**2 * (1 + (under - 1) * e / (1 + e)), reduction)


def smooth_wrong_side(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    return _reduce(d**2 * (1 + (under - 1) * torch.sigmoid(k * d)), reduction)


def smooth_residual_other_way(input, target, under=2.0, k=10.0, reduction="mean"):
    r = target - input
    return _reduce(r**2 * (1 + (under - 1) * torch.sigmoid(-k * r)), reduction)


def smooth_no_base(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    return _reduce(under * torch.sigmoid(-k * d) * d**2, reduction)


def smooth_under_not_minus_one(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    return _reduce((1 + under * torch.sigmoid(-k * d)) * d * d, reduction)


def smooth_piecewise(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    weight = torch.where(d < 0, torch.full_like(d, under), torch.ones_like(d))
    return _reduce(weight * d**2, reduction)


def smooth_sum_for_mean(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    loss = d**2 * (1 + (under - 1) * torch.sigmoid(-k * d))
    return loss if reduction == "none" else loss.sum()


@pytest.mark.parametrize(
    "answer, reason",
    [
        (smooth_naive_sigmoid, "wrong_gradient"),
        (smooth_naive_sigmoid_ratio, "not_finite"),
        (smooth_wrong_side, "wrong_side"),
        (smooth_residual_other_way, "wrong_side"),
        (smooth_no_base, "no_base_weight"),
        (smooth_under_not_minus_one, "under_not_minus_one"),
        (smooth_piecewise, "piecewise"),
        (smooth_sum_for_mean, "reduction_sum_for_mean"),
    ],
)
def test_smooth_asymmetric_wrong_answers(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.smooth_asymmetric, answer, reason, language)


def test_smooth_asymmetric_with_logsigmoid_passes():
    def via_softplus(input, target, under=2.0, k=10.0, reduction="mean"):
        d = input - target
        return _reduce(
            d**2 + (under - 1) * torch.exp(torch.nn.functional.logsigmoid(-k * d)) * d**2, reduction
        )

    assert ex.smooth_asymmetric.evaluate(via_softplus).passed


def test_smooth_asymmetric_reference_is_mse_at_under_one_and_close_to_piecewise_for_large_k():
    import lossbook

    x = torch.randn(50, dtype=torch.float64)
    y = torch.randn(50, dtype=torch.float64)
    assert torch.allclose(ex.smooth_asymmetric.reference(x, y, under=1.0), lossbook.mse_loss(x, y))
    d = x - y
    piecewise = (torch.where(d < 0, 3.0, 1.0) * d**2).mean()
    assert torch.allclose(ex.smooth_asymmetric.reference(x, y, under=3.0, k=1e4), piecewise, rtol=1e-3)
    x.requires_grad_(True)
    assert torch.autograd.gradgradcheck(
        lambda t: ex.smooth_asymmetric.reference(t, y, under=3.0, k=2.0), (x,)
    )


# -- answer exercises --------------------------------------------------------------------------------

ANSWERS = [
    (ex.centred_condition, "lower", ["higher", "unchanged"], 3.0),
    (ex.sum_learning_rate, 0.0060, [0.3002, 15.01, 0.003002], "0.006"),
    (ex.pos_weight, "same", ["higher", "lower"], 0.92),
]


@pytest.mark.parametrize("exercise, right, wrong, junk", ANSWERS)
def test_answer_exercises(exercise, right, wrong, junk, language, check_answer_exercise):
    check_answer_exercise(exercise, right, wrong, junk, language)
