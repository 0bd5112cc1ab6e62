"""One case measured: its time against torch's and, optionally, its peak memory."""

from __future__ import annotations

import torch

from .case import Case, Result
from .memory import peak_memory_mb
from .timing import on_device, time_pairs


def measure(
    case: Case,
    device: torch.device | str = "cpu",
    repeats: int = 15,
    warmup: int = 3,
    memory: bool = True,
) -> Result:
    """Time ``case`` in interleaved pairs on ``device``; with ``memory``, also each side's peak memory."""
    device = torch.device(device)
    if case.repeats is not None:
        repeats, warmup = min(repeats, case.repeats), min(warmup, 1)
    inputs = on_device(case.make(), device)
    timing = time_pairs(case.ours, case.theirs, inputs, device, repeats=repeats, warmup=warmup)
    result = Result(case, str(device), timing.ours_ms, timing.theirs_ms, timing.ratio)
    if memory:
        result.ours_peak_mb = peak_memory_mb(case.ours, inputs, device)
        result.theirs_peak_mb = peak_memory_mb(case.theirs, inputs, device)
    return result
