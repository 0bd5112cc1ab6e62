r"""InfoNCE (CPC, 2018) and its symmetric form (CLIP, 2021): each row picks its partner among the batch.

Row i of ``query`` and row i of ``key`` are a positive pair, and the other keys of the batch
are the negatives: the loss is a softmax classification of the N keys, whose right answer is
the diagonal of the similarity matrix. With ``gather=True`` the keys of every process of a
``torch.distributed`` group are the negatives
(``lossbook.all_gather_with_grad``).
"""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_reduction, compute_dtype
from ._inputs import check_flag, check_query_key, check_temperature
from ._math import row_logsumexp, scaled, unit_rows
from .distributed import gather_rows, run_checks

__all__ = ["info_nce_loss", "InfoNCELoss"]


def info_nce_loss(
    query: torch.Tensor,
    key: torch.Tensor,
    temperature: float | torch.Tensor = 0.07,
    *,
    symmetric: bool = False,
    normalize: bool = True,
    gather: bool = False,
    group=None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""InfoNCE: row i of ``query`` must pick row i of ``key`` among all the keys of the batch.

    With :math:`s_{ij} = \cos(q_i, k_j) / \tau` (the dot product :math:`q_i \cdot k_j / \tau`
    when ``normalize=False``),

    .. math::
        \ell_i = -\log \frac{e^{s_{ii}}}{\sum_{j=1}^{N} e^{s_{ij}}}
               = \operatorname{logsumexp}_j s_{ij} - s_{ii},

    the cross-entropy of row i of the similarity matrix with target i. ``symmetric=True``
    (CLIP) averages both directions, :math:`\tfrac12(\ell_i^{q \to k} + \ell_i^{k \to q})`,
    where :math:`\ell^{k \to q}` classifies the queries of each key (the columns of
    :math:`s`). Zero rows are normalized with an eps, as ``F.normalize`` does, so they give
    finite losses. First-order: second derivatives (``create_graph=True``) raise an error.

    With ``gather=True``, in a ``torch.distributed`` group of W ranks holding n rows each, the
    negatives are the W n keys (and queries, when symmetric) of every rank
    (``lossbook.all_gather_with_grad``); each rank returns the loss of its own rows, scaled so that
    the average of the ranks' losses is the loss of one process on the concatenated batch:
    ``"mean"`` the mean over its rows, ``"sum"`` W times their sum, ``"none"`` its rows' losses.
    Under ``DistributedDataParallel`` the step then equals the single-process step. Every rank
    must hold the same number of rows (checked on every rank before the gather).

    Explained in the chapter *Contrastive and self-supervised learning*, section "From triplets
    to InfoNCE" (and "Many processes" for ``gather``).

    Args:
        query: (N, D) floating tensor.
        key: (N, D) floating tensor; row i is the positive of ``query[i]``.
        temperature: :math:`\tau > 0`, a float or a 0-d tensor (learned: its gradient flows).
        symmetric: average the query-to-key and key-to-query losses (CLIP).
        normalize: cosine similarities (default); ``False`` uses the dot products as they are.
        gather: take the negatives from every process of ``group``.
        group: the ``torch.distributed`` process group (default: the world), with ``gather``.
        reduction: ``"mean"`` (default), ``"sum"`` (half the sum over both directions when
            symmetric) or ``"none"``: (N,), each row's loss (the average of its two directions).

    Returns:
        The loss in ``query``'s dtype (float16 and bfloat16 are computed in float32).

    Reference: A. van den Oord, Y. Li, O. Vinyals, "Representation Learning with Contrastive
    Predictive Coding", arXiv:1807.03748, 2018; A. Radford et al., "Learning Transferable Visual
    Models From Natural Language Supervision", ICML 2021 (the symmetric loss).

    Example:
        >>> import torch, lossbook
        >>> q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> k = torch.tensor([[1.0, 0.2], [0.3, 1.0]])
        >>> lossbook.info_nce_loss(q, k, temperature=0.5, reduction="none")
        tensor([0.2231, 0.1972])
        >>> lossbook.info_nce_loss(q, k, temperature=0.5, symmetric=True)
        tensor(0.2105)
    """

    def checks():
        check_query_key(query, key)
        check_flag("normalize", normalize)
        return {
            "query": query,
            "symmetric": check_flag("symmetric", symmetric),
            "temperature": check_temperature(temperature),
            "reduction": check_reduction(reduction),
        }

    checked, rank, world = run_checks(
        "info_nce_loss", gather, group, checks, "query", options=("reduction", "symmetric")
    )
    tau = checked["temperature"]
    dtype = query.dtype
    work = compute_dtype(dtype)
    q, k = query.to(work), key.to(work)
    if normalize:
        q, k = unit_rows(q), unit_rows(k)
    qs = scaled(q, tau)
    # The positive logits as row dot products: cheaper than picking the diagonal of the
    # logits, whose backward pass would fill a whole (N, M) gradient for N entries.
    positive = (qs * k).sum(dim=1)
    if not gather:
        logits = qs @ k.T
        loss = row_logsumexp(logits) - positive
        if symmetric:
            loss = 0.5 * (loss + (row_logsumexp(logits.T) - positive))
    else:
        logits = qs @ gather_rows(k, group).T
        loss = row_logsumexp(logits) - positive
        if symmetric:
            logits_t = scaled(k, tau) @ gather_rows(q, group).T
            loss = 0.5 * (loss + (row_logsumexp(logits_t) - positive))
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum() * world
    return loss.to(dtype)


class InfoNCELoss(Loss):
    r"""Module form of :func:`info_nce_loss`: ``forward(query, key)``.

    Explained in the chapter *Contrastive and self-supervised learning*, section "From triplets
    to InfoNCE".

    Args:
        temperature, symmetric, normalize, gather, group, reduction: as in :func:`info_nce_loss`.
            A tensor temperature is kept as it is (make it an ``nn.Parameter`` of the model to
            learn it, as CLIP learns its log-scale).

    Shape:
        - query: (N, D).
        - key: (N, D), row i the positive of query row i.
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: A. van den Oord, Y. Li, O. Vinyals, "Representation Learning with Contrastive
    Predictive Coding", arXiv:1807.03748, 2018.

    Example:
        >>> import torch, lossbook
        >>> q, k = torch.eye(2), torch.tensor([[1.0, 0.2], [0.3, 1.0]])
        >>> lossbook.InfoNCELoss(temperature=0.5)(q, k)
        tensor(0.2101)
    """

    def __init__(
        self,
        temperature: float | torch.Tensor = 0.07,
        *,
        symmetric: bool = False,
        normalize: bool = True,
        gather: bool = False,
        group=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.temperature = check_temperature(temperature)
        self.symmetric = check_flag("symmetric", symmetric)
        self.normalize = check_flag("normalize", normalize)
        self.gather = check_flag("gather", gather)
        self.group = group

    def forward(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        return info_nce_loss(
            query,
            key,
            self.temperature,
            symmetric=self.symmetric,
            normalize=self.normalize,
            gather=self.gather,
            group=self.group,
            reduction=self.reduction,
        )
