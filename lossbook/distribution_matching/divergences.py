r"""Divergences between two distributions over classes: the Jensen-Shannon family.

The Kullback-Leibler divergence itself is :func:`lossbook.kl_div` (classification chapter); its
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
            batch first, like :func:`lossbook.kl_div`'s ``input``; ``-inf`` marks a class of
            probability 0 and contributes 0 (value and gradient).
        target: probabilities :math:`p` in [0, 1] (the reference, the teacher), ``input``'s
            shape; log-probabilities (<= 0, ``-inf`` allowed) when ``log_target``.
        beta: the weight of ``target`` in the mixture, in [0, 1] (default 0.5).
        log_target: whether ``target`` holds log-probabilities.
        reduction: ``"batchmean"`` (default: the sum divided by the first dimension, the
            divergence per distribution when the classes are the last of two dimensions),
            ``"sum"``, ``"mean"`` (over every element: not a divergence) or ``"none"``
            (per element, ``input``'s shape), as in :func:`lossbook.kl_div`.

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
    x, t = input.to(work), target.to(work)
    q, has_q = torch.exp(x), x > -math.inf
    if log_target:
        p, has_p = torch.exp(t), t > -math.inf
        log_p = torch.where(has_p, t, 0.0)
    else:
        p, has_p = t, t > 0
        # the log of a safe 1 where p = 0, so that log's gradient 1/p never meets p = 0
        log_p = torch.log(torch.where(has_p, t, 1.0))
    # A zero probability's log is 0 inside products (0 * -inf would be NaN, in value and, even
    # when torch.where discards it, in gradient) and -inf inside the mixture, unless both
    # probabilities are 0: then the term is 0 whatever the mixture, and a finite one is safer.
    log_q = torch.where(has_q, x, 0.0)
    log_p_mix = torch.where(has_p | ~has_q, log_p, -math.inf)
    log_q_mix = torch.where(has_q | ~has_p, log_q, -math.inf)
    if beta == 0.0:  # the forward KL D(p || q): infinite where q = 0 < p
        loss = p * (log_p - log_q_mix)
    elif beta == 1.0:  # the reverse KL D(q || p): infinite where p = 0 < q
        loss = q * (log_q - log_p_mix)
    else:  # log m is finite everywhere: p > 0, or q > 0, or both logs are 0
        log_m = torch.logaddexp(math.log(beta) + log_p_mix, math.log1p(-beta) + log_q_mix)
        loss = beta * p * (log_p - log_m) + (1.0 - beta) * q * (log_q - log_m)
    if reduction == "batchmean":
        return batchmean(loss).to(dtype)
    return reduce(loss, reduction).to(dtype)


class JSDivLoss(Loss):
    r"""Module form of :func:`js_divergence` (default reduction ``"batchmean"``).

    Args:
        beta: the weight of the target in the mixture, in [0, 1] (default 0.5: Lin's divergence).
        log_target: whether the target holds log-probabilities (default False).
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.

    Shape:
        - input: (N, *), log-probabilities, the classes on the last dimension.
        - target: (N, *), ``input``'s shape.
        - Output: a scalar; (N, *) with ``reduction="none"``.

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
