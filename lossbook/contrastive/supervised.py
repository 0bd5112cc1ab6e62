r"""Contrastive losses on a labelled batch: NT-Xent (SimCLR, 2020) and supervised contrastive (SupCon, 2020).

Every pair of rows with the same label is a positive pair and every pair with different labels
a negative one. NT-Xent scores each positive pair against its anchor's negatives; SupCon scores
each anchor against all its positives at once. In self-supervised learning the "label" is the
image a view was made from, so each row has exactly one positive (its other view). Both match
pytorch-metric-learning's ``NTXentLoss`` and ``SupConLoss`` with their default distance and
reducer, and both can take their negatives from every process (``gather=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._base import Loss
from ..validation import check_reduction, compute_dtype
from ._inputs import check_flag, check_labelled_batch, check_temperature
from ._math import log1p_exp, row_logsumexp, scaled, unit_rows, zero_like_loss
from .distributed import all_reduce_count, gather_rows, run_checks

__all__ = ["nt_xent_loss", "supcon_loss", "NTXentLoss", "SupConLoss"]


@dataclass
class _Batch:
    """What both losses start from: this rank's rows scored against the (global) batch."""

    logits: torch.Tensor  # (n, M): cos(x_i, x_j) / temperature, M = n, or W n with gather
    scaled: torch.Tensor  # (n, D): this rank's unit rows divided by the temperature
    same: torch.Tensor  # (n, M) bool: the same label (the row itself included)
    rows: torch.Tensor  # (n,): 0, ..., n - 1
    itself: torch.Tensor  # (n,): the column of each row itself
    anchors: torch.Tensor  # (P_r,): the anchor of each positive pair of this rank's rows
    positives: torch.Tensor  # (P_r,): its positive's column, in row-major order of (anchor, positive)
    gathered: torch.Tensor  # (M, D): the rows the logits were computed with (for a zero)
    positive_pairs: int  # ordered positive pairs in the whole (global) batch
    one_class: bool  # the whole batch has a single label: no negative pair at all
    world: int


def _labelled_batch(function, embeddings, labels, temperature, gather, group, reduction) -> _Batch:
    def checks():
        check_labelled_batch(embeddings, labels)
        return {
            "embeddings": embeddings,
            "temperature": check_temperature(temperature),
            "reduction": check_reduction(reduction),
        }

    checked, rank, world = run_checks(function, gather, group, checks, "embeddings", options=("reduction",))
    x = unit_rows(embeddings.to(compute_dtype(embeddings.dtype)))
    n = x.shape[0]
    if gather:
        everyone = gather_rows(x, group)
        all_labels = gather_rows(labels.to(torch.int64), group)
    else:
        everyone, all_labels = x, labels
    x_scaled = scaled(x, checked["temperature"])
    logits = x_scaled @ everyone.T
    same = labels.unsqueeze(1) == all_labels.unsqueeze(0)
    rows = torch.arange(n, device=x.device)
    itself = rows + rank * n
    # The positive pairs as indices: a few per row, where masks would be (n, M) each.
    positive = same.clone()
    positive[rows, itself] = False
    anchors, positives = positive.nonzero(as_tuple=True)
    counts = torch.unique(all_labels, return_counts=True)[1]
    return _Batch(
        logits=logits,
        scaled=x_scaled,
        same=same,
        rows=rows,
        itself=itself,
        anchors=anchors,
        positives=positives,
        gathered=everyone,
        positive_pairs=int((counts * (counts - 1)).sum()),
        one_class=counts.numel() == 1,
        world=world,
    )


def nt_xent_loss(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    temperature: float | torch.Tensor = 0.07,
    *,
    gather: bool = False,
    group=None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""NT-Xent: each positive pair against its anchor's negatives, a softmax over cosine similarities.

    With :math:`s_{ij} = \cos(x_i, x_j) / \tau`, for every ordered pair :math:`(i, p)` of rows
    with the same label, :math:`i \ne p`, against the set :math:`N(i)` of rows with another label:

    .. math::
        \ell_{ip} = -\log \frac{e^{s_{ip}}}{e^{s_{ip}} + \sum_{n \in N(i)} e^{s_{in}}}
                  = \operatorname{softplus}\Big(\operatorname{logsumexp}_{n \in N(i)} s_{in} - s_{ip}\Big)

    The other positives of :math:`i` are not in the denominator. With two views per image as the
    labels (SimCLR), each row has one positive and this is the loss of SimCLR. The value is
    pytorch-metric-learning's ``NTXentLoss(temperature)``: ``"mean"`` averages over the ordered
    positive pairs; a batch without a positive pair, or with a single label (no negative), gives
    a zero that still backpropagates. (pml adds ``finfo.tiny`` inside its log; lossbook computes
    the exact log, so the two differ only where pml's loss saturates, near 87 in float32.)
    First-order: second derivatives (``create_graph=True``) raise an error.

    With ``gather=True``, the rows of every rank of ``group`` are the candidates
    (``lossbook.all_gather_with_grad``), and each rank returns the loss of its own anchors scaled so
    that the ranks' average is the single-process loss: W times its pairs' sum divided by the
    global number of positive pairs (``"mean"``), W times its sum (``"sum"``), its own pairs'
    losses (``"none"``). Every rank must hold the same number of rows.

    Explained in the chapter *Contrastive and self-supervised learning*, section
    "Self-supervised learning on digits".

    Args:
        embeddings: (N, D) floating tensor.
        labels: (N,) integer labels; rows with the same label are positives of each other.
        temperature: :math:`\tau > 0`, a float or a 0-d tensor.
        gather: take the negatives from every process of ``group``.
        group: the ``torch.distributed`` process group (default: the world), with ``gather``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``: (P,), one loss per ordered
            positive pair, in row-major order of (anchor, positive).

    Returns:
        The loss in ``embeddings``' dtype (float16 and bfloat16 are computed in float32).

    Reference: T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A Simple Framework for Contrastive
    Learning of Visual Representations", ICML 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> y = torch.tensor([0, 0, 1, 1])
        >>> lossbook.nt_xent_loss(x, y, temperature=0.5, reduction="none")
        tensor([0.2333, 0.6271, 0.6271, 0.2333])
        >>> lossbook.nt_xent_loss(x, y, temperature=0.5)
        tensor(0.4302)
    """
    batch = _labelled_batch("nt_xent_loss", embeddings, labels, temperature, gather, group, reduction)
    dtype = embeddings.dtype
    if reduction != "none" and (batch.positive_pairs == 0 or batch.one_class):
        return zero_like_loss(batch.gathered, dtype)
    # The anchor's negatives only: every column with its label (itself, its positives) left out.
    negatives = row_logsumexp(batch.logits, exclude=batch.same)
    # The positive logits as row dot products (a few per row, against an (n, M) matrix).
    positive = (batch.scaled[batch.anchors] * batch.gathered[batch.positives]).sum(dim=1)
    losses = log1p_exp(negatives[batch.anchors] - positive)
    if reduction == "none":
        return (losses * 0 if batch.one_class else losses).to(dtype)
    total = losses.sum() * batch.world
    if reduction == "mean":
        total = total / batch.positive_pairs
    return total.to(dtype)


def supcon_loss(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    temperature: float | torch.Tensor = 0.1,
    *,
    gather: bool = False,
    group=None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Supervised contrastive loss (:math:`\mathcal{L}^{sup}_{out}`): each anchor against all its positives.

    With :math:`s_{ij} = \cos(x_i, x_j) / \tau`, :math:`P(i)` the other rows with the label of
    :math:`i` and :math:`A(i)` every row but :math:`i`:

    .. math::
        \ell_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)}
                 \log \frac{e^{s_{ip}}}{\sum_{a \in A(i)} e^{s_{ia}}}

    (0 for an anchor without a positive). The value is pytorch-metric-learning's
    ``SupConLoss(temperature)``: ``"mean"`` averages over the anchors with a non-zero loss; a
    batch without a positive pair, or with a single label, gives a zero that still
    backpropagates. First-order: second derivatives (``create_graph=True``) raise an error.

    With ``gather=True``, every rank's rows are the candidates (``lossbook.all_gather_with_grad``),
    and each rank returns W times the sum of its anchors' losses divided by the global number
    of anchors with a non-zero loss (``"mean"``; one all-reduce of a count), so that the
    ranks' average is the single-process loss; ``"sum"`` is W times its sum, ``"none"`` its
    anchors' losses. A rank whose rows have no positive still takes part in every collective.

    Explained in the chapter *Contrastive and self-supervised learning*, section "Supervised
    contrastive and proxy losses".

    Args:
        embeddings: (N, D) floating tensor.
        labels: (N,) integer labels.
        temperature: :math:`\tau > 0`, a float or a 0-d tensor.
        gather: take the other rows from every process of ``group``.
        group: the ``torch.distributed`` process group (default: the world), with ``gather``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``: (N,), one loss per anchor.

    Returns:
        The loss in ``embeddings``' dtype (float16 and bfloat16 are computed in float32).

    Reference: P. Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8], [1.0, 1.0]])
        >>> y = torch.tensor([0, 0, 1, 1, 2])
        >>> lossbook.supcon_loss(x, y, temperature=0.5, reduction="none")
        tensor([0.7387, 1.2043, 0.9942, 0.4257, 0.0000])
        >>> lossbook.supcon_loss(x, y, temperature=0.5)
        tensor(0.8407)
    """
    batch = _labelled_batch("supcon_loss", embeddings, labels, temperature, gather, group, reduction)
    dtype = embeddings.dtype
    degenerate = batch.positive_pairs == 0 or batch.one_class
    if reduction != "none" and degenerate:
        return zero_like_loss(batch.gathered, dtype)
    logits = batch.logits
    # The denominator runs over every other row: only the row itself is left out.
    others = row_logsumexp(logits, itself=batch.itself)
    # From the logits themselves, so that a loss is never below 0 by rounding (pml keeps the
    # anchors with a loss > 0 in its mean).
    pairs = others[batch.anchors] - logits[batch.anchors, batch.positives]  # -log p(positive)
    n = logits.shape[0]
    count = torch.bincount(batch.anchors, minlength=n)
    losses = torch.zeros(n, dtype=logits.dtype, device=logits.device).index_add(0, batch.anchors, pairs)
    losses = losses / count.clamp_min(1)
    if reduction == "none":
        return (losses * 0 if degenerate else losses).to(dtype)
    kept = losses > 0  # pml's AvgNonZeroReducer
    total = torch.where(kept, losses, 0.0).sum() * batch.world
    if reduction == "sum":
        return total.to(dtype)
    anchors = kept.sum()
    if gather:
        anchors = all_reduce_count(anchors, group)
    if int(anchors) == 0:
        return zero_like_loss(batch.gathered, dtype)
    return (total / anchors).to(dtype)


class NTXentLoss(Loss):
    r"""Module form of :func:`nt_xent_loss`: ``forward(embeddings, labels)``.

    Explained in the chapter *Contrastive and self-supervised learning*, section
    "Self-supervised learning on digits".

    Args:
        temperature, gather, group, reduction: as in :func:`nt_xent_loss`.

    Shape:
        - embeddings: (N, D).
        - labels: (N,), integer labels.
        - Output: a scalar, or (P,) for the P ordered positive pairs with ``reduction="none"``.

    Reference: T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A Simple Framework for Contrastive
    Learning of Visual Representations", ICML 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> lossbook.NTXentLoss(temperature=0.5)(x, torch.tensor([0, 0, 1, 1]))
        tensor(0.4302)
    """

    def __init__(
        self,
        temperature: float | torch.Tensor = 0.07,
        *,
        gather: bool = False,
        group=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.temperature = check_temperature(temperature)
        self.gather = check_flag("gather", gather)
        self.group = group

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return nt_xent_loss(
            embeddings,
            labels,
            self.temperature,
            gather=self.gather,
            group=self.group,
            reduction=self.reduction,
        )


class SupConLoss(Loss):
    r"""Module form of :func:`supcon_loss`: ``forward(embeddings, labels)``.

    Explained in the chapter *Contrastive and self-supervised learning*, section "Supervised
    contrastive and proxy losses".

    Args:
        temperature, gather, group, reduction: as in :func:`supcon_loss`.

    Shape:
        - embeddings: (N, D).
        - labels: (N,), integer labels.
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: P. Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8], [1.0, 1.0]])
        >>> lossbook.SupConLoss(temperature=0.5)(x, torch.tensor([0, 0, 1, 1, 2]))
        tensor(0.8407)
    """

    def __init__(
        self,
        temperature: float | torch.Tensor = 0.1,
        *,
        gather: bool = False,
        group=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.temperature = check_temperature(temperature)
        self.gather = check_flag("gather", gather)
        self.group = group

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return supcon_loss(
            embeddings,
            labels,
            self.temperature,
            gather=self.gather,
            group=self.group,
            reduction=self.reduction,
        )
