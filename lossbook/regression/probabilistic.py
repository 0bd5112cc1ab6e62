r"""Probabilistic regression: negative log-likelihoods of a Gaussian and of a Poisson prediction.

A network that predicts a distribution, not a number, is trained by the negative
log-likelihood of the target under that distribution. :func:`gaussian_nll_loss` scores a
predicted mean and variance, :func:`poisson_nll_loss` a predicted rate of counts. Both agree
with their ``torch.nn.functional`` namesakes, value and gradient.

Book: *Regression losses*, section "Probabilistic regression".
"""

from __future__ import annotations

import math

import torch

from .._base import Loss
from ..validation import check_reduction, reduce
from ._inputs import check_flag, check_gaussian_inputs, check_poisson_inputs, check_positive

__all__ = ["gaussian_nll_loss", "poisson_nll_loss", "GaussianNLLLoss", "PoissonNLLLoss"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def gaussian_nll_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    var: torch.Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Gaussian negative log-likelihood of ``target`` under a predicted mean and variance.

    .. math::
        \ell = \tfrac12 \left( \log \max(\sigma^2, \epsilon)
        + \frac{(x - y)^2}{\max(\sigma^2, \epsilon)} \right)
        \; \left[ + \tfrac12 \log 2\pi \text{ when } \mathrm{full} \right]

    The variance is clamped at ``eps`` for stability, and the clamp passes the gradient
    through unchanged, as torch does: a variance below ``eps`` still receives the gradient
    the loss has at ``eps``, so a network can leave the clamped region. Minimizing over
    :math:`\sigma^2` gives :math:`\sigma^2 = (x - y)^2`: the variance learns the squared error.

    Book: *Regression losses*, section "Probabilistic regression".

    Args:
        input: predicted means, shape (*) (any shape, floating dtype).
        target: targets, the shape of ``input``, or that shape with one dimension of size 1
            (broadcast, as torch documents).
        var: predicted variances, >= 0: a tensor of ``input``'s shape (heteroscedastic), of
            that shape with one dimension of size 1, or with the last dimension dropped
            (one variance shared along it); or a number (one variance for all).
        full: add the constant :math:`\tfrac12 \log 2\pi`, so the loss is the exact NLL.
        eps: the smallest variance used; must be >= 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype, reduced, or of the broadcast shape of ``input``,
        ``target`` and ``var`` with ``"none"``. Agrees with
        ``torch.nn.functional.gaussian_nll_loss``.

    Reference: D. A. Nix, A. S. Weigend, "Estimating the Mean and Variance of the Target
    Probability Distribution", ICNN 1994.

    Example:
        >>> import torch, lossbook
        >>> mean, y = torch.tensor([0.0, 0.0]), torch.tensor([1.0, 2.0])
        >>> lossbook.gaussian_nll_loss(mean, y, torch.tensor([1.0, 4.0]), reduction="none")
        tensor([0.5000, 1.1931])
    """
    input, target, var, dtype = check_gaussian_inputs(input, target, var)
    full = check_flag("full", full)
    eps = check_positive("eps", eps, strict=False)
    check_reduction(reduction)
    # The clamp of torch: on a copy, outside autograd, so the gradient passes through.
    var = var.clone()
    with torch.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (torch.log(var) + (input - target).square() / var)
    if full:
        loss = loss + _HALF_LOG_2PI
    return reduce(loss, reduction).to(dtype)


def poisson_nll_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Poisson negative log-likelihood of counts ``target`` under a predicted rate.

    .. math::
        \ell = \begin{cases} e^{x} - y\,x & \text{log\_input (} x = \log\lambda \text{)} \\
        x - y \log(x + \epsilon) & \text{otherwise (} x = \lambda \text{)} \end{cases}
        \; \left[ + \, y \log y - y + \tfrac12 \log(2\pi y) \text{ for } y > 1
        \text{ when full} \right]

    The term :math:`\log y!` of the exact NLL does not depend on the prediction and is left
    out; ``full=True`` adds its Stirling approximation for the targets above 1 (0 for the
    others), as torch does. ``log_input=True`` (the default) takes the log of the rate, which
    a linear layer can output without a positivity constraint.

    Book: *Regression losses*, section "Probabilistic regression".

    Args:
        input: predicted log-rates (``log_input=True``) or rates (>= 0), shape (*) (any
            shape, floating dtype).
        target: observed counts, the shape of ``input``; floating or integer dtype.
        log_input: whether ``input`` is the log of the rate.
        full: add the Stirling term of :math:`\log y!`.
        eps: added to the rate inside the log when ``log_input=False``; must be >= 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.poisson_nll_loss``;
        where torch's gradient with respect to ``target`` is NaN (a zero target with
        ``full=True``), lossbook's is the correct value.

    Reference: P. McCullagh, J. A. Nelder, *Generalized Linear Models*, Chapman and Hall 1989.

    Example:
        >>> import torch, lossbook
        >>> log_rate, counts = torch.tensor([0.0, 1.0]), torch.tensor([1.0, 3.0])
        >>> lossbook.poisson_nll_loss(log_rate, counts, reduction="none")
        tensor([ 1.0000, -0.2817])
    """
    input, target, dtype = check_poisson_inputs(input, target)
    log_input = check_flag("log_input", log_input)
    full = check_flag("full", full)
    eps = check_positive("eps", eps, strict=False)
    check_reduction(reduction)
    if log_input:
        loss = torch.exp(input) - target * input
    else:
        loss = input - target * torch.log(input + eps)
    if full:
        # Stirling's approximation of log(y!), used for y > 1 only; the other targets get a
        # harmless 1 inside the logs, so neither the value nor the gradient sees log(0).
        above = target > 1
        y = torch.where(above, target, 1.0)
        stirling = y * torch.log(y) - y + 0.5 * torch.log(2.0 * math.pi * y)
        loss = loss + torch.where(above, stirling, 0.0)
    return reduce(loss, reduction).to(dtype)


class GaussianNLLLoss(Loss):
    r"""Module form of :func:`gaussian_nll_loss`.

    .. math::
        \ell = \tfrac12 \left( \log \max(\sigma^2, \epsilon)
        + \frac{(x - y)^2}{\max(\sigma^2, \epsilon)} \right)

    Book: *Regression losses*, section "Probabilistic regression".

    Args:
        full: add the constant :math:`\tfrac12 \log 2\pi`. Default: False.
        eps: the smallest variance used; must be >= 0. Default: 1e-6.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: ``(N, *)`` or ``(*)``. target: the shape of input, or with one dimension of size 1.
        var: the shape of input, or with one dimension of size 1, or ``(N, *)`` without the last
        dimension, or a number. Output: () with ``"mean"`` or ``"sum"``, the shape of input
        with ``"none"``.

    Reference: D. A. Nix, A. S. Weigend, "Estimating the Mean and Variance of the Target
    Probability Distribution", ICNN 1994.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.GaussianNLLLoss(reduction="none")
        >>> criterion(torch.zeros(2), torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor([0.5000, 1.1931])
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full = check_flag("full", full)
        self.eps = check_positive("eps", eps, strict=False)

    def forward(self, input: torch.Tensor, target: torch.Tensor, var: torch.Tensor | float) -> torch.Tensor:
        """The NLL of ``target`` under means ``input`` and variances ``var``."""
        return gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class PoissonNLLLoss(Loss):
    r"""Module form of :func:`poisson_nll_loss`.

    .. math::
        \ell = e^{x} - y\,x \quad \text{(log\_input)}, \qquad
        \ell = x - y \log(x + \epsilon) \quad \text{(otherwise)}

    Book: *Regression losses*, section "Probabilistic regression".

    Args:
        log_input: whether the input is the log of the rate. Default: True.
        full: add the Stirling term of :math:`\log y!` for targets above 1. Default: False.
        eps: added to the rate inside the log when ``log_input=False``. Default: 1e-8.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: P. McCullagh, J. A. Nelder, *Generalized Linear Models*, Chapman and Hall 1989.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.PoissonNLLLoss(reduction="none")
        >>> criterion(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 3.0]))
        tensor([ 1.0000, -0.2817])
    """

    def __init__(
        self, log_input: bool = True, full: bool = False, eps: float = 1e-8, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        self.log_input = check_flag("log_input", log_input)
        self.full = check_flag("full", full)
        self.eps = check_positive("eps", eps, strict=False)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The NLL of counts ``target`` under the rates ``input`` predicts."""
        return poisson_nll_loss(
            input, target, log_input=self.log_input, full=self.full, eps=self.eps, reduction=self.reduction
        )
