"""The few pieces of math every contrastive loss shares: unit rows, masked log-sum-exp, a zero."""

from __future__ import annotations

import torch

from ..metric_learning.distances import _normalize_rows

__all__ = ["unit_rows", "masked_logsumexp", "log1p_exp", "scaled", "zero_like_loss"]


def unit_rows(x: torch.Tensor) -> torch.Tensor:
    """Each row divided by ``max(norm, 1e-12)``, as ``F.normalize`` does: a zero row stays zero."""
    return _normalize_rows(x)


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
