r"""Pairs and rankings: losses on two scores, or two embeddings, and a label that relates them.

:func:`margin_ranking_loss` asks one score to beat another by a margin (learning to rank);
:func:`cosine_embedding_loss` pulls similar pairs of embeddings to cosine 1 and pushes
dissimilar ones below a margin; :func:`hinge_embedding_loss` does the same with a distance
the caller has already computed. They are the contrastive loss's simpler relatives, and agree
with their ``torch.nn.functional`` namesakes.

Book: *Metric learning*, section "Pairs and rankings".
"""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_number, check_reduction, compute_dtype, reduce
from ._inputs import check_cosine_pairs, check_ranked_pair, check_signed_distances

__all__ = [
    "margin_ranking_loss",
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    "MarginRankingLoss",
    "CosineEmbeddingLoss",
    "HingeEmbeddingLoss",
]

# torch's cosine_embedding_loss adds this to each squared norm, so a zero vector has cosine 0.
_NORM_EPS = 1e-12


def margin_ranking_loss(
    input1: torch.Tensor,
    input2: torch.Tensor,
    target: torch.Tensor,
    margin: float = 0.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Margin ranking loss: ``input1`` should beat ``input2`` by ``margin`` where ``target`` is 1.

    .. math::
        \ell = \max\big(0,\ -y\,(x_1 - x_2) + \text{margin}\big)

    With :math:`y = 1` the first score must exceed the second by the margin, with
    :math:`y = -1` the other way round. Summed over the pairs of a list, it is the pairwise
    hinge loss of RankSVM.

    Book: *Metric learning*, section "Pairs and rankings".

    Args:
        input1: scores, shape (N,) or () (any shape, floating dtype).
        input2: the scores they are compared with, the same shape.
        target: which should rank higher, the same shape: 1 or -1 (floating or integer; as in
            torch, any value is used as the multiplier :math:`y`).
        margin: the required gap; any real number (default 0).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input1``'s dtype. Agrees with ``torch.nn.functional.margin_ranking_loss``
        (which broadcasts tensors of one number of dimensions; lossbook asks for one shape).

    Reference: R. Herbrich, T. Graepel, K. Obermayer, "Large Margin Rank Boundaries for
    Ordinal Regression", *Advances in Large Margin Classifiers*, MIT Press 2000.

    Example:
        >>> import torch, lossbook
        >>> s1, s2, y = torch.tensor([2.0, 0.5]), torch.tensor([1.0, 1.0]), torch.tensor([1.0, 1.0])
        >>> lossbook.margin_ranking_loss(s1, s2, y, margin=0.5, reduction="none")
        tensor([0., 1.])
    """
    check_ranked_pair(input1, input2, target)
    margin = check_number("margin", margin)
    check_reduction(reduction)
    dtype = input1.dtype
    work = compute_dtype(dtype)
    gap = input1.to(work) - input2.to(work)
    loss = (margin - target.to(work) * gap).clamp_min(0.0)
    return reduce(loss, reduction).to(dtype)


def cosine_embedding_loss(
    input1: torch.Tensor,
    input2: torch.Tensor,
    target: torch.Tensor,
    margin: float = 0.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Cosine embedding loss: similar pairs to cosine 1, dissimilar ones below ``margin``.

    .. math::
        \ell = \begin{cases} 1 - \cos(x_1, x_2) & y = 1 \\
        \max\big(0,\ \cos(x_1, x_2) - \text{margin}\big) & y = -1 \end{cases}
        \qquad \cos(x_1, x_2) = \frac{x_1 \cdot x_2}
        {\sqrt{(\|x_1\|^2 + \epsilon)(\|x_2\|^2 + \epsilon)}}

    with :math:`\epsilon = 10^{-12}`, as torch adds it, so a zero vector has cosine 0. A
    target other than 1 and -1 contributes 0, as in torch. Only the angle matters: the loss
    cannot pull embeddings apart in length, unlike the contrastive loss.

    Book: *Metric learning*, section "Pairs and rankings".

    Args:
        input1: embeddings, shape (N, D), or (D,) for one pair; floating dtype.
        input2: the other side of each pair, the same shape.
        target: 1 (similar) or -1 (dissimilar) per pair, shape (N,), or () for one pair;
            floating or integer.
        margin: the cosine a dissimilar pair may keep for free; any real number, normally
            in [-1, 1] (torch suggests [0, 0.5]). Default: 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per pair).

    Returns:
        The loss in ``input1``'s dtype. Agrees with
        ``torch.nn.functional.cosine_embedding_loss``.

    Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006.

    Example:
        >>> import torch, lossbook
        >>> a, b = torch.tensor([[1.0, 0.0], [1.0, 0.0]]), torch.tensor([[1.0, 1.0], [1.0, 1.0]])
        >>> lossbook.cosine_embedding_loss(a, b, torch.tensor([1, -1]), margin=0.5, reduction="none")
        tensor([0.2929, 0.2071])
    """
    check_cosine_pairs(input1, input2, target)
    margin = check_number("margin", margin)
    check_reduction(reduction)
    dtype = input1.dtype
    work = compute_dtype(dtype)
    x1, x2 = input1.to(work), input2.to(work)
    dot = (x1 * x2).sum(-1)
    norms = ((x1 * x1).sum(-1) + _NORM_EPS) * ((x2 * x2).sum(-1) + _NORM_EPS)
    cosine = dot / norms.sqrt()
    loss = torch.where(target == 1, 1.0 - cosine, 0.0) + torch.where(
        target == -1, (cosine - margin).clamp_min(0.0), 0.0
    )
    return reduce(loss, reduction).to(dtype)


def hinge_embedding_loss(
    input: torch.Tensor, target: torch.Tensor, margin: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Hinge embedding loss: small distances for similar pairs, at least ``margin`` for others.

    .. math::
        \ell = \begin{cases} x & y = 1 \\ \max(0,\ \text{margin} - x) & y = -1 \end{cases}

    ``input`` is usually a distance the caller computed (such as the L1 distance of two
    embeddings). As in torch, a target that is neither 1 nor -1 gets both terms,
    :math:`x + \max(0, \text{margin} - x)`. It is the contrastive loss with unsquared terms.

    Book: *Metric learning*, section "Pairs and rankings".

    Args:
        input: distances (or any scores), shape (*) (any shape, floating dtype).
        target: 1 (similar) or -1 (dissimilar), the same shape; floating or integer.
        margin: the distance a dissimilar pair must reach; any real number (default 1).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.hinge_embedding_loss``.

    Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006.

    Example:
        >>> import torch, lossbook
        >>> d, y = torch.tensor([0.3, 0.3, 2.0]), torch.tensor([1, -1, -1])
        >>> lossbook.hinge_embedding_loss(d, y, margin=1.0, reduction="none")
        tensor([0.3000, 0.7000, 0.0000])
    """
    check_signed_distances(input, target)
    margin = check_number("margin", margin)
    check_reduction(reduction)
    dtype = input.dtype
    x = input.to(compute_dtype(dtype))
    loss = torch.where(target != 1, (margin - x).clamp_min(0.0), 0.0) + torch.where(target != -1, x, 0.0)
    return reduce(loss, reduction).to(dtype)


class MarginRankingLoss(Loss):
    r"""Module form of :func:`margin_ranking_loss`.

    .. math::
        \ell = \max\big(0,\ -y\,(x_1 - x_2) + \text{margin}\big)

    Book: *Metric learning*, section "Pairs and rankings".

    Args:
        margin: the required gap. Default: 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input1: (N,) or (). input2: the same shape. target: the same shape, 1 or -1.
        Output: () with ``"mean"`` or ``"sum"``, (N,) with ``"none"``.

    Reference: R. Herbrich, T. Graepel, K. Obermayer, "Large Margin Rank Boundaries for
    Ordinal Regression", *Advances in Large Margin Classifiers*, MIT Press 2000.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.MarginRankingLoss(margin=0.5, reduction="none")
        >>> criterion(torch.tensor([2.0, 0.5]), torch.tensor([1.0, 1.0]), torch.tensor([1.0, 1.0]))
        tensor([0., 1.])
    """

    def __init__(self, margin: float = 0.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin)

    def forward(self, input1: torch.Tensor, input2: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of the ranked pairs (``input1``, ``input2``) against ``target``, 1 or -1 per pair."""
        return margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(Loss):
    r"""Module form of :func:`cosine_embedding_loss`.

    .. math::
        \ell = \begin{cases} 1 - \cos(x_1, x_2) & y = 1 \\
        \max\big(0,\ \cos(x_1, x_2) - \text{margin}\big) & y = -1 \end{cases}

    Book: *Metric learning*, section "Pairs and rankings".

    Args:
        margin: the cosine a dissimilar pair may keep for free. Default: 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input1: (N, D) or (D,). input2: the same shape. target: (N,) or (), 1 or -1.
        Output: () with ``"mean"`` or ``"sum"``, (N,) with ``"none"``.

    Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.CosineEmbeddingLoss(margin=0.5, reduction="none")
        >>> a, b = torch.tensor([[1.0, 0.0], [1.0, 0.0]]), torch.tensor([[1.0, 1.0], [1.0, 1.0]])
        >>> criterion(a, b, torch.tensor([1, -1]))
        tensor([0.2929, 0.2071])
    """

    def __init__(self, margin: float = 0.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin)

    def forward(self, input1: torch.Tensor, input2: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of the pairs (``input1``, ``input2``) labelled by ``target``."""
        return cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(Loss):
    r"""Module form of :func:`hinge_embedding_loss`.

    .. math::
        \ell = \begin{cases} x & y = 1 \\ \max(0,\ \text{margin} - x) & y = -1 \end{cases}

    Book: *Metric learning*, section "Pairs and rankings".

    Args:
        margin: the distance a dissimilar pair must reach. Default: 1.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape, 1 or -1. Output: () with
        ``"mean"`` or ``"sum"``, (*) with ``"none"``.

    Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.HingeEmbeddingLoss(margin=1.0, reduction="none")
        >>> criterion(torch.tensor([0.3, 0.3, 2.0]), torch.tensor([1, -1, -1]))
        tensor([0.3000, 0.7000, 0.0000])
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of distances ``input`` labelled by ``target``."""
        return hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)
