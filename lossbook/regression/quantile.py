r"""Quantile (pinball) loss: the estimate it leads to is the q-quantile."""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_number
from ._inputs import prepare_pair
from ._pointwise import _Pointwise, pointwise_loss

__all__ = ["quantile_loss", "QuantileLoss"]


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


def quantile_loss(
    input: torch.Tensor, target: torch.Tensor, q: float = 0.5, reduction: str = "mean"
) -> torch.Tensor:
    r"""Quantile (pinball) loss: its minimizer over a constant is the ``q``-quantile.

    .. math::
        \ell(x, y) = \begin{cases} q\,(y - x) & y \ge x \\
        (1 - q)\,(x - y) & y < x \end{cases}

    Under-prediction costs ``q`` per unit, over-prediction ``1 - q``; ``q = 0.5`` is half the
    absolute error.

    Book: *Regression losses*, section "Quantile (pinball) loss".

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
        >>> prediction, target = torch.tensor([0.0, 0.0]), torch.tensor([1.0, -1.0])
        >>> lossbook.quantile_loss(prediction, target, q=0.9, reduction="none")  # under, over
        tensor([0.9000, 0.1000])
    """
    q = check_number("q", q, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    input, target, dtype = prepare_pair(input, target, reduction)
    return pointwise_loss(input, target, _Pinball(q), reduction).to(dtype)


class QuantileLoss(Loss):
    r"""Module form of :func:`quantile_loss`.

    .. math::
        \ell(x, y) = \begin{cases} q\,(y - x) & y \ge x \\
        (1 - q)\,(x - y) & y < x \end{cases}

    Book: *Regression losses*, section "Quantile (pinball) loss".

    Args:
        q: the quantile, in the open interval (0, 1). Default: 0.5.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: R. Koenker and G. Bassett, "Regression Quantiles", Econometrica, 1978.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.QuantileLoss(q=0.9, reduction="none")
        >>> criterion(torch.tensor([0.0, 0.0]), torch.tensor([1.0, -1.0]))  # under, over
        tensor([0.9000, 0.1000])
    """

    def __init__(self, q: float = 0.5, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.q = check_number("q", q, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` against ``target``, two tensors of one shape."""
        return quantile_loss(input, target, q=self.q, reduction=self.reduction)
