"""Barron's general robust loss and its named cases, against closed forms and a 50-digit reference.

kornia is not installed here; its four losses (kornia.losses.charbonnier_loss, cauchy_loss,
geman_mcclure_loss, welsch_loss, kornia 0.7) are transcribed below as the reference, formula
for formula. The general loss is compared with mpmath at 50 digits next to the special values
of alpha, where the plain formula divides 0 by 0.
"""

import math

import mpmath
import pytest
import torch

import lossbook

REDUCTIONS = ["mean", "sum", "none"]


# kornia.losses, transcribed (their default reduction is "none"; img1 - img2 is the error).
def kornia_charbonnier(img1, img2):
    return ((img1 - img2) ** 2 + 1.0).sqrt() - 1.0


def kornia_cauchy(img1, img2):
    return (0.5 * (img1 - img2) ** 2 + 1.0).log()


def kornia_geman_mcclure(img1, img2):
    return 2.0 * (img1 - img2) ** 2 / ((img1 - img2) ** 2 + 4.0)


def kornia_welsch(img1, img2):
    return 1.0 - (-0.5 * (img1 - img2) ** 2).exp()


NAMED = [
    (lossbook.charbonnier_loss, lossbook.CharbonnierLoss, kornia_charbonnier, 1.0),
    (lossbook.cauchy_loss, lossbook.CauchyLoss, kornia_cauchy, 0.0),
    (lossbook.geman_mcclure_loss, lossbook.GemanMcClureLoss, kornia_geman_mcclure, -2.0),
    (lossbook.welsch_loss, lossbook.WelschLoss, kornia_welsch, -math.inf),
]
NAMED_IDS = [f.__name__ for f, *_ in NAMED]


def rho(x, alpha, scale=1.0, digits=50):
    """Barron's rho at ``digits`` decimal digits (expm1/log1p keep them near alpha = 0)."""
    with mpmath.workdps(digits):
        z = (mpmath.mpf(x) / mpmath.mpf(scale)) ** 2
        a = mpmath.mpf(alpha)
        if alpha == -math.inf:
            return -mpmath.expm1(-z / 2)
        if alpha == math.inf:
            return mpmath.expm1(z / 2)
        if a == 0:
            return mpmath.log1p(z / 2)
        if a == 2:
            return z / 2
        b = abs(a - 2)
        return b / a * mpmath.expm1(a / 2 * mpmath.log1p(z / b))


@pytest.mark.parametrize("function, module, kornia, alpha", NAMED, ids=NAMED_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_named_losses_equal_kornias_at_scale_one(function, module, kornia, alpha, reduction, dtype, device):
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(5, 7, generator=gen, dtype=torch.float64) * 3).to(dtype).to(device)
    y = torch.randn(5, 7, generator=gen, dtype=torch.float64).to(dtype).to(device)
    expected = lossbook.validation.reduce(kornia(x.double(), y.double()), reduction)
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-14)
    ours = function(x, y, reduction=reduction)
    assert ours.dtype == dtype and ours.device == x.device
    torch.testing.assert_close(ours.double(), expected, **tol)
    torch.testing.assert_close(module(reduction=reduction)(x, y).double(), expected, **tol)
    # the named case is the general loss at its alpha, at any scale
    for scale in (1.0, 0.3):
        torch.testing.assert_close(
            function(x, y, scale=scale, reduction=reduction),
            lossbook.general_robust_loss(x, y, alpha, scale, reduction=reduction),
            **tol,
        )


@pytest.mark.parametrize("function, module, kornia, alpha", NAMED, ids=NAMED_IDS)
def test_named_losses_gradients_and_gradcheck(function, module, kornia, alpha):
    gen = torch.Generator().manual_seed(1)
    x = (torch.randn(9, generator=gen, dtype=torch.float64) * 3).requires_grad_()
    y = torch.randn(9, generator=gen, dtype=torch.float64)
    (ours,) = torch.autograd.grad(function(x, y, reduction="sum"), x)
    (theirs,) = torch.autograd.grad(kornia(x, y).sum(), x)
    torch.testing.assert_close(ours, theirs)
    assert torch.autograd.gradcheck(lambda a: function(a, y, scale=0.7, reduction="none"), (x,))
    assert torch.autograd.gradgradcheck(lambda a: function(a, y, reduction="none"), (x,))


ALPHAS_NEAR = [0.0, 1e-30, -1e-30, 1e-8, -1e-8, 1e-4, 2.0, 1.999, 2.001, 1.0, 0.5, 1.5, 3.0, -2.0, -1e3, -1e8]
ALPHAS_NEAR += [-math.inf, math.inf]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_general_loss_is_accurate_to_rounding_near_its_special_alphas(dtype):
    eps = torch.finfo(dtype).eps
    alphas = ALPHAS_NEAR + [2 + 2 * eps, 2 - eps, 2 + 1e-6, 2 - 1e-6]
    xs = [1e-6, 1e-3, 0.1, 0.5, 1.0, 2.0, 10.0, 100.0]
    worst = 0.0
    for alpha in alphas:
        a = torch.tensor(alpha, dtype=dtype)
        x = torch.tensor(xs, dtype=dtype)
        if alpha == math.inf:
            x = x[x < 10]  # exp(z / 2) overflows
        ours = lossbook.general_robust_loss(x, torch.zeros_like(x), a, reduction="none")
        for value, xi in zip(ours.tolist(), x.tolist(), strict=True):
            exact = rho(xi, a.item())
            worst = max(worst, float(abs(value - exact) / abs(exact)) / eps)
    # a few units in the last place, where the plain formula (or Barron's shifted one) loses
    # about 1e-6 absolute next to alpha = 0 and 2
    assert worst < 8, worst


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_general_loss_is_continuous_through_its_special_alphas(dtype):
    x = torch.tensor([0.3, 1.0, 4.0], dtype=dtype)
    eps = torch.finfo(dtype).eps
    for special in (0.0, 2.0):
        at = lossbook.general_robust_loss(x, torch.zeros_like(x), special, reduction="none")
        for step in (eps, 16 * eps):
            for near in (special - step, special + step):
                beside = lossbook.general_robust_loss(x, torch.zeros_like(x), near, reduction="none")
                torch.testing.assert_close(beside, at, rtol=100 * eps * max(1.0, -math.log(step)), atol=0)


def test_limits_are_the_closed_forms():
    x = torch.linspace(-5, 5, 21, dtype=torch.float64)
    y = torch.zeros_like(x)
    z = x.square()
    closed = {
        2.0: z / 2,
        0.0: torch.log1p(z / 2),
        -math.inf: -torch.expm1(-z / 2),
        math.inf: torch.expm1(z / 2),
        1.0: torch.sqrt(z + 1) - 1,
        -2.0: 2 * z / (z + 4),
    }
    for alpha, value in closed.items():
        torch.testing.assert_close(lossbook.general_robust_loss(x, y, alpha, reduction="none"), value)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5, 1.999, 2.001, 3.0, -2.0, -10.0, 1e-6, -1e-6, 0.3])
def test_gradcheck_in_input_alpha_and_scale(alpha):
    gen = torch.Generator().manual_seed(2)
    x = (torch.randn(7, generator=gen, dtype=torch.float64) * 3).requires_grad_()
    y = torch.randn(7, generator=gen, dtype=torch.float64)
    a = torch.tensor(alpha, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, a, c: lossbook.general_robust_loss(x, y, a, c, "none"), (x, a, c)
    )


def test_gradgradcheck_for_gradient_penalties():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(5, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(5, generator=gen, dtype=torch.float64)
    for alpha in (0.5, 1.0, -2.0, 3.0):
        assert torch.autograd.gradgradcheck(
            lambda a, alpha=alpha: lossbook.general_robust_loss(a, y, alpha, 0.8, "none"), (x,)
        )


@pytest.mark.parametrize("alpha", [0.0, 2.0, -math.inf, math.inf])
def test_gradients_at_the_special_alphas_are_finite_and_right(alpha):
    x = torch.tensor([-3.0, -0.5, 0.0, 0.2, 2.5], dtype=torch.float64, requires_grad=True)
    a = torch.tensor(alpha, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(0.9, dtype=torch.float64, requires_grad=True)
    loss = lossbook.general_robust_loss(x, torch.zeros_like(x), a, c, reduction="sum")
    gx, ga, gc = torch.autograd.grad(loss, (x, a, c))
    assert bool(torch.isfinite(gx).all()) and math.isfinite(ga.item()) and math.isfinite(gc.item())
    # the input and scale gradients are the closed forms' gradients
    x2 = x.detach().clone().requires_grad_()
    c2 = c.detach().clone().requires_grad_()
    z = (x2 / c2).square()
    closed = {
        0.0: torch.log1p(z / 2),
        2.0: z / 2,
        -math.inf: -torch.expm1(-z / 2),
        math.inf: torch.expm1(z / 2),
    }
    gx2, gc2 = torch.autograd.grad(closed[alpha].sum(), (x2, c2))
    torch.testing.assert_close(gx, gx2)
    torch.testing.assert_close(gc, gc2)
    if alpha == 0.0:  # the derivative in alpha is the true one: a central difference agrees
        h = 1e-6
        plus = lossbook.general_robust_loss(x.detach(), torch.zeros_like(x), h, c.detach(), "sum")
        minus = lossbook.general_robust_loss(x.detach(), torch.zeros_like(x), -h, c.detach(), "sum")
        assert math.isclose(ga.item(), ((plus - minus) / (2 * h)).item(), rel_tol=1e-6)
    if alpha == 2.0:  # rho grows with alpha near 2 (its derivative diverges like -log|alpha - 2|)
        assert ga.item() > 0
    if math.isinf(alpha):
        assert ga.item() == 0.0


def test_alpha_and_scale_broadcast_per_element_and_per_channel():
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(6, 4, generator=gen, dtype=torch.float64)
    y = torch.zeros_like(x)
    alphas = torch.tensor([0.0, 2.0, -math.inf, 0.7], dtype=torch.float64)
    scales = torch.tensor([[0.5], [1.0], [2.0], [1.5], [0.7], [3.0]], dtype=torch.float64)
    ours = lossbook.general_robust_loss(x, y, alphas, scales, reduction="none")
    for j, alpha in enumerate(alphas.tolist()):
        for i in range(6):
            expected = lossbook.general_robust_loss(x[i, j], y[i, j], alpha, scales[i, 0].item(), "none")
            torch.testing.assert_close(ours[i, j], expected)


def test_extreme_errors_stay_finite_where_the_loss_is():
    x = torch.tensor([1e20, -1e30, 3e38, 0.0], requires_grad=True)  # r^2 overflows float32
    y = torch.zeros(4)
    bounded = {-math.inf: 1.0, -2.0: 2.0, -0.5: 5.0}  # the supremum |alpha - 2| / -alpha
    for alpha, top in bounded.items():
        loss = lossbook.general_robust_loss(x, y, alpha, reduction="none")
        torch.testing.assert_close(loss[:3], torch.full((3,), top))
        (g,) = torch.autograd.grad(loss.sum(), x)
        assert bool(torch.isfinite(g).all())
    log_growth = lossbook.general_robust_loss(x, y, 0.0, reduction="none")
    torch.testing.assert_close(log_growth[0], torch.tensor(2 * math.log(1e20) - math.log(2)))
    for function in (
        lossbook.charbonnier_loss,
        lossbook.cauchy_loss,
        lossbook.geman_mcclure_loss,
        lossbook.welsch_loss,
    ):
        loss = function(x, y, reduction="none")
        (g,) = torch.autograd.grad(loss.sum(), x)
        assert bool(torch.isfinite(loss).all() & torch.isfinite(g).all()), function.__name__


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_computed_in_float32(dtype, device):
    x = torch.tensor([0.1, 1.0, 5.0, 100.0], device=device)
    y = torch.zeros_like(x)
    for alpha in (0.0, 1.0, 2.0, -2.0):
        ours = lossbook.general_robust_loss(x.to(dtype), y.to(dtype), alpha, reduction="none")
        assert ours.dtype == dtype
        expected = lossbook.general_robust_loss(x.to(dtype).float(), y.float(), alpha, reduction="none")
        torch.testing.assert_close(ours.float(), expected, rtol=1e-2, atol=1e-3)


def test_alpha_is_learnable_through_the_module():
    alpha = torch.nn.Parameter(torch.tensor(1.0))
    criterion = lossbook.GeneralRobustLoss(alpha, scale=0.5)
    assert any(p is alpha for p in criterion.parameters())
    x = torch.tensor([0.1, 0.2, 5.0])
    criterion(x, torch.zeros(3)).backward()
    assert alpha.grad is not None and math.isfinite(alpha.grad.item())
    with torch.no_grad():
        alpha -= 0.5
    torch.testing.assert_close(
        criterion(x, torch.zeros(3)), lossbook.general_robust_loss(x, torch.zeros(3), 0.5, 0.5)
    )


BAD = [
    (
        ValueError,
        "alpha must be a number; got nan",
        lambda: lossbook.general_robust_loss(torch.ones(2), torch.ones(2), math.nan),
    ),
    (
        ValueError,
        "alpha must not contain NaN",
        lambda: lossbook.general_robust_loss(torch.ones(2), torch.ones(2), torch.tensor([1.0, math.nan])),
    ),
    (
        TypeError,
        "alpha must be a real number",
        lambda: lossbook.general_robust_loss(torch.ones(2), torch.ones(2), "1"),
    ),
    (
        TypeError,
        "alpha must have a floating-point dtype",
        lambda: lossbook.general_robust_loss(torch.ones(2), torch.ones(2), torch.tensor(1)),
    ),
    (
        ValueError,
        "alpha must broadcast to input's shape (2,)",
        lambda: lossbook.general_robust_loss(torch.ones(2), torch.ones(2), torch.ones(3)),
    ),
    (
        ValueError,
        "alpha must broadcast to input's shape (2,)",
        lambda: lossbook.general_robust_loss(torch.ones(2), torch.ones(2), torch.ones(2, 2)),
    ),
    (
        ValueError,
        "scale must be > 0",
        lambda: lossbook.general_robust_loss(torch.ones(2), torch.ones(2), 1.0, 0.0),
    ),
    (
        ValueError,
        "scale must be finite",
        lambda: lossbook.cauchy_loss(torch.ones(2), torch.ones(2), math.inf),
    ),
    (
        ValueError,
        "scale must have every element finite and > 0",
        lambda: lossbook.welsch_loss(torch.ones(2), torch.ones(2), torch.tensor([1.0, 0.0])),
    ),
    (
        TypeError,
        "scale must be a real number",
        lambda: lossbook.charbonnier_loss(torch.ones(2), torch.ones(2), "1"),
    ),
    (
        ValueError,
        "input and target must have the same shape",
        lambda: lossbook.geman_mcclure_loss(torch.ones(2), torch.ones(3)),
    ),
    (
        TypeError,
        "input must have a floating-point dtype",
        lambda: lossbook.cauchy_loss(torch.ones(2, dtype=torch.long), torch.ones(2)),
    ),
    (
        ValueError,
        "reduction must be one of",
        lambda: lossbook.welsch_loss(torch.ones(2), torch.ones(2), reduction="avg"),
    ),
    (ValueError, "scale must be > 0", lambda: lossbook.CauchyLoss(scale=-1.0)),
    (ValueError, "alpha must be a number; got nan", lambda: lossbook.GeneralRobustLoss(math.nan)),
]


@pytest.mark.parametrize("error, message, call", BAD, ids=[f"{i}-{m}" for i, (_, m, _) in enumerate(BAD)])
def test_bad_inputs_raise_the_policys_class_and_name_the_argument(error, message, call):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value), str(info.value)
