"""Interleaved timing of a lossbook loss against the torch built-in it re-implements.

Both run in one process, alternating pair by pair after a warm-up, so that load on the
machine affects both alike; the figure reported is the median over pairs of the ratio.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch


@dataclass
class Case:
    """One benchmark: ``make()`` returns fresh inputs, ``ours``/``theirs`` compute a scalar loss."""

    group: str
    name: str
    size: str
    make: Callable[[], tuple]
    ours: Callable[..., torch.Tensor]
    theirs: Callable[..., torch.Tensor]
    target_ratio: float


@dataclass
class Result:
    case: Case
    ours_ms: float
    theirs_ms: float
    ratio: float

    @property
    def meets_target(self) -> bool:
        return self.ratio <= self.case.target_ratio


def _forward_backward(loss_fn, inputs) -> float:
    leaves = [t for t in inputs if isinstance(t, torch.Tensor) and t.requires_grad]
    for t in leaves:
        t.grad = None
    start = time.perf_counter()
    loss = loss_fn(*inputs)
    loss.backward()
    return time.perf_counter() - start


def measure(case: Case, repeats: int = 15, warmup: int = 3) -> Result:
    inputs = case.make()
    for _ in range(warmup):
        _forward_backward(case.ours, inputs)
        _forward_backward(case.theirs, inputs)
    ours, theirs, ratios = [], [], []
    for i in range(repeats):
        # Alternate which one goes first, so neither always runs on a warmer cache.
        if i % 2 == 0:
            a = _forward_backward(case.ours, inputs)
            b = _forward_backward(case.theirs, inputs)
        else:
            b = _forward_backward(case.theirs, inputs)
            a = _forward_backward(case.ours, inputs)
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
    return Result(
        case,
        ours_ms=1e3 * statistics.median(ours),
        theirs_ms=1e3 * statistics.median(theirs),
        ratio=statistics.median(ratios),
    )


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| group | loss | size | lossbook (ms) | torch (ms) | ratio | target | met |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.case.group} | {r.case.name} | {r.case.size} | {r.ours_ms:.2f} | {r.theirs_ms:.2f} "
            f"| {r.ratio:.2f}x | {r.case.target_ratio:.1f}x | {'yes' if r.meets_target else 'NO'} |"
        )
    return "\n".join(lines)
