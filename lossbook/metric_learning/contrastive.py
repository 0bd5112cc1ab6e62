r"""The contrastive loss (Hadsell, Chopra and LeCun 2006): pairs pulled together or pushed apart."""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_number, check_reduction, compute_dtype, reduce
from ._inputs import check_labels, check_pairs
from .distances import _safe_sqrt, paired_distances

__all__ = ["all_pairs", "contrastive_loss", "ContrastiveLoss"]


def all_pairs(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Every unordered pair (i < j) of a batch, with target 1 for the same label and 0 otherwise.

    .. math:: \{(i, j):\ 0 \le i < j < N\}, \qquad t_{ij} = \mathbb 1[y_i = y_j]

    Book: *Metric learning*, section "Training on real images: the protocol".

    Args:
        labels: (N,) integer labels.

    Returns:
        ``(first, second, target)``: two int64 index tensors and a float target, each of
        length N (N - 1) / 2, ready for ``contrastive_loss(e[first], e[second], target)``.

    Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006.

    Example:
        >>> import torch, lossbook
        >>> lossbook.all_pairs(torch.tensor([0, 0, 1]))
        (tensor([0, 0, 1]), tensor([1, 2, 2]), tensor([1., 0., 0.]))
    """
    check_labels("labels", labels)
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

    Book: *Metric learning*, section "Contrastive loss".

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
    check_pairs(x1, x2, target)
    dtype = x1.dtype
    work = compute_dtype(dtype)
    x1, x2 = x1.to(work), x2.to(work)
    y = target.to(work)
    squared = paired_distances(x1, x2, metric="squared_euclidean")
    distance = _safe_sqrt(squared)
    loss = 0.5 * y * squared + 0.5 * (1.0 - y) * (margin - distance).clamp_min(0.0).square()
    return reduce(loss, reduction).to(dtype)


class ContrastiveLoss(Loss):
    """Module form of :func:`contrastive_loss`: ``forward(x1, x2, target)``.

    Book: *Metric learning*, section "Contrastive loss".

    Args:
        margin: the distance beyond which a dissimilar pair costs nothing, >= 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - x1, x2: (N, D), the two sides of each pair.
        - target: (N,), 1 for a similar pair and 0 for a dissimilar one.
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006.

    Example:
        >>> import torch, lossbook
        >>> loss = lossbook.ContrastiveLoss(margin=1.0)
        >>> loss(torch.zeros(2, 2), torch.tensor([[0.6, 0.8], [0.3, 0.4]]), torch.tensor([1, 0]))
        tensor(0.3125)
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin, low=0.0)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return contrastive_loss(x1, x2, target, margin=self.margin, reduction=self.reduction)
