"""lossbook.regression against torch's built-ins and scikit-learn's metrics."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics

import lossbook

REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(), (7,), (3, 5), (2, 3, 4)]
DTYPES = [torch.float32, torch.float64]

# (our function, torch's function, keyword options) for the losses torch also has.
TORCH_PAIRS = [
    (lossbook.mse_loss, F.mse_loss, {}, {}),
    (lossbook.mae_loss, F.l1_loss, {}, {}),
    (lossbook.l1_loss, F.l1_loss, {}, {}),
    (lossbook.huber_loss, F.huber_loss, {"delta": 1.0}, {"delta": 1.0}),
    (lossbook.huber_loss, F.huber_loss, {"delta": 0.3}, {"delta": 0.3}),
    (lossbook.huber_loss, F.huber_loss, {"delta": 2.5}, {"delta": 2.5}),
    (lossbook.smooth_l1_loss, F.smooth_l1_loss, {"beta": 1.0}, {"beta": 1.0}),
    (lossbook.smooth_l1_loss, F.smooth_l1_loss, {"beta": 0.4}, {"beta": 0.4}),
    (lossbook.smooth_l1_loss, F.smooth_l1_loss, {"beta": 0.0}, {"beta": 0.0}),
]
PAIR_IDS = [f"{ours.__name__}-{kw}" for ours, _, kw, _ in TORCH_PAIRS]


def tolerances(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)


def random_pair(shape, dtype, device, generator, scale=2.0):
    x = (torch.randn(shape, generator=generator, dtype=torch.float64) * scale).to(dtype).to(device)
    y = (torch.randn(shape, generator=generator, dtype=torch.float64) * scale).to(dtype).to(device)
    return x, y


# --- agreement with torch: value and gradient, every reduction, dtype and shape -------------


@pytest.mark.parametrize("ours, theirs, our_kw, their_kw", TORCH_PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_agrees_with_torch(ours, theirs, our_kw, their_kw, reduction, dtype, shape, device, generator):
    x, y = random_pair(shape, dtype, device, generator)
    x1, y1 = x.clone().requires_grad_(), y.clone().requires_grad_()
    x2, y2 = x.clone().requires_grad_(), y.clone().requires_grad_()
    a = ours(x1, y1, reduction=reduction, **our_kw)
    b = theirs(x2, y2, reduction=reduction, **their_kw)
    assert a.dtype == b.dtype == dtype and a.device == x.device and a.shape == b.shape
    torch.testing.assert_close(a, b, **tolerances(dtype))
    upstream = torch.randn(a.shape, generator=generator, dtype=torch.float64).to(dtype).to(device)
    (a * upstream).sum().backward()
    (b * upstream).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, **tolerances(dtype))
    torch.testing.assert_close(y1.grad, y2.grad, **tolerances(dtype))


@pytest.mark.parametrize("ours, theirs, our_kw, their_kw", TORCH_PAIRS, ids=PAIR_IDS)
def test_non_contiguous_and_large_inputs_agree_with_torch(ours, theirs, our_kw, their_kw, generator):
    # a transposed view (non-contiguous), and more elements than one internal block
    for x, y in [
        (torch.randn(40, 30, generator=generator).t(), torch.randn(30, 40, generator=generator)),
        (torch.randn(300_001, generator=generator) * 3, torch.randn(300_001, generator=generator)),
    ]:
        x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
        for reduction in REDUCTIONS:
            a = ours(x1, y, reduction=reduction, **our_kw)
            b = theirs(x2, y, reduction=reduction, **their_kw)
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
            (ga,) = torch.autograd.grad(a.sum(), x1)
            (gb,) = torch.autograd.grad(b.sum(), x2)
            torch.testing.assert_close(ga, gb, rtol=1e-5, atol=1e-6)


def test_values_at_the_band_edges_agree_with_torch():
    # |d| exactly at delta / beta, and exactly 0: where the piecewise definitions switch.
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0, 0.5], dtype=torch.float64, requires_grad=True)
    y = torch.zeros(6, dtype=torch.float64)
    for ours, theirs, kw in [
        (lossbook.huber_loss, F.huber_loss, {"delta": 1.0}),
        (lossbook.smooth_l1_loss, F.smooth_l1_loss, {"beta": 1.0}),
        (lossbook.l1_loss, F.l1_loss, {}),
    ]:
        (ga,) = torch.autograd.grad(ours(x, y, reduction="sum", **kw), x)
        (gb,) = torch.autograd.grad(theirs(x, y, reduction="sum", **kw), x)
        torch.testing.assert_close(ga, gb)


def test_large_tensor_mean_is_as_accurate_as_torch():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(1 << 20, generator=g), torch.randn(1 << 20, generator=g)
    for ours, theirs in [(lossbook.mse_loss, F.mse_loss), (lossbook.huber_loss, F.huber_loss)]:
        exact = theirs(x.double(), y.double()).item()
        assert abs(ours(x, y).item() - exact) <= 10 * abs(theirs(x, y).item() - exact) + 1e-7 * exact


# --- agreement with scikit-learn --------------------------------------------------------------


def test_msle_agrees_with_sklearn(generator):
    y_true = torch.rand(50, generator=generator, dtype=torch.float64) * 20 - 0.9
    y_pred = torch.rand(50, generator=generator, dtype=torch.float64) * 20 - 0.9
    expected = metrics.mean_squared_log_error(y_true.numpy(), y_pred.numpy())
    assert lossbook.msle_loss(y_pred, y_true).item() == pytest.approx(expected, rel=1e-12)
    per_element = lossbook.msle_loss(y_pred, y_true, reduction="none")
    assert per_element.sum().item() == pytest.approx(
        lossbook.msle_loss(y_pred, y_true, reduction="sum").item()
    )


def test_mape_agrees_with_sklearn_including_zero_targets(generator):
    y_true = torch.randn(40, generator=generator, dtype=torch.float64) * 10
    y_true[[3, 17]] = 0.0  # sklearn divides by max(|y|, eps): huge, finite
    y_pred = torch.randn(40, generator=generator, dtype=torch.float64) * 10
    expected = metrics.mean_absolute_percentage_error(y_true.numpy(), y_pred.numpy())
    got = lossbook.mape_loss(y_pred, y_true).item()
    assert math.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("q", [0.05, 0.25, 0.5, 0.9, 0.99])
def test_quantile_agrees_with_sklearn_pinball(q, generator):
    y_true = torch.randn(64, generator=generator, dtype=torch.float64)
    y_pred = torch.randn(64, generator=generator, dtype=torch.float64)
    y_pred[:5] = y_true[:5]  # ties
    expected = metrics.mean_pinball_loss(y_true.numpy(), y_pred.numpy(), alpha=q)
    assert lossbook.quantile_loss(y_pred, y_true, q=q).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "loss", [lossbook.msle_loss, lossbook.mape_loss, lossbook.quantile_loss, lossbook.log_cosh_loss]
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_non_torch_losses_keep_dtype_device_and_shape(loss, dtype, device, generator):
    x = (torch.rand(3, 4, generator=generator) * 5).to(dtype).to(device)
    y = (torch.rand(3, 4, generator=generator) * 5 + 0.1).to(dtype).to(device)
    out = loss(x, y, reduction="none")
    assert out.shape == (3, 4) and out.dtype == dtype and out.device == x.device
    torch.testing.assert_close(loss(x, y, reduction="sum"), out.sum(), **tolerances(dtype))


def test_log_cosh_matches_the_direct_formula_where_that_is_finite(generator):
    d = torch.linspace(-20, 20, 401, dtype=torch.float64)
    direct = torch.log(torch.cosh(d))
    torch.testing.assert_close(lossbook.log_cosh_loss(d, torch.zeros_like(d), reduction="none"), direct)
    x = d.clone().requires_grad_()
    lossbook.log_cosh_loss(x, torch.zeros_like(d), reduction="sum").backward()
    torch.testing.assert_close(x.grad, torch.tanh(d))


def test_log_cosh_is_finite_and_exact_for_huge_float32_differences():
    x = torch.tensor([1e4, -1e4, 3e4], dtype=torch.float32, requires_grad=True)
    y = torch.zeros(3)
    loss = lossbook.log_cosh_loss(x, y, reduction="none")
    expected = torch.tensor([1e4, 1e4, 3e4], dtype=torch.float64) - math.log(2.0)
    torch.testing.assert_close(loss.double(), expected, rtol=1e-7, atol=0)
    loss.sum().backward()
    assert torch.equal(x.grad, torch.tensor([1.0, -1.0, 1.0]))
    # the naive formula overflows
    assert torch.isinf(torch.log(torch.cosh(x.detach()))).all()


# --- gradients ---------------------------------------------------------------------------------

GRADCHECK_CASES = [
    (lossbook.mse_loss, {}),
    (lossbook.mae_loss, {}),
    (lossbook.huber_loss, {"delta": 0.7}),
    (lossbook.smooth_l1_loss, {"beta": 0.7}),
    (lossbook.smooth_l1_loss, {"beta": 0.0}),
    (lossbook.msle_loss, {}),
    (lossbook.mape_loss, {}),
    (lossbook.log_cosh_loss, {}),
    (lossbook.quantile_loss, {"q": 0.8}),
]


@pytest.mark.parametrize("loss, kw", GRADCHECK_CASES, ids=[f"{f.__name__}-{kw}" for f, kw in GRADCHECK_CASES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_float64(loss, kw, reduction, device, generator):
    # Points away from the kinks (|d| = 0, |d| = delta), where the loss is not differentiable.
    base = torch.rand(4, 3, generator=generator, dtype=torch.float64) * 3 + 0.2
    y = (base + torch.tensor([0.35, -0.15, 2.4], dtype=torch.float64)).to(device).requires_grad_()
    x = base.to(device).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: loss(a, b, reduction=reduction, **kw), (x, y))


def test_backward_twice_with_retain_graph_gives_the_same_gradient():
    x = torch.tensor([0.3, -2.0, 4.0], requires_grad=True)
    y = torch.zeros(3)
    for loss in (lossbook.huber_loss, lossbook.mse_loss, lossbook.mae_loss):
        out = loss(x, y)
        (g1,) = torch.autograd.grad(out, x, retain_graph=True)
        (g2,) = torch.autograd.grad(out, x)
        assert torch.equal(g1, g2)


@pytest.mark.parametrize("loss, kw", GRADCHECK_CASES, ids=[f"{f.__name__}-{kw}" for f, kw in GRADCHECK_CASES])
def test_second_derivatives_pass_gradgradcheck_and_match_torch(loss, kw):
    x = torch.tensor([0.3, 2.0, 1.7, 0.2], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.1, 0.4, 0.6, 1.2], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda a, b: loss(a, b, reduction="none", **kw), (x, y))
    # a gradient penalty, as in WGAN-GP: the gradient must carry a graph
    (g,) = torch.autograd.grad(lossbook.mse_loss(x, y), x, create_graph=True)
    (h,) = torch.autograd.grad(g.square().sum(), x)
    x_ref = x.detach().requires_grad_()
    (g_ref,) = torch.autograd.grad(torch.nn.functional.mse_loss(x_ref, y.detach()), x_ref, create_graph=True)
    (h_ref,) = torch.autograd.grad(g_ref.square().sum(), x_ref)
    torch.testing.assert_close(h, h_ref)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("loss, kw", GRADCHECK_CASES, ids=[f"{f.__name__}-{kw}" for f, kw in GRADCHECK_CASES])
def test_half_precision_inputs_give_finite_loss_and_gradient(dtype, loss, kw, device):
    x = torch.tensor([0.5, 3.0, 50.0, -0.25], dtype=dtype, device=device, requires_grad=True)
    y = torch.tensor([0.1, 2.0, 49.0, 0.5], dtype=dtype, device=device)
    out = loss(x, y, **kw)
    assert out.dtype == dtype and torch.isfinite(out)
    out.backward()
    assert x.grad.dtype == dtype and torch.isfinite(x.grad).all()
    reference = loss(x.detach().double(), y.double(), **kw)
    torch.testing.assert_close(out.double(), reference, rtol=2e-2, atol=1e-3)


# --- properties (hypothesis) ---------------------------------------------------------------

ALL_LOSSES = [
    (lossbook.mse_loss, {}),
    (lossbook.mae_loss, {}),
    (lossbook.huber_loss, {"delta": 1.5}),
    (lossbook.smooth_l1_loss, {"beta": 0.5}),
    (lossbook.msle_loss, {}),
    (lossbook.mape_loss, {}),
    (lossbook.log_cosh_loss, {}),
    (lossbook.quantile_loss, {"q": 0.3}),
]

values = st.lists(st.floats(-0.99, 1e3, allow_nan=False, width=64), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), which=st.sampled_from(range(len(ALL_LOSSES))))
def test_properties(data, which):
    loss, kw = ALL_LOSSES[which]
    xs = data.draw(values)
    ys = data.draw(
        st.lists(st.floats(-0.99, 1e3, allow_nan=False, width=64), min_size=len(xs), max_size=len(xs))
    )
    x = torch.tensor(xs, dtype=torch.float64)
    y = torch.tensor(ys, dtype=torch.float64)
    per_element = loss(x, y, reduction="none", **kw)
    assert per_element.shape == x.shape  # "none" keeps the shape
    assert (per_element >= 0).all()  # non-negative
    assert (loss(y, y, reduction="none", **kw) == 0).all()  # zero when input equals target
    mean = loss(x, y, reduction="mean", **kw)
    total = loss(x, y, reduction="sum", **kw)
    torch.testing.assert_close(total, mean * x.numel(), rtol=1e-9, atol=1e-9)  # sum = mean * numel


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3))
def test_none_keeps_any_shape(shape):
    x = torch.randn(shape)
    for loss, kw in ALL_LOSSES:
        if loss in (lossbook.msle_loss,):
            continue
        assert loss(x, torch.zeros_like(x), reduction="none", **kw).shape == x.shape


# --- Modules -------------------------------------------------------------------------------

MODULES = [
    (lossbook.MSELoss, lossbook.mse_loss, {}),
    (lossbook.MAELoss, lossbook.mae_loss, {}),
    (lossbook.L1Loss, lossbook.l1_loss, {}),
    (lossbook.HuberLoss, lossbook.huber_loss, {"delta": 0.5}),
    (lossbook.SmoothL1Loss, lossbook.smooth_l1_loss, {"beta": 0.5}),
    (lossbook.MSLELoss, lossbook.msle_loss, {}),
    (lossbook.MAPELoss, lossbook.mape_loss, {}),
    (lossbook.LogCoshLoss, lossbook.log_cosh_loss, {}),
    (lossbook.QuantileLoss, lossbook.quantile_loss, {"q": 0.7}),
]


@pytest.mark.parametrize("module, function, kw", MODULES, ids=[m.__name__ for m, _, _ in MODULES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_modules_call_their_function(module, function, kw, reduction, generator):
    x = torch.rand(5, 2, generator=generator) * 3
    y = torch.rand(5, 2, generator=generator) * 3
    m = module(**kw, reduction=reduction)
    torch.testing.assert_close(m(x, y), function(x, y, reduction=reduction, **kw))
    assert "reduction='" + reduction in repr(m)


def test_module_options_are_validated_at_construction():
    with pytest.raises(ValueError, match="delta must be > 0"):
        lossbook.HuberLoss(delta=0.0)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        lossbook.SmoothL1Loss(beta=-1.0)
    with pytest.raises(ValueError, match=r"q must be in \(0, 1\)"):
        lossbook.QuantileLoss(q=1.0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        lossbook.MSELoss(reduction="avg")


# --- bad input --------------------------------------------------------------------------------

FUNCTIONS = [f for f, _ in ALL_LOSSES]


@pytest.mark.parametrize("loss", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_shape_mismatch_is_a_value_error_naming_both_shapes(loss):
    with pytest.raises(ValueError, match=r"input \(4, 1\) and target \(4,\)"):
        loss(torch.ones(4, 1), torch.ones(4))


@pytest.mark.parametrize("loss", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_unknown_reduction_lists_the_valid_ones(loss):
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'; got 'avg'"):
        loss(torch.ones(2), torch.ones(2), reduction="avg")


@pytest.mark.parametrize("loss", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_integer_or_boolean_inputs_are_type_errors(loss, dtype):
    good = torch.ones(3)
    bad = torch.ones(3, dtype=dtype)
    with pytest.raises(TypeError, match="input must have a floating-point dtype"):
        loss(bad, good)
    if dtype == torch.bool:
        with pytest.raises(TypeError, match="target must have a floating-point dtype"):
            loss(good, bad)
    else:  # integer targets (counts) are accepted, as torch accepts them, in input's dtype
        x = torch.tensor([0.5, 2.0, 3.5], dtype=torch.float64)
        counts = torch.tensor([1, 2, 3], dtype=dtype)
        torch.testing.assert_close(loss(x, counts), loss(x, counts.to(torch.float64)))


def test_option_ranges():
    x = y = torch.ones(3)
    for delta in (0.0, -1.0):
        with pytest.raises(ValueError, match="delta must be > 0"):
            lossbook.huber_loss(x, y, delta=delta)
    with pytest.raises(ValueError, match="beta must be >= 0; got -0.1"):
        lossbook.smooth_l1_loss(x, y, beta=-0.1)
    for q in (0.0, 1.0, -0.5, 2.0):
        with pytest.raises(ValueError, match=r"q must be in \(0, 1\)"):
            lossbook.quantile_loss(x, y, q=q)


def test_option_types_are_type_errors():
    x = y = torch.ones(3)
    for call in (
        lambda: lossbook.huber_loss(x, y, delta="1"),
        lambda: lossbook.smooth_l1_loss(x, y, beta=None),
        lambda: lossbook.quantile_loss(x, y, q=True),
        lambda: lossbook.HuberLoss(delta=[1.0]),
        lambda: lossbook.QuantileLoss(q="0.5"),
    ):
        with pytest.raises(TypeError, match="must be a real number"):
            call()


def test_msle_inputs_must_exceed_minus_one():
    with pytest.raises(ValueError, match="input must have every element > -1; got an element equal to -1.0"):
        lossbook.msle_loss(torch.tensor([0.0, -1.0]), torch.tensor([0.0, 0.0]))
    with pytest.raises(ValueError, match="target must have every element > -1; got an element equal to -2.0"):
        lossbook.msle_loss(torch.tensor([0.0, 0.0]), torch.tensor([-2.0, 0.0]))


def test_non_tensor_input_is_a_type_error():
    with pytest.raises(TypeError, match="input must be a torch.Tensor; got list"):
        lossbook.mse_loss([1.0, 2.0], torch.ones(2))


# --- the sources' worked examples --------------------------------------------------------------


def test_source_000_snippets():
    output = torch.tensor([2.5, 0.0, 2.0, 8.0])
    target = torch.tensor([3.0, -0.5, 2.0, 7.0])
    assert lossbook.MSELoss()(output, target).item() == pytest.approx(0.375)
    assert lossbook.MAELoss()(output, target).item() == pytest.approx(0.5)


def test_minimizers_are_mean_median_quantile():
    sample = torch.tensor([1.0, 2.0, 2.5, 3.0, 10.0, 40.0], dtype=torch.float64)
    grid = torch.linspace(0, 45, 45001, dtype=torch.float64)

    def argmin(loss, **kw):
        values = torch.stack([loss(torch.full_like(sample, c), sample, **kw) for c in grid[::50]])
        return grid[::50][values.argmin()].item()

    assert argmin(lossbook.mse_loss) == pytest.approx(sample.mean().item(), abs=0.05)
    assert 2.5 <= argmin(lossbook.mae_loss) <= 3.0
    assert argmin(lossbook.quantile_loss, q=0.9) == pytest.approx(
        np.quantile(sample.numpy(), 0.9, method="inverted_cdf"), abs=0.05
    )


# --- the package ------------------------------------------------------------------------------

MODULES = ["__init__", "_pointwise", "mse", "mae", "huber", "msle", "mape", "log_cosh", "quantile"]


@pytest.mark.parametrize("module", MODULES)
def test_doctests_run_on_their_own_imports(module):
    # empty globals: every example imports what it uses
    import doctest
    import importlib

    name = "lossbook.regression" if module == "__init__" else f"lossbook.regression.{module}"
    failures, _ = doctest.testmod(importlib.import_module(name), globs={})
    assert failures == 0


def test_pointwise_losses_must_give_value_and_both_derivatives():
    from lossbook.regression._pointwise import _Pointwise

    with pytest.raises(TypeError, match="abstract"):
        _Pointwise()

    class ValueOnly(_Pointwise):
        def value_(self, d, scratch):
            return d.square_()

    with pytest.raises(TypeError, match="derivative"):
        ValueOnly()


def test_the_chapter_prints_the_source_of_squared_and_huber():
    import inspect

    from lossbook.regression._pointwise import _Pointwise

    for phi in (lossbook.regression._Squared, lossbook.regression._Huber):
        assert issubclass(phi, _Pointwise)
        assert inspect.getsource(phi).startswith(f"class {phi.__name__}(_Pointwise):")
