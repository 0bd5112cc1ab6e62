r"""Distances, computed in one place: every loss and metric of the family measures through here.

:func:`pairwise_distances` (every row against every row) and :func:`paired_distances` (row i
against row i) share one implementation, safe at zero distance: the square root has a zero
(sub)gradient where its argument is 0, so duplicate embeddings give finite gradients.
"""

from __future__ import annotations

import torch

from ..validation import check_choice, check_same_shape, compute_dtype
from ._inputs import check_devices, check_matrix

__all__ = ["DISTANCE_METRICS", "pairwise_distances", "paired_distances", "cosine_similarity_matrix"]

DISTANCE_METRICS = ("euclidean", "squared_euclidean", "cosine")

# Norms below this are treated as this when normalizing (as torch.nn.functional.normalize does).
_NORM_EPS = 1e-12


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
    """The Euclidean norm of each row, with a zero gradient at a zero row."""
    return _safe_sqrt(x.square().sum(dim=-1))


def _normalize_rows(x: torch.Tensor) -> torch.Tensor:
    """Each row divided by its norm (a zero row stays zero)."""
    return x / _row_norms(x).clamp_min(_NORM_EPS).unsqueeze(-1)


def cosine_similarity_matrix(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Cosines of the angles between every row of ``x`` and every row of ``y``.

    .. math:: S_{ij} = \frac{x_i \cdot y_j}{\max(\|x_i\|, \epsilon)\,\max(\|y_j\|, \epsilon)}

    Book: *Metric learning*, section "Margin softmax: L-Softmax, A-Softmax, CosFace, ArcFace"
    (the cosines CosFace and ArcFace put their margins on).

    Args:
        x: (N, D) floating tensor.
        y: (M, D) floating tensor: for a classifier, its weight (num_classes, D).

    Returns:
        (N, M) cosines in [-1, 1] (a zero row gives cosines of 0), in ``x``'s dtype.

    Reference: H. Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition",
    CVPR 2018 (features and class weights normalized, so that only the angle counts).

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0]])
        >>> lossbook.cosine_similarity_matrix(x, torch.tensor([[0.0, 2.0], [3.0, 3.0]]))
        tensor([[0.0000, 0.7071]])
    """
    check_matrix("x", x)
    check_matrix("y", y, columns=x.shape[1])
    check_devices(("x", x), ("y", y))
    dtype = x.dtype
    work = compute_dtype(dtype)
    return (_normalize_rows(x.to(work)) @ _normalize_rows(y.to(work)).T).to(dtype)


def _distances(x: torch.Tensor, y: torch.Tensor, metric: str, paired: bool) -> torch.Tensor:
    """The one implementation of both distance functions: every pair, or row i with row i."""
    if metric == "cosine":
        xn, yn = _normalize_rows(x), _normalize_rows(y)
        return 1.0 - ((xn * yn).sum(dim=1) if paired else xn @ yn.T)
    if paired:
        squared = (x - y).square().sum(dim=1)
    else:
        # Direct differences rather than |x|^2 + |y|^2 - 2 x.y: exact (no cancellation, so a
        # duplicate pair has distance exactly 0) at the price of N*M*D memory, fine for batches.
        squared = (x.unsqueeze(1) - y.unsqueeze(0)).square().sum(dim=-1)
    return _safe_sqrt(squared) if metric == "euclidean" else squared


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

    Book: *Metric learning*, section "Distances, computed in one place".

    Args:
        x: (N, D) floating tensor.
        y: (M, D) floating tensor, or None for ``x`` itself.
        metric: ``"euclidean"`` (default), ``"squared_euclidean"`` or ``"cosine"``.

    Returns:
        (N, M) distances in ``x``'s dtype.

    Reference: A. Hermans, L. Beyer, B. Leibe, "In Defense of the Triplet Loss for Person
    Re-Identification", arXiv:1703.07737, 2017 (the distance matrix of a batch, and plain
    rather than squared Euclidean distances).

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
        >>> lossbook.pairwise_distances(x)
        tensor([[0., 5.],
                [5., 0.]])
    """
    check_choice("metric", metric, DISTANCE_METRICS)
    check_matrix("x", x)
    if y is not None:
        check_matrix("y", y, columns=x.shape[1])
        check_devices(("x", x), ("y", y))
    work = compute_dtype(x.dtype)
    xw = x.to(work)
    return _distances(xw, xw if y is None else y.to(work), metric, paired=False).to(x.dtype)


def paired_distances(x1: torch.Tensor, x2: torch.Tensor, metric: str = "euclidean") -> torch.Tensor:
    r"""Row-wise distances :math:`d(x1_i, x2_i)`: the diagonal of :func:`pairwise_distances`.

    .. math:: d_i = \|x1_i - x2_i\|_2, \quad \|x1_i - x2_i\|_2^2 \quad\text{or}\quad 1 - \cos(x1_i, x2_i)

    Book: *Metric learning*, section "Distances, computed in one place".

    Args:
        x1, x2: (N, D) floating tensors of the same shape.
        metric: ``"euclidean"`` (default), ``"squared_euclidean"`` or ``"cosine"``.

    Returns:
        (N,) distances in ``x1``'s dtype; 0, with a zero gradient, for identical rows.

    Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006 (the distance of each pair of the contrastive loss).

    Example:
        >>> import torch, lossbook
        >>> x1, x2 = torch.tensor([[0.0, 0.0], [1.0, 1.0]]), torch.tensor([[3.0, 4.0], [1.0, 1.0]])
        >>> lossbook.paired_distances(x1, x2)
        tensor([5., 0.])
    """
    check_choice("metric", metric, DISTANCE_METRICS)
    check_matrix("x1", x1)
    check_matrix("x2", x2)
    check_same_shape("x1", x1, "x2", x2)
    check_devices(("x1", x1), ("x2", x2))
    work = compute_dtype(x1.dtype)
    return _distances(x1.to(work), x2.to(work), metric, paired=True).to(x1.dtype)
