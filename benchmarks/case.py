"""A benchmark case, and what measuring it found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass
class Case:
    """One benchmark: ``make()`` returns fresh CPU inputs, ``ours``/``theirs`` compute a scalar loss.

    ``group`` is the loss family (the name of its ``cases`` module); ``target_ratio`` and
    ``memory_target`` are the largest lossbook/torch ratios of time and of peak memory that
    count as meeting the target. ``repeats``, when set, caps the interleaved pairs (and the
    warm-up at one) for a case whose single call takes seconds.
    """

    group: str
    name: str
    size: str
    make: Callable[[], tuple]
    ours: Callable[..., torch.Tensor]
    theirs: Callable[..., torch.Tensor]
    target_ratio: float
    memory_target: float = 1.5
    repeats: int | None = None


@dataclass
class Result:
    """A case's median times and time ratio, and its peak memory when that was measured."""

    case: Case
    device: str
    ours_ms: float
    theirs_ms: float
    ratio: float
    ours_peak_mb: float | None = None
    theirs_peak_mb: float | None = None

    @property
    def meets_target(self) -> bool:
        return self.ratio <= self.case.target_ratio

    @property
    def memory_ratio(self) -> float | None:
        if self.ours_peak_mb is None or not self.theirs_peak_mb:
            return None
        return self.ours_peak_mb / self.theirs_peak_mb

    @property
    def meets_memory_target(self) -> bool | None:
        ratio = self.memory_ratio
        return None if ratio is None else ratio <= self.case.memory_target
