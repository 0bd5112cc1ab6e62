"""How a checker compares a learner's result with the reference: dtype-aware tolerances,
tensors elementwise, numbers, and sequences of either."""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from ._exercise import Case


def _tolerances(value: torch.Tensor, case: Case) -> tuple[float, float]:
    if case.rtol is not None:
        return case.rtol, case.atol if case.atol is not None else 0.0
    if value.dtype == torch.float64:
        return 1e-7, 1e-9
    if value.dtype in (torch.float16, torch.bfloat16):
        return 1e-2, 1e-3
    return 1e-4, 1e-6


def _close(got, expected, case: Case) -> bool:
    """Whether two results agree; tensors elementwise with dtype-aware tolerances."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            return False
        rtol, atol = _tolerances(expected, case)
        g, e = got.detach().to(torch.float64).cpu(), expected.detach().to(torch.float64).cpu()
        return bool(torch.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True))
    if isinstance(expected, (tuple, list)) and not isinstance(expected, str):
        return (
            isinstance(got, (tuple, list))
            and len(got) == len(expected)
            and all(_close(g, e, case) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(expected, float):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        return isinstance(got, (int, float)) and math.isclose(
            got, expected, rel_tol=case.rtol or 1e-6, abs_tol=case.atol or 1e-9
        )
    return type(got) is type(expected) and got == expected


def _as_whole_number(value):
    """216.0, numpy.int64(216) and tensor(216) as the int 216; anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return value
