r"""Mean absolute error (MAE), the L1 loss: the estimate it leads to is a median."""

from __future__ import annotations

import torch

from .._base import Loss
from ._inputs import check_pointwise_weight, prepare_pair
from ._pointwise import _Pointwise, weighted_pointwise_loss

__all__ = ["mae_loss", "l1_loss", "MAELoss", "L1Loss"]


class _Absolute(_Pointwise):
    # phi(d) = |d|, phi'(d) = sign(d), taken as 0 at d = 0 as in torch
    def value_(self, d, scratch):
        return d.abs_()

    def derivative_times_(self, d, scale):
        return d.sign_().mul_(scale)

    def derivative(self, d):
        return torch.sign(d)


def mae_loss(
    input: torch.Tensor, target: torch.Tensor, reduction: str = "mean", weight: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Mean absolute error (L1 loss).

    .. math:: \ell(x, y) = |x - y|, \qquad \frac{\partial \ell}{\partial x} = \operatorname{sign}(x - y)

    Minimized, over a constant prediction, by a median of the targets; the gradient at
    ``x == y`` is taken as 0, as in torch.

    Book: *Regression losses*, section "Mean absolute error (MAE, L1)".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        weight: optional weight per element, of ``input``'s shape (torch's argument); with
            it, ``"mean"`` is the weighted sum divided by the sum of the weights.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.l1_loss``.

    Reference: R. Koenker and G. Bassett, "Regression Quantiles", Econometrica, 1978
    (least absolute deviations, median regression, is their q = 0.5 case).

    Example:
        >>> import torch, lossbook
        >>> lossbook.mae_loss(torch.tensor([2.5, 0.0, 2.0, 8.0]), torch.tensor([3.0, -0.5, 2.0, 7.0]))
        tensor(0.5000)
    """
    weight = check_pointwise_weight(weight, input)
    input, target, dtype = prepare_pair(input, target, reduction)
    return weighted_pointwise_loss(input, target, _Absolute(), reduction, weight, dtype, mean_over="weights")


l1_loss = mae_loss


class MAELoss(Loss):
    r"""Module form of :func:`mae_loss` (the L1 loss; ``L1Loss`` is the same class).

    .. math:: \ell(x, y) = |x - y|

    Book: *Regression losses*, section "Mean absolute error (MAE, L1)".

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: R. Koenker and G. Bassett, "Regression Quantiles", Econometrica, 1978.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.MAELoss()  # also lossbook.L1Loss
        >>> criterion(torch.tensor([2.5, 0.0, 2.0, 8.0]), torch.tensor([3.0, -0.5, 2.0, 7.0]))
        tensor(0.5000)
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` against ``target``, two tensors of one shape."""
        return mae_loss(input, target, reduction=self.reduction)


L1Loss = MAELoss
