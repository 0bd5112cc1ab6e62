r"""Alignment and uniformity (Wang and Isola 2020): two numbers that describe a representation.

A good contrastive representation puts the two views of an image (or two samples of a class)
close together, *alignment*, and spreads all the samples evenly over the unit sphere,
*uniformity*. Both are measured on L2-normalized embeddings; lower is better for both.
"""

from __future__ import annotations

import math

import torch

from ..metric_learning._inputs import check_devices, check_matrix
from ..validation import check_number, check_same_shape, compute_dtype
from ._inputs import check_labelled_batch
from ._math import unit_rows

__all__ = ["alignment_loss", "uniformity_loss", "alignment_uniformity"]


def _powered(squared: torch.Tensor, alpha: float) -> torch.Tensor:
    """``squared ** (alpha / 2)``, a distance to the power alpha, with a zero gradient at distance 0."""
    if alpha == 2.0:
        return squared
    positive = squared > 0
    safe = torch.where(positive, squared, torch.ones_like(squared))
    return torch.where(positive, safe.pow(alpha / 2), torch.zeros_like(squared))


def _squared_distances(x: torch.Tensor) -> torch.Tensor:
    """Squared distances between unit rows, ``2 - 2 cos``, clamped at 0 (rounding may dip below)."""
    return (2.0 - 2.0 * (x @ x.T)).clamp_min(0.0)


def _uniformity(u: torch.Tensor, t: float) -> torch.Tensor:
    n = u.shape[0]
    upper = torch.triu_indices(n, n, offset=1, device=u.device)
    d2 = _squared_distances(u)[upper[0], upper[1]]
    return torch.logsumexp(-t * d2, dim=0) - math.log(d2.numel())


def alignment_loss(x: torch.Tensor, y: torch.Tensor, alpha: float = 2.0) -> torch.Tensor:
    r"""Alignment: the mean distance between the two embeddings of each positive pair, to the power alpha.

    .. math:: \mathcal{L}_{align} = \frac{1}{N} \sum_{i=1}^N \|\hat x_i - \hat y_i\|_2^{\alpha},
              \qquad \hat x = x / \max(\|x\|, \epsilon)

    Between 0 (every pair identical) and :math:`2^\alpha` (every pair opposite).

    Explained in the chapter *Contrastive and self-supervised learning*, section
    "Self-supervised learning on digits".

    Args:
        x: (N, D) floating tensor.
        y: (N, D) floating tensor: row i is the positive of ``x[i]`` (another view).
        alpha: the power, > 0 (2 in the paper).

    Returns:
        A scalar in ``x``'s dtype.

    Reference: T. Wang, P. Isola, "Understanding Contrastive Representation Learning through
    Alignment and Uniformity on the Hypersphere", ICML 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
        >>> y = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
        >>> lossbook.alignment_loss(x, y)
        tensor(1.)
    """
    alpha = check_number("alpha", alpha, low=0.0, low_inclusive=False)
    check_matrix("x", x)
    check_matrix("y", y)
    check_same_shape("x", x, "y", y)
    check_devices(("x", x), ("y", y))
    if x.shape[0] < 1:
        raise ValueError("x and y must hold at least one pair (row); got 0 rows")
    work = compute_dtype(x.dtype)
    d2 = (unit_rows(x.to(work)) - unit_rows(y.to(work))).square().sum(1)
    return _powered(d2, alpha).mean().to(x.dtype)


def uniformity_loss(x: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    r"""Uniformity: the log of the mean Gaussian potential between every two embeddings.

    .. math:: \mathcal{L}_{uniform} = \log \frac{2}{N(N-1)} \sum_{i<j} e^{-t \|\hat x_i - \hat x_j\|_2^2}

    Between :math:`-4t` (in the limit of points spread as evenly as possible in few dimensions,
    never reached) and 0 (every embedding identical); lower is more uniform. Computed with a
    log-sum-exp, so it stays finite for any t.

    Explained in the chapter *Contrastive and self-supervised learning*, section
    "Self-supervised learning on digits".

    Args:
        x: (N, D) floating tensor, N >= 2.
        t: the potential's scale, > 0 (2 in the paper).

    Returns:
        A scalar in ``x``'s dtype.

    Reference: T. Wang, P. Isola, "Understanding Contrastive Representation Learning through
    Alignment and Uniformity on the Hypersphere", ICML 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
        >>> lossbook.uniformity_loss(x)  # two opposite points: log(exp(-2 * 4))
        tensor(-8.)
    """
    t = check_number("t", t, low=0.0, low_inclusive=False)
    check_matrix("x", x)
    if x.shape[0] < 2:
        raise ValueError(f"x must hold at least two rows (uniformity is measured on pairs); got {x.shape[0]}")
    u = unit_rows(x.to(compute_dtype(x.dtype)))
    return _uniformity(u, t).to(x.dtype)


def alignment_uniformity(
    embeddings: torch.Tensor, labels: torch.Tensor, alpha: float = 2.0, t: float = 2.0
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Alignment over the same-label pairs and uniformity over all pairs of a labelled batch.

    .. math::
        \mathcal{L}_{align} = \frac{1}{|P|} \sum_{(i, j) \in P} \|\hat x_i - \hat x_j\|_2^{\alpha},
        \qquad
        \mathcal{L}_{uniform} = \log \frac{2}{N(N-1)} \sum_{i<j} e^{-t \|\hat x_i - \hat x_j\|_2^2}

    where :math:`P` holds the pairs :math:`i < j` with the same label. With two views per
    image as labels this is :func:`alignment_loss` of the views and :func:`uniformity_loss` of
    all the embeddings; with class labels it measures how tight the classes are.

    Explained in the chapter *Contrastive and self-supervised learning*, section
    "Self-supervised learning on digits".

    Args:
        embeddings: (N, D) floating tensor, N >= 2.
        labels: (N,) integer labels, with at least one pair of equal labels.
        alpha: the power of the alignment, > 0.
        t: the scale of the uniformity, > 0.

    Returns:
        ``(alignment, uniformity)``: two scalars in ``embeddings``' dtype.

    Reference: T. Wang, P. Isola, "Understanding Contrastive Representation Learning through
    Alignment and Uniformity on the Hypersphere", ICML 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
        >>> alignment, uniformity = lossbook.alignment_uniformity(x, torch.tensor([0, 0, 1, 1]))
        >>> round(alignment.item(), 4), round(uniformity.item(), 4)
        (2.0, -4.3963)
    """
    alpha = check_number("alpha", alpha, low=0.0, low_inclusive=False)
    t = check_number("t", t, low=0.0, low_inclusive=False)
    check_labelled_batch(embeddings, labels)
    n = embeddings.shape[0]
    if n < 2:
        raise ValueError(f"embeddings must hold at least two rows (both measures are on pairs); got {n}")
    upper = torch.triu_indices(n, n, offset=1, device=labels.device)
    same = labels[upper[0]] == labels[upper[1]]
    if not bool(same.any()):
        raise ValueError(
            "labels must contain at least one pair of equal labels (alignment is measured on them)"
        )
    u = unit_rows(embeddings.to(compute_dtype(embeddings.dtype)))
    d2 = _squared_distances(u)[upper[0], upper[1]]
    alignment = _powered(d2[same], alpha).mean()
    uniformity = torch.logsumexp(-t * d2, dim=0) - math.log(d2.numel())
    return alignment.to(embeddings.dtype), uniformity.to(embeddings.dtype)
