r"""Mean squared error (MSE), the L2 loss: the estimate it leads to is the mean."""

from __future__ import annotations

import torch

from .._base import Loss
from ._inputs import check_pointwise_weight, prepare_pair
from ._pointwise import _Pointwise, weighted_pointwise_loss

__all__ = ["mse_loss", "MSELoss"]


class _Squared(_Pointwise):
    # phi(d) = d^2, phi'(d) = 2 d
    def value_(self, d, scratch):
        return d.square_()

    def derivative_times_(self, d, scale):
        return d.mul_(2 * scale)

    def derivative(self, d):
        return 2 * d


def mse_loss(
    input: torch.Tensor, target: torch.Tensor, reduction: str = "mean", weight: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Mean squared error (L2 loss).

    .. math:: \ell(x, y) = (x - y)^2, \qquad \frac{\partial \ell}{\partial x} = 2 (x - y)

    Minimized, over a constant prediction, by the mean of the targets.

    Book: *Regression losses*, section "Mean squared error (MSE)".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input`` (no broadcasting).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        weight: optional weight per element, of ``input``'s shape (torch's argument); with
            it, ``"mean"`` is the weighted sum divided by the sum of the weights.

    Returns:
        A 0-D tensor, or a tensor of ``input``'s shape for ``reduction="none"``, in
        ``input``'s dtype. Agrees with ``torch.nn.functional.mse_loss``.

    Reference: A.-M. Legendre, "Nouvelles méthodes pour la détermination des orbites des comètes",
    1805; C. F. Gauss, "Theoria motus corporum coelestium", 1809 (least squares).

    Example:
        >>> import torch, lossbook
        >>> lossbook.mse_loss(torch.tensor([2.5, 0.0, 2.0, 8.0]), torch.tensor([3.0, -0.5, 2.0, 7.0]))
        tensor(0.3750)
    """
    weight = check_pointwise_weight(weight, input)
    input, target, dtype = prepare_pair(input, target, reduction)
    return weighted_pointwise_loss(input, target, _Squared(), reduction, weight, dtype, mean_over="weights")


class MSELoss(Loss):
    r"""Module form of :func:`mse_loss`.

    .. math:: \ell(x, y) = (x - y)^2

    Book: *Regression losses*, section "Mean squared error (MSE)".

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: A.-M. Legendre, "Nouvelles méthodes pour la détermination des orbites des comètes",
    1805; C. F. Gauss, "Theoria motus corporum coelestium", 1809 (least squares).

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.MSELoss()
        >>> criterion(torch.tensor([2.5, 0.0, 2.0, 8.0]), torch.tensor([3.0, -0.5, 2.0, 7.0]))
        tensor(0.3750)
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` against ``target``, two tensors of one shape."""
        return mse_loss(input, target, reduction=self.reduction)
