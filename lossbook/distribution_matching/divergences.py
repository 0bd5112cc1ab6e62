r"""Divergences between two distributions over classes: the Jensen-Shannon family.

The Kullback-Leibler divergence itself is ``lossbook.kl_div`` (classification chapter); its
argument order picks the direction: ``kl_div(log q, p)`` is the forward :math:`D(p \,\|\, q)`
(mode covering), ``kl_div(log p, q)`` the reverse :math:`D(q \,\|\, p)` (mode seeking). Chapter
"Matching distributions" (``book/*/distribution-matching.ipynb``), section "Divergences".
"""

from __future__ import annotations

import math

import torch

from .._base import Loss
from ..validation import (
    batchmean,
    check_in_interval,
    check_number,
    check_pair,
    check_reduction,
    check_values,
    compute_dtype,
    reduce,
)
from ._inputs import KL_REDUCTIONS, check_flag

__all__ = ["js_divergence", "JSDivLoss"]


def js_divergence(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    beta: float = 0.5,
    log_target: bool = False,
    reduction: str = "batchmean",
) -> torch.Tensor:
    r"""The (generalized) Jensen-Shannon divergence between ``target`` :math:`p` and ``exp(input)`` :math:`q`.

    .. math::
        m = \beta p + (1 - \beta) q, \qquad
        \mathrm{JSD}_\beta(p \,\|\, q) = \beta\, D_{\mathrm{KL}}(p \,\|\, m)
            + (1 - \beta)\, D_{\mathrm{KL}}(q \,\|\, m)

    elementwise :math:`\ell_c = \beta p_c (\log p_c - \log m_c) + (1 - \beta) q_c (\log q_c - \log m_c)`
    (with :math:`0 \log 0 = 0`). At the default :math:`\beta = 1/2` it is Lin's symmetric
    divergence, bounded by :math:`\log 2` per distribution, and finite where :math:`p` and
    :math:`q` have disjoint supports (where the KL is infinite). Liger-Kernel's ``LigerJSD``
    weights :math:`p` (the teacher) by :math:`\beta` the same way, and so does this function;
    like it, the endpoints are the two KL divergences: :math:`\beta = 0` gives the forward
    :math:`D_{\mathrm{KL}}(p \,\|\, q)` and :math:`\beta = 1` the reverse
    :math:`D_{\mathrm{KL}}(q \,\|\, p)`, the limits of :math:`\mathrm{JSD}_\beta / \beta` and
    :math:`\mathrm{JSD}_\beta / (1 - \beta)` (the unscaled divergence itself tends to 0 there).

    Args:
        input: log-probabilities :math:`\log q` (the model, the student), any shape with the
            batch first, like ``lossbook.kl_div``'s ``input``; ``-inf`` marks a class of
            probability 0 and contributes 0 (value and gradient), unless it makes one of the
            KL endpoints infinite (:math:`\beta = 0` where :math:`p > 0`).
        target: probabilities :math:`p` in [0, 1] (the reference, the teacher), ``input``'s
            shape; log-probabilities (<= 0, ``-inf`` allowed) when ``log_target``.
        beta: the weight of ``target`` in the mixture, in [0, 1] (default 0.5).
        log_target: whether ``target`` holds log-probabilities.
        reduction: ``"batchmean"`` (default: the sum divided by the first dimension, the
            divergence per distribution when the classes are the last of two dimensions),
            ``"sum"``, ``"mean"`` (over every element: not a divergence) or ``"none"``
            (per element, ``input``'s shape), as in ``lossbook.kl_div``.

    Returns:
        The divergence in ``input``'s dtype (float16 and bfloat16 computed in float32).

    References:
        J. Lin, "Divergence measures based on the Shannon entropy", IEEE Transactions on
        Information Theory 37(1), 1991 (the divergence); R. Agarwal et al., "On-Policy
        Distillation of Language Models: Learning from Self-Generated Mistakes", ICLR 2024
        (the generalized :math:`\beta` form used for distillation).

    Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section "Divergences".

    Example:
        >>> import math, torch, lossbook
        >>> p = torch.tensor([[1.0, 0.0]])
        >>> log_q = torch.log(torch.tensor([[0.0, 1.0]]))
        >>> round(lossbook.js_divergence(log_q, p).item() / math.log(2), 4)  # disjoint: log 2
        1.0
        >>> lossbook.js_divergence(torch.log(torch.tensor([[0.9, 0.1]])), torch.tensor([[0.5, 0.5]]))
        tensor(0.1017)
    """
    check_reduction(reduction, KL_REDUCTIONS)
    beta = check_number("beta", beta, low=0.0, high=1.0)
    check_flag("log_target", log_target)
    input, target = check_pair(input, target)
    if log_target:
        check_values("target", target, high=0.0)
    else:
        check_in_interval("target", target, 0.0, 1.0)
    dtype = input.dtype
    work = compute_dtype(dtype)
    return _JSDivergence.apply(input.to(work), target.to(work), beta, log_target, reduction).to(dtype)


def _terms(x: torch.Tensor, t: torch.Tensor, beta: float, log_target: bool):
    """q, p, their logs and, between the endpoints, log m: what the loss and its gradient share.

    A zero probability has log -inf; every product with it below sits inside a
    ``torch.where`` that keeps 0 there (0 log 0 = 0), so no NaN reaches a value or a gradient.
    """
    q = torch.exp(x)
    p, log_p = (torch.exp(t), t) if log_target else (t, torch.log(t))
    log_m = None
    if 0.0 < beta < 1.0:
        # m >= beta p and m >= (1 - beta) q: it never rounds to 0 where p or q does not, and
        # where both underflow their terms vanish with them, so log m needs no log-space sum
        log_m = torch.log(torch.add(q, p, alpha=beta / (1.0 - beta))) + math.log1p(-beta)
    return q, p, log_p, log_m


def _where_positive(probability: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    return torch.where(probability > 0, value, 0.0)


class _JSDivergence(torch.autograd.Function):
    r"""The generalized JSD with its gradient written out (no autograd graph of the elementwise steps).

    With :math:`X = \log q` (input), :math:`P` (target) and :math:`L = \log m`, the loss
    :math:`\beta P (\log P - L) + (1 - \beta) Q (X - L)` has
    :math:`\partial/\partial X = (1 - \beta) Q (X - L)` and
    :math:`\partial/\partial P = \beta (\log P - L)`: the terms of :math:`\partial L` cancel,
    as they do for the KL. The backward pass recomputes :math:`Q` and :math:`L` from the saved
    inputs instead of keeping them, and is itself differentiable (double backward works).
    """

    @staticmethod
    def forward(ctx, x, t, beta, log_target, reduction):
        ctx.save_for_backward(x, t)
        ctx.options = beta, log_target, reduction
        q, p, log_p, log_m = _terms(x, t, beta, log_target)
        if beta == 0.0:  # the forward KL D(p || q): infinite where q = 0 < p
            loss = _where_positive(p, p * (log_p - x))
        elif beta == 1.0:  # the reverse KL D(q || p): infinite where p = 0 < q
            loss = _where_positive(q, q * (x - log_p))
        else:
            loss = beta * _where_positive(p, p * (log_p - log_m))
            loss += (1.0 - beta) * _where_positive(q, q * (x - log_m))
        if reduction == "batchmean":
            return batchmean(loss)
        return reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        beta, log_target, reduction = ctx.options
        if reduction != "none":  # the reduction's derivative: a constant per element
            count = {"sum": 1, "mean": x.numel(), "batchmean": x.shape[0] if x.dim() > 0 else 1}[reduction]
            grad = grad / count
        q, p, log_p, log_m = _terms(x, t, beta, log_target)
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            if beta == 0.0:
                grad_x = -p
            elif beta == 1.0:
                grad_x = _where_positive(q, q * (x - log_p + 1.0))
            else:
                grad_x = (1.0 - beta) * _where_positive(q, q * (x - log_m))
            grad_x = grad * grad_x
        if ctx.needs_input_grad[1]:
            # d/dP; a log target multiplies it by dP/dY = P. A zero probability gets 0 (its
            # one-sided derivative, log 0, is -inf): it stays a zero, like a masked class.
            if beta == 0.0:
                grad_t = _where_positive(p, (log_p - x + 1.0) * (p if log_target else 1.0))
            elif beta == 1.0:
                grad_t = -q if log_target else _where_positive(p, -q / p)
            else:
                grad_t = beta * _where_positive(p, (log_p - log_m) * (p if log_target else 1.0))
            grad_t = grad * grad_t
        return grad_x, grad_t, None, None, None


class JSDivLoss(Loss):
    r"""Module form of :func:`js_divergence` (default reduction ``"batchmean"``).

    Args:
        beta: the weight of the target in the mixture, in [0, 1] (default 0.5: Lin's divergence).
        log_target: whether the target holds log-probabilities (default False).
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.

    Shape:
        - input: ``(N, *)``, log-probabilities, the classes on the last dimension.
        - target: ``(N, *)``, ``input``'s shape.
        - Output: a scalar; ``(N, *)`` with ``reduction="none"``.

    Reference:
        J. Lin, "Divergence measures based on the Shannon entropy", IEEE Transactions on
        Information Theory 37(1), 1991.

    Example:
        >>> import torch, lossbook
        >>> loss = lossbook.JSDivLoss(beta=0.5)
        >>> loss(torch.log(torch.tensor([[0.9, 0.1]])), torch.tensor([[0.5, 0.5]]))
        tensor(0.1017)
    """

    def __init__(self, beta: float = 0.5, log_target: bool = False, reduction: str = "batchmean") -> None:
        super().__init__(reduction, reductions=KL_REDUCTIONS)
        self.beta = check_number("beta", beta, low=0.0, high=1.0)
        self.log_target = check_flag("log_target", log_target)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return js_divergence(
            input, target, beta=self.beta, log_target=self.log_target, reduction=self.reduction
        )
