r"""Robust regression: Barron's general loss and the classic robust losses it contains.

Barron's loss :math:`\rho(x, \alpha, c)` is one formula with a shape parameter
:math:`\alpha`: :math:`\alpha = 2` is the squared error, 1 Charbonnier (pseudo-Huber), 0 Cauchy
(Lorentzian), -2 Geman-McClure, :math:`-\infty` Welsch (Leclerc). The smaller :math:`\alpha`,
the less an outlier pulls: below 0 the loss is bounded, so a gross outlier stops pulling at all.
:math:`\alpha` and the scale :math:`c` are differentiable, so either can be learned.

The formula has removable singularities at :math:`\alpha = 0` and 2 and a limit at
:math:`\pm\infty`; lossbook evaluates it in two forms built on ``expm1`` and ``log1p``, each
used where it does not cancel, so values next to the special points are accurate to the
rounding of the dtype, and the special points themselves use their exact limits.

Book: *Regression losses*, section "Robust regression".
"""

from __future__ import annotations

import math

import torch

from .._base import Loss
from ..validation import reduce
from ._inputs import check_alpha, check_positive, check_scale, prepare_pair

__all__ = [
    "general_robust_loss",
    "charbonnier_loss",
    "cauchy_loss",
    "geman_mcclure_loss",
    "welsch_loss",
    "GeneralRobustLoss",
    "CharbonnierLoss",
    "CauchyLoss",
    "GemanMcClureLoss",
    "WelschLoss",
]


def _square_safely(r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(z, big)``: ``z = r^2`` where that is finite with room to spare, 0 where ``|r|`` is too
    big (``big``). Squaring those would overflow, and even their zero gradient would turn into
    NaN (0 times 2r = inf), so they are left out of z and each loss uses its large-error form."""
    big = r.abs() > math.sqrt(torch.finfo(r.dtype).max) / 2
    return torch.where(big, 0.0, r).square(), big


def _rho(r: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Barron's rho of the scaled error ``r = x / c`` and a broadcastable ``alpha``."""
    # Where r^2 would overflow (|r| > 1e19 in float32) the loss may still be finite (bounded,
    # or logarithmic at alpha = 0): those elements are computed from log|r| at the end.
    z, overflow = _square_safely(r)
    zero, two = alpha == 0, alpha == 2
    minus_inf, plus_inf = alpha == -torch.inf, alpha == torch.inf
    regular = ~(zero | two | minus_inf | plus_inf)
    # Every branch runs on safe arguments (1 where it is not used), so that the branches
    # torch.where discards produce no inf or NaN whose gradient would poison the others.
    a = torch.where(regular, alpha, 1.0)
    b = (a - 2).abs()
    u = z / b
    log_base = torch.log1p(u)
    # b log1p(z / b), written as z log1p(u) / u for small u, where u underflows when |alpha|
    # is huge; y = alpha/2 log1p(z / b), the exponent of the power.
    small = u < 1
    u_small = torch.where(small & (u > 0), u, 1.0)
    b_log = torch.where(small, z * torch.where(u > 0, torch.log1p(u_small) / u_small, 1.0), b * log_base)
    y = 0.5 * (a / b) * b_log
    # Form 1, (b / a) expm1(y): exact as alpha -> 0, where it is evaluated as
    # (b log1p(z/b) / 2) expm1(y) / y, free of the division by alpha; loses digits near 2.
    tiny = y.abs() < 1
    y_tiny = torch.where(tiny & (y != 0), y, 1.0)
    a_big = torch.where(tiny, 1.0, a)
    first = torch.where(
        tiny,
        0.5 * b_log * torch.where(y != 0, torch.expm1(y_tiny) / y_tiny, 1.0),
        (a_big - 2).abs() / a_big * torch.expm1(torch.where(tiny, 0.0, y)),
    )
    # Form 2, the same value written as (z + (b + z) expm1(t)) / a with t = (a - 2)/2 log1p(z/b):
    # t -> 0 as alpha -> 2, so it is exact there; it cancels when t is close to -1 or below.
    t = 0.5 * (a - 2) * log_base
    second = (z + (b + z) * torch.expm1(t)) / a
    loss = torch.where((a > 1) & (t > -0.5), second, first)
    if bool(zero.any()):
        # The limit log1p(z / 2), plus alpha times the derivative at 0, so that the gradient
        # with respect to alpha at exactly 0 is the true one.
        at_zero = torch.where(zero, alpha, 0.0)
        cauchy = torch.log1p(0.5 * z)
        slope = 0.25 * cauchy.square() - 0.5 * cauchy + 0.5 * z / (2 + z)
        loss = torch.where(zero, cauchy + at_zero * slope, loss)
    if bool(two.any()):
        # The limit z / 2. The derivative in alpha diverges at 2 (like log|alpha - 2|), so its
        # gradient is taken at the nearest representable alpha below 2: finite, and pointing
        # the way the loss grows.
        below = torch.where(two, alpha, 2.0) - 2 * torch.finfo(z.dtype).eps
        nb = (below - 2).abs()
        zd = z.detach()
        near = (zd + (nb + zd) * torch.expm1(0.5 * (below - 2) * torch.log1p(zd / nb))) / below
        loss = torch.where(two, 0.5 * z + (near - near.detach()), loss)
    if bool(minus_inf.any()):
        loss = torch.where(minus_inf, -torch.expm1(-0.5 * z), loss)
    if bool(plus_inf.any()):
        loss = torch.where(plus_inf, torch.expm1(0.5 * torch.where(plus_inf, z, 0.0)), loss)
    if bool(overflow.any()):
        # log1p(z / b) = 2 log|r| - log b to rounding once z overflows; the power of form 1
        # then gives the value, which is finite for alpha < 2 when it is representable.
        base = torch.where(zero, 2.0, b)
        log_base = 2 * torch.log(torch.where(overflow, r, 1.0).abs()) - torch.log(base)
        huge = torch.where(zero, log_base, base / a * torch.expm1(0.5 * a * log_base))
        huge = torch.where(minus_inf, 1.0, torch.where(two | plus_inf, torch.inf, huge))
        loss = torch.where(overflow, huge, loss)
    return loss


def general_robust_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    alpha: float | torch.Tensor,
    scale: float | torch.Tensor = 1.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Barron's general robust loss: one shape parameter spans L2, Charbonnier, Cauchy, Welsch.

    .. math::
        \rho(x, \alpha, c) = \frac{|\alpha - 2|}{\alpha}
        \left( \left( \frac{(x / c)^2}{|\alpha - 2|} + 1 \right)^{\alpha / 2} - 1 \right)

    with :math:`x` = ``input - target``, and its limits
    :math:`\tfrac12 (x/c)^2` at :math:`\alpha = 2`, :math:`\log(\tfrac12 (x/c)^2 + 1)` at 0,
    :math:`1 - e^{-\frac12 (x/c)^2}` at :math:`-\infty` and :math:`e^{\frac12 (x/c)^2} - 1` at
    :math:`+\infty`. Near :math:`x = 0` every member is :math:`\tfrac12 (x/c)^2`; for large
    :math:`x` it grows like :math:`|x|^{\alpha}`, and is bounded for :math:`\alpha \le 0`.

    The value is differentiable in ``input``, ``target``, ``alpha`` and ``scale``, and accurate
    to rounding next to the special values of :math:`\alpha`, which give their exact limits.
    The derivative in :math:`\alpha` diverges (logarithmically) at :math:`\alpha = 2`; there
    lossbook returns the derivative at the nearest representable :math:`\alpha` below 2.

    Book: *Regression losses*, section "Robust regression".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        alpha: the shape parameter, any real number or :math:`\pm\infty`: a number, or a
            floating tensor that broadcasts to ``input``'s shape (one alpha per element,
            channel or sample), which may require a gradient.
        scale: :math:`c` > 0, the size of an error below which the loss is quadratic: a
            number or a floating tensor broadcastable to ``input``'s shape.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype.

    Reference: J. T. Barron, "A General and Adaptive Robust Loss Function", CVPR 2019.

    Example:
        >>> import torch, lossbook
        >>> errors, zeros = torch.tensor([0.5, 3.0]), torch.zeros(2)
        >>> lossbook.general_robust_loss(errors, zeros, alpha=1.0, reduction="none")
        tensor([0.1180, 2.1623])
        >>> lossbook.general_robust_loss(errors, zeros, alpha=2.0, reduction="none")
        tensor([0.1250, 4.5000])
    """
    input, target, dtype = prepare_pair(input, target, reduction)
    alpha = check_alpha(alpha, input)
    scale = check_scale("scale", scale, input)
    return reduce(_rho((input - target) / scale, alpha), reduction).to(dtype)


def _scaled_error(input, target, scale, reduction):
    """``r = (input - target) / scale``, ``z = r^2``, where ``|r|`` is too big to square, and the
    caller's dtype, after the checks."""
    input, target, dtype = prepare_pair(input, target, reduction)
    scale = check_scale("scale", scale, input)
    r = (input - target) / scale
    return (r, *_square_safely(r), dtype)


def charbonnier_loss(
    input: torch.Tensor, target: torch.Tensor, scale: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Charbonnier (pseudo-Huber) loss, Barron's :math:`\alpha = 1`: quadratic near 0, then linear.

    .. math::
        \rho(x) = \sqrt{(x/c)^2 + 1} - 1

    computed as :math:`z / (\sqrt{z + 1} + 1)` with :math:`z = (x/c)^2`, which keeps its
    digits for small errors. At ``scale=1`` kornia's ``charbonnier_loss``.

    Book: *Regression losses*, section "Robust regression".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        scale: :math:`c` > 0 (a number or a tensor broadcastable to ``input``).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype.

    Reference: P. Charbonnier, L. Blanc-Féraud, G. Aubert, M. Barlaud, "Two Deterministic
    Half-Quadratic Regularization Algorithms for Computed Imaging", ICIP 1994.

    Example:
        >>> import torch, lossbook
        >>> lossbook.charbonnier_loss(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction="none")
        tensor([0.1180, 2.1623])
    """
    r, z, big, dtype = _scaled_error(input, target, scale, reduction)
    # hypot keeps a huge error finite, where r^2 would overflow; for small errors hypot(r, 1) - 1
    # would cancel, so there the rationalized form is used.
    small = (z < 1) & ~big
    zs = torch.where(small, z, 0.0)
    rs = torch.where(small, 1.0, r)
    loss = torch.where(small, zs / (torch.sqrt(zs + 1) + 1), torch.hypot(rs, torch.ones_like(rs)) - 1)
    return reduce(loss, reduction).to(dtype)


def cauchy_loss(
    input: torch.Tensor, target: torch.Tensor, scale: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Cauchy (Lorentzian) loss, Barron's :math:`\alpha = 0`: grows like a logarithm.

    .. math::
        \rho(x) = \log\left(\tfrac12 (x/c)^2 + 1\right)

    The negative log-likelihood of a Cauchy distribution, up to a constant. At ``scale=1``
    kornia's ``cauchy_loss``.

    Book: *Regression losses*, section "Robust regression".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        scale: :math:`c` > 0 (a number or a tensor broadcastable to ``input``).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype.

    Reference: M. J. Black, P. Anandan, "The Robust Estimation of Multiple Motions:
    Parametric and Piecewise-Smooth Flow Fields", CVIU 1996.

    Example:
        >>> import torch, lossbook
        >>> lossbook.cauchy_loss(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction="none")
        tensor([0.1178, 1.7047])
    """
    r, z, big, dtype = _scaled_error(input, target, scale, reduction)
    # Where r^2 would overflow, log(r^2 / 2) is 2 log|r| - log 2 (the 1 is below rounding).
    loss = torch.where(
        big, 2 * torch.log(torch.where(big, r, 1.0).abs()) - math.log(2.0), torch.log1p(0.5 * z)
    )
    return reduce(loss, reduction).to(dtype)


def geman_mcclure_loss(
    input: torch.Tensor, target: torch.Tensor, scale: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Geman-McClure loss, Barron's :math:`\alpha = -2`: bounded by 2.

    .. math::
        \rho(x) = \frac{2 (x/c)^2}{(x/c)^2 + 4}

    An error far beyond the scale costs at most 2 and pulls with a vanishing gradient. At
    ``scale=1`` kornia's ``geman_mcclure_loss``.

    Book: *Regression losses*, section "Robust regression".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        scale: :math:`c` > 0 (a number or a tensor broadcastable to ``input``).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype.

    Reference: S. Geman, D. E. McClure, "Statistical Methods for Tomographic Image
    Reconstruction", Bulletin of the ISI 1987.

    Example:
        >>> import torch, lossbook
        >>> lossbook.geman_mcclure_loss(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction="none")
        tensor([0.1176, 1.3846])
    """
    _, z, big, dtype = _scaled_error(input, target, scale, reduction)
    # 2 - 8 / (z + 4) for large z, which keeps its digits there; 2 where z would overflow.
    small = z < 4
    zs = torch.where(small, z, 0.0)
    loss = torch.where(big, 2.0, torch.where(small, 2 * zs / (zs + 4), 2 - 8 / (z + 4)))
    return reduce(loss, reduction).to(dtype)


def welsch_loss(
    input: torch.Tensor, target: torch.Tensor, scale: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Welsch (Leclerc) loss, Barron's :math:`\alpha = -\infty`: bounded by 1.

    .. math::
        \rho(x) = 1 - e^{-\frac12 (x/c)^2}

    An inverted Gaussian: the most robust member of the family. At ``scale=1`` kornia's
    ``welsch_loss``.

    Book: *Regression losses*, section "Robust regression".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        scale: :math:`c` > 0 (a number or a tensor broadcastable to ``input``).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype.

    Reference: J. E. Dennis, R. E. Welsch, "Techniques for Nonlinear Least Squares and
    Robust Regression", Communications in Statistics 1978.

    Example:
        >>> import torch, lossbook
        >>> lossbook.welsch_loss(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction="none")
        tensor([0.1175, 0.9889])
    """
    _, z, big, dtype = _scaled_error(input, target, scale, reduction)
    return reduce(torch.where(big, 1.0, -torch.expm1(-0.5 * z)), reduction).to(dtype)


class GeneralRobustLoss(Loss):
    r"""Module form of :func:`general_robust_loss`, with a fixed ``alpha`` and ``scale``.

    .. math::
        \rho(x, \alpha, c) = \frac{|\alpha - 2|}{\alpha}
        \left( \left( \frac{(x / c)^2}{|\alpha - 2|} + 1 \right)^{\alpha / 2} - 1 \right)

    To learn :math:`\alpha`, pass a tensor that requires a gradient (an ``nn.Parameter``,
    often squashed into a range such as (0, 2) by a sigmoid): the Module keeps a reference
    to it, so the optimizer's updates are seen at the next call.

    Book: *Regression losses*, section "Robust regression".

    Args:
        alpha: the shape parameter, a number or a tensor broadcastable to the input.
        scale: :math:`c` > 0, a number or a tensor broadcastable to the input. Default: 1.0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: J. T. Barron, "A General and Adaptive Robust Loss Function", CVPR 2019.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.GeneralRobustLoss(alpha=0.0, reduction="none")
        >>> criterion(torch.tensor([0.5, 3.0]), torch.zeros(2))
        tensor([0.1178, 1.7047])
    """

    def __init__(
        self, alpha: float | torch.Tensor, scale: float | torch.Tensor = 1.0, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        # A tensor alpha or scale (an nn.Parameter to learn) is kept by reference; numbers are
        # checked now, tensors at each call against the input's shape.
        self.alpha = alpha if isinstance(alpha, torch.Tensor) else check_alpha(alpha, None)
        self.scale = scale if isinstance(scale, torch.Tensor) else check_positive("scale", scale)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Barron's loss of ``input - target``."""
        return general_robust_loss(input, target, self.alpha, self.scale, reduction=self.reduction)


class _NamedRobustLoss(Loss):
    _function = staticmethod(charbonnier_loss)

    def __init__(self, scale: float | torch.Tensor = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.scale = scale if isinstance(scale, torch.Tensor) else check_positive("scale", scale)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input - target`` at this Module's scale."""
        return type(self)._function(input, target, self.scale, reduction=self.reduction)


def _module_doc(function, formula: str, value: str) -> str:
    name = function.__name__
    cls = "".join(part.capitalize() for part in name.split("_")[:-1]).replace("Mcclure", "McClure")
    reference = function.__doc__.split("Reference: ")[1].split("\n\n")[0]
    return f"""Module form of :func:`{name}`.

    .. math::
        {formula}

    Book: *Regression losses*, section "Robust regression".

    Args:
        scale: :math:`c` > 0. Default: 1.0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: {reference}

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.{cls}Loss(reduction="none")
        >>> criterion(torch.tensor([0.5, 3.0]), torch.zeros(2))
        {value}
    """


class CharbonnierLoss(_NamedRobustLoss):
    _function = staticmethod(charbonnier_loss)
    __doc__ = _module_doc(charbonnier_loss, r"\rho(x) = \sqrt{(x/c)^2 + 1} - 1", "tensor([0.1180, 2.1623])")


class CauchyLoss(_NamedRobustLoss):
    _function = staticmethod(cauchy_loss)
    __doc__ = _module_doc(cauchy_loss, r"\rho(x) = \log(\tfrac12 (x/c)^2 + 1)", "tensor([0.1178, 1.7047])")


class GemanMcClureLoss(_NamedRobustLoss):
    _function = staticmethod(geman_mcclure_loss)
    __doc__ = _module_doc(
        geman_mcclure_loss, r"\rho(x) = \frac{2 (x/c)^2}{(x/c)^2 + 4}", "tensor([0.1176, 1.3846])"
    )


class WelschLoss(_NamedRobustLoss):
    _function = staticmethod(welsch_loss)
    __doc__ = _module_doc(welsch_loss, r"\rho(x) = 1 - e^{-\frac12 (x/c)^2}", "tensor([0.1175, 0.9889])")
