r"""Mean absolute percentage error (MAPE): the absolute error relative to the target."""

from __future__ import annotations

import torch

from .._base import Loss
from ._inputs import prepare_pair
from ._pointwise import pointwise_loss
from .mae import _Absolute

__all__ = ["mape_loss", "MAPELoss"]

# scikit-learn's mean_absolute_percentage_error divides by max(|y|, eps) with this eps.
MAPE_EPS = float(torch.finfo(torch.float64).eps)


def mape_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Mean absolute percentage error, as a fraction (0.1 means 10 %).

    .. math:: \ell(x, y) = \frac{|x - y|}{\max(|y|, \epsilon)}

    with :math:`\epsilon` the float64 machine epsilon, as in scikit-learn, so a zero target
    gives a huge but finite loss rather than a division by zero.

    Book: *Regression losses*, section "Mean absolute percentage error (MAPE)".

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
    input, target, dtype = prepare_pair(input, target, reduction)
    scale = target.abs().clamp_min(MAPE_EPS)
    return pointwise_loss(input / scale, target / scale, _Absolute(), reduction).to(dtype)


class MAPELoss(Loss):
    r"""Module form of :func:`mape_loss`.

    .. math:: \ell(x, y) = \frac{|x - y|}{\max(|y|, \epsilon)}

    Book: *Regression losses*, section "Mean absolute percentage error (MAPE)".

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: R. J. Hyndman and A. B. Koehler, "Another look at measures of forecast accuracy",
    International Journal of Forecasting, 2006.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.MAPELoss()
        >>> criterion(torch.tensor([90.0, 210.0]), torch.tensor([100.0, 200.0]))  # 10 % and 5 %
        tensor(0.0750)
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` against ``target``, two tensors of one shape."""
        return mape_loss(input, target, reduction=self.reduction)
