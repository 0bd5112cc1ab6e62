"""Retrieval metrics: how an embedding is judged without a classifier head.

Recall@k (does a same-label sample come among the k nearest?) and 1-nearest-neighbour
accuracy against a labelled gallery, the two scores the chapter trains every loss against.
"""

from __future__ import annotations

import torch

from ._inputs import check_embedding_batch, check_gallery, check_neighbours
from .distances import pairwise_distances

__all__ = ["recall_at_k", "nearest_neighbor_accuracy"]


@torch.no_grad()
def recall_at_k(
    embeddings: torch.Tensor, labels: torch.Tensor, k: int = 1, metric: str = "euclidean"
) -> float:
    r"""Recall@k, leave-one-out: the fraction of samples with a same-label sample among their k nearest.

    .. math::
        \text{R@}k = \frac1N \sum_{i=1}^N \mathbb 1\big[\exists\, j \in \mathrm{NN}_k(i):\ y_j = y_i\big]

    with :math:`\mathrm{NN}_k(i)` the k samples nearest to sample i, i itself left out. The
    standard retrieval score of metric learning: each sample queries all the others.

    Book: *Metric learning*, section "Training on real images: the protocol".

    Args:
        embeddings: (N, D) floating tensor.
        labels: (N,) integer labels.
        k: how many neighbours count (>= 1, < N).
        metric: the distance ranking the neighbours (see
            :func:`~lossbook.metric_learning.distances.pairwise_distances`).

    Returns:
        A Python float in [0, 1].

    Reference: H. O. Song, Y. Xiang, S. Jegelka, S. Savarese, "Deep Metric Learning via Lifted
    Structured Feature Embedding", CVPR 2016 (Recall@K as the evaluation of metric learning).

    Example:
        >>> import torch, lossbook
        >>> e = torch.tensor([[0.0], [0.1], [5.0], [5.2], [0.3]])
        >>> lossbook.recall_at_k(e, torch.tensor([0, 0, 1, 1, 1]))
        0.8
    """
    check_embedding_batch(embeddings, labels)
    k = check_neighbours(k, embeddings.shape[0])
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
    r"""Accuracy of 1-nearest-neighbour classification of ``query`` against a labelled ``gallery``.

    .. math::
        \text{acc} = \frac1N \sum_{i=1}^N \mathbb 1\big[y^g_{j^*(i)} = y^q_i\big], \qquad
        j^*(i) = \arg\min_j d(q_i, g_j)

    How an embedding without a classifier head (contrastive, triplet) is turned into a
    classifier: the test embeddings take the label of their nearest training embedding.

    Book: *Metric learning*, section "Training on real images: the protocol".

    Args:
        query: (N, D) floating tensor, the embeddings to classify.
        query_labels: (N,) their integer labels.
        gallery: (M, D) floating tensor, the labelled embeddings to search.
        gallery_labels: (M,) their integer labels.
        metric: the distance that finds the nearest (see
            :func:`~lossbook.metric_learning.distances.pairwise_distances`).

    Returns:
        A Python float in [0, 1].

    Reference: T. M. Cover, P. E. Hart, "Nearest Neighbor Pattern Classification", IEEE
    Transactions on Information Theory, 1967.

    Example:
        >>> import torch, lossbook
        >>> g, gl = torch.tensor([[0.0], [10.0]]), torch.tensor([3, 7])
        >>> q, ql = torch.tensor([[1.0], [9.0], [6.0]]), torch.tensor([3, 7, 3])
        >>> lossbook.nearest_neighbor_accuracy(q, ql, g, gl)
        0.6666666666666666
    """
    check_gallery(query, query_labels, gallery, gallery_labels)
    nearest = pairwise_distances(query, gallery, metric=metric).argmin(dim=1)
    return (gallery_labels[nearest] == query_labels).double().mean().item()
