r"""Log-cosh loss: about :math:`d^2/2` for small errors and :math:`|d| - \log 2` for large ones."""

from __future__ import annotations

import math

import torch

from .._base import Loss
from ._inputs import prepare_pair
from ._pointwise import _Pointwise, pointwise_loss

__all__ = ["log_cosh_loss", "LogCoshLoss"]


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


def log_cosh_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Log-cosh loss: about :math:`d^2/2` for small errors and :math:`|d| - \log 2` for large ones.

    .. math:: \ell(d) = \log\cosh(d) = |d| + \log\big(1 + e^{-2|d|}\big) - \log 2,
        \qquad \ell'(d) = \tanh(d)

    The right-hand form never evaluates ``cosh``, which overflows float32 beyond
    :math:`|d| \approx 89`; it is exact and finite for differences of any size.

    Book: *Regression losses*, section "Log-cosh loss".

    Args:
        input: predictions, any shape, floating dtype.
        target: targets, the same shape as ``input``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype.

    Reference: no single originating paper; studied as a training loss in P. Chen, G. Chen and
    S. Zhang, "Log Hyperbolic Cosine Loss Improves Variational Auto-Encoder", ICLR 2019
    submission (OpenReview). The stable form is an identity of ``cosh``.

    Example:
        >>> import torch, lossbook
        >>> lossbook.log_cosh_loss(torch.tensor([0.0, 1e4]), torch.tensor([0.0, 0.0]), reduction="none")
        tensor([   0.0000, 9999.3066])
    """
    input, target, dtype = prepare_pair(input, target, reduction)
    return pointwise_loss(input, target, _LogCosh(), reduction).to(dtype)


class LogCoshLoss(Loss):
    r"""Module form of :func:`log_cosh_loss`.

    .. math:: \ell(d) = \log\cosh(d)

    Book: *Regression losses*, section "Log-cosh loss".

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: no single originating paper; studied as a training loss in P. Chen, G. Chen and
    S. Zhang, "Log Hyperbolic Cosine Loss Improves Variational Auto-Encoder", ICLR 2019
    submission (OpenReview).

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.LogCoshLoss(reduction="none")
        >>> criterion(torch.tensor([0.0, 1e4]), torch.tensor([0.0, 0.0]))  # cosh(1e4) overflows
        tensor([   0.0000, 9999.3066])
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` against ``target``, two tensors of one shape."""
        return log_cosh_loss(input, target, reduction=self.reduction)
