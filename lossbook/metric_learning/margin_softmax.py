r"""Metric learning: losses that shape an embedding space rather than score a class.

Two families, one idea (small intra-class distances, large inter-class distances):

* **Pair and triplet losses** act on distances between embeddings: the contrastive loss
  (Hadsell, Chopra and LeCun 2006), the triplet loss (Wang et al. 2014, FaceNet 2015) with its
  miners, the batch-hard triplet loss (Hermans, Beyer and Leibe 2017).
* **Classification losses with a margin** act on the angle between an embedding and a class
  weight: center loss (Wen et al. 2016) next to softmax, L-Softmax (2016), A-Softmax /
  SphereFace (2017), CosFace / LMCL (2018) and ArcFace (2019).

Every distance is computed in one place, :func:`pairwise_distances` and
:func:`paired_distances`, safe at zero distance: the square root has a zero (sub)gradient
where its argument is 0, so duplicate embeddings give finite gradients. Miners and losses are
composed from small parts (label masks, distance matrices, the margin function
:func:`angular_psi`), each of them public and tested on its own.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .._base import Loss
from ..validation import (
    check_binary,
    check_choice,
    check_integer_tensor,
    check_labels,
    check_matrix,
    check_number,
    check_positive_integer,
    check_reduction,
    check_same_device,
    check_same_shape,
    check_tensor,
    compute_dtype,
    reduce,
)

__all__ = [
    # distances and evaluation
    "DISTANCE_METRICS",
    "pairwise_distances",
    "paired_distances",
    "cosine_similarity_matrix",
    "recall_at_k",
    "nearest_neighbor_accuracy",
    # pairs, triplets, miners
    "all_pairs",
    "contrastive_loss",
    "triplet_margin_loss",
    "MINING_STRATEGIES",
    "mine_triplets",
    "batch_hard_triplet_loss",
    # center loss
    "center_loss",
    # margin softmax
    "angular_psi",
    "lsoftmax_logits",
    "sphereface_logits",
    "cosface_logits",
    "arcface_logits",
    "sphereface_lambda",
    # modules
    "ContrastiveLoss",
    "TripletMarginLoss",
    "BatchHardTripletLoss",
    "CenterLoss",
    "LSoftmaxLoss",
    "SphereFaceLoss",
    "CosFaceLoss",
    "ArcFaceLoss",
]

DISTANCE_METRICS = ("euclidean", "squared_euclidean", "cosine")
MINING_STRATEGIES = ("all", "hard", "semihard")

# Norms below this are treated as this when normalizing (as torch.nn.functional.normalize does).
_NORM_EPS = 1e-12


# ---------------------------------------------------------------------------
# Small parts: safe square root and norms, distances, label masks
# ---------------------------------------------------------------------------


def _safe_sqrt(s: torch.Tensor) -> torch.Tensor:
    """sqrt(s) for s >= 0, with gradient 1 / (2 sqrt(s)) where s > 0 and 0 where s == 0.

    The plain square root has an infinite derivative at 0, which turns into NaN (inf * 0)
    as soon as two embeddings coincide. The double ``where`` keeps the infinite branch out
    of the backward pass altogether.
    """
    positive = s > 0
    root = torch.where(positive, s, torch.ones_like(s)).sqrt()
    return torch.where(positive, root, torch.zeros_like(s))


def _row_norms(x: torch.Tensor) -> torch.Tensor:
    return _safe_sqrt(x.square().sum(dim=-1))


def _normalize_rows(x: torch.Tensor) -> torch.Tensor:
    return x / _row_norms(x).clamp_min(_NORM_EPS).unsqueeze(-1)


def _prepare_embeddings(name: str, x, columns: int | None = None) -> torch.Tensor:
    check_matrix(name, x, columns=columns)
    return x.to(compute_dtype(x.dtype))


def cosine_similarity_matrix(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Cosines of the angles between every row of ``x`` and every row of ``y``.

    .. math:: S_{ij} = \frac{x_i \cdot y_j}{\max(\|x_i\|, \epsilon)\,\max(\|y_j\|, \epsilon)}

    Args:
        x: (N, D) floating tensor.
        y: (M, D) floating tensor: for a classifier, its weight (num_classes, D).

    Returns:
        (N, M) cosines in [-1, 1] (a zero row gives cosines of 0), in ``x``'s dtype.

    Example:
        >>> import torch, lossbook
        >>> lossbook.cosine_similarity_matrix(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 2.0], [3.0, 3.0]]))
        tensor([[0.0000, 0.7071]])
    """
    check_matrix("x", x)
    check_matrix("y", y, columns=x.shape[1])
    check_same_device("x", x, "y", y)
    dtype = x.dtype
    work = compute_dtype(dtype)
    return (_normalize_rows(x.to(work)) @ _normalize_rows(y.to(work)).T).to(dtype)


def _squared_euclidean_matrix(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # Direct differences rather than |x|^2 + |y|^2 - 2 x.y: exact (no cancellation, so a
    # duplicate pair has distance exactly 0) at the price of N*M*D memory, fine for batches.
    return (x.unsqueeze(1) - y.unsqueeze(0)).square().sum(dim=-1)


def pairwise_distances(
    x: torch.Tensor, y: torch.Tensor | None = None, metric: str = "euclidean"
) -> torch.Tensor:
    r"""The matrix of distances between every row of ``x`` and every row of ``y`` (default ``x``).

    .. math::
        \text{euclidean: } \|x_i - y_j\|_2, \qquad
        \text{squared\_euclidean: } \|x_i - y_j\|_2^2, \qquad
        \text{cosine: } 1 - \cos(x_i, y_j)

    Safe at zero distance: the Euclidean distance of two identical rows is exactly 0 and its
    gradient is 0 (not NaN).

    Args:
        x: (N, D) floating tensor.
        y: (M, D) floating tensor, or None for ``x`` itself.
        metric: ``"euclidean"`` (default), ``"squared_euclidean"`` or ``"cosine"``.

    Returns:
        (N, M) distances in ``x``'s dtype.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
        >>> lossbook.pairwise_distances(x)
        tensor([[0., 5.],
                [5., 0.]])
    """
    check_choice("metric", metric, DISTANCE_METRICS)
    dtype = x.dtype if isinstance(x, torch.Tensor) else None
    x = _prepare_embeddings("x", x)
    if y is None:
        y = x
    else:
        y = _prepare_embeddings("y", y, columns=x.shape[1])
        check_same_device("x", x, "y", y)
        y = y.to(x.dtype)
    if metric == "cosine":
        d = 1.0 - _normalize_rows(x) @ _normalize_rows(y).T
    else:
        d = _squared_euclidean_matrix(x, y)
        if metric == "euclidean":
            d = _safe_sqrt(d)
    return d.to(dtype)


def paired_distances(x1: torch.Tensor, x2: torch.Tensor, metric: str = "euclidean") -> torch.Tensor:
    r"""Row-wise distances :math:`d(x1_i, x2_i)`: the diagonal of :func:`pairwise_distances`.

    Args:
        x1, x2: (N, D) floating tensors of the same shape.
        metric: ``"euclidean"`` (default), ``"squared_euclidean"`` or ``"cosine"``.

    Returns:
        (N,) distances in ``x1``'s dtype; 0, with a zero gradient, for identical rows.

    Example:
        >>> import torch, lossbook
        >>> lossbook.paired_distances(torch.tensor([[0.0, 0.0], [1.0, 1.0]]), torch.tensor([[3.0, 4.0], [1.0, 1.0]]))
        tensor([5., 0.])
    """
    check_choice("metric", metric, DISTANCE_METRICS)
    dtype = x1.dtype if isinstance(x1, torch.Tensor) else None
    x1 = _prepare_embeddings("x1", x1)
    x2 = _prepare_embeddings("x2", x2)
    check_same_shape("x1", x1, "x2", x2)
    check_same_device("x1", x1, "x2", x2)
    x2 = x2.to(x1.dtype)
    if metric == "cosine":
        d = 1.0 - (_normalize_rows(x1) * _normalize_rows(x2)).sum(dim=1)
    else:
        d = (x1 - x2).square().sum(dim=1)
        if metric == "euclidean":
            d = _safe_sqrt(d)
    return d.to(dtype)


def _label_masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(positive, negative) boolean (N, N) masks: same label and not the same sample; other label."""
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


# ---------------------------------------------------------------------------
# Retrieval metrics
# ---------------------------------------------------------------------------


@torch.no_grad()
def recall_at_k(
    embeddings: torch.Tensor, labels: torch.Tensor, k: int = 1, metric: str = "euclidean"
) -> float:
    r"""Recall@k, leave-one-out: the fraction of samples with a same-label sample among their k nearest others.

    The standard retrieval score of metric learning: each sample queries all the others.

    Args:
        embeddings: (N, D) floating tensor.
        labels: (N,) integer labels.
        k: how many neighbours count (>= 1, < N).
        metric: the distance ranking the neighbours (see :func:`pairwise_distances`).

    Returns:
        A Python float in [0, 1].

    Example:
        >>> import torch, lossbook
        >>> e = torch.tensor([[0.0], [0.1], [5.0], [5.2], [0.3]])
        >>> lossbook.recall_at_k(e, torch.tensor([0, 0, 1, 1, 1]))
        0.8
    """
    check_matrix("embeddings", embeddings)
    check_labels("labels", labels, embeddings.shape[0])
    k = check_positive_integer("k", k)
    if k >= embeddings.shape[0]:
        raise ValueError(f"k must be smaller than the number of samples ({embeddings.shape[0]}); got {k}")
    d = pairwise_distances(embeddings, metric=metric).float()
    d.fill_diagonal_(float("inf"))
    neighbours = d.topk(k, dim=1, largest=False).indices
    hit = (labels[neighbours] == labels.unsqueeze(1)).any(dim=1)
    return hit.double().mean().item()


@torch.no_grad()
def nearest_neighbor_accuracy(
    query: torch.Tensor,
    query_labels: torch.Tensor,
    gallery: torch.Tensor,
    gallery_labels: torch.Tensor,
    metric: str = "euclidean",
) -> float:
    """Accuracy of 1-nearest-neighbour classification of ``query`` against a labelled ``gallery``.

    How an embedding without a classifier head (contrastive, triplet) is turned into a
    classifier: the test embeddings take the label of their nearest training embedding.

    Example:
        >>> import torch, lossbook
        >>> g, gl = torch.tensor([[0.0], [10.0]]), torch.tensor([3, 7])
        >>> lossbook.nearest_neighbor_accuracy(torch.tensor([[1.0], [9.0], [6.0]]), torch.tensor([3, 7, 3]), g, gl)
        0.6666666666666666
    """
    check_matrix("query", query)
    check_labels("query_labels", query_labels, query.shape[0])
    check_matrix("gallery", gallery, columns=query.shape[1])
    check_labels("gallery_labels", gallery_labels, gallery.shape[0])
    nearest = pairwise_distances(query, gallery, metric=metric).argmin(dim=1)
    return (gallery_labels[nearest] == query_labels).double().mean().item()


# ---------------------------------------------------------------------------
# Contrastive loss
# ---------------------------------------------------------------------------


def all_pairs(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every unordered pair (i < j) of a batch, with target 1 for the same label and 0 otherwise.

    Returns:
        ``(first, second, target)``: two int64 index tensors and a float target, each of
        length N (N - 1) / 2, ready for ``contrastive_loss(e[first], e[second], target)``.

    Example:
        >>> import torch, lossbook
        >>> lossbook.all_pairs(torch.tensor([0, 0, 1]))
        (tensor([0, 0, 1]), tensor([1, 2, 2]), tensor([1., 0., 0.]))
    """
    check_integer_tensor("labels", labels)
    if labels.dim() != 1:
        raise ValueError(f"labels must be a 1-D tensor; got shape {tuple(labels.shape)}")
    first, second = torch.triu_indices(len(labels), len(labels), offset=1, device=labels.device)
    return first, second, (labels[first] == labels[second]).float()


def contrastive_loss(
    x1: torch.Tensor,
    x2: torch.Tensor,
    target: torch.Tensor,
    margin: float = 1.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Contrastive loss of Hadsell, Chopra and LeCun (2006), on Euclidean distances.

    .. math::
        \ell_i = \tfrac12\, y_i\, d_i^2 + \tfrac12\,(1 - y_i)\, \max(0, m - d_i)^2,
        \qquad d_i = \|x1_i - x2_i\|_2

    Similar pairs (``target`` 1) are pulled together; dissimilar pairs (0) are pushed apart
    until they are ``margin`` away, and then left alone. Note the convention: the 2006 paper
    writes Y = 0 for a similar pair; lossbook, like most libraries, uses 1 for "similar".
    pytorch-metric-learning's ``ContrastiveLoss`` is another variant (unsquared distances,
    a positive and a negative margin, an average over the non-zero terms).

    Args:
        x1, x2: (N, D) embeddings of the two sides of each pair.
        target: (N,) 1 for a similar pair, 0 for a dissimilar one (bool, integer or float).
        margin: the distance beyond which a dissimilar pair costs nothing, >= 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per pair).

    Returns:
        The loss, in ``x1``'s dtype. Distances are safe at 0: identical embeddings give finite
        gradients.

    Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006.

    Example:
        >>> import torch, lossbook
        >>> x1 = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
        >>> x2 = torch.tensor([[0.6, 0.8], [0.3, 0.4]])
        >>> lossbook.contrastive_loss(x1, x2, torch.tensor([1, 0]), reduction="none")
        tensor([0.5000, 0.1250])
    """
    margin = check_number("margin", margin, low=0.0)
    check_reduction(reduction)
    check_matrix("x1", x1)
    check_matrix("x2", x2)
    check_same_shape("x1", x1, "x2", x2)
    check_tensor("target", target, floating=False)
    if target.dim() != 1 or target.shape[0] != x1.shape[0]:
        raise ValueError(
            f"target must be a 1-D tensor with one entry per pair ({x1.shape[0]}); got shape {tuple(target.shape)}"
        )
    check_same_device("x1", x1, "target", target)
    check_binary("target", target)
    dtype = x1.dtype
    work = compute_dtype(dtype)
    x1, x2 = x1.to(work), x2.to(work)
    y = target.to(work)
    squared = paired_distances(x1, x2, metric="squared_euclidean")
    distance = _safe_sqrt(squared)
    loss = 0.5 * y * squared + 0.5 * (1.0 - y) * (margin - distance).clamp_min(0.0).square()
    return reduce(loss, reduction).to(dtype)


# ---------------------------------------------------------------------------
# Triplet loss, mining, batch-hard
# ---------------------------------------------------------------------------


def _triplet_distance(a: torch.Tensor, b: torch.Tensor, p: float, eps: float, squared: bool) -> torch.Tensor:
    if squared:
        return paired_distances(a, b, metric="squared_euclidean")
    # torch.nn.functional.pairwise_distance: eps is added to the difference, inside the norm.
    return torch.linalg.vector_norm(a - b + eps, ord=p, dim=1)


def triplet_margin_loss(
    anchor: torch.Tensor,
    positive: torch.Tensor,
    negative: torch.Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    squared: bool = False,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Triplet margin loss: the positive must be closer to the anchor than the negative, by a margin.

    .. math:: \ell_i = \max\big(0,\; d(a_i, p_i) - d(a_i, n_i) + m\big)

    With ``squared=False`` (default), :math:`d(u, v) = \|u - v + \epsilon\|_p`, exactly as
    ``torch.nn.functional.triplet_margin_loss``. With ``squared=True``,
    :math:`d(u, v) = \|u - v\|_2^2`, the form of FaceNet and of source 000's module (``p`` must
    then be 2; ``eps`` is not needed, since there is no square root). The two forms are
    different losses: with squared distances the margin is measured in squared units and the
    gradient grows with the distance instead of having unit length.

    Args:
        anchor, positive, negative: (N, D) embeddings of one shape.
        margin: the required gap, >= 0 (torch refuses 0; lossbook accepts it: the loss is
            then zero as soon as the negative is no closer than the positive).
        p: the norm's order (> 0) for plain distances.
        eps: added to the difference inside the norm (torch's convention), >= 0.
        swap: use :math:`\min(d(a, n), d(p, n))` as the negative distance (Balntas et al. 2016).
        squared: squared Euclidean distances (see above).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per triplet).

    Returns:
        The loss in ``anchor``'s dtype.

    Reference: J. Wang et al., "Learning Fine-grained Image Similarity with Deep Ranking",
    CVPR 2014; F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet", CVPR 2015.

    Example:
        >>> import torch, lossbook
        >>> a, p, n = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.5]])
        >>> lossbook.triplet_margin_loss(a, p, n, margin=1.0, eps=0.0)
        tensor(0.5000)
        >>> lossbook.triplet_margin_loss(a, p, n, margin=1.0, squared=True)
        tensor(0.)
    """
    margin = check_number("margin", margin, low=0.0)
    p = check_number("p", p, low=0.0, low_inclusive=False)
    eps = check_number("eps", eps, low=0.0)
    check_reduction(reduction)
    if squared and p != 2.0:
        raise ValueError(f"squared=True is the squared Euclidean distance and needs p=2; got p={p!r}")
    for name, value in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_matrix(name, value)
    check_same_shape("anchor", anchor, "positive", positive)
    check_same_shape("anchor", anchor, "negative", negative)
    check_same_device("anchor", anchor, "positive", positive)
    check_same_device("anchor", anchor, "negative", negative)
    dtype = anchor.dtype
    work = compute_dtype(dtype)
    a, pos, neg = anchor.to(work), positive.to(work), negative.to(work)
    d_ap = _triplet_distance(a, pos, p, eps, squared)
    d_an = _triplet_distance(a, neg, p, eps, squared)
    if swap:
        d_an = torch.minimum(d_an, _triplet_distance(pos, neg, p, eps, squared))
    loss = (d_ap - d_an + margin).clamp_min(0.0)
    return reduce(loss, reduction).to(dtype)


def _embedding_batch(embeddings, labels) -> torch.Tensor:
    check_matrix("embeddings", embeddings)
    check_labels("labels", labels, embeddings.shape[0])
    check_same_device("embeddings", embeddings, "labels", labels)
    return embeddings.to(compute_dtype(embeddings.dtype))


@torch.no_grad()
def mine_triplets(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    strategy: str = "all",
    margin: float = 0.2,
    squared: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Select triplets (anchor, positive, negative) of a batch by their current distances.

    Valid triplets have ``labels[a] == labels[p]``, ``a != p`` and ``labels[n] != labels[a]``.
    Among them:

    * ``"all"``: every valid triplet;
    * ``"hard"``: the negative is closer than the positive, :math:`d_{an} < d_{ap}`;
    * ``"semihard"``: the negative is farther than the positive but inside the margin,
      :math:`d_{ap} < d_{an} < d_{ap} + m` (FaceNet): these still have a positive loss, yet
      are not the noisy, possibly mislabelled hardest ones.

    Args:
        embeddings: (N, D) floating tensor (no gradient flows through the mining).
        labels: (N,) integer labels.
        strategy: ``"all"`` (default), ``"hard"`` or ``"semihard"``.
        margin: the margin of the semi-hard band, >= 0.
        squared: rank by squared Euclidean distances instead of Euclidean ones.

    Returns:
        ``(anchor, positive, negative)``: int64 index tensors of equal length, in
        lexicographic order of (anchor, positive, negative).

    Example:
        >>> import torch, lossbook
        >>> e = torch.tensor([[0.0], [1.0], [0.5], [3.0]])
        >>> lossbook.mine_triplets(e, torch.tensor([0, 0, 1, 1]), "hard")
        (tensor([0, 1, 2, 2, 3]), tensor([1, 0, 3, 3, 2]), tensor([2, 2, 0, 1, 1]))
    """
    check_choice("strategy", strategy, MINING_STRATEGIES)
    margin = check_number("margin", margin, low=0.0)
    x = _embedding_batch(embeddings, labels)
    d = pairwise_distances(x, metric="squared_euclidean" if squared else "euclidean")
    positive, negative = _label_masks(labels)
    valid = positive.unsqueeze(2) & negative.unsqueeze(1)  # (anchor, positive, negative)
    d_ap, d_an = d.unsqueeze(2), d.unsqueeze(1)
    if strategy == "hard":
        valid &= d_an < d_ap
    elif strategy == "semihard":
        valid &= (d_ap < d_an) & (d_an < d_ap + margin)
    a, p, n = valid.nonzero(as_tuple=True)
    return a, p, n


def batch_hard_triplet_loss(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    margin: float = 0.2,
    soft: bool = False,
    squared: bool = False,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Batch-hard triplet loss (Hermans, Beyer and Leibe 2017).

    For each anchor, its farthest positive and its nearest negative in the batch:

    .. math::
        \ell_a = \big[m + \max_{p:\,y_p = y_a,\,p \ne a} d_{ap} - \min_{n:\,y_n \ne y_a} d_{an}\big]_+
        \quad\text{or, with ``soft``,}\quad
        \ell_a = \log\big(1 + e^{\max_p d_{ap} - \min_n d_{an}}\big)

    (the soft margin replaces the hinge and has no margin). Anchors without a positive or
    without a negative in the batch are skipped. Vectorized: masked max and min over the
    distance matrix, no loop over the batch.

    Args:
        embeddings: (N, D) floating tensor.
        labels: (N,) integer labels.
        margin: the hinge's margin, >= 0 (unused when ``soft``).
        soft: the softplus ("soft-margin") form.
        squared: squared Euclidean distances instead of Euclidean ones.
        reduction: ``"mean"`` over the anchors kept (default), ``"sum"``, or ``"none"``: the
            losses of the anchors kept, in batch order. With no anchor kept, ``"mean"`` and
            ``"sum"`` give a zero that is still connected to ``embeddings``.

    Returns:
        The loss in ``embeddings``' dtype.

    Example:
        >>> import torch, lossbook
        >>> e = torch.tensor([[0.0], [1.0], [0.5], [3.0]])
        >>> lossbook.batch_hard_triplet_loss(e, torch.tensor([0, 0, 1, 1]), margin=0.2, reduction="none")
        tensor([0.7000, 0.7000, 2.2000, 0.7000])
    """
    margin = check_number("margin", margin, low=0.0)
    check_reduction(reduction)
    dtype = embeddings.dtype if isinstance(embeddings, torch.Tensor) else None
    x = _embedding_batch(embeddings, labels)
    d = pairwise_distances(x, metric="squared_euclidean" if squared else "euclidean")
    positive, negative = _label_masks(labels)
    hardest_positive = torch.where(positive, d, torch.full_like(d, -math.inf)).amax(dim=1)
    hardest_negative = torch.where(negative, d, torch.full_like(d, math.inf)).amin(dim=1)
    kept = positive.any(dim=1) & negative.any(dim=1)
    gap = hardest_positive[kept] - hardest_negative[kept]
    loss = F.softplus(gap) if soft else (gap + margin).clamp_min(0.0)
    if loss.numel() == 0 and reduction == "mean":
        return (x.sum() * 0.0).to(dtype)
    return reduce(loss, reduction).to(dtype)


# ---------------------------------------------------------------------------
# Center loss
# ---------------------------------------------------------------------------


def center_loss(
    features: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    r"""Center loss (Wen et al. 2016): half the squared distance of each feature to its class center.

    .. math:: \ell_i = \tfrac12 \|x_i - c_{y_i}\|_2^2

    Used next to softmax cross-entropy, :math:`L = L_S + \lambda L_C`: softmax separates the
    classes, the center loss makes each class compact.

    Args:
        features: (N, D) deep features.
        labels: (N,) integer labels in [0, C).
        centers: (C, D) class centers.
        reduction: ``"mean"`` (default), ``"sum"`` (the paper's :math:`L_C`) or ``"none"``.

    Returns:
        The loss in ``features``' dtype.

    Reference: Y. Wen, K. Zhang, Z. Li, Y. Qiao, "A Discriminative Feature Learning Approach
    for Deep Face Recognition", ECCV 2016.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 1.0], [0.0, 3.0]])
        >>> c = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
        >>> lossbook.center_loss(x, torch.tensor([0, 1]), c, reduction="none")
        tensor([1., 2.])
    """
    check_reduction(reduction)
    check_matrix("features", features)
    check_matrix("centers", centers, columns=features.shape[1])
    check_labels("labels", labels, features.shape[0], num_classes=centers.shape[0])
    check_same_device("features", features, "centers", centers)
    dtype = features.dtype
    work = compute_dtype(dtype)
    loss = 0.5 * (features.to(work) - centers.to(work)[labels]).square().sum(dim=1)
    return reduce(loss, reduction).to(dtype)


# ---------------------------------------------------------------------------
# Margin softmax: L-Softmax, A-Softmax (SphereFace), CosFace, ArcFace
# ---------------------------------------------------------------------------


def _chebyshev(c: torch.Tensor, m: int) -> torch.Tensor:
    """T_m(c) = cos(m arccos c), by T_{n+1} = 2 c T_n - T_{n-1}: a polynomial, smooth at c = +-1."""
    previous, current = torch.ones_like(c), c
    for _ in range(m - 1):
        previous, current = current, 2.0 * c * current - previous
    return current if m >= 1 else previous


def angular_psi(cosine: torch.Tensor, margin: int = 4) -> torch.Tensor:
    r"""The margin function of L-Softmax and A-Softmax, as a function of :math:`\cos\theta`.

    .. math::
        \psi(\theta) = (-1)^k \cos(m\theta) - 2k, \qquad
        \theta \in \Big[\frac{k\pi}{m}, \frac{(k+1)\pi}{m}\Big],\ k \in \{0, \dots, m - 1\}

    monotonically decreasing on :math:`[0, \pi]`, equal to :math:`\cos(m\theta)` on
    :math:`[0, \pi/m]`. :math:`\cos(m\theta)` is evaluated as the Chebyshev polynomial
    :math:`T_m(\cos\theta)` (the paper's multiple-angle expansion) and ``k`` from ``acos``
    of the clamped cosine without gradient, so the gradient is finite at :math:`\cos = \pm 1`.

    Args:
        cosine: any shape, floating.
        margin: the integer m >= 1 (m = 1 gives :math:`\cos\theta`).

    Example:
        >>> import torch, lossbook
        >>> lossbook.angular_psi(torch.tensor([1.0, 0.0, -1.0]), margin=2)
        tensor([ 1., -1., -3.])
    """
    check_tensor("cosine", cosine)
    m = check_positive_integer("margin", margin)
    c = cosine.clamp(-1.0, 1.0)
    with torch.no_grad():
        k = torch.floor(m * torch.acos(c) / math.pi).clamp(0, m - 1)
    sign = 1.0 - 2.0 * torch.remainder(k, 2.0)
    return sign * _chebyshev(c, m) - 2.0 * k


def _check_head(embeddings, weight, labels):
    check_matrix("embeddings", embeddings)
    check_matrix("weight", weight, columns=embeddings.shape[1])
    check_labels("labels", labels, embeddings.shape[0], num_classes=weight.shape[0])
    check_same_device("embeddings", embeddings, "weight", weight)


def _check_angular_head(embeddings, weight, labels, margin, lam):
    """Validate the arguments of the L-Softmax / SphereFace heads; return (m, lam, dtype, compute dtype)."""
    _check_head(embeddings, weight, labels)
    m = check_positive_integer("margin", margin)
    lam = check_number("lam", lam, low=0.0)
    return m, lam, embeddings.dtype, compute_dtype(embeddings.dtype)


def _mixed_target(cos_y: torch.Tensor, m: int, lam: float) -> torch.Tensor:
    """(lam cos + psi) / (1 + lam): SphereFace's (and L-Softmax's) annealed target cosine."""
    psi = angular_psi(cos_y, m)
    return psi if lam == 0.0 else (lam * cos_y + psi) / (1.0 + lam)


def lsoftmax_logits(
    embeddings: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, margin: int = 4, lam: float = 0.0
) -> torch.Tensor:
    r"""Logits of the large-margin softmax (L-Softmax, Liu et al. 2016).

    .. math::
        f_j = \|W_j\| \|x\| \cos\theta_j \ (j \ne y), \qquad
        f_y = \|W_y\| \|x\| \,\frac{\lambda \cos\theta_y + \psi(\theta_y)}{1 + \lambda}

    with :math:`\psi` from :func:`angular_psi`. With ``lam = 0`` the true class must win by
    an angle m times smaller; a large ``lam`` is almost plain softmax (the papers anneal it).
    No bias, as in the paper.

    Args:
        embeddings: (N, D) features.
        weight: (C, D) class weights, as in ``nn.Linear``.
        labels: (N,) integer labels in [0, C).
        margin: the integer m >= 1.
        lam: the mixing weight lambda >= 0.

    Returns:
        (N, C) logits for cross-entropy, in ``embeddings``' dtype.

    Reference: W. Liu, Y. Wen, Z. Yu, M. Yang, "Large-Margin Softmax Loss for Convolutional
    Neural Networks", ICML 2016.

    Example:
        >>> import torch, lossbook
        >>> x, w = torch.tensor([[3.0, 4.0]]), torch.tensor([[1.0, 0.0], [0.0, 2.0]])
        >>> lossbook.lsoftmax_logits(x, w, torch.tensor([0]), margin=2)  # cos 0.6 -> 2 * 0.36 - 1
        tensor([[-1.4000,  8.0000]])
    """
    m, lam, dtype, work = _check_angular_head(embeddings, weight, labels, margin, lam)
    x, w = embeddings.to(work), weight.to(work)
    plain = x @ w.T
    cosine = _normalize_rows(x) @ _normalize_rows(w).T
    y = labels.unsqueeze(1)
    scale = _row_norms(x) * _row_norms(w)[labels]
    target = scale * _mixed_target(cosine.gather(1, y).squeeze(1), m, lam)
    return plain.scatter(1, y, target.unsqueeze(1)).to(dtype)


def sphereface_logits(
    embeddings: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, margin: int = 4, lam: float = 0.0
) -> torch.Tensor:
    r"""Logits of the angular softmax (A-Softmax) of SphereFace (Liu et al. 2017).

    L-Softmax with normalized weights and no bias, so that only the angle decides:

    .. math::
        f_j = \|x\| \cos\theta_j \ (j \ne y), \qquad
        f_y = \|x\| \,\frac{\lambda \cos\theta_y + \psi(\theta_y)}{1 + \lambda}

    Args:
        embeddings: (N, D) features.
        weight: (C, D) class weights (normalized here; their norms do not matter).
        labels: (N,) integer labels in [0, C).
        margin: the integer m >= 1 (the paper uses 4).
        lam: the mixing weight lambda >= 0; see :func:`sphereface_lambda` for its schedule.

    Returns:
        (N, C) logits for cross-entropy.

    Reference: W. Liu, Y. Wen, Z. Yu, M. Li, B. Raj, L. Song, "SphereFace: Deep Hypersphere
    Embedding for Face Recognition", CVPR 2017.

    Example:
        >>> import torch, lossbook
        >>> x, w = torch.tensor([[3.0, 4.0]]), torch.tensor([[1.0, 0.0], [0.0, 2.0]])
        >>> lossbook.sphereface_logits(x, w, torch.tensor([0]), margin=2)
        tensor([[-1.4000,  4.0000]])
    """
    m, lam, dtype, work = _check_angular_head(embeddings, weight, labels, margin, lam)
    x = embeddings.to(work)
    norms = _row_norms(x).unsqueeze(1)
    cosine = _normalize_rows(x) @ _normalize_rows(weight.to(work)).T
    y = labels.unsqueeze(1)
    target = _mixed_target(cosine.gather(1, y), m, lam)
    return (norms * cosine.scatter(1, y, target)).to(dtype)


def _check_cosine_head(cosine, labels, scale):
    check_matrix("cosine", cosine)
    check_labels("labels", labels, cosine.shape[0], num_classes=cosine.shape[1])
    check_same_device("cosine", cosine, "labels", labels)
    return check_number("scale", scale, low=0.0, low_inclusive=False)


def cosface_logits(
    cosine: torch.Tensor, labels: torch.Tensor, scale: float = 30.0, margin: float = 0.35
) -> torch.Tensor:
    r"""Logits of the large margin cosine loss (LMCL, CosFace; Wang et al. 2018).

    .. math:: f_y = s\,(\cos\theta_y - m), \qquad f_j = s \cos\theta_j \ (j \ne y)

    Args:
        cosine: (N, C) cosines between normalized features and normalized class weights
            (:func:`cosine_similarity_matrix`).
        labels: (N,) integer labels in [0, C).
        scale: s > 0.
        margin: the cosine margin m >= 0.

    Returns:
        (N, C) logits for cross-entropy.

    Reference: H. Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition",
    CVPR 2018.

    Example:
        >>> import torch, lossbook
        >>> lossbook.cosface_logits(torch.tensor([[0.9, 0.2]]), torch.tensor([0]), scale=10.0, margin=0.35)
        tensor([[5.5000, 2.0000]])
    """
    scale = _check_cosine_head(cosine, labels, scale)
    margin = check_number("margin", margin, low=0.0)
    dtype = cosine.dtype
    c = cosine.to(compute_dtype(dtype))
    shift = torch.zeros_like(c).scatter(1, labels.unsqueeze(1), margin)
    return (scale * (c - shift)).to(dtype)


def arcface_logits(
    cosine: torch.Tensor,
    labels: torch.Tensor,
    scale: float = 64.0,
    margin: float = 0.5,
    easy_margin: bool = False,
) -> torch.Tensor:
    r"""Logits of the additive angular margin loss (ArcFace; Deng et al. 2019).

    .. math:: f_y = s \cos(\theta_y + m), \qquad f_j = s \cos\theta_j \ (j \ne y)

    :math:`\cos(\theta + m) = \cos\theta \cos m - \sin\theta \sin m` with
    :math:`\sin\theta = \sqrt{1 - \cos^2\theta}` through a square root whose gradient is 0
    (not infinite) at :math:`|\cos\theta| = 1`, so there is no NaN there. Where
    :math:`\theta_y + m > \pi` the function would turn back up; there ArcFace uses
    :math:`\cos\theta_y - m \sin m` instead (``easy_margin=False``), or keeps
    :math:`\cos\theta_y` wherever :math:`\cos\theta_y \le 0` (``easy_margin=True``).

    Args:
        cosine: (N, C) cosines between normalized features and normalized class weights.
        labels: (N,) integer labels in [0, C).
        scale: s > 0.
        margin: the angular margin m in radians, in [0, pi).
        easy_margin: apply the margin only where :math:`\cos\theta_y > 0`.

    Returns:
        (N, C) logits for cross-entropy.

    Reference: J. Deng, J. Guo, N. Xue, S. Zafeiriou, "ArcFace: Additive Angular Margin Loss
    for Deep Face Recognition", CVPR 2019.

    Example:
        >>> import torch, lossbook
        >>> lossbook.arcface_logits(torch.tensor([[1.0, 0.0]]), torch.tensor([0]), scale=1.0, margin=math.pi / 3)
        tensor([[0.5000, 0.0000]])
    """
    scale = _check_cosine_head(cosine, labels, scale)
    margin = check_number("margin", margin, low=0.0, high=math.pi, high_inclusive=False)
    dtype = cosine.dtype
    c_all = cosine.to(compute_dtype(dtype))
    y = labels.unsqueeze(1)
    c = c_all.gather(1, y).clamp(-1.0, 1.0)
    sine = _safe_sqrt(1.0 - c.square())
    shifted = c * math.cos(margin) - sine * math.sin(margin)
    if easy_margin:
        target = torch.where(c > 0, shifted, c)
    else:
        target = torch.where(c >= math.cos(math.pi - margin), shifted, c - margin * math.sin(margin))
    return (scale * c_all.scatter(1, y, target)).to(dtype)


def sphereface_lambda(
    iteration: int, base: float = 1000.0, gamma: float = 0.12, power: float = 1.0, lambda_min: float = 5.0
) -> float:
    r"""SphereFace's annealing of lambda: :math:`\max(\lambda_{min}, \text{base}\,(1 + \gamma\, t)^{-\text{power}})`.

    Training A-Softmax (or L-Softmax) with its full margin from the start rarely converges;
    both papers start from a large lambda (nearly plain softmax) and decrease it. The defaults
    are those of the authors' released SphereFace training configuration (base 1000,
    gamma 0.12, power 1, lambda_min 5); a short run on a small data set needs a larger gamma.

    Example:
        >>> import lossbook
        >>> [round(lossbook.sphereface_lambda(t), 1) for t in (0, 100, 10000)]
        [1000.0, 76.9, 5.0]
    """
    if isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 0:
        raise ValueError(f"iteration must be a non-negative integer; got {iteration!r}")
    return max(lambda_min, base * (1.0 + gamma * iteration) ** (-power))


# ---------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------


class ContrastiveLoss(Loss):
    """Module form of :func:`contrastive_loss`: ``forward(x1, x2, target)``."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin, low=0.0)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return contrastive_loss(x1, x2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(Loss):
    """Module form of :func:`triplet_margin_loss`: ``forward(anchor, positive, negative)``."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        squared: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin, low=0.0)
        self.p = check_number("p", p, low=0.0, low_inclusive=False)
        self.eps = check_number("eps", eps, low=0.0)
        self.swap = bool(swap)
        self.squared = bool(squared)

    def forward(self, anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
        return triplet_margin_loss(
            anchor, positive, negative, self.margin, self.p, self.eps, self.swap, self.squared, self.reduction
        )


class BatchHardTripletLoss(Loss):
    """Module form of :func:`batch_hard_triplet_loss`: ``forward(embeddings, labels)``."""

    def __init__(
        self, margin: float = 0.2, soft: bool = False, squared: bool = False, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin, low=0.0)
        self.soft = bool(soft)
        self.squared = bool(squared)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return batch_hard_triplet_loss(
            embeddings, labels, self.margin, self.soft, self.squared, self.reduction
        )


class CenterLoss(Loss):
    r"""Center loss with learnable class centers ``centers`` of shape (num_classes, feat_dim).

    Two ways to move the centers:

    * ``alpha=None`` (default): ``centers`` is an ``nn.Parameter``, moved by the optimizer
      through the gradient of the loss, :math:`\partial L / \partial c_j`. Give the optimizer
      both parameter sets, typically with their own learning rate::

          center = lossbook.CenterLoss(10, 2)
          optimizer = torch.optim.SGD([
              {"params": model.parameters(), "lr": 0.1},
              {"params": center.parameters(), "lr": 0.5},
          ])
          loss = ce(logits, y) + lam * center(features, y)

    * ``alpha`` in (0, 1]: the paper's own update. ``centers`` is a buffer, not a parameter
      (keep it out of the optimizer); each ``forward`` in training mode, after computing the
      loss with the current centers, applies

      .. math::
          \Delta c_j = \frac{\sum_{i:\,y_i = j} (c_j - x_i)}{1 + n_j}, \qquad
          c_j \leftarrow c_j - \alpha\,\Delta c_j

      with :math:`n_j` the number of samples of class j in the batch (Wen et al. 2016, Eq. 4
      and Algorithm 1). In eval mode the centers do not move.

    Args:
        num_classes: C.
        feat_dim: D.
        alpha: None, or the center learning rate of the paper's update, in (0, 1].
        reduction: as in :func:`center_loss`.
    """

    def __init__(
        self, num_classes: int, feat_dim: int, alpha: float | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        self.num_classes = check_positive_integer("num_classes", num_classes)
        self.feat_dim = check_positive_integer("feat_dim", feat_dim)
        self.alpha = (
            None if alpha is None else check_number("alpha", alpha, low=0.0, high=1.0, low_inclusive=False)
        )
        initial = torch.randn(self.num_classes, self.feat_dim)
        if self.alpha is None:
            self.centers = nn.Parameter(initial)
        else:
            self.register_buffer("centers", initial)

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        loss = center_loss(features, labels, self.centers, reduction=self.reduction)
        if self.alpha is not None and self.training:
            self.update_centers(features, labels)
        return loss

    @torch.no_grad()
    def update_centers(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        """Apply the paper's center update once for a batch (see the class docstring)."""
        if self.alpha is None:
            raise ValueError(
                "update_centers needs alpha (the paper's update); this CenterLoss learns its centers by gradient"
            )
        check_matrix("features", features, columns=self.feat_dim)
        check_labels("labels", labels, features.shape[0], num_classes=self.num_classes)
        c = self.centers
        difference = c[labels] - features.to(c.dtype)
        delta = torch.zeros_like(c).index_add_(0, labels, difference)
        counts = torch.bincount(labels, minlength=self.num_classes).to(c.dtype)
        c -= self.alpha * delta / (1.0 + counts).unsqueeze(1)

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, feat_dim={self.feat_dim}, alpha={self.alpha}, reduction={self.reduction!r}"


class _MarginSoftmaxLoss(Loss):
    """A classifier head holding ``weight`` (num_classes, in_features); forward gives the CE of margin logits."""

    def __init__(self, in_features: int, num_classes: int, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.in_features = check_positive_integer("in_features", in_features)
        self.num_classes = check_positive_integer("num_classes", num_classes)
        self.weight = nn.Parameter(torch.empty(self.num_classes, self.in_features))
        nn.init.xavier_uniform_(self.weight)

    def margin_logits(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Plain class scores (no margin), for prediction: ``logits(x).argmax(1)``."""
        raise NotImplementedError

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        logits = self.margin_logits(embeddings, labels)
        return F.cross_entropy(logits.to(compute_dtype(logits.dtype)), labels, reduction=self.reduction).to(
            logits.dtype
        )

    def extra_repr(self) -> str:
        options = {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "training"}
        return ", ".join(f"{k}={v!r}" for k, v in options.items())


class _AnnealedMarginLoss(_MarginSoftmaxLoss):
    """L-Softmax and A-Softmax: a multiplicative angular margin, with lambda annealed per training step."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        margin: int = 4,
        *,
        anneal: bool = True,
        lambda_base: float = 1000.0,
        lambda_gamma: float = 0.12,
        lambda_power: float = 1.0,
        lambda_min: float = 5.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__(in_features, num_classes, reduction)
        self.margin = check_positive_integer("margin", margin)
        self.anneal = bool(anneal)
        self.lambda_base = check_number("lambda_base", lambda_base, low=0.0)
        self.lambda_gamma = check_number("lambda_gamma", lambda_gamma, low=0.0)
        self.lambda_power = check_number("lambda_power", lambda_power, low=0.0)
        self.lambda_min = check_number("lambda_min", lambda_min, low=0.0)
        self.register_buffer("iteration", torch.zeros((), dtype=torch.int64))

    @property
    def lam(self) -> float:
        """The current lambda: 0 without annealing, else :func:`sphereface_lambda` of the step count."""
        if not self.anneal:
            return 0.0
        return sphereface_lambda(
            int(self.iteration), self.lambda_base, self.lambda_gamma, self.lambda_power, self.lambda_min
        )

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        loss = super().forward(embeddings, labels)
        if self.training:
            self.iteration += 1
        return loss


class LSoftmaxLoss(_AnnealedMarginLoss):
    r"""L-Softmax loss: cross-entropy of :func:`lsoftmax_logits` with a learnable ``weight`` (C, D).

    Keyword options as :class:`SphereFaceLoss`: lambda is annealed by :func:`sphereface_lambda`
    (``anneal=False`` gives the pure margin, lambda = 0). The L-Softmax paper prescribes the same
    strategy: start with a large lambda and reduce it.
    """

    def margin_logits(self, embeddings, labels):
        return lsoftmax_logits(embeddings, self.weight, labels, self.margin, self.lam)

    def logits(self, embeddings):
        check_matrix("embeddings", embeddings, columns=self.in_features)
        return embeddings @ self.weight.to(embeddings.dtype).T


class SphereFaceLoss(_AnnealedMarginLoss):
    r"""A-Softmax (SphereFace) loss: cross-entropy of :func:`sphereface_logits`, ``weight`` (C, D).

    Lambda annealing (the paper trains only this way): each ``forward`` in training mode
    counts one iteration t and uses
    :math:`\lambda_t = \max(\lambda_{min}, \text{base}\,(1 + \gamma t)^{-\text{power}})`
    (:func:`sphereface_lambda`; defaults base 1000, gamma 0.12, power 1, lambda_min 5, the
    released SphereFace configuration). The counter is the buffer ``iteration`` (saved in the
    ``state_dict``). Turn annealing off with ``anneal=False`` (lambda = 0, the full margin), or
    shape it with ``lambda_base``, ``lambda_gamma``, ``lambda_power``, ``lambda_min``.

    Args:
        in_features: D.
        num_classes: C.
        margin: the integer m >= 1 (4 in the paper).
    """

    def margin_logits(self, embeddings, labels):
        return sphereface_logits(embeddings, self.weight, labels, self.margin, self.lam)

    def logits(self, embeddings):
        check_matrix("embeddings", embeddings, columns=self.in_features)
        x = embeddings.to(compute_dtype(embeddings.dtype))
        cosine = _normalize_rows(x) @ _normalize_rows(self.weight.to(x.dtype)).T
        return (_row_norms(x).unsqueeze(1) * cosine).to(embeddings.dtype)


class _CosineMarginLoss(_MarginSoftmaxLoss):
    def __init__(
        self, in_features: int, num_classes: int, scale: float, margin: float, reduction: str = "mean"
    ) -> None:
        super().__init__(in_features, num_classes, reduction)
        self.scale = check_number("scale", scale, low=0.0, low_inclusive=False)
        self.margin = check_number("margin", margin, low=0.0)

    def cosine(self, embeddings: torch.Tensor) -> torch.Tensor:
        check_matrix("embeddings", embeddings, columns=self.in_features)
        return cosine_similarity_matrix(embeddings, self.weight.to(embeddings.dtype))

    def logits(self, embeddings):
        return self.scale * self.cosine(embeddings)


class CosFaceLoss(_CosineMarginLoss):
    """CosFace (LMCL) loss: cross-entropy of :func:`cosface_logits` with a learnable ``weight`` (C, D)."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        scale: float = 30.0,
        margin: float = 0.35,
        reduction: str = "mean",
    ) -> None:
        super().__init__(in_features, num_classes, scale, margin, reduction)

    def margin_logits(self, embeddings, labels):
        return cosface_logits(self.cosine(embeddings), labels, self.scale, self.margin)


class ArcFaceLoss(_CosineMarginLoss):
    """ArcFace loss: cross-entropy of :func:`arcface_logits` (margin in radians), ``weight`` (C, D)."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        scale: float = 64.0,
        margin: float = 0.5,
        easy_margin: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(in_features, num_classes, scale, margin, reduction)
        if self.margin >= math.pi:
            raise ValueError(f"margin must be in [0, pi) radians; got {self.margin!r}")
        self.easy_margin = bool(easy_margin)

    def margin_logits(self, embeddings, labels):
        return arcface_logits(self.cosine(embeddings), labels, self.scale, self.margin, self.easy_margin)
