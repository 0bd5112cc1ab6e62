"""The argument checks of the LLM-scale cross-entropy losses; the checks shared with other
families live in ``lossbook.validation``.

:func:`linear_problem` validates a call of ``linear_cross_entropy`` and lays it out as the
chunked loop wants it: the hidden states as rows (N, H), the head as rows (D·C, H) with the
class dimension last (D = 1 but for K-dimensional heads), the target as one class index or
one distribution per logits row. :func:`logit_rows` does the same for ``z_loss`` and the
vocabulary-parallel cross-entropy, whose logits have the class dimension last. Every check
follows the policy stated in ``lossbook.validation``: ``TypeError`` for a wrong type or
dtype, ``ValueError`` for a wrong value or shape, each message naming the argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..validation import (
    check_class_indices,
    check_class_weight,
    check_ignore_index,
    check_in_interval,
    check_integer_tensor,
    check_number,
    check_positive_integer,
    check_reduction,
    check_same_device,
    check_tensor,
    compute_dtype,
)

_INDEX_DTYPE_HINT = "an integer dtype; convert class labels with target.long()"
_CHUNK_BYTES = 32 * 2**20  # one chunk of logits
# Updating the weight's gradient with a chunk of r rows does about r/4 flops per byte it moves
# (it reads and writes all of V·H): below a few hundred rows the products are memory-bound.
_MIN_CHUNK_ROWS = 256


@dataclass
class LinearProblem:
    """A validated ``linear_cross_entropy`` call, laid out for the chunked loop.

    ``rows`` (N, H) are the hidden states; ``head`` (D·C, H) and ``bias`` (D·C,) the head
    with its K trailing output dimensions (D positions) moved before the classes, so that
    the logits of ``chunk`` hidden rows are ``chunk·D`` contiguous rows of C classes.
    ``target`` holds one class index (N·D,) or one distribution (N·D, C) per logits row;
    ``ignore_index`` is None when no target equals it.
    """

    rows: torch.Tensor
    head: torch.Tensor
    bias: torch.Tensor | None
    target: torch.Tensor
    is_prob: bool
    num_classes: int
    positions: int
    out_shape: tuple[int, ...]
    class_weight: torch.Tensor | None
    ignore_index: int | None
    label_smoothing: float
    z_loss_weight: float
    chunk_size: int
    work: torch.dtype


def check_chunk_size(chunk_size, options) -> int | None:
    """``chunk_size`` (rows per chunk, >= 1) or torch's ``options.batch_chunk_size``; None: the default."""
    if chunk_size is not None:
        chunk_size = check_positive_integer("chunk_size", chunk_size)
    if options is None:
        return chunk_size
    if not hasattr(options, "batch_chunk_size"):
        raise TypeError(
            f"options must be a torch.nn.LinearCrossEntropyOptions (or None); got {type(options).__name__}"
        )
    from_options = options.batch_chunk_size
    if from_options is None:
        return chunk_size
    from_options = check_positive_integer("options.batch_chunk_size", from_options)
    if chunk_size is not None and chunk_size != from_options:
        raise ValueError(
            f"chunk_size and options.batch_chunk_size disagree; got chunk_size={chunk_size} "
            f"and options.batch_chunk_size={from_options}: pass one of them"
        )
    return from_options


def default_chunk_size(logits_per_row: int, dtype: torch.dtype) -> int:
    """Rows per chunk: as many as keep one chunk of logits (in the compute dtype) within 32 MiB,
    but at least 256, so that the products with the head stay compute-bound."""
    itemsize = torch.empty((), dtype=dtype).element_size()
    return max(_MIN_CHUNK_ROWS, _CHUNK_BYTES // max(1, logits_per_row * itemsize))


def _check_head(input, linear_weight, linear_bias):
    """The hidden states and the head: floating, one dtype and device, matching H and shapes."""
    check_tensor("input", input)
    check_tensor("linear_weight", linear_weight)
    if input.dim() not in (1, 2):
        raise ValueError(f"input must have shape (N, H) or (H,); got {tuple(input.shape)}")
    if linear_weight.dim() < 2:
        raise ValueError(
            f"linear_weight must have shape (C, H) or (C, d1, ..., dK, H); got {tuple(linear_weight.shape)}"
        )
    if linear_weight.dtype != input.dtype:
        raise TypeError(f"linear_weight must have input's dtype {input.dtype}; got {linear_weight.dtype}")
    check_same_device("input", input, "linear_weight", linear_weight)
    if linear_weight.shape[-1] != input.shape[-1]:
        raise ValueError(
            "input and linear_weight must agree on the hidden size H (their last dimension); "
            f"got input {tuple(input.shape)} and linear_weight {tuple(linear_weight.shape)}"
        )
    out_features = tuple(linear_weight.shape[1:-1])
    if out_features and input.dim() == 1:
        raise ValueError(
            f"a K-dimensional linear_weight {tuple(linear_weight.shape)} needs batched input (N, H); "
            f"got input {tuple(input.shape)}"
        )
    if linear_bias is not None:
        check_tensor("linear_bias", linear_bias)
        if tuple(linear_bias.shape) != tuple(linear_weight.shape[:-1]):
            raise ValueError(
                f"linear_bias must have shape {tuple(linear_weight.shape[:-1])} (linear_weight's without H); "
                f"got {tuple(linear_bias.shape)}"
            )
        if linear_bias.dtype != input.dtype:
            raise TypeError(f"linear_bias must have input's dtype {input.dtype}; got {linear_bias.dtype}")
        check_same_device("input", input, "linear_bias", linear_bias)
    return out_features


def _check_target(target, logits_shape, index_shape):
    """Class indices of ``index_shape`` (integer) or probabilities of ``logits_shape`` (floating)."""
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    if target.is_floating_point():
        if tuple(target.shape) == index_shape:
            raise TypeError(
                f"target of shape {index_shape} must hold class indices ({_INDEX_DTYPE_HINT}), "
                f"or class probabilities of the logits' shape {logits_shape}; got {target.dtype}"
            )
        if tuple(target.shape) != logits_shape:
            raise ValueError(
                "a floating target holds class probabilities and must have the logits' shape "
                f"{logits_shape}; got {tuple(target.shape)}"
            )
        if target.requires_grad:
            raise ValueError("target must not require grad: the probabilities are treated as constants")
        return True
    check_integer_tensor("target", target)
    if tuple(target.shape) != index_shape:
        raise ValueError(
            f"target of class indices must have shape {index_shape} for logits of shape "
            f"{logits_shape}; got {tuple(target.shape)}"
        )
    return False


def linear_problem(
    input, linear_weight, target, linear_bias, weight, reduction, ignore_index, label_smoothing,
    chunk_size, z_loss_weight, options,
) -> LinearProblem:  # fmt: skip
    """Validate a ``linear_cross_entropy`` call and lay it out as rows (see :class:`LinearProblem`)."""
    check_reduction(reduction)
    label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
    z_loss_weight = check_number("z_loss_weight", z_loss_weight, low=0.0)
    if math.isinf(z_loss_weight):
        raise ValueError(f"z_loss_weight must be finite; got {z_loss_weight!r}")
    chunk_size = check_chunk_size(chunk_size, options)
    out_features = _check_head(input, linear_weight, linear_bias)
    num_classes = linear_weight.shape[0]
    positions = math.prod(out_features)
    batch = () if input.dim() == 1 else (input.shape[0],)
    logits_shape = (*batch, num_classes, *out_features)
    index_shape = (*batch, *out_features)
    is_prob = _check_target(target, logits_shape, index_shape)
    check_same_device("input", input, "target", target)
    if ignore_index is not None:
        ignore_index = check_ignore_index(ignore_index)
        if is_prob:
            raise ValueError(
                "ignore_index applies to class-index targets only; got "
                f"ignore_index={ignore_index} with a target of class probabilities"
            )
    weight = check_class_weight("weight", weight, input, num_classes)
    if weight is not None and weight.requires_grad:
        raise ValueError("weight must not require grad: the class weights are treated as constants")
    work = compute_dtype(input.dtype)
    rows = input if input.dim() == 2 else input.unsqueeze(0)
    head, bias = linear_weight, linear_bias
    if out_features:  # the head with its output positions before the classes: row d·C + c is W[c, d]
        hidden = input.shape[-1]
        head = linear_weight.reshape(num_classes, positions, hidden)
        head = head.transpose(0, 1).reshape(positions * num_classes, hidden)
        if linear_bias is not None:
            bias = linear_bias.reshape(num_classes, positions).t().reshape(-1)
    if is_prob:
        check_in_interval("target", target, 0.0, 1.0)
        target_rows = target.reshape(-1, num_classes, positions).transpose(1, 2).reshape(-1, num_classes)
        ignore_index = None
    else:
        target_rows = target.reshape(-1).long()
        ignore_index = -100 if ignore_index is None else ignore_index
        bounds = check_class_indices("target", target_rows, num_classes, ignore_index)
        if bounds is None or not bounds[0] <= ignore_index <= bounds[1]:
            ignore_index = None
    if chunk_size is None:
        chunk_size = default_chunk_size(positions * num_classes, work)
    return LinearProblem(
        rows=rows,
        head=head,
        bias=bias,
        target=target_rows,
        is_prob=is_prob,
        num_classes=num_classes,
        positions=positions,
        out_shape=index_shape,
        class_weight=None if weight is None else weight.to(work),
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        z_loss_weight=z_loss_weight,
        chunk_size=chunk_size,
        work=work,
    )


def logit_rows(
    name: str, logits, target, *, target_required: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits (..., V) with the class dimension last, and class indices of shape (...).

    Returns the logits as rows (M, V) and the target as (M,) int64 (None when absent and not
    required). Class ranges are checked by the caller, which knows V.
    """
    check_tensor(name, logits)
    if logits.dim() == 0:
        raise ValueError(f"{name} must have a class dimension last: shape (..., V); got a 0-D tensor")
    if target is None:
        if target_required:
            raise TypeError("target must be a torch.Tensor of class indices; got NoneType")
        return _as_rows(logits), None
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    if target.is_floating_point():
        raise TypeError(f"target must hold class indices ({_INDEX_DTYPE_HINT}); got {target.dtype}")
    check_integer_tensor("target", target)
    if target.shape != logits.shape[:-1]:
        raise ValueError(
            f"target must have {name}'s shape without its last (class) dimension, "
            f"{tuple(logits.shape[:-1])}; got {tuple(target.shape)}"
        )
    check_same_device(name, logits, "target", target)
    return _as_rows(logits), target.reshape(-1).long()


def _as_rows(logits: torch.Tensor) -> torch.Tensor:
    """(..., V) as (M, V); M counted, not inferred, so that V = 0 reaches its own check."""
    return logits.reshape(math.prod(logits.shape[:-1]), logits.shape[-1])


def check_vocab_start(vocab_start) -> int:
    """``vocab_start``: the first vocabulary index of this rank's slice, an int >= 0."""
    if isinstance(vocab_start, bool) or not isinstance(vocab_start, int):
        raise TypeError(f"vocab_start must be an int; got {type(vocab_start).__name__} {vocab_start!r}")
    if vocab_start < 0:
        raise ValueError(f"vocab_start must be >= 0; got {vocab_start}")
    return vocab_start


def check_shards_tile(starts: list[int], sizes: list[int]) -> int:
    """The ranks' slices [start, start + size) must tile [0, V) exactly; returns V."""
    order = sorted(range(len(starts)), key=lambda r: starts[r])
    expected = 0
    for rank in order:
        if starts[rank] != expected:
            slices = ", ".join(f"rank {r}: [{starts[r]}, {starts[r] + sizes[r]})" for r in range(len(starts)))
            kind = "overlap" if starts[rank] < expected else "leave a gap"
            raise ValueError(
                "the vocabulary slices (vocab_start, logits_shard.shape[-1]) of the ranks must tile "
                f"[0, V) exactly; they {kind} at index {min(expected, starts[rank])}: {slices}"
            )
        expected += sizes[rank]
    return expected
