"""The history chapter's exercises: reference solutions pass, typical wrong answers get their hint."""

import math

import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook.exercises import history as ex
from lossbook.validation import reduce as _reduce

UNSTABLE = ("not_finite", "wrong_gradient", "cancellation")


@pytest.mark.parametrize("name", ["least_squares_line", "gaussian_nll", "cem_step"])
def test_reference_solution_passes(name):
    feedback = getattr(ex, name).evaluate(getattr(ex, f"my_{name}"))
    assert feedback.passed and feedback.reason == "correct", feedback.message


def test_every_exercise_is_listed_in_chapter_order():
    assert ex.__all__ == [
        "busiest_decade",
        "least_squares_line",
        "gaussian_nll",
        "pinball_half",
        "cem_step",
        "elite_fraction",
    ]


# -- least_squares_line ------------------------------------------------------------------------------


def line_normal_equations(x, y):  # the textbook formula without centring
    n = len(x)
    w = (n * (x * y).sum() - x.sum() * y.sum()) / (n * (x**2).sum() - x.sum() ** 2)
    b = (y.sum() - w * x.sum()) / n
    return torch.stack([w, b])


def line_moments(x, y):  # the same cancellation, written with means
    w = ((x * y).mean() - x.mean() * y.mean()) / ((x * x).mean() - x.mean() ** 2)
    return torch.stack([w, y.mean() - w * x.mean()])


def line_swapped(x, y):
    dx, dy = x - x.mean(), y - y.mean()
    w = (dx * dy).sum() / (dx**2).sum()
    return torch.stack([y.mean() - w * x.mean(), w])


def line_through_origin(x, y):
    w = (x * y).sum() / (x * x).sum()
    return torch.stack([w, torch.zeros_like(w)])


def line_intercept_mean(x, y):
    dx, dy = x - x.mean(), y - y.mean()
    w = (dx * dy).sum() / (dx**2).sum()
    return torch.stack([w, y.mean()])


def line_x_on_y(x, y):
    dx, dy = x - x.mean(), y - y.mean()
    w = (dx * dy).sum() / (dy**2).sum()
    return torch.stack([w, y.mean() - w * x.mean()])


def line_cov_unbiased_var_biased(x, y):
    w = torch.cov(torch.stack([x, y]))[0, 1] / x.var(unbiased=False)
    return torch.stack([w, y.mean() - w * x.mean()])


def line_cov_biased_var_unbiased(x, y):
    w = ((x - x.mean()) * (y - y.mean())).mean() / x.var()
    return torch.stack([w, y.mean() - w * x.mean()])


def line_as_list(x, y):
    dx, dy = x - x.mean(), y - y.mean()
    w = (dx * dy).sum() / (dx**2).sum()
    return [w, y.mean() - w * x.mean()]


@pytest.mark.parametrize(
    "answer, reason",
    [
        (line_normal_equations, "cancellation"),
        (line_moments, "cancellation"),
        (line_swapped, "swapped"),
        (line_through_origin, "no_intercept"),
        (line_intercept_mean, "intercept_is_mean"),
        (line_x_on_y, "x_on_y"),
        (line_cov_unbiased_var_biased, "mixed_ddof"),
        (line_cov_biased_var_unbiased, "mixed_ddof"),
        (line_as_list, "wrong_type"),
    ],
)
def test_least_squares_line_wrong_answers(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.least_squares_line, answer, reason, language, UNSTABLE)


def test_least_squares_line_accepts_lstsq_and_the_cancellation_hint_names_centring(language):
    def via_lstsq(x, y):
        design = torch.stack([x, torch.ones_like(x)], 1)
        return torch.linalg.lstsq(design.double(), y.double()[:, None]).solution.flatten().to(x.dtype)

    assert ex.least_squares_line.evaluate(via_lstsq).passed
    message = ex.least_squares_line.evaluate(line_normal_equations).message
    assert ("Centre first" if language == "en" else "先中心化") in message


# -- gaussian_nll ------------------------------------------------------------------------------------


def nll_no_constant(input, target, sigma=1.0, reduction="mean"):
    return _reduce((target - input) ** 2 / (2 * sigma**2), reduction)


def nll_no_2pi(input, target, sigma=1.0, reduction="mean"):
    return _reduce((target - input) ** 2 / (2 * sigma**2) + 0.5 * math.log(sigma**2), reduction)


def nll_torch_not_full(input, target, sigma=1.0, reduction="mean"):
    return F.gaussian_nll_loss(input, target, torch.full_like(input, sigma**2), reduction=reduction)


def nll_log_without_half(input, target, sigma=1.0, reduction="mean"):
    return _reduce((target - input) ** 2 / (2 * sigma**2) + math.log(2 * math.pi * sigma**2), reduction)


def nll_without_2_in_exponent(input, target, sigma=1.0, reduction="mean"):
    return _reduce((target - input) ** 2 / sigma**2 + 0.5 * math.log(2 * math.pi * sigma**2), reduction)


def nll_sigma_as_variance(input, target, sigma=1.0, reduction="mean"):
    return _reduce((target - input) ** 2 / (2 * sigma) + 0.5 * math.log(2 * math.pi * sigma), reduction)


def nll_via_mse_always_mean(input, target, sigma=1.0, reduction="mean"):
    if reduction == "none":
        return (target - input) ** 2 / (2 * sigma**2) + 0.5 * math.log(2 * math.pi * sigma**2)
    return lossbook.mse_loss(input, target) / (2 * sigma**2) + 0.5 * math.log(2 * math.pi * sigma**2)


def nll_sum_constant_once(input, target, sigma=1.0, reduction="mean"):
    # a subtle one: with reduction='sum' the constant is added once instead of N times
    loss = (target - input) ** 2 / (2 * sigma**2)
    if reduction == "none":
        return loss + 0.5 * math.log(2 * math.pi * sigma**2)
    return _reduce(loss, reduction) + 0.5 * math.log(2 * math.pi * sigma**2)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (nll_no_constant, "missing_constant"),
        (nll_no_2pi, "missing_2pi"),
        (nll_torch_not_full, "missing_2pi"),
        (nll_log_without_half, "missing_half_log"),
        (nll_without_2_in_exponent, "missing_half"),
        (nll_sigma_as_variance, "variance_for_sigma"),
        (nll_via_mse_always_mean, "reduction_mean_for_sum"),
        (nll_sum_constant_once, "wrong_value"),
    ],
)
def test_gaussian_nll_wrong_answers(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.gaussian_nll, answer, reason, language, UNSTABLE)


def test_gaussian_nll_accepts_torch_distributions():
    def via_distributions(input, target, sigma=1.0, reduction="mean"):
        return _reduce(-torch.distributions.Normal(input, sigma).log_prob(target), reduction)

    assert ex.gaussian_nll.evaluate(via_distributions).passed


# -- cem_step ----------------------------------------------------------------------------------------


def cem_descending(x, fx, elite_fraction=0.1):
    k = round(elite_fraction * len(x))
    elite = x[fx.argsort(descending=True)[:k]]
    return elite.mean(), elite.std()


def cem_population_std(x, fx, elite_fraction=0.1):
    k = round(elite_fraction * len(x))
    elite = x[fx.argsort()[:k]]
    return elite.mean(), torch.sqrt(((elite - elite.mean()) ** 2).mean())


def cem_variance(x, fx, elite_fraction=0.1):
    k = round(elite_fraction * len(x))
    elite = x[fx.argsort()[:k]]
    return elite.mean(), elite.var()


def cem_f_values(x, fx, elite_fraction=0.1):
    k = round(elite_fraction * len(x))
    best = fx.sort().values[:k]
    return best.mean(), best.std()


def cem_forgot_selection(x, fx, elite_fraction=0.1):
    return x.mean(), x.std()


def cem_floats(x, fx, elite_fraction=0.1):
    k = round(elite_fraction * len(x))
    elite = x[fx.argsort()[:k]]
    return elite.mean().item(), elite.std().item()


@pytest.mark.parametrize(
    "answer, reason",
    [
        (cem_descending, "maximized"),
        (cem_population_std, "biased_std"),
        (cem_variance, "variance"),
        (cem_f_values, "f_values"),
        (cem_forgot_selection, "all_samples"),
        (cem_floats, "wrong_value"),
    ],
)
def test_cem_step_wrong_answers(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.cem_step, answer, reason, language, UNSTABLE)


def test_cem_step_accepts_int_elite_count_and_a_list():
    def with_int(x, fx, elite_fraction=0.1):
        elite = x[torch.topk(fx, int(elite_fraction * len(x)), largest=False).indices]
        return [elite.mean(), elite.std()]

    assert ex.cem_step.evaluate(with_int).passed


# -- answer exercises --------------------------------------------------------------------------------

ANSWERS = [
    (ex.busiest_decade, 14, [16, 3], "14"),
    (ex.pinball_half, 0.5, [1.0, 2.0], "half"),
    (ex.elite_fraction, "more", ["fewer", "same"], 5),
]


@pytest.mark.parametrize("exercise, right, wrong, junk", ANSWERS)
def test_answer_exercises(exercise, right, wrong, junk, language, check_answer_exercise):
    check_answer_exercise(exercise, right, wrong, junk, language)


def test_busiest_decade_other_counts_get_the_general_hint(language):
    feedback = ex.busiest_decade.evaluate(13)
    assert feedback.reason == "wrong_answer"
    assert ex.busiest_decade._hint.format(language) in feedback.message
