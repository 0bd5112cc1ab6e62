r"""Pair-weighting losses: multi-similarity (Wang et al. 2019) and circle loss (Sun et al. 2020).

Both score every pair of a labelled batch by its cosine similarity and let the hard pairs (a
far positive, a close negative) weigh exponentially more, through a log-sum-exp over each
anchor's positives and over its negatives. They match pytorch-metric-learning's
``MultiSimilarityLoss`` (without a miner) and ``CircleLoss``, with their default reducers.
"""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_number, check_reduction, compute_dtype, reduce
from ._inputs import check_labelled_batch
from ._math import log1p_exp, masked_logsumexp, unit_rows, zero_like_loss

__all__ = ["multi_similarity_loss", "circle_loss", "MultiSimilarityLoss", "CircleLoss"]


def _cosines_and_masks(embeddings: torch.Tensor, labels: torch.Tensor):
    """The (N, N) cosines and the masks of the positives (same label, not itself) and negatives."""
    x = unit_rows(embeddings.to(compute_dtype(embeddings.dtype)))
    cosine = x @ x.T
    same = labels.unsqueeze(1) == labels.unsqueeze(0)
    itself = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return cosine, same & ~itself, ~same


def multi_similarity_loss(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    alpha: float = 2.0,
    beta: float = 50.0,
    base: float = 0.5,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Multi-similarity loss: soft-weighted positives and negatives of every anchor, around a base.

    With :math:`S_{ij} = \cos(x_i, x_j)`, :math:`P(i)` the other rows with the label of
    :math:`i` and :math:`N(i)` the rows with another label:

    .. math::
        \ell_i = \frac{1}{\alpha} \log\Big(1 + \sum_{p \in P(i)} e^{-\alpha (S_{ip} - \lambda)}\Big)
               + \frac{1}{\beta} \log\Big(1 + \sum_{n \in N(i)} e^{\beta (S_{in} - \lambda)}\Big)

    with the base :math:`\lambda`. Each pair's gradient weight is its softmax weight in the sum,
    so a pair counts more the harder it is relative to the others (relative similarity), and
    the positives push with :math:`\alpha`, the negatives with :math:`\beta`. The value is
    pytorch-metric-learning's ``MultiSimilarityLoss(alpha, beta, base)`` without a miner (the
    paper mines pairs first): ``"mean"`` averages over all N anchors.

    Explained in the chapter *Contrastive and self-supervised learning*, section "Supervised
    contrastive and proxy losses".

    Args:
        embeddings: (N, D) floating tensor.
        labels: (N,) integer labels.
        alpha: the positives' scale, > 0.
        beta: the negatives' scale, > 0.
        base: the similarity :math:`\lambda` the pairs are measured from.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``: (N,), one loss per anchor.

    Returns:
        The loss in ``embeddings``' dtype (float16 and bfloat16 are computed in float32).

    Reference: X. Wang, X. Han, W. Huang, D. Dong, M. R. Scott, "Multi-Similarity Loss with
    General Pair Weighting for Deep Metric Learning", CVPR 2019.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> y = torch.tensor([0, 0, 1, 1])
        >>> lossbook.multi_similarity_loss(x, y, reduction="none")
        tensor([0.2187, 0.3189, 0.3189, 0.2187])
        >>> lossbook.multi_similarity_loss(x, y)
        tensor(0.2688)
    """
    alpha = check_number("alpha", alpha, low=0.0, low_inclusive=False)
    beta = check_number("beta", beta, low=0.0, low_inclusive=False)
    base = check_number("base", base)
    check_reduction(reduction)
    check_labelled_batch(embeddings, labels)
    cosine, positive, negative = _cosines_and_masks(embeddings, labels)
    # log(1 + sum exp(z)) = log1p_exp(logsumexp(z)); an empty set gives log1p_exp(-huge) = 0.
    pull = log1p_exp(masked_logsumexp(-alpha * (cosine - base), positive, dim=1)) / alpha
    push = log1p_exp(masked_logsumexp(beta * (cosine - base), negative, dim=1)) / beta
    return reduce(pull + push, reduction).to(embeddings.dtype)


def circle_loss(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    m: float = 0.4,
    gamma: float = 80.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Circle loss: every similarity is weighted by its own distance from its optimum.

    With :math:`s_p` the cosines of an anchor's positive pairs and :math:`s_n` those of its
    negative pairs, the weights :math:`\alpha_p = [1 + m - s_p]_+` and
    :math:`\alpha_n = [s_n + m]_+` (constants: they are detached, as in the paper and pml), and
    the margins :math:`\Delta_p = 1 - m`, :math:`\Delta_n = m`:

    .. math::
        \ell_i = \log\Big(1 + \sum_{n} e^{\gamma \alpha_n (s_n - \Delta_n)}
                             \sum_{p} e^{-\gamma \alpha_p (s_p - \Delta_p)}\Big)

    (0 for an anchor without a positive or without a negative). The decision boundary
    :math:`(s_n - 0)^2 + (s_p - 1)^2 = 2m^2` is a circle, hence the name. The value is
    pytorch-metric-learning's ``CircleLoss(m, gamma)``: ``"mean"`` averages over the anchors
    with a non-zero loss; with none, a zero that still backpropagates. (pml's softplus returns
    x itself above 20; lossbook computes :math:`\log(1 + e^x)` exactly, which differs by less
    than :math:`e^{-20}`.)

    Explained in the chapter *Contrastive and self-supervised learning*, section "Supervised
    contrastive and proxy losses".

    Args:
        embeddings: (N, D) floating tensor.
        labels: (N,) integer labels.
        m: the relaxation margin, >= 0 (0.25 for faces, 0.4 for fine-grained retrieval).
        gamma: the scale, > 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``: (N,), one loss per anchor.

    Returns:
        The loss in ``embeddings``' dtype (float16 and bfloat16 are computed in float32).

    Reference: Y. Sun et al., "Circle Loss: A Unified Perspective of Pair Similarity
    Optimization", CVPR 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> y = torch.tensor([0, 0, 1, 1])
        >>> lossbook.circle_loss(x, y, m=0.25, gamma=8.0, reduction="none")
        tensor([0.8510, 2.3544, 2.3544, 0.8510])
        >>> lossbook.circle_loss(x, y, m=0.25, gamma=8.0)
        tensor(1.6027)
    """
    m = check_number("m", m, low=0.0)
    gamma = check_number("gamma", gamma, low=0.0, low_inclusive=False)
    check_reduction(reduction)
    check_labelled_batch(embeddings, labels)
    cosine, positive, negative = _cosines_and_masks(embeddings, labels)
    fixed = cosine.detach()
    logit_p = -gamma * (1.0 + m - fixed).clamp_min(0.0) * (cosine - (1.0 - m))
    logit_n = gamma * (fixed + m).clamp_min(0.0) * (cosine - m)
    both = positive.any(1) & negative.any(1)
    inner = masked_logsumexp(logit_p, positive, dim=1) + masked_logsumexp(logit_n, negative, dim=1)
    losses = torch.where(both, log1p_exp(torch.where(both, inner, 0.0)), 0.0)
    if reduction == "none":
        return losses.to(embeddings.dtype)
    kept = losses > 0  # pml's AvgNonZeroReducer
    if reduction == "sum":
        return losses.sum().to(embeddings.dtype)
    if not bool(kept.any()):
        return zero_like_loss(embeddings, embeddings.dtype)
    return (torch.where(kept, losses, 0.0).sum() / kept.sum()).to(embeddings.dtype)


class MultiSimilarityLoss(Loss):
    r"""Module form of :func:`multi_similarity_loss`: ``forward(embeddings, labels)``.

    Explained in the chapter *Contrastive and self-supervised learning*, section "Supervised
    contrastive and proxy losses".

    Args:
        alpha, beta, base, reduction: as in :func:`multi_similarity_loss`.

    Shape:
        - embeddings: (N, D).
        - labels: (N,), integer labels.
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: X. Wang, X. Han, W. Huang, D. Dong, M. R. Scott, "Multi-Similarity Loss with
    General Pair Weighting for Deep Metric Learning", CVPR 2019.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> lossbook.MultiSimilarityLoss()(x, torch.tensor([0, 0, 1, 1]))
        tensor(0.2688)
    """

    def __init__(
        self, alpha: float = 2.0, beta: float = 50.0, base: float = 0.5, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        self.alpha = check_number("alpha", alpha, low=0.0, low_inclusive=False)
        self.beta = check_number("beta", beta, low=0.0, low_inclusive=False)
        self.base = check_number("base", base)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return multi_similarity_loss(embeddings, labels, self.alpha, self.beta, self.base, self.reduction)


class CircleLoss(Loss):
    r"""Module form of :func:`circle_loss`: ``forward(embeddings, labels)``.

    Explained in the chapter *Contrastive and self-supervised learning*, section "Supervised
    contrastive and proxy losses".

    Args:
        m, gamma, reduction: as in :func:`circle_loss`.

    Shape:
        - embeddings: (N, D).
        - labels: (N,), integer labels.
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: Y. Sun et al., "Circle Loss: A Unified Perspective of Pair Similarity
    Optimization", CVPR 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> lossbook.CircleLoss(m=0.25, gamma=8.0)(x, torch.tensor([0, 0, 1, 1]))
        tensor(1.6027)
    """

    def __init__(self, m: float = 0.4, gamma: float = 80.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.m = check_number("m", m, low=0.0)
        self.gamma = check_number("gamma", gamma, low=0.0, low_inclusive=False)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return circle_loss(embeddings, labels, self.m, self.gamma, self.reduction)
