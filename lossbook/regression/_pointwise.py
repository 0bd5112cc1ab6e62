r"""Regression losses: functions of the error between a prediction and a real-valued target.

Every loss here is a pointwise function :math:`\phi` of a difference ``d`` (``input - target``,
or of transformed values for MSLE and MAPE), reduced by ``"mean"``, ``"sum"`` or ``"none"``.
The derivative :math:`\phi'(d)` is written by hand in a ``torch.autograd.Function``: it is the
formula the book shows next to the code, and one fused pass is faster than autograd's chain of
elementwise nodes.
"""

from __future__ import annotations

import math

import torch

from .._base import Loss
from ..validation import (
    check_number,
    check_pair,
    check_reduction,
    check_values,
    compute_dtype,
)

__all__ = [
    "mse_loss",
    "mae_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "msle_loss",
    "mape_loss",
    "log_cosh_loss",
    "quantile_loss",
    "MSELoss",
    "MAELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "MSLELoss",
    "MAPELoss",
    "LogCoshLoss",
    "QuantileLoss",
]

# scikit-learn's mean_absolute_percentage_error divides by max(|y|, eps) with this eps.
MAPE_EPS = float(torch.finfo(torch.float64).eps)

# Elements per block when a loss streams through its inputs: 1 MiB of float32, which stays
# in cache.
_BLOCK = 1 << 18


# ---------------------------------------------------------------------------
# Pointwise losses phi(d): value and hand-written derivative, both in place
# ---------------------------------------------------------------------------


class _Pointwise:
    """A loss phi of the difference d = input - target.

    Both methods receive a fresh tensor ``d`` that nobody else holds and overwrite it:
    ``value_`` with phi(d), ``derivative_times_`` with phi'(d) * scale. Working in place
    means one allocation per pass instead of one per elementwise operation, which is most
    of the cost of a loss at millions of elements.
    """

    def value_(self, d: torch.Tensor, scratch: torch.Tensor | None) -> torch.Tensor:
        """phi(d), written into d; ``scratch``, when given, is a free buffer of d's size."""
        raise NotImplementedError

    def derivative_times_(self, d: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def derivative(self, d: torch.Tensor) -> torch.Tensor:
        """phi'(d) from differentiable, out-of-place operations: the double-backward path."""
        raise NotImplementedError


class _Squared(_Pointwise):
    # phi(d) = d^2, phi'(d) = 2 d
    def value_(self, d, scratch):
        return d.square_()

    def derivative_times_(self, d, scale):
        return d.mul_(2 * scale)

    def derivative(self, d):
        return 2 * d


class _Absolute(_Pointwise):
    # phi(d) = |d|, phi'(d) = sign(d), taken as 0 at d = 0 as in torch
    def value_(self, d, scratch):
        return d.abs_()

    def derivative_times_(self, d, scale):
        return d.sign_().mul_(scale)

    def derivative(self, d):
        return torch.sign(d)


class _Huber(_Pointwise):
    # With c = clamp(d, -delta, delta): phi(d) = c (d - c / 2), which is d^2 / 2 inside the
    # band and delta (|d| - delta / 2) outside; phi'(d) = c. `factor` rescales the loss
    # (smooth L1 is Huber divided by beta).
    def __init__(self, delta: float, factor: float = 1.0):
        self.delta = delta
        self.factor = factor

    def value_(self, d, scratch):
        c = torch.clamp(d, -self.delta, self.delta, out=scratch)
        d.sub_(c, alpha=0.5).mul_(c)
        return d if self.factor == 1.0 else d.mul_(self.factor)

    def derivative_times_(self, d, scale):
        return d.clamp_(-self.delta, self.delta).mul_(scale * self.factor)

    def derivative(self, d):
        return torch.clamp(d, -self.delta, self.delta) * self.factor


class _LogCosh(_Pointwise):
    # log cosh(d) = |d| + log(1 + exp(-2|d|)) - log 2 never evaluates cosh, which overflows
    # float32 beyond |d| = 89. phi'(d) = tanh(d).
    def value_(self, d, scratch):
        d.abs_()
        return d.add_(torch.nn.functional.softplus(-2.0 * d)).sub_(math.log(2.0))

    def derivative_times_(self, d, scale):
        return d.tanh_().mul_(scale)

    def derivative(self, d):
        return torch.tanh(d)


class _Pinball(_Pointwise):
    # d = prediction - target. phi(d) = (1 - q) d for d > 0 (over-prediction) and -q d
    # otherwise; phi'(d) = 1[d > 0] - q.
    def __init__(self, q: float):
        self.q = q

    def value_(self, d, scratch):
        return torch.maximum(d * (1.0 - self.q), d.mul_(-self.q), out=d)

    def derivative_times_(self, d, scale):
        return torch.gt(d, 0, out=d).sub_(self.q).mul_(scale)

    def derivative(self, d):
        return (d > 0).to(d.dtype) - self.q


def _aligned_blocks(*tensors: torch.Tensor):
    """The tensors split into aligned flat blocks of ``_BLOCK`` elements, or None when they
    are not all contiguous (then the caller works on them whole)."""
    if not all(t.is_contiguous() for t in tensors) or tensors[0].numel() == 0:
        return None
    return zip(*(t.view(-1).split(_BLOCK) for t in tensors))


class _PointwiseLoss(torch.autograd.Function):
    """Forward: phi(input - target), reduced. Backward: phi'(input - target) times the gradient.

    With a reduction, the forward pass streams through the inputs a block at a time: d for a
    block is computed into a small reused buffer that stays in cache, so no tensor of the
    input's size is written at all. The backward pass, which must write a gradient of that
    size anyway, recomputes d from the saved inputs into it, rather than keeping d alive
    between the passes.
    """

    @staticmethod
    def forward(ctx, input, target, phi, reduction):
        ctx.phi = phi
        ctx.reduction = reduction
        ctx.save_for_backward(input, target)
        blocks = None if reduction == "none" else _aligned_blocks(input, target)
        if blocks is None:
            loss = phi.value_(input - target, None)
            if reduction == "none":
                return loss
            total = loss.sum()
        else:
            size = min(input.numel(), _BLOCK)
            work, scratch = torch.empty(2 * size, dtype=input.dtype, device=input.device).split(size)
            partial = [
                phi.value_(torch.sub(x, y, out=work[: x.numel()]), scratch[: x.numel()]).sum()
                for x, y in blocks
            ]
            total = partial[0] if len(partial) == 1 else torch.stack(partial).sum()
        return total / input.numel() if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        scale = grad_output / input.numel() if ctx.reduction == "mean" else grad_output
        if torch.is_grad_enabled():
            # create_graph=True (a gradient penalty, a Hessian): the gradient itself must be
            # differentiable, so it is built from ordinary operations autograd can follow.
            grad = ctx.phi.derivative(input - target) * scale
        else:
            grad = ctx.phi.derivative_times_(input - target, scale)
        grad_input = grad if ctx.needs_input_grad[0] else None
        grad_target = -grad if ctx.needs_input_grad[1] else None
        return grad_input, grad_target, None, None


def _pointwise_loss(input, target, phi: _Pointwise, reduction: str) -> torch.Tensor:
    return _PointwiseLoss.apply(input, target, phi, reduction)


def _prepared(input, target, reduction):
    """Validate, and upcast float16/bfloat16 to float32 for the computation."""
    input, target = check_pair(input, target)
    check_reduction(reduction)
    work = compute_dtype(input.dtype)
    return input.to(work), target.to(work), input.dtype


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def mse_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Mean squared error (L2 loss).

    .. math:: \ell(x, y) = (x - y)^2, \qquad \frac{\partial \ell}{\partial x} = 2 (x - y)

    Minimized, over a constant prediction, by the mean of the targets.

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input`` (no broadcasting).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        A 0-D tensor, or a tensor of ``input``'s shape for ``reduction="none"``, in
        ``input``'s dtype. Agrees with ``torch.nn.functional.mse_loss``.

    Reference: Legendre (1805), Gauss (1809), the method of least squares.

    Example:
        >>> import torch, lossbook
        >>> lossbook.mse_loss(torch.tensor([2.5, 0.0, 2.0, 8.0]), torch.tensor([3.0, -0.5, 2.0, 7.0]))
        tensor(0.3750)
    """
    input, target, dtype = _prepared(input, target, reduction)
    return _pointwise_loss(input, target, _Squared(), reduction).to(dtype)


def mae_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Mean absolute error (L1 loss).

    .. math:: \ell(x, y) = |x - y|, \qquad \frac{\partial \ell}{\partial x} = \operatorname{sign}(x - y)

    Minimized, over a constant prediction, by a median of the targets; the gradient at
    ``x == y`` is taken as 0, as in torch.

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.l1_loss``.

    Reference: R. Koenker and G. Bassett, "Regression Quantiles", Econometrica, 1978
    (least absolute deviations, median regression, is their q = 0.5 case).

    Example:
        >>> import torch, lossbook
        >>> lossbook.mae_loss(torch.tensor([2.5, 0.0, 2.0, 8.0]), torch.tensor([3.0, -0.5, 2.0, 7.0]))
        tensor(0.5000)
    """
    input, target, dtype = _prepared(input, target, reduction)
    return _pointwise_loss(input, target, _Absolute(), reduction).to(dtype)


l1_loss = mae_loss


def huber_loss(
    input: torch.Tensor, target: torch.Tensor, delta: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Huber loss: quadratic for small errors, linear for large ones.

    .. math::
        \ell(d) = \begin{cases} \tfrac12 d^2 & |d| < \delta \\
        \delta\,(|d| - \tfrac12 \delta) & \text{otherwise} \end{cases}
        \qquad \ell'(d) = \operatorname{clamp}(d, -\delta, \delta)

    with :math:`d = x - y`. The gradient is bounded by ``delta``, so outliers pull no
    harder than ``delta``.

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        delta: where the quadratic part ends; must be > 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.huber_loss``.

    Reference: P. J. Huber, "Robust Estimation of a Location Parameter", 1964.

    Example:
        >>> import torch, lossbook
        >>> lossbook.huber_loss(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]), reduction="none")
        tensor([0.1250, 2.5000])
    """
    delta = check_number("delta", delta, low=0.0, low_inclusive=False)
    input, target, dtype = _prepared(input, target, reduction)
    return _pointwise_loss(input, target, _Huber(delta), reduction).to(dtype)


def smooth_l1_loss(
    input: torch.Tensor, target: torch.Tensor, beta: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Smooth L1 loss: Huber divided by ``beta``, so its linear part has slope 1.

    .. math::
        \ell(d) = \begin{cases} \tfrac{1}{2\beta} d^2 & |d| < \beta \\
        |d| - \tfrac12 \beta & \text{otherwise} \end{cases}

    ``beta = 0`` is the L1 loss. Used for bounding-box regression in Fast R-CNN.

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        beta: where the quadratic part ends; must be >= 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.smooth_l1_loss``.

    Reference: R. Girshick, "Fast R-CNN", ICCV 2015.

    Example:
        >>> import torch, lossbook
        >>> lossbook.smooth_l1_loss(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]), beta=2.0, reduction="none")
        tensor([0.0625, 2.0000])
    """
    beta = check_number("beta", beta, low=0.0)
    input, target, dtype = _prepared(input, target, reduction)
    phi = _Absolute() if beta == 0.0 else _Huber(beta, factor=1.0 / beta)
    return _pointwise_loss(input, target, phi, reduction).to(dtype)


def msle_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Mean squared logarithmic error.

    .. math:: \ell(x, y) = \big(\log(1 + x) - \log(1 + y)\big)^2

    Penalizes ratios rather than differences: useful for targets spanning orders of
    magnitude. Both ``input`` and ``target`` must be > -1.

    Args:
        input: predictions, any shape, floating dtype, every element > -1.
        target: targets, the same shape as ``input``, every element > -1.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. ``"mean"`` agrees with scikit-learn's
        ``mean_squared_log_error``.

    Reference: no single originating paper; scikit-learn's ``mean_squared_log_error`` is the
    reference implementation matched here.

    Example:
        >>> import torch, lossbook
        >>> lossbook.msle_loss(torch.tensor([2.5, 5.0, 4.0, 8.0]), torch.tensor([3.0, 5.0, 2.5, 7.0]))
        tensor(0.0397)
    """
    input, target, dtype = _prepared(input, target, reduction)
    check_values("input", input, low=-1.0, low_inclusive=False)
    check_values("target", target, low=-1.0, low_inclusive=False)
    return _pointwise_loss(torch.log1p(input), torch.log1p(target), _Squared(), reduction).to(dtype)


def mape_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Mean absolute percentage error, as a fraction (0.1 means 10 %).

    .. math:: \ell(x, y) = \frac{|x - y|}{\max(|y|, \epsilon)}

    with :math:`\epsilon` the float64 machine epsilon, as in scikit-learn, so a zero target
    gives a huge but finite loss rather than a division by zero.

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. ``"mean"`` agrees with scikit-learn's
        ``mean_absolute_percentage_error``.

    Reference: R. J. Hyndman and A. B. Koehler, "Another look at measures of forecast
    accuracy", International Journal of Forecasting, 2006 (MAPE and its pitfalls).

    Example:
        >>> import torch, lossbook
        >>> lossbook.mape_loss(torch.tensor([90.0, 210.0]), torch.tensor([100.0, 200.0]))
        tensor(0.0750)
    """
    input, target, dtype = _prepared(input, target, reduction)
    scale = target.abs().clamp_min(MAPE_EPS)
    return _pointwise_loss(input / scale, target / scale, _Absolute(), reduction).to(dtype)


def log_cosh_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Log-cosh loss: about :math:`d^2/2` for small errors and :math:`|d| - \log 2` for large ones.

    .. math:: \ell(d) = \log\cosh(d) = |d| + \log\big(1 + e^{-2|d|}\big) - \log 2,
        \qquad \ell'(d) = \tanh(d)

    The right-hand form never evaluates ``cosh``, which overflows float32 beyond
    :math:`|d| \approx 89`; it is exact and finite for differences of any size.

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype.

    Reference: no single originating paper; a smooth approximation of the absolute error
    used in robust regression. The stable form is an identity of ``cosh``.

    Example:
        >>> import torch, lossbook
        >>> lossbook.log_cosh_loss(torch.tensor([0.0, 1e4]), torch.tensor([0.0, 0.0]), reduction="none")
        tensor([   0.0000, 9999.3066])
    """
    input, target, dtype = _prepared(input, target, reduction)
    return _pointwise_loss(input, target, _LogCosh(), reduction).to(dtype)


def quantile_loss(
    input: torch.Tensor, target: torch.Tensor, q: float = 0.5, reduction: str = "mean"
) -> torch.Tensor:
    r"""Quantile (pinball) loss: its minimizer over a constant is the ``q``-quantile.

    .. math::
        \ell(x, y) = \begin{cases} q\,(y - x) & y \ge x \\
        (1 - q)\,(x - y) & y < x \end{cases}

    Under-prediction costs ``q`` per unit, over-prediction ``1 - q``; ``q = 0.5`` is half the
    absolute error.

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        q: the quantile, in the open interval (0, 1).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. ``"mean"`` agrees with scikit-learn's
        ``mean_pinball_loss(alpha=q)``.

    Reference: R. Koenker and G. Bassett, "Regression Quantiles", Econometrica, 1978.

    Example:
        >>> import torch, lossbook
        >>> lossbook.quantile_loss(torch.tensor([0.0, 0.0]), torch.tensor([1.0, -1.0]), q=0.9, reduction="none")
        tensor([0.9000, 0.1000])
    """
    q = check_number("q", q, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    input, target, dtype = _prepared(input, target, reduction)
    return _pointwise_loss(input, target, _Pinball(q), reduction).to(dtype)


# ---------------------------------------------------------------------------
# Modules: thin holders of the options
# ---------------------------------------------------------------------------


class MSELoss(Loss):
    """Module form of :func:`mse_loss`."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class MAELoss(Loss):
    """Module form of :func:`mae_loss` (the L1 loss)."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return mae_loss(input, target, reduction=self.reduction)


L1Loss = MAELoss


class HuberLoss(Loss):
    """Module form of :func:`huber_loss`."""

    def __init__(self, delta: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.delta = check_number("delta", delta, low=0.0, low_inclusive=False)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return huber_loss(input, target, delta=self.delta, reduction=self.reduction)


class SmoothL1Loss(Loss):
    """Module form of :func:`smooth_l1_loss`."""

    def __init__(self, beta: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.beta = check_number("beta", beta, low=0.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return smooth_l1_loss(input, target, beta=self.beta, reduction=self.reduction)


class MSLELoss(Loss):
    """Module form of :func:`msle_loss`."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return msle_loss(input, target, reduction=self.reduction)


class MAPELoss(Loss):
    """Module form of :func:`mape_loss`."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return mape_loss(input, target, reduction=self.reduction)


class LogCoshLoss(Loss):
    """Module form of :func:`log_cosh_loss`."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return log_cosh_loss(input, target, reduction=self.reduction)


class QuantileLoss(Loss):
    """Module form of :func:`quantile_loss`."""

    def __init__(self, q: float = 0.5, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.q = check_number("q", q, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return quantile_loss(input, target, q=self.q, reduction=self.reduction)
