"""The few pieces of math every contrastive loss shares: unit rows, masked log-sum-exp, a zero."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._base import first_order_backward
from ..metric_learning.distances import _NORM_EPS

__all__ = ["unit_rows", "masked_logsumexp", "row_logsumexp", "log1p_exp", "scaled", "zero_like_loss"]


def unit_rows(x: torch.Tensor) -> torch.Tensor:
    """Each row divided by ``max(norm, 1e-12)``: a zero row stays zero, with a finite gradient."""
    return F.normalize(x, dim=1, eps=_NORM_EPS)


def scaled(x: torch.Tensor, temperature) -> torch.Tensor:
    """``x / temperature``, with a tensor temperature cast to ``x``'s dtype (its gradient flows)."""
    if isinstance(temperature, torch.Tensor):
        temperature = temperature.to(x.dtype)
    return x / temperature


def masked_logsumexp(x: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    r""":math:`\log \sum_{j \in \text{mask}} e^{x_j}` along ``dim``; near ``finfo.min`` for an empty mask.

    The excluded entries are set to the dtype's lowest finite value rather than to -inf: an
    empty row then has a very negative, finite result and a finite (zero) gradient, where
    ``logsumexp`` of -inf alone would give NaN in the backward pass.
    """
    return torch.logsumexp(x.masked_fill(~mask, torch.finfo(x.dtype).min), dim=dim)


def zero_like_loss(reference: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A zero joined to ``reference``'s graph (pytorch-metric-learning's ``sum(embeddings * 0)``)."""
    return (reference * 0).sum().to(dtype)


def log1p_exp(x: torch.Tensor) -> torch.Tensor:
    r""":math:`\log(1 + e^x)`, exact for every x (``F.softplus`` returns x itself above 20)."""
    return torch.logaddexp(x, torch.zeros((), dtype=x.dtype, device=x.device))


class _RowLogSumExp(torch.autograd.Function):
    """``logsumexp`` of each row of x over the columns not excluded; -inf for a row with none left.

    One pass fewer than masking then ``torch.logsumexp`` in the forward pass, and three fewer in
    the backward pass: it keeps the exponentials it computed (zero where excluded) and the
    gradient is their share of each row's sum, :math:`e_{ij} g_i / \\sum_j e_{ij}`.
    """

    @staticmethod
    def forward(ctx, x, exclude, itself):
        if exclude is not None:
            x = x.masked_fill(exclude, float("-inf"))
        elif itself is not None:
            x = x.clone()
        if itself is not None:
            x[torch.arange(x.shape[0], device=x.device), itself] = float("-inf")
        top = x.amax(dim=1, keepdim=True)
        top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # an empty row: e = 0
        e = (x - top).exp_()
        total = e.sum(dim=1)
        ctx.save_for_backward(e, total)
        return total.log() + top.squeeze(1)

    @staticmethod
    @first_order_backward("contrastive")
    def backward(ctx, grad):
        e, total = ctx.saved_tensors
        share = grad / torch.where(total > 0, total, torch.ones_like(total))
        return e * share.unsqueeze(1), None, None


def row_logsumexp(
    x: torch.Tensor, exclude: torch.Tensor | None = None, itself: torch.Tensor | None = None
) -> torch.Tensor:
    r""":math:`\log \sum_j e^{x_{ij}}` over each row of the (n, M) matrix ``x``, leaving out the
    entries where the (n, M) bool ``exclude`` is True and, in row i, the column ``itself[i]``."""
    return _RowLogSumExp.apply(x, exclude, itself)
