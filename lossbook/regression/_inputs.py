"""Checks of regression inputs: a prediction and a target of one shape, and the reduction.

The policy of :mod:`lossbook.validation` holds here too: ``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong value or shape, and every message names the argument the caller
passed (``input``, ``target``, ``delta``, ...), what was expected and what came.
"""

from __future__ import annotations

import math

import torch

from ..validation import (
    check_number,
    check_pair,
    check_reduction,
    check_same_device,
    check_same_shape,
    check_tensor,
    compute_dtype,
)


def _integer_tensor(value) -> bool:
    return (
        isinstance(value, torch.Tensor)
        and not (value.is_floating_point() or value.is_complex())
        and value.dtype != torch.bool
    )


def prepare_pair(input, target, reduction: str) -> tuple[torch.Tensor, torch.Tensor, torch.dtype]:
    """Validate an (input, target) pair and the reduction; upcast float16/bfloat16 to float32.

    Returns ``(input, target, dtype)``: the pair in the dtype the loss computes in, and the
    caller's dtype, which the loss is cast back to.
    """
    if _integer_tensor(target) and isinstance(input, torch.Tensor) and input.is_floating_point():
        # Integer targets (counts, ratings) are accepted as torch accepts them, cast to the
        # input's dtype; bool stays refused (torch's L1 refuses it too).
        target = target.to(input.dtype)
    input, target = check_pair(input, target)
    check_reduction(reduction)
    work = compute_dtype(input.dtype)
    return input.to(work), target.to(work), input.dtype


def check_flag(name: str, value) -> bool:
    """A boolean option (``full``, ``log_input``): a Python bool, not a number or a string."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False); got {type(value).__name__} {value!r}")
    return value


def check_positive(name: str, value, *, strict: bool = True) -> float:
    """A finite real option > 0 (``strict``) or >= 0: ``eps``, ``scale``."""
    value = check_number(name, value, low=0.0, low_inclusive=not strict)
    if math.isinf(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return value


def _differs_in_one_size_one_dimension(shape: torch.Size, full: torch.Size) -> bool:
    """Whether ``shape`` is ``full`` with exactly one dimension replaced by 1."""
    if len(shape) != len(full):
        return False
    differ = [(s, f) for s, f in zip(shape, full, strict=True) if s != f]
    return len(differ) == 1 and differ[0][0] == 1


def check_gaussian_inputs(input, target, var):
    """Validate ``gaussian_nll_loss``'s mean, target and variance, as torch accepts them.

    ``target`` has ``input``'s shape or that shape with one dimension of size 1; ``var`` a
    number >= 0, or a tensor of ``input``'s shape, of that shape with one dimension of size 1,
    or of that shape without its last dimension (then a trailing 1 is added, as torch does).
    Returns ``(input, target, var, dtype)`` in the dtype the loss computes in, ``var`` as a
    tensor, and the caller's dtype.
    """
    check_tensor("input", input)
    check_tensor("target", target)
    check_same_device("input", input, "target", target)
    if target.shape != input.shape and not _differs_in_one_size_one_dimension(target.shape, input.shape):
        raise ValueError(
            "target must have the shape of input, or that shape with one dimension of size 1; "
            f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    work = compute_dtype(input.dtype)
    if isinstance(var, torch.Tensor):
        check_tensor("var", var)
        check_same_device("input", input, "var", var)
        if var.shape != input.shape:
            if var.shape == input.shape[:-1]:
                var = var.unsqueeze(-1)
            elif not _differs_in_one_size_one_dimension(var.shape, input.shape):
                raise ValueError(
                    "var must have the shape of input, that shape with one dimension of size 1, "
                    f"or that shape without its last dimension; got input {tuple(input.shape)} "
                    f"and var {tuple(var.shape)}"
                )
        if var.numel() and bool(var.detach().min() < 0):
            raise ValueError(
                f"var must have every element >= 0; got an element equal to {var.min().item()!r}"
            )
        var = var.to(work)
    else:
        var = torch.tensor(check_number("var", var, low=0.0), dtype=work, device=input.device)
    return input.to(work), target.to(work), var, input.dtype


def check_poisson_inputs(input, target):
    """Validate ``poisson_nll_loss``'s prediction and counts: one shape, one device.

    ``target`` may be floating or integer (counts), as torch accepts both. Returns
    ``(input, target, dtype)`` in the dtype the loss computes in, and the caller's dtype.
    """
    check_tensor("input", input)
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    if target.is_complex() or target.dtype == torch.bool:
        raise TypeError(f"target must have a floating-point or integer dtype; got {target.dtype}")
    check_same_shape("input", input, "target", target)
    check_same_device("input", input, "target", target)
    work = compute_dtype(input.dtype)
    return input.to(work), target.to(work), input.dtype


def _check_broadcast_parameter(name: str, value: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    check_tensor(name, value)
    check_same_device("input", input, name, value)
    try:
        shape = torch.broadcast_shapes(value.shape, input.shape)
    except RuntimeError:
        shape = None
    if shape != input.shape:
        raise ValueError(
            f"{name} must broadcast to input's shape {tuple(input.shape)}; got {name} {tuple(value.shape)}"
        )
    return value.to(input.dtype)


def check_alpha(alpha, input: torch.Tensor | None):
    """Barron's shape parameter: a real number (infinities allowed) or a floating tensor that
    broadcasts to ``input``'s shape, without NaN. Returned as a tensor in ``input``'s dtype
    (as a float when ``input`` is None, for a Module's constructor)."""
    if isinstance(alpha, torch.Tensor):
        if input is None:
            return alpha
        alpha = _check_broadcast_parameter("alpha", alpha, input)
        if bool(torch.isnan(alpha).any()):
            raise ValueError("alpha must not contain NaN")
        return alpha
    alpha = check_number("alpha", alpha)
    if input is None:
        return alpha
    return torch.tensor(alpha, dtype=input.dtype, device=input.device)


def check_scale(name: str, scale, input: torch.Tensor):
    """A scale c > 0: a finite number, or a floating tensor broadcastable to ``input``'s shape
    with every element finite and > 0. Returned as a number or a tensor in ``input``'s dtype."""
    if isinstance(scale, torch.Tensor):
        scale = _check_broadcast_parameter(name, scale, input)
        if scale.numel():
            lowest, highest = torch.aminmax(scale.detach())
            if not bool((lowest > 0) & torch.isfinite(highest)) or bool(torch.isnan(lowest)):
                bad = lowest if not bool(lowest > 0) else highest
                raise ValueError(
                    f"{name} must have every element finite and > 0; got an element equal to {bad.item()!r}"
                )
        return scale
    return check_positive(name, scale)


def check_pointwise_weight(weight, input: torch.Tensor) -> torch.Tensor | None:
    """torch's optional per-element ``weight`` of L1, MSE and Huber: None, or a floating tensor
    of ``input``'s shape (torch refuses other shapes too) on its device."""
    if weight is None:
        return None
    check_tensor("weight", weight)
    if weight.shape != input.shape:
        raise ValueError(
            f"weight must have input's shape {tuple(input.shape)} (one weight per element); "
            f"got {tuple(weight.shape)}"
        )
    check_same_device("input", input, "weight", weight)
    return weight
