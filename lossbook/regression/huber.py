r"""Huber loss and smooth L1: quadratic for small errors, linear for large ones."""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_number
from ._inputs import check_pointwise_weight, prepare_pair
from ._pointwise import _Pointwise, pointwise_loss, weighted_pointwise_loss
from .mae import _Absolute

__all__ = ["huber_loss", "smooth_l1_loss", "HuberLoss", "SmoothL1Loss"]


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


def huber_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Huber loss: quadratic for small errors, linear for large ones.

    .. math::
        \ell(d) = \begin{cases} \tfrac12 d^2 & |d| < \delta \\
        \delta\,(|d| - \tfrac12 \delta) & \text{otherwise} \end{cases}
        \qquad \ell'(d) = \operatorname{clamp}(d, -\delta, \delta)

    with :math:`d = x - y`. The gradient is bounded by ``delta``, so outliers pull no
    harder than ``delta``.

    Book: *Regression losses*, section "Huber loss and Smooth L1".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        delta: where the quadratic part ends; must be > 0.
        weight: optional weight per element, of ``input``'s shape (torch's argument); with
            it, ``"mean"`` divides the weighted sum by the number of elements, as torch's
            ``huber_loss`` does (its L1 and MSE divide by the sum of the weights).

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.huber_loss``.

    Reference: P. J. Huber, "Robust Estimation of a Location Parameter", 1964.

    Example:
        >>> import torch, lossbook
        >>> lossbook.huber_loss(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]), reduction="none")
        tensor([0.1250, 2.5000])
    """
    delta = check_number("delta", delta, low=0.0, low_inclusive=False)
    weight = check_pointwise_weight(weight, input)
    input, target, dtype = prepare_pair(input, target, reduction)
    return weighted_pointwise_loss(
        input, target, _Huber(delta), reduction, weight, dtype, mean_over="elements"
    )


def smooth_l1_loss(
    input: torch.Tensor, target: torch.Tensor, reduction: str = "mean", beta: float = 1.0
) -> torch.Tensor:
    r"""Smooth L1 loss: Huber divided by ``beta``, so its linear part has slope 1.

    .. math::
        \ell(d) = \begin{cases} \tfrac{1}{2\beta} d^2 & |d| < \beta \\
        |d| - \tfrac12 \beta & \text{otherwise} \end{cases}

    ``beta = 0`` is the L1 loss. Used for bounding-box regression in Fast R-CNN.

    Book: *Regression losses*, section "Huber loss and Smooth L1".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        beta: where the quadratic part ends; must be >= 0.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.smooth_l1_loss``.

    Reference: R. Girshick, "Fast R-CNN", ICCV 2015.

    Example:
        >>> import torch, lossbook
        >>> errors, zeros = torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0])
        >>> lossbook.smooth_l1_loss(errors, zeros, beta=2.0, reduction="none")
        tensor([0.0625, 2.0000])
    """
    beta = check_number("beta", beta, low=0.0)
    input, target, dtype = prepare_pair(input, target, reduction)
    phi = _Absolute() if beta == 0.0 else _Huber(beta, factor=1.0 / beta)
    return pointwise_loss(input, target, phi, reduction).to(dtype)


class HuberLoss(Loss):
    r"""Module form of :func:`huber_loss`.

    .. math::
        \ell(d) = \begin{cases} \tfrac12 d^2 & |d| < \delta \\
        \delta\,(|d| - \tfrac12 \delta) & \text{otherwise} \end{cases}

    Book: *Regression losses*, section "Huber loss and Smooth L1".

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        delta: where the quadratic part ends; must be > 0. Default: 1.0.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: P. J. Huber, "Robust Estimation of a Location Parameter", 1964.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.HuberLoss(delta=1.0, reduction="none")
        >>> criterion(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
        tensor([0.1250, 2.5000])
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = check_number("delta", delta, low=0.0, low_inclusive=False)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` against ``target``, two tensors of one shape."""
        return huber_loss(input, target, delta=self.delta, reduction=self.reduction)


class SmoothL1Loss(Loss):
    r"""Module form of :func:`smooth_l1_loss`.

    .. math::
        \ell(d) = \begin{cases} \tfrac{1}{2\beta} d^2 & |d| < \beta \\
        |d| - \tfrac12 \beta & \text{otherwise} \end{cases}

    Book: *Regression losses*, section "Huber loss and Smooth L1".

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        beta: where the quadratic part ends; must be >= 0 (0 is the L1 loss). Default: 1.0.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: R. Girshick, "Fast R-CNN", ICCV 2015.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.SmoothL1Loss(beta=2.0, reduction="none")
        >>> criterion(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
        tensor([0.0625, 2.0000])
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = check_number("beta", beta, low=0.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` against ``target``, two tensors of one shape."""
        return smooth_l1_loss(input, target, beta=self.beta, reduction=self.reduction)
