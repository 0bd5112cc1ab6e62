"""The regression chapter's checkers recognise typical wrong answers, written here as a learner would."""

import math

import pytest
import torch

from lossbook.exercises import regression as ex
from lossbook.validation import reduce

# -- Huber -------------------------------------------------------------------------------------------


def huber_twice(input, target, delta=1.0, reduction="mean"):
    d = input - target
    return reduce(torch.where(d.abs() < delta, d * d, 2 * delta * d.abs() - delta**2), reduction)


def huber_linear_without_offset(input, target, delta=1.0, reduction="mean"):
    d = input - target
    return reduce(torch.where(d.abs() <= delta, d**2 / 2, delta * d.abs()), reduction)


def huber_linear_minus_delta(input, target, delta=1.0, reduction="mean"):
    d = input - target
    return reduce(torch.where(d.abs() <= delta, d**2 / 2, delta * d.abs() - delta**2), reduction)


def huber_signed_comparison(input, target, delta=1.0, reduction="mean"):
    d = input - target
    small = d < delta
    return reduce(small * 0.5 * d**2 + ~small * delta * (d - delta / 2), reduction)


def huber_only_quadratic(input, target, delta=1.0, reduction="mean"):
    return reduce((input - target) ** 2 / 2, reduction)


def huber_always_mean(input, target, delta=1.0, reduction="mean"):
    d = input - target
    return torch.where(d.abs() < delta, 0.5 * d**2, delta * (d.abs() - 0.5 * delta)).mean()


def huber_sum_for_mean(input, target, delta=1.0, reduction="mean"):
    d = input - target
    loss = torch.where(d.abs() < delta, 0.5 * d**2, delta * (d.abs() - 0.5 * delta))
    return loss if reduction == "none" else loss.sum()


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (huber_twice, "missing_half", ("twice the Huber loss", "Huber 损失的两倍")),
        (huber_linear_without_offset, "linear_unshifted", ("not δ|d|", "不是 δ|d|")),
        (huber_linear_minus_delta, "linear_shift", ("δ(|d| − δ)", "δ(|d| − δ)")),
        (huber_signed_comparison, "missing_abs", ("compare |d| with δ", "要用 |d| 和 δ 比较")),
        (huber_only_quadratic, "no_linear_part", ("½d² everywhere", "处处都是 ½d²")),
        (huber_always_mean, "reduction_ignored", ("'none' keeps every element", "'none' 保留每个元素")),
        (
            huber_sum_for_mean,
            "reduction_sum_for_mean",
            ("divide by the number of elements", "要除以元素个数"),
        ),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_huber_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.huber, answer, reason, hint[0] if language == "en" else hint[1])


def test_huber_reports_a_detached_result_a_dtype_change_a_broadcast_and_an_in_place_edit(assert_fails):
    def through_python_floats(input, target, delta=1.0, reduction="mean"):
        values = [
            0.5 * d * d if abs(d) < delta else delta * (abs(d) - 0.5 * delta)
            for d in (input - target).tolist()
        ]
        return reduce(torch.tensor(values, dtype=input.dtype).reshape(input.shape), reduction)

    def in_float64(input, target, delta=1.0, reduction="mean"):
        d = (input - target).double()
        return reduce(torch.where(d.abs() < delta, 0.5 * d**2, delta * (d.abs() - 0.5 * delta)), reduction)

    def broadcast(input, target, delta=1.0, reduction="mean"):
        d = input.reshape(-1, 1) - target.reshape(-1)
        return reduce(torch.where(d.abs() < delta, 0.5 * d**2, delta * (d.abs() - 0.5 * delta)), reduction)

    def in_place(input, target, delta=1.0, reduction="mean"):
        d = input.detach().sub_(target) if not input.requires_grad else input - target
        return reduce(torch.where(d.abs() < delta, 0.5 * d**2, delta * (d.abs() - 0.5 * delta)), reduction)

    assert_fails(ex.huber, through_python_floats, "no_gradient", "not connected to input's graph")
    assert_fails(ex.huber, in_float64, "wrong_dtype", "torch.float64", "torch.float32")
    assert_fails(ex.huber, broadcast, "broadcast", "broadcast", "(6, 6)")
    assert_fails(ex.huber, in_place, "modified_input", "in place")


# -- Gaussian NLL with its constant and the Cauchy gradient ---------------------------------------------


def gaussian_nll_like_torch_default(input, target, var, reduction="mean"):
    return reduce(0.5 * (torch.log(var) + (input - target) ** 2 / var), reduction)


def gaussian_nll_log_var_unhalved(input, target, var, reduction="mean"):
    return reduce(0.5 * math.log(2 * math.pi) + torch.log(var) + (input - target) ** 2 / var, reduction)


def gaussian_nll_divides_by_std(input, target, var, reduction="mean"):
    sigma = var.sqrt()
    return reduce(
        0.5 * math.log(2 * math.pi) + torch.log(sigma) + (input - target) ** 2 / (2 * sigma), reduction
    )


def gaussian_nll_log_pi(input, target, var, reduction="mean"):
    return reduce(
        0.5 * math.log(math.pi) + 0.5 * torch.log(var) + (input - target) ** 2 / (2 * var), reduction
    )


def gaussian_nll_from_the_density(input, target, var, reduction="mean"):
    density = torch.exp(-((target - input) ** 2) / (2 * var)) / torch.sqrt(2 * math.pi * var)
    return reduce(-torch.log(density), reduction)


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (gaussian_nll_like_torch_default, "no_constant", ("full=False", "full=False")),
        (gaussian_nll_log_var_unhalved, "log_var_not_halved", ("both halved", "两项都有 ½")),
        (gaussian_nll_divides_by_std, "std_for_var", ("var is already σ²", "var 本身就是 σ²")),
        (gaussian_nll_log_pi, "log_pi", ("not ½ log π", "不是 ½ log π")),
    ],
    ids=["without_constant", "log_var_unhalved", "divides_by_std", "log_pi"],
)
def test_gaussian_nll_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.gaussian_nll, answer, reason, hint[0] if language == "en" else hint[1])


def test_gaussian_nll_reports_the_density_that_underflows(assert_fails):
    # exp(−(10³)²/(2·10⁻³)) is 0 in float64: −log 0 is inf where the answer is finite
    assert_fails(ex.gaussian_nll, gaussian_nll_from_the_density, "not_finite")


def test_gaussian_nll_accepts_the_torch_distributions_form():
    def with_normal(input, target, var, reduction="mean"):
        return reduce(-torch.distributions.Normal(input, var.sqrt()).log_prob(target), reduction)

    assert ex.gaussian_nll.evaluate(with_normal).passed


@pytest.mark.parametrize(
    "answer, reason, fragment",
    [
        (lambda d: 1 / (0.5 * d**2 + 1), "no_inner_derivative", "the numerator is u' = d"),
        (lambda d: 2 * d / (0.5 * d**2 + 1), "no_half_in_numerator", "not 2d"),
        (lambda d: d / (d**2 + 1), "no_half_in_denominator", "keep the ½"),
        (lambda d: -d / (1 + d * d / 2), "sign", "check the sign"),
        (lambda d: torch.log(0.5 * d**2 + 1), "wrong_value", "expected"),
        (lambda d: torch.tanh(d), "wrong_value", "expected"),
    ],
    ids=["no_inner_derivative", "two_d", "no_half_below", "minus", "the_loss_itself", "tanh"],
)
def test_cauchy_grad_names_the_mistake(answer, reason, fragment, assert_fails):
    assert_fails(ex.cauchy_grad, answer, reason, fragment)


def test_cauchy_grad_accepts_an_equivalent_formula():
    assert ex.cauchy_grad.evaluate(lambda d: 2 * d / (2 + d * d)).passed


# -- quantile ------------------------------------------------------------------------------------------


def quantile_residual_backwards(input, target, q=0.5, reduction="mean"):
    d = input - target
    return reduce(torch.where(d >= 0, q * d, (q - 1) * d), reduction)


def quantile_without_max(input, target, q=0.5, reduction="mean"):
    return reduce(q * (target - input), reduction)


def quantile_weights_both_sides_by_q(input, target, q=0.5, reduction="mean"):
    return reduce(q * (target - input).abs(), reduction)


@pytest.mark.parametrize(
    "answer, reason, fragment",
    [
        (quantile_residual_backwards, "swapped", "weights are swapped"),
        (quantile_without_max, "no_max", "never negative"),
        (quantile_weights_both_sides_by_q, "wrong_value", "expected"),
    ],
    ids=["backwards", "without_max", "q_on_both_sides"],
)
def test_quantile_names_the_mistake(answer, reason, fragment, assert_fails):
    assert_fails(ex.quantile, answer, reason, fragment)


def test_quantile_accepts_the_where_form():
    def with_where(input, target, q=0.5, reduction="mean"):
        r = target - input
        return reduce(torch.where(r >= 0, q * r, (q - 1) * r), reduction)

    assert ex.quantile.evaluate(with_where).passed


# -- answers -------------------------------------------------------------------------------------------


def test_quantile_shift_answers(language, assert_fails):
    assert ex.quantile_shift.evaluate(" Lower ").passed
    hint = {"en": "which way does that push the best constant", "zh": "最优常数会被推向哪边"}
    assert_fails(ex.quantile_shift, "higher", "mistake:higher", hint[language])
    hint = {"en": "the q-quantile of the sample, and q changed", "zh": "样本的 q 分位数，而 q 变了"}
    assert_fails(ex.quantile_shift, "unchanged", "mistake:unchanged", hint[language])
    assert_fails(ex.quantile_shift, "down", "not_a_choice", "'higher', 'lower', 'unchanged'")


def test_outliers_answers(assert_fails):
    assert ex.outliers.evaluate(1.825).passed and ex.outliers.evaluate(torch.tensor(1.83)).passed
    assert_fails(ex.outliers, 1.964, "mistake:1.964", "10 % outliers")
    assert_fails(ex.outliers, 1.063, "mistake:1.063", "MSE's slope")
    assert_fails(ex.outliers, 1.807, "mistake:1.807", "Huber's slope")
    assert_fails(ex.outliers, 2.0, "wrong_answer", "2 * n // 5")
    assert_fails(ex.outliers, "1.825", "not_a_number")
