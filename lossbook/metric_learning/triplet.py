r"""The triplet loss (Wang et al. 2014, FaceNet 2015), its miners and the batch-hard triplet loss.

A triplet (anchor, positive, negative) asks for the positive to be closer to the anchor than
the negative, by a margin. Which triplets of a batch to train on is the miner's choice:
:func:`mine_triplets` selects them by their current distances, and
:func:`batch_hard_triplet_loss` (Hermans, Beyer and Leibe 2017) keeps the hardest positive and
negative of every anchor.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .._base import Loss
from ..validation import check_choice, check_number, check_reduction, compute_dtype, mean_over_kept, reduce
from ._inputs import (
    check_distance_triplets,
    check_embedding_batch,
    check_flag,
    check_norm_order,
    check_triplets,
)
from .distances import paired_distances, pairwise_distances

__all__ = [
    "triplet_margin_loss",
    "MINING_STRATEGIES",
    "mine_triplets",
    "batch_hard_triplet_loss",
    "triplet_margin_with_distance_loss",
    "TripletMarginLoss",
    "BatchHardTripletLoss",
    "TripletMarginWithDistanceLoss",
]

MINING_STRATEGIES = ("all", "hard", "semihard")


# torch.nn.functional.pairwise_distance's default eps, added to the difference inside the norm.
_PAIRWISE_EPS = 1e-6


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
    reduction: str = "mean",
    *,
    squared: bool = False,
) -> torch.Tensor:
    r"""Triplet margin loss: the positive must be closer to the anchor than the negative, by a margin.

    .. math:: \ell_i = \max\big(0,\; d(a_i, p_i) - d(a_i, n_i) + m\big)

    With ``squared=False`` (default), :math:`d(u, v) = \|u - v + \epsilon\|_p`, exactly as
    ``torch.nn.functional.triplet_margin_loss``. With ``squared=True``,
    :math:`d(u, v) = \|u - v\|_2^2`, the form of FaceNet and of the triplet module the chapter's
    erratum quotes (``p`` must then be 2; ``eps`` is not needed, since there is no square root).
    The two forms are different losses: with squared distances the margin is measured in
    squared units and the gradient grows with the distance instead of having unit length.

    Book: *Metric learning*, section "Triplet loss" (and "Choosing the margin").

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
    p = check_norm_order(p, squared)
    eps = check_number("eps", eps, low=0.0)
    check_reduction(reduction)
    check_triplets(anchor, positive, negative)
    dtype = anchor.dtype
    work = compute_dtype(dtype)
    a, pos, neg = anchor.to(work), positive.to(work), negative.to(work)
    if a.dim() == 1:  # one unbatched triplet, as torch accepts: a batch of one, loss of shape ()
        a, pos, neg = a.unsqueeze(0), pos.unsqueeze(0), neg.unsqueeze(0)
    d_ap = _triplet_distance(a, pos, p, eps, squared)
    d_an = _triplet_distance(a, neg, p, eps, squared)
    if swap:
        d_an = torch.minimum(d_an, _triplet_distance(pos, neg, p, eps, squared))
    loss = (d_ap - d_an + margin).clamp_min(0.0)
    if anchor.dim() == 1:
        loss = loss.squeeze(0)
    return reduce(loss, reduction).to(dtype)


def triplet_margin_with_distance_loss(
    anchor: torch.Tensor,
    positive: torch.Tensor,
    negative: torch.Tensor,
    *,
    distance_function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Triplet margin loss with any distance: the positive closer than the negative, by a margin.

    .. math:: \ell_i = \max\big(0,\; d(a_i, p_i) - d(a_i, n_i) + m\big)

    :math:`d` is ``distance_function`` (called on two batches, returning one distance per
    row), or by default torch's ``pairwise_distance``, :math:`\|u - v + 10^{-6}\|_2`. Any
    callable works: ``1 - cosine_similarity``, a learned metric, a squared distance. With
    ``swap``, the negative distance is :math:`\min(d(a, n), d(p, n))` (Balntas et al. 2016).

    Book: *Metric learning*, section "Triplet loss" (and "Pairs and rankings").

    Args:
        anchor, positive, negative: embeddings, (N, D) or (D,), of one shape for the default
            distance; for a custom one, any tensors with one number of dimensions that it takes.
        distance_function: a callable ``(x, y) -> distances`` (non-negative), or None.
        margin: the required gap, > 0 (torch refuses 0 here).
        swap: use the distance swap.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per triplet).

    Returns:
        The loss, in ``anchor``'s dtype with the default distance, in the dtype a custom
        distance returns otherwise. Agrees with
        ``torch.nn.functional.triplet_margin_with_distance_loss``.

    Reference: V. Balntas, E. Riba, D. Ponsa, K. Mikolajczyk, "Learning Local Feature
    Descriptors with Triplets and Shallow Convolutional Neural Networks", BMVC 2016.

    Example:
        >>> import torch, lossbook
        >>> a, p, n = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.5]])
        >>> l1 = lambda x, y: (x - y).abs().sum(-1)
        >>> lossbook.triplet_margin_with_distance_loss(a, p, n, distance_function=l1)
        tensor(0.5000)
    """
    check_distance_triplets(anchor, positive, negative, distance_function)
    margin = check_number("margin", margin, low=0.0, low_inclusive=False)
    swap = check_flag("swap", swap)
    check_reduction(reduction)
    dtype = anchor.dtype
    default = distance_function is None
    if default:
        work = compute_dtype(dtype)
        anchor, positive, negative = anchor.to(work), positive.to(work), negative.to(work)

        def distance_function(x, y):
            return torch.linalg.vector_norm(x - y + _PAIRWISE_EPS, ord=2, dim=-1)

    d_ap = _checked_distance(distance_function(anchor, positive))
    d_an = _checked_distance(distance_function(anchor, negative))
    if swap:
        d_an = torch.minimum(d_an, _checked_distance(distance_function(positive, negative)))
    loss = (margin + d_ap - d_an).clamp_min(0.0)
    loss = reduce(loss, reduction)
    # The default distance is computed in float32 for half inputs, so cast back; a custom
    # distance decides its own dtype.
    return loss.to(dtype) if default else loss


def _checked_distance(value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"distance_function must return a torch.Tensor; got {type(value).__name__}")
    return value


def _batch_distances(
    embeddings: torch.Tensor, labels: torch.Tensor, squared: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """What every miner starts from: the embeddings in the compute dtype, their distance matrix,
    and the (positive, negative) masks: same label and not the same sample; another label."""
    check_embedding_batch(embeddings, labels)
    x = embeddings.to(compute_dtype(embeddings.dtype))
    d = pairwise_distances(x, metric="squared_euclidean" if squared else "euclidean")
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return x, d, same & ~eye, ~same


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

    Book: *Metric learning*, section "Mining: which triplets to train on".

    Args:
        embeddings: (N, D) floating tensor (no gradient flows through the mining).
        labels: (N,) integer labels.
        strategy: ``"all"`` (default), ``"hard"`` or ``"semihard"``.
        margin: the margin of the semi-hard band, >= 0.
        squared: rank by squared Euclidean distances instead of Euclidean ones.

    Returns:
        ``(anchor, positive, negative)``: int64 index tensors of equal length, in
        lexicographic order of (anchor, positive, negative).

    Reference: F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet: A Unified Embedding for Face
    Recognition and Clustering", CVPR 2015 (semi-hard negatives).

    Example:
        >>> import torch, lossbook
        >>> e = torch.tensor([[0.0], [1.0], [0.5], [3.0]])
        >>> lossbook.mine_triplets(e, torch.tensor([0, 0, 1, 1]), "hard")
        (tensor([0, 1, 2, 2, 3]), tensor([1, 0, 3, 3, 2]), tensor([2, 2, 0, 1, 1]))
    """
    check_choice("strategy", strategy, MINING_STRATEGIES)
    margin = check_number("margin", margin, low=0.0)
    _, d, positive, negative = _batch_distances(embeddings, labels, squared)
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

    Book: *Metric learning*, section "Mining: which triplets to train on".

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

    Reference: A. Hermans, L. Beyer, B. Leibe, "In Defense of the Triplet Loss for Person
    Re-Identification", arXiv:1703.07737, 2017.

    Example:
        >>> import torch, lossbook
        >>> e = torch.tensor([[0.0], [1.0], [0.5], [3.0]])
        >>> lossbook.batch_hard_triplet_loss(e, torch.tensor([0, 0, 1, 1]), margin=0.2, reduction="none")
        tensor([0.7000, 0.7000, 2.2000, 0.7000])
    """
    margin = check_number("margin", margin, low=0.0)
    check_reduction(reduction)
    x, d, positive, negative = _batch_distances(embeddings, labels, squared)
    hardest_positive = torch.where(positive, d, torch.full_like(d, -math.inf)).amax(dim=1)
    hardest_negative = torch.where(negative, d, torch.full_like(d, math.inf)).amin(dim=1)
    kept = positive.any(dim=1) & negative.any(dim=1)
    gap = hardest_positive[kept] - hardest_negative[kept]
    loss = F.softplus(gap) if soft else (gap + margin).clamp_min(0.0)
    reduced = mean_over_kept(loss, x) if reduction == "mean" else reduce(loss, reduction)
    return reduced.to(embeddings.dtype)


class TripletMarginLoss(Loss):
    """Module form of :func:`triplet_margin_loss`: ``forward(anchor, positive, negative)``.

    Book: *Metric learning*, section "Triplet loss".

    Args:
        margin, p, eps, swap, squared, reduction: as in :func:`triplet_margin_loss`.

    Shape:
        - anchor, positive, negative: (N, D).
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet: A Unified Embedding for Face
    Recognition and Clustering", CVPR 2015.

    Example:
        >>> import torch, lossbook
        >>> a, p, n = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.5]])
        >>> lossbook.TripletMarginLoss(margin=1.0, eps=0.0)(a, p, n)
        tensor(0.5000)
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        reduction: str = "mean",
        *,
        squared: bool = False,
    ) -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin, low=0.0)
        self.p = check_number("p", p, low=0.0, low_inclusive=False)
        self.eps = check_number("eps", eps, low=0.0)
        self.swap = bool(swap)
        self.squared = bool(squared)

    def forward(self, anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
        return triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            self.reduction,
            squared=self.squared,
        )


class BatchHardTripletLoss(Loss):
    """Module form of :func:`batch_hard_triplet_loss`: ``forward(embeddings, labels)``.

    Book: *Metric learning*, section "Mining: which triplets to train on".

    Args:
        margin, soft, squared, reduction: as in :func:`batch_hard_triplet_loss`.

    Shape:
        - embeddings: (N, D).
        - labels: (N,), integer labels.
        - Output: a scalar, or (K,) for the K anchors kept with ``reduction="none"``.

    Reference: A. Hermans, L. Beyer, B. Leibe, "In Defense of the Triplet Loss for Person
    Re-Identification", arXiv:1703.07737, 2017.

    Example:
        >>> import torch, lossbook
        >>> e, y = torch.tensor([[0.0], [1.0], [0.5], [3.0]]), torch.tensor([0, 0, 1, 1])
        >>> lossbook.BatchHardTripletLoss(margin=0.2)(e, y)
        tensor(1.0750)
    """

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


class TripletMarginWithDistanceLoss(Loss):
    r"""Module form of :func:`triplet_margin_with_distance_loss`.

    .. math:: \ell_i = \max\big(0,\; d(a_i, p_i) - d(a_i, n_i) + m\big)

    Book: *Metric learning*, section "Triplet loss" (and "Pairs and rankings").

    Args:
        distance_function: a callable ``(x, y) -> distances``, or None for torch's
            ``pairwise_distance``. Default: None.
        margin: the required gap, > 0. Default: 1.
        swap: use the distance swap. Default: False.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        anchor, positive, negative: (N, D) or (D,). Output: () with ``"mean"`` or ``"sum"``,
        (N,) with ``"none"``.

    Reference: V. Balntas, E. Riba, D. Ponsa, K. Mikolajczyk, "Learning Local Feature
    Descriptors with Triplets and Shallow Convolutional Neural Networks", BMVC 2016.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.TripletMarginWithDistanceLoss(margin=1.0)
        >>> a, p, n = torch.zeros(1, 2), torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.5]])
        >>> criterion(a, p, n)
        tensor(0.5000)
    """

    def __init__(
        self,
        *,
        distance_function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        if distance_function is not None and not callable(distance_function):
            raise TypeError(
                f"distance_function must be a callable or None; got {type(distance_function).__name__}"
            )
        self.distance_function = distance_function
        self.margin = check_number("margin", margin, low=0.0, low_inclusive=False)
        self.swap = check_flag("swap", swap)

    def forward(self, anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
        """The loss of the triplets (``anchor``, ``positive``, ``negative``)."""
        return triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )
