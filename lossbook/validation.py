"""Argument validation and reductions: the one place every lossbook loss checks its inputs.

Every message names the argument, what was expected and what came, so that a wrong call
fails at the line that made it, with a ``ValueError`` (wrong value or shape) or a
``TypeError`` (wrong type or dtype), never with a silent broadcast or a device-side assert.
"""

from __future__ import annotations

import math
from numbers import Real

import torch

REDUCTIONS = ("mean", "sum", "none")

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def check_reduction(reduction: str, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    """Return ``reduction`` if it is one of ``allowed``, else raise ``ValueError``."""
    if not isinstance(reduction, str) or reduction not in allowed:
        valid = ", ".join(repr(r) for r in allowed)
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
        raise ValueError(f"{name} must be {_interval(low, high, low_inclusive, high_inclusive)}; got {value!r}")
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
