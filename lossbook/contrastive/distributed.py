r"""Negatives from every process: an all-gather whose backward pass returns each rank its gradient.

Contrastive losses get better with more negatives, so data-parallel training gathers the
embeddings of every process and lets each process score its own rows against the global batch.
``torch.distributed.all_gather`` alone does not propagate gradients: the rows gathered from the
other ranks are constants, and half of each pair's gradient is lost. ``lossbook.all_gather_with_grad``
is the all-gather with the right backward pass: every rank's gradient with respect to the
gathered rows is summed (one all-reduce) and each rank keeps the slice of its own rows.

Before the gather, one small ``all_gather`` of a few numbers per rank (whether its arguments
passed their checks, its number of rows and columns, its dtype) lets every rank validate the
whole group, so a wrong call on one rank is an error on every rank, never a collective that
waits forever.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from .._base import first_order_backward
from ..validation import REDUCTIONS
from ._inputs import check_flag, check_process_group

__all__ = ["all_gather_with_grad"]

_DTYPES = (
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.bool,
)


def _meta_device(tensor, group) -> torch.device:
    if dist.get_backend(group) == "nccl":
        if isinstance(tensor, torch.Tensor) and tensor.is_cuda:
            return tensor.device
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def agree_on_rows(
    function: str,
    group,
    error: Exception | None,
    tensor,
    names: tuple[str, ...] = (),
    values: tuple[float, ...] | None = None,
) -> tuple[int, int]:
    """Compare every rank's batch (one ``all_gather`` of a few numbers); returns ``(rank, world_size)``.

    ``error`` is the exception this rank's own checks raised (None when they passed): it is
    raised only after the exchange, so that the other ranks learn of it and raise too instead of
    waiting in the next collective. Every rank must hold the same number of rows, of the same
    width and dtype, and pass the same option ``values`` (named ``names``: those that decide which
    collectives run, such as the reduction).
    """
    ok = error is None
    rows = tensor.shape[0] if ok else 0
    width = tensor.shape[1:].numel() if ok else 0
    dtype = _DTYPES.index(tensor.dtype) if ok and tensor.dtype in _DTYPES else -1
    options = [float(v) for v in values] if ok and values is not None else [0.0] * len(names)
    mine = torch.tensor(
        [float(ok), rows, width, dtype, *options], dtype=torch.float64, device=_meta_device(tensor, group)
    )
    world = dist.get_world_size(group)
    gathered = [torch.empty_like(mine) for _ in range(world)]
    dist.all_gather(gathered, mine, group=group)
    table = [t.tolist() for t in gathered]
    if error is not None:
        raise error
    refused = [rank for rank, row in enumerate(table) if row[0] != 1.0]
    if refused:
        raise ValueError(
            f"{function}: the arguments of rank(s) {refused} of the process group failed their checks "
            "(see the error raised there); no rank gathers"
        )
    sizes = [int(row[1]) for row in table]
    if any(size != sizes[0] for size in sizes):
        raise ValueError(
            f"{function} needs the same number of rows (local batch size) on every rank; "
            f"got, by rank, {sizes}"
        )
    widths = [int(row[2]) for row in table]
    if any(w != widths[0] for w in widths):
        raise ValueError(
            f"{function} needs rows of the same size (number of features) on every rank; "
            f"got, by rank, {widths}"
        )
    dtypes = [int(row[3]) for row in table]
    if any(d != dtypes[0] for d in dtypes):
        names = [str(_DTYPES[d]) if d >= 0 else "another dtype" for d in dtypes]
        raise TypeError(f"{function} needs the same dtype on every rank; got, by rank, {names}")
    for column, name in enumerate(names, start=4):
        by_rank = [row[column] for row in table]
        if any(v != by_rank[0] for v in by_rank):
            raise ValueError(f"{function} needs the same {name} on every rank; got, by rank, {by_rank}")
    return dist.get_rank(group), world


def run_checks(function: str, gather: bool, group, checks, batch_name: str, options: tuple[str, ...] = ()):
    """Run a loss's argument checks; with ``gather``, agree on them with every rank first.

    ``checks()`` validates this rank's arguments and returns what the loss needs (the converted
    options and its batch, a mapping with the batch under ``batch_name``); the entries named in
    ``options`` (numbers, or a reduction, compared by its index) must agree on every rank. Returns
    ``(checked, rank, world_size)``; a group of one, ``(checked, 0, 1)``, without ``gather``.
    """
    if not check_flag("gather", gather):
        return checks(), 0, 1
    check_process_group(f"{function}(gather=True)")
    checked, error = None, None
    try:
        checked = checks()
    except (TypeError, ValueError) as exc:
        error = exc
    batch = None if error else checked[batch_name]
    values = None if error else tuple(_as_number(checked[name]) for name in options)
    rank, world = agree_on_rows(function, group, error, batch, options, values)
    return checked, rank, world


def _as_number(value) -> float:
    if isinstance(value, str):
        return float(REDUCTIONS.index(value))
    if isinstance(value, torch.Tensor):
        return float(value.detach())
    return float(value)


class _AllGatherWithGrad(torch.autograd.Function):
    """The rows of every rank, concatenated in rank order; backward: all-reduce, then own slice."""

    @staticmethod
    def forward(ctx, tensor, group):
        world, rank = dist.get_world_size(group), dist.get_rank(group)
        ctx.group, ctx.start, ctx.rows = group, rank * tensor.shape[0], tensor.shape[0]
        tensor = tensor.contiguous()
        parts = [torch.empty_like(tensor) for _ in range(world)]
        dist.all_gather(parts, tensor, group=group)
        return torch.cat(parts)

    @staticmethod
    @first_order_backward("all_gather_with_grad")
    def backward(ctx, grad):
        # Rank r's rows enter every rank's loss: their gradient is the sum of all ranks' gradients
        # with respect to them.
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM, group=ctx.group)
        return grad[ctx.start : ctx.start + ctx.rows], None


def gather_rows(tensor: torch.Tensor, group=None) -> torch.Tensor:
    """All-gather already validated rows; with autograd when ``tensor`` is floating."""
    if tensor.is_floating_point():
        return _AllGatherWithGrad.apply(tensor, group)
    tensor = tensor.contiguous()
    parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size(group))]
    dist.all_gather(parts, tensor, group=group)
    return torch.cat(parts)


def all_reduce_count(count: torch.Tensor, group=None) -> torch.Tensor:
    """The sum over the ranks of a count (a 0-d tensor); no gradient."""
    count = count.detach().clone()
    dist.all_reduce(count, op=dist.ReduceOp.SUM, group=group)
    return count


def all_gather_with_grad(tensor: torch.Tensor, group=None) -> torch.Tensor:
    r"""Concatenate every rank's rows, in rank order, with gradients flowing back to their owner.

    Forward, on rank :math:`r` of :math:`W` ranks holding :math:`x_r` of shape (N, ...):

    .. math:: X = [x_0; x_1; \dots; x_{W-1}], \qquad
              \frac{\partial \mathcal{L}}{\partial x_r} = \sum_{s=0}^{W-1}
              \frac{\partial \mathcal{L}_s}{\partial X}\Big[rN : (r+1)N\Big]

    Backward: rank :math:`r`'s rows enter every rank's loss :math:`\mathcal{L}_s`, so their
    gradient is the sum over the ranks of the gradients with respect to those rows (an all-reduce
    of the gradient of :math:`X`, of which each rank keeps its own slice). Under
    ``DistributedDataParallel``, which averages the parameters' gradients, a loss whose ranks'
    average is the single-process loss then takes exactly the single-process step. One small
    ``all_gather`` first checks that every rank holds the same number of rows of the same width
    and dtype: a mismatch is an error on every rank, not a collective that hangs. First-order: the
    backward pass cannot be differentiated again.

    Explained in the chapter *Contrastive and self-supervised learning*, section "Many processes".

    Args:
        tensor: (N, ...) rows of this rank; floating tensors carry gradients, integer ones
            (labels) are gathered as they are.
        group: the ``torch.distributed`` process group (default: the world).

    Returns:
        A tensor of shape ``(W N, ...)``, the ranks' rows in rank order.

    Raises:
        RuntimeError: no process group is initialised.
        ValueError: the ranks hold different numbers of rows or row sizes (raised on every rank).
        TypeError: ``tensor`` is not a tensor, or the ranks' dtypes differ.

    Reference: T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A Simple Framework for Contrastive
    Learning of Visual Representations", ICML 2020 (negatives gathered over the accelerators,
    with global batch normalization).

    Example:
        >>> import torch, lossbook
        >>> torch.distributed.is_initialized()  # in a process group, every rank gets the whole batch
        False
        >>> x = torch.ones(2, 3, requires_grad=True)
        >>> try:
        ...     lossbook.all_gather_with_grad(x)
        ... except RuntimeError as error:
        ...     print(str(error)[:50])
        all_gather_with_grad gathers rows across processes
    """
    check_process_group("all_gather_with_grad", hint="")
    error = None
    try:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"tensor must be a torch.Tensor; got {type(tensor).__name__}")
        if tensor.dim() < 1:
            raise ValueError("tensor must have at least one dimension (the rows); got a 0-d tensor")
    except (TypeError, ValueError) as exc:
        error = exc
    agree_on_rows("all_gather_with_grad", group, error, tensor)
    return gather_rows(tensor, group)
