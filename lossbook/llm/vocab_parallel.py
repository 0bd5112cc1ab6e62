r"""Cross-entropy when the vocabulary is split across processes (Megatron-LM's tensor parallelism).

In tensor-parallel training the output layer's weight is split by rows over the P processes
of a group, so each holds the logits of its own slice of the vocabulary, columns
[vocab_start, vocab_start + V_r). Gathering them would rebuild the (N, V) logits that tensor
parallelism exists to avoid; the cross-entropy needs only three numbers per row from each
process: its largest logit, its sum of exponentials and, on the process whose slice holds the
target class, the target's logit. Two all-reduces exchange them (the maximum first, then the
sum-exp, the target logit and, for label smoothing, the sum of the logits, stacked into one),
after which every process has the loss of the whole vocabulary, and the gradient of its shard
is its slice of the full gradient, with no communication in the backward pass.

Before any of that, one ``all_gather`` of a few numbers per process (its slice, the number of
rows, the dtype and options, a checksum of the target, whether its arguments passed their
checks) lets every process validate the whole group, so a mistake on one process is an error
on every process instead of a collective that waits forever.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from .._base import Loss, first_order_backward
from ..validation import (
    check_class_indices,
    check_ignore_index,
    check_number,
    check_reduction,
    compute_dtype,
)
from ._inputs import check_shards_tile, check_vocab_start, logit_rows

__all__ = ["vocab_parallel_cross_entropy", "VocabParallelCrossEntropyLoss"]

_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_REDUCTIONS = ("mean", "sum", "none")


def _distributed(group) -> bool:
    """Whether collectives run: a process group exists (without one, the function is a group of one)."""
    return dist.is_available() and dist.is_initialized()


def _meta_device(logits_shard, group) -> torch.device:
    if isinstance(logits_shard, torch.Tensor):
        return logits_shard.device
    if dist.get_backend(group) == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _checksum(target: torch.Tensor) -> float:
    """A position-weighted sum of the target, to tell whether every process holds the same one."""
    if target.numel() == 0:
        return 0.0
    weights = torch.arange(target.numel(), device=target.device) % 1009 + 1
    return float((target.double() * weights).sum())


def _validate_group(logits_shard, target, vocab_start, group, ignore_index, label_smoothing, reduction):
    """Check this process's arguments, then (one ``all_gather``) the whole group's; returns
    ``(rows, target_rows, vocab_size)``. Raises on every process when any process is wrong."""
    error, meta = None, None
    try:
        check_reduction(reduction)
        ignore_index = check_ignore_index(ignore_index)
        label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
        vocab_start = check_vocab_start(vocab_start)
        rows, target_rows = logit_rows("logits_shard", logits_shard, target, target_required=True)
        if rows.shape[1] < 1:
            raise ValueError("logits_shard must hold at least one vocabulary column; got 0")
        meta = [
            1.0,
            vocab_start,
            rows.shape[1],
            rows.shape[0],
            _checksum(target_rows),
            _DTYPES.index(rows.dtype),
            ignore_index,
            label_smoothing,
            _REDUCTIONS.index(reduction),
        ]
    except (TypeError, ValueError) as exc:
        error = exc
    if not _distributed(group):
        if error is not None:
            raise error
        sizes = [rows.shape[1]]
        vocab_size = check_shards_tile([vocab_start], sizes)
    else:
        device = _meta_device(logits_shard, group)
        mine = torch.tensor(meta if meta is not None else [0.0] * 9, dtype=torch.float64, device=device)
        gathered = [torch.empty_like(mine) for _ in range(dist.get_world_size(group))]
        dist.all_gather(gathered, mine, group=group)
        table = [t.tolist() for t in gathered]
        refused = [rank for rank, row in enumerate(table) if row[0] != 1.0]
        if error is not None:
            raise error
        if refused:
            raise ValueError(
                f"vocab_parallel_cross_entropy: the arguments of rank(s) {refused} of the process group "
                "failed their checks (see the error raised there); no rank computes the loss"
            )
        _check_agreement(table)
        vocab_size = check_shards_tile([int(row[1]) for row in table], [int(row[2]) for row in table])
    check_class_indices("target", target_rows, vocab_size, ignore_index)
    return rows, target_rows, vocab_size


def _check_agreement(table: list[list[float]]) -> None:
    """Every process must have the same rows, target, dtype and options."""
    fields = [
        (3, "number of rows in logits_shard"),
        (4, "target (compared by a checksum)"),
        (5, "dtype of logits_shard"),
        (6, "ignore_index"),
        (7, "label_smoothing"),
        (8, "reduction"),
    ]
    for column, what in fields:
        values = [row[column] for row in table]
        if any(v != values[0] for v in values):
            shown = values
            if column == 5:
                shown = [str(_DTYPES[int(v)]) for v in values]
            elif column == 8:
                shown = [_REDUCTIONS[int(v)] for v in values]
            elif column in (3, 6):
                shown = [int(v) for v in values]
            raise ValueError(f"every rank must pass the same {what}; got, by rank, {shown}")


class _VocabParallelCrossEntropy(torch.autograd.Function):
    r"""Rows (M, V_r) of one process's logits, class indices (M,) of the whole vocabulary.

    Per row, with the global :math:`\operatorname{lse} = m + \log \sum_{\text{ranks}} \sum_c
    e^{z_c - m}` (:math:`m` the all-reduced maximum) and the target's logit :math:`z_y` from the
    rank that holds it, :math:`L = \operatorname{lse} - (1-\varepsilon) z_y - \tfrac{\varepsilon}{V}
    \sum_c z_c`; the gradient of the local columns is
    :math:`\operatorname{softmax}(z) - (1-\varepsilon) e_y - \varepsilon / V`, computed from the
    softmax buffer the forward pass filled.
    """

    @staticmethod
    def forward(ctx, rows, target, vocab_start, vocab_size, group, ignore_index, eps, reduction):
        distributed = _distributed(group)
        z = rows.to(compute_dtype(rows.dtype))
        local = rows.shape[1]
        m = z.amax(1)
        if distributed:
            dist.all_reduce(m, op=dist.ReduceOp.MAX, group=group)
        shifted = target - vocab_start
        here = (shifted >= 0) & (shifted < local)  # the target class is in this rank's slice
        valid = target != ignore_index
        picked = z.gather(1, shifted.clamp(0, local - 1).unsqueeze(1)).squeeze(1)
        picked = picked.masked_fill(~here, 0.0)
        e = z.sub(m.unsqueeze(1)).exp_()
        parts = [e.sum(1), picked] + ([z.sum(1)] if eps > 0.0 else [])
        sums = torch.stack(parts)
        if distributed:
            dist.all_reduce(sums, op=dist.ReduceOp.SUM, group=group)
        lse = sums[0].log().add_(m)
        loss = lse - (1.0 - eps) * sums[1]
        if eps > 0.0:
            loss = loss - (eps / vocab_size) * sums[2]
        loss = loss.masked_fill(~valid, 0.0)
        e.div_(sums[0].unsqueeze(1))  # the softmax, kept for the backward pass
        ctx.save_for_backward(rows, shifted, here, valid, lse)
        ctx.buffer = e if ctx.needs_input_grad[0] else None
        ctx.eps, ctx.vocab_size, ctx.reduction = eps, vocab_size, reduction
        if reduction == "none":
            return loss
        if reduction == "sum":
            return loss.sum()
        ctx.count = valid.sum()
        return loss.sum() / ctx.count

    @staticmethod
    @first_order_backward("vocab_parallel_cross_entropy")
    def backward(ctx, grad_output):
        rows, shifted, here, valid, lse = ctx.saved_tensors
        eps = ctx.eps
        grad, ctx.buffer = ctx.buffer, None
        if grad is None:  # a second backward (retain_graph): the softmax again, from the global lse
            grad = rows.to(lse.dtype).sub(lse.unsqueeze(1)).exp_()
        upstream = grad_output.to(grad.dtype)
        if ctx.reduction == "mean":
            upstream = upstream / ctx.count.clamp(min=1)
        u = valid.to(grad.dtype) * upstream  # (M,): 0 for ignored rows
        grad.mul_(u.unsqueeze(1))
        local = rows.shape[1]
        hit = (u * (1.0 - eps)).masked_fill(~here, 0.0)
        grad.scatter_add_(1, shifted.clamp(0, local - 1).unsqueeze(1), hit.neg().unsqueeze(1))
        if eps > 0.0:
            grad.sub_((u * (eps / ctx.vocab_size)).unsqueeze(1))
        return grad.to(rows.dtype), None, None, None, None, None, None, None


def vocab_parallel_cross_entropy(
    logits_shard: torch.Tensor,
    target: torch.Tensor,
    vocab_start: int,
    *,
    group=None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Cross-entropy over a vocabulary split across the processes of a ``torch.distributed`` group.

    Process r holds the logits of the columns [vocab_start, vocab_start + V_r); together the
    slices tile [0, V) (their sizes may differ). With the maximum :math:`m` and the sums
    all-reduced over the group,

    .. math:: \operatorname{lse}_i = m_i + \log \sum_{r} \sum_{c \in \text{slice}_r} e^{z_{ic} - m_i},
        \qquad L_i = \operatorname{lse}_i - (1-\varepsilon)\, z_{i y_i}
        - \frac{\varepsilon}{V} \sum_{c=1}^{V} z_{ic}

    which is ``torch.nn.functional.cross_entropy`` of the concatenated logits, label smoothing
    included (over all V classes, not Megatron's :math:`\varepsilon V / (V-1)` variant). Every
    process returns the same loss; the gradient of each shard is its slice of the full
    gradient, :math:`\operatorname{softmax}(z) - (1-\varepsilon) e_{y} - \varepsilon / V` times
    the upstream factor. The logits are never gathered: two all-reduces of (3, N) numbers.

    Collective: every process of ``group`` must call it, with its own shard and the same
    target and options. One ``all_gather`` of a few numbers per process comes first, so that
    slices that do not tile [0, V) exactly, or arguments that disagree or fail their checks on
    any process, raise an error on every process instead of leaving a collective waiting.
    Without an initialized process group the function runs as a group of one (vocab_start 0).

    Explained in the book: chapter “Cross-entropy at LLM scale”, section “Vocabulary
    parallelism”.

    Args:
        logits_shard: this process's logits (N, V_r), (B, T, V_r), ... or (V_r,), the
            vocabulary dimension last; float16/bfloat16 are computed in float32.
        target: class indices of the whole vocabulary, ``logits_shard``'s shape without its
            last dimension ((N,), (B, T), ... or ()), in [0, V) or ``ignore_index``; the same
            on every process.
        vocab_start: the vocabulary index of this shard's first column.
        group: the process group (None: the default group).
        ignore_index: a class index whose rows give 0 loss and 0 gradient. Default: -100.
        label_smoothing: :math:`\varepsilon` in [0, 1].
        reduction: ``"mean"`` (over the rows not ignored; default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``logits_shard``'s dtype, the same on every process: a scalar, or the
        target's shape with ``reduction="none"``.

    Reference: M. Shoeybi, M. Patwary, R. Puri, P. LeGresley, J. Casper, B. Catanzaro,
    "Megatron-LM: Training Multi-Billion Parameter Language Models Using Model Parallelism",
    2019.

    Example:
        >>> import torch, lossbook
        >>> logits = torch.tensor([[2.0, 1.0, 0.1]])  # one process: the whole vocabulary
        >>> lossbook.vocab_parallel_cross_entropy(logits, torch.tensor([0]), vocab_start=0)
        tensor(0.4170)
    """
    rows, target_rows, vocab_size = _validate_group(
        logits_shard, target, vocab_start, group, ignore_index, label_smoothing, reduction
    )
    loss = _VocabParallelCrossEntropy.apply(
        rows, target_rows, vocab_start, vocab_size, group, ignore_index, float(label_smoothing), reduction
    )
    if reduction == "none":
        loss = loss.reshape(target.shape)
    return loss.to(logits_shard.dtype)


class VocabParallelCrossEntropyLoss(Loss):
    r"""Module form of :func:`vocab_parallel_cross_entropy`: the cross-entropy of the whole
    vocabulary when this process holds the logits of the columns
    [vocab_start, vocab_start + V_r) only.

    .. math:: L_i = \operatorname{lse}_i - (1-\varepsilon)\, z_{i y_i}
        - \frac{\varepsilon}{V} \sum_{c=1}^{V} z_{ic}

    Explained in the book: chapter “Cross-entropy at LLM scale”, section “Vocabulary
    parallelism”.

    Args:
        vocab_start: the vocabulary index of this process's first column.
        group: the process group (None: the default group).
        ignore_index: a class index whose rows give 0 loss and 0 gradient. Default: -100.
        label_smoothing: :math:`\varepsilon` in [0, 1]. Default: 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - logits_shard: (N, V_r), (B, T, V_r), ... or (V_r,), the vocabulary dimension last.
        - target: (N,), (B, T), ... or (), class indices in [0, V).
        - Output: a scalar, or the target's shape with ``reduction="none"``.

    Reference: M. Shoeybi, M. Patwary, R. Puri, P. LeGresley, J. Casper, B. Catanzaro,
    "Megatron-LM: Training Multi-Billion Parameter Language Models Using Model Parallelism",
    2019.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.VocabParallelCrossEntropyLoss(vocab_start=0, label_smoothing=0.1)
        >>> criterion(torch.tensor([[2.0, 1.0, 0.1]]), torch.tensor([0]))
        tensor(0.5137)
    """

    def __init__(
        self,
        vocab_start: int,
        group=None,
        ignore_index: int = -100,
        label_smoothing: float = 0.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.vocab_start = check_vocab_start(vocab_start)
        self.group = group
        self.ignore_index = check_ignore_index(ignore_index)
        self.label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)

    def forward(self, logits_shard: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return vocab_parallel_cross_entropy(
            logits_shard,
            target,
            self.vocab_start,
            group=self.group,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
            reduction=self.reduction,
        )
