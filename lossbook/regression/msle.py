r"""Mean squared logarithmic error (MSLE): the squared error of :math:`\log(1 + x)`, a ratio."""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_values
from ._inputs import prepare_pair
from ._pointwise import pointwise_loss
from .mse import _Squared

__all__ = ["msle_loss", "MSLELoss"]


def msle_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Mean squared logarithmic error.

    .. math:: \ell(x, y) = \big(\log(1 + x) - \log(1 + y)\big)^2

    Penalizes ratios rather than differences: useful for targets spanning orders of
    magnitude. Both ``input`` and ``target`` must be > -1.

    Book: *Regression losses*, section "Mean squared logarithmic error (MSLE)".

    Args:
        input: predictions, any shape, floating dtype, every element > -1.
        target: targets, the same shape as ``input``, every element > -1.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. ``"mean"`` agrees with scikit-learn's
        ``mean_squared_log_error``.

    Reference: the implementation matched is scikit-learn's ``mean_squared_log_error``: F. Pedregosa
    et al., "Scikit-learn: Machine Learning in Python", JMLR 12, 2011 (no single originating
    paper).

    Example:
        >>> import torch, lossbook
        >>> lossbook.msle_loss(torch.tensor([2.5, 5.0, 4.0, 8.0]), torch.tensor([3.0, 5.0, 2.5, 7.0]))
        tensor(0.0397)
    """
    input, target, dtype = prepare_pair(input, target, reduction)
    check_values("input", input, low=-1.0, low_inclusive=False)
    check_values("target", target, low=-1.0, low_inclusive=False)
    return pointwise_loss(torch.log1p(input), torch.log1p(target), _Squared(), reduction).to(dtype)


class MSLELoss(Loss):
    r"""Module form of :func:`msle_loss`.

    .. math:: \ell(x, y) = \big(\log(1 + x) - \log(1 + y)\big)^2

    Book: *Regression losses*, section "Mean squared logarithmic error (MSLE)".

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: the implementation matched is scikit-learn's ``mean_squared_log_error``: F. Pedregosa
    et al., "Scikit-learn: Machine Learning in Python", JMLR 12, 2011 (no single originating
    paper).

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.MSLELoss()
        >>> criterion(torch.tensor([2.5, 5.0, 4.0, 8.0]), torch.tensor([3.0, 5.0, 2.5, 7.0]))
        tensor(0.0397)
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` against ``target``, two tensors of one shape."""
        return msle_loss(input, target, reduction=self.reduction)
