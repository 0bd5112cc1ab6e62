"""Argument validation and reductions: the one place every lossbook loss checks its inputs.

The policy, for every check in lossbook (here or in a family's ``_inputs.py``):

- ``TypeError`` for a wrong type or dtype (a list where a tensor belongs, a float tensor of
  class indices, a string for a number, a bool where an integer belongs);
- ``ValueError`` for a wrong value or shape (a negative margin, a label out of range,
  shapes that do not match);
- every message names the argument, what was expected and what came,

so that a wrong call fails at the line that made it, never with a silent broadcast, a wrong
number, a hang or a device-side assert. Checks specific to one family of losses live in that
family's ``_inputs.py``; checks two families share live here.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch

REDUCTIONS = ("mean", "sum", "none")

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def check_reduction(reduction: str, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    """Return ``reduction`` if it is one of ``allowed``.

    A non-string is a ``TypeError``; another string a ``ValueError`` that lists the allowed ones.
    """
    valid = ", ".join(repr(r) for r in allowed)
    if not isinstance(reduction, str):
        raise TypeError(
            f"reduction must be a string, one of {valid}; got {type(reduction).__name__} {reduction!r}"
        )
    if reduction not in allowed:
        raise ValueError(f"reduction must be one of {valid}; got {reduction!r}")
    return reduction


def check_tensor(name: str, value, *, floating: bool = True) -> torch.Tensor:
    """Check that ``value`` is a tensor, and a floating-point one when ``floating``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if floating and not value.is_floating_point():
        raise TypeError(
            f"{name} must have a floating-point dtype (float16, bfloat16, float32 or float64); "
            f"got {value.dtype}"
        )
    return value


def check_integer_tensor(name: str, value) -> torch.Tensor:
    """Check that ``value`` is a tensor of an integer dtype (class indices, lengths)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if value.is_floating_point() or value.is_complex() or value.dtype == torch.bool:
        raise TypeError(f"{name} must have an integer dtype (int32 or int64); got {value.dtype}")
    return value


def check_same_shape(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    """Refuse tensors whose shapes differ: torch would broadcast them silently."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape (lossbook does not broadcast); "
            f"got {name_a} {tuple(a.shape)} and {name_b} {tuple(b.shape)}"
        )


def check_same_device(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    if a.device != b.device:
        raise ValueError(
            f"{name_a} and {name_b} must be on the same device; "
            f"got {name_a} on {a.device} and {name_b} on {b.device}"
        )


def check_pair(input: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate an (input, target) pair of an elementwise loss.

    Both must be floating tensors of one shape on one device. The target is cast to the
    input's dtype, so the loss keeps the input's dtype.
    """
    check_tensor("input", input)
    check_tensor("target", target)
    check_same_shape("input", input, "target", target)
    check_same_device("input", input, "target", target)
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    return input, target


def check_number(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Check a real scalar option against an interval and return it as a float.

    ``check_number("delta", delta, low=0, low_inclusive=False)`` accepts delta > 0.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must be a number; got nan")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        raise ValueError(
            f"{name} must be {_interval(low, high, low_inclusive, high_inclusive)}; got {value!r}"
        )
    return value


def check_values(
    name: str,
    tensor: torch.Tensor,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> None:
    """Check that every element of ``tensor`` lies in an interval (one vectorized pass).

    The message reports the offending extreme value, so the caller sees what came.
    """
    if tensor.numel() == 0:
        return
    if low is not None:
        lowest = tensor.min()
        bad = lowest < low if low_inclusive else lowest <= low
        if bool(bad):
            raise ValueError(
                f"{name} must have every element {_interval(low, high, low_inclusive, high_inclusive)}; "
                f"got an element equal to {lowest.item()!r}"
            )
    if high is not None:
        highest = tensor.max()
        bad = highest > high if high_inclusive else highest >= high
        if bool(bad):
            raise ValueError(
                f"{name} must have every element {_interval(low, high, low_inclusive, high_inclusive)}; "
                f"got an element equal to {highest.item()!r}"
            )
    if tensor.is_floating_point() and bool(torch.isnan(tensor).any()):
        raise ValueError(f"{name} must not contain NaN")


def _interval(low, high, low_inclusive, high_inclusive) -> str:
    if low is not None and high is not None:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        return f"in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"{'>=' if low_inclusive else '>'} {low:g}"
    return f"{'<=' if high_inclusive else '<'} {high:g}"


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype a loss computes in: float16 and bfloat16 are upcast to float32.

    Half precision has too few bits for the sums of a reduction and overflows at 65504,
    so lossbook computes in float32 and casts the result back, as torch's built-ins do.
    """
    return torch.float32 if dtype in _LOW_PRECISION else dtype


def reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """Apply a reduction to a tensor of per-element losses."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    return reduce(loss, check_reduction(reduction))


# The special means: reductions whose "mean" divides by something other than the number of
# elements. Each loss that needs one names it here instead of dividing inline.


def weighted_mean(loss: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """The weighted mean of cross-entropy and NLL: ``sum(loss) / sum(weights)``.

    ``loss`` already carries each element's weight; ``weights`` holds those weights (zero
    for ignored elements). ``None`` means every weight is 1: the plain mean.
    """
    return loss.sum() / (weights.sum() if weights is not None else loss.numel())


def batchmean(loss: torch.Tensor) -> torch.Tensor:
    """``kl_div``'s ``"batchmean"``: the sum divided by the batch size (the first dimension).

    A 0-d loss has no batch dimension and is returned summed.
    """
    total = loss.sum()
    return total / loss.shape[0] if loss.dim() > 0 else total


def mean_over_lengths(loss: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """CTC's ``"mean"``: each sample's loss divided by its target length (at least 1), averaged."""
    return (loss / lengths.clamp(min=1).to(loss.dtype)).mean()


def mean_over_kept(loss: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """The mean over the samples a miner kept; with none kept, a zero joined to ``reference``'s graph.

    ``loss`` holds one value per kept sample (anchors, pairs). An empty ``loss`` has no mean:
    returning ``reference.sum() * 0`` keeps the result differentiable, so a training step
    on a batch without a valid anchor is a step of zero rather than a NaN.
    """
    if loss.numel() == 0:
        return reference.sum() * 0.0
    return loss.mean()


# ---------------------------------------------------------------------------
# Checks of options: one of a set of strings, a count
# ---------------------------------------------------------------------------


def check_choice(name: str, value, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the strings ``choices`` (``TypeError`` for a non-string)."""
    valid = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {valid}; got {type(value).__name__} {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {valid}; got {value!r}")
    return value


def check_positive_integer(name: str, value) -> int:
    """Check that ``value`` is an integer >= 1 (a Python int, not a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive integer; got {type(value).__name__} {value!r}")
    value = int(value)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return value


def check_class_indices(
    name: str, target: torch.Tensor, num_classes: int, ignore_index: int | None = None
) -> tuple[int, int] | None:
    """Check that every class index lies in ``[0, num_classes)`` or equals ``ignore_index``.

    One vectorized pass, done before any indexing, so a bad label fails with a
    ``ValueError`` naming the value (on CUDA too, instead of a device-side assert).
    Returns the smallest and the largest index (None for an empty target), so that callers
    can tell whether ``ignore_index`` occurs at all without another pass.
    """
    if target.numel() == 0:
        return None
    lowest, highest = (int(v) for v in torch.aminmax(target))
    if 0 <= lowest and highest < num_classes:  # the common case: one pass
        return lowest, highest
    valid = (target >= 0) & (target < num_classes)
    if ignore_index is not None:
        valid |= target == ignore_index
    if not bool(valid.all()):
        bad = target[~valid].flatten()[0].item()
        also = f" or equal ignore_index={ignore_index}" if ignore_index is not None else ""
        raise ValueError(
            f"{name} must hold class indices in [0, {num_classes}){also}; got a class index equal to {bad}"
        )
    return lowest, highest


def check_ignore_index(ignore_index) -> int:
    """``ignore_index``: a Python int (not a bool) of any value; rows whose class equals it are ignored."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"ignore_index must be an int; got {type(ignore_index).__name__} {ignore_index!r}")
    return ignore_index


def check_class_weight(name: str, weight, input: torch.Tensor, num_classes: int) -> torch.Tensor | None:
    """A per-class weight: None, or a 1-D floating tensor of ``num_classes`` entries on ``input``'s device."""
    if weight is None:
        return None
    check_tensor(name, weight)
    if weight.dim() != 1 or weight.shape[0] != num_classes:
        raise ValueError(
            f"{name} must be a 1-D tensor with one entry per class ({num_classes}); "
            f"got shape {tuple(weight.shape)}"
        )
    check_same_device("input", input, name, weight)
    return weight


def check_allowed_values(name: str, tensor: torch.Tensor, allowed: tuple[float, ...]) -> None:
    """Check that every element of ``tensor`` is one of ``allowed`` (labels such as -1 / +1)."""
    if tensor.numel() == 0:
        return
    ok = torch.zeros(tensor.shape, dtype=torch.bool, device=tensor.device)
    for value in allowed:
        ok |= tensor == value
    if not bool(ok.all()):
        bad = tensor[~ok].flatten()[0].item()
        valid = ", ".join(f"{v:g}" for v in allowed)
        raise ValueError(f"{name} must have every element in {{{valid}}}; got an element equal to {bad!r}")


def check_broadcastable(name: str, tensor: torch.Tensor, name_to: str, shape: torch.Size) -> None:
    """Check that ``tensor`` broadcasts to ``shape`` without changing it (per-element weights)."""
    try:
        result = torch.broadcast_shapes(tensor.shape, shape)
    except RuntimeError:
        result = None
    if result != shape:
        raise ValueError(
            f"{name} must broadcast to the shape of {name_to} {tuple(shape)}; "
            f"got {name} {tuple(tensor.shape)}"
        )


def check_in_interval(name: str, tensor: torch.Tensor, low: float, high: float) -> None:
    """Check that every element lies in the closed interval [low, high], NaN refused, in one pass.

    The same contract and messages as ``check_values(name, tensor, low=low, high=high)``,
    but one fused ``aminmax`` reduction instead of three passes (min, max, isnan): on the
    millions of targets of a dense loss the check would otherwise cost a third of the loss.
    """
    if tensor.numel() == 0:
        return
    lowest, highest = torch.aminmax(tensor)
    if bool((lowest >= low) & (highest <= high)):
        return
    if tensor.is_floating_point() and bool(torch.isnan(lowest) | torch.isnan(highest)):
        raise ValueError(f"{name} must not contain NaN")
    bad = lowest if bool(lowest < low) else highest
    raise ValueError(
        f"{name} must have every element {_interval(low, high, True, True)}; "
        f"got an element equal to {bad.item()!r}"
    )
