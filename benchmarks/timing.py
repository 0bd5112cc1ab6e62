"""Interleaved timing and peak memory of a lossbook loss against the torch built-in it re-implements.

Both run in one process, alternating pair by pair after a warm-up, so that load on the
machine affects both alike; the figure reported is the median over pairs of the ratio
(lossbook time / torch time). On CUDA the timing is synchronized and taken with CUDA events.
"""

from __future__ import annotations

import statistics
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


@dataclass
class Case:
    """One benchmark: ``make()`` returns fresh CPU inputs, ``ours``/``theirs`` compute a scalar loss."""

    group: str
    name: str
    size: str
    make: Callable[[], tuple]
    ours: Callable[..., torch.Tensor]
    theirs: Callable[..., torch.Tensor]
    target_ratio: float
    memory_target: float = 1.5


@dataclass
class Result:
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


def on_device(inputs: tuple, device: torch.device) -> tuple:
    """Move a case's inputs to ``device``, keeping which tensors are leaves that require grad."""
    moved = []
    for t in inputs:
        if isinstance(t, torch.Tensor):
            leaf = t.detach().to(device)
            moved.append(leaf.requires_grad_(t.requires_grad))
        else:
            moved.append(t)
    return tuple(moved)


def _forward_backward(loss_fn, inputs, device: torch.device) -> float:
    for t in inputs:
        if isinstance(t, torch.Tensor) and t.requires_grad:
            t.grad = None
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize(device)
        start.record()
        loss_fn(*inputs).backward()
        end.record()
        torch.cuda.synchronize(device)
        return start.elapsed_time(end) / 1e3
    begin = time.perf_counter()
    loss_fn(*inputs).backward()
    return time.perf_counter() - begin


class _LiveTensorBytes(TorchDispatchMode):
    """Tracks the bytes of tensor storages created under it, and their peak.

    Every operator's outputs are seen here (autograd's backward operators included); a
    storage counts from its creation until it is freed. Allocations internal to a single
    operator are invisible, for lossbook and torch alike.
    """

    def __init__(self, existing=()):
        super().__init__()
        self.live = 0
        self.peak = 0
        # Storages that exist already (the inputs): views of them allocate nothing.
        self._seen: set[int] = {
            t.untyped_storage().data_ptr() for t in existing if isinstance(t, torch.Tensor)
        }

    def _free(self, key: int, nbytes: int) -> None:
        self._seen.discard(key)
        self.live -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                key = t.untyped_storage().data_ptr()
                if key and key not in self._seen:
                    nbytes = t.untyped_storage().nbytes()
                    self._seen.add(key)
                    self.live += nbytes
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(t, self._free, key, nbytes)
        return out


def peak_memory_mb(loss_fn, inputs, device: torch.device) -> float:
    """Peak memory (MiB) allocated by one forward + backward, beyond the inputs themselves."""
    for t in inputs:
        if isinstance(t, torch.Tensor) and t.requires_grad:
            t.grad = None
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
        loss_fn(*inputs).backward()
        torch.cuda.synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - baseline) / 2**20
    tracker = _LiveTensorBytes(existing=inputs)
    with tracker:
        loss_fn(*inputs).backward()
    return tracker.peak / 2**20


def measure(
    case: Case,
    device: torch.device | str = "cpu",
    repeats: int = 15,
    warmup: int = 3,
    memory: bool = True,
) -> Result:
    device = torch.device(device)
    inputs = on_device(case.make(), device)
    for _ in range(warmup):
        _forward_backward(case.ours, inputs, device)
        _forward_backward(case.theirs, inputs, device)
    ours, theirs, ratios = [], [], []
    for i in range(repeats):
        # Alternate which one goes first, so neither always runs on a warmer cache.
        if i % 2 == 0:
            a = _forward_backward(case.ours, inputs, device)
            b = _forward_backward(case.theirs, inputs, device)
        else:
            b = _forward_backward(case.theirs, inputs, device)
            a = _forward_backward(case.ours, inputs, device)
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
    result = Result(
        case,
        device=str(device),
        ours_ms=1e3 * statistics.median(ours),
        theirs_ms=1e3 * statistics.median(theirs),
        ratio=statistics.median(ratios),
    )
    if memory:
        result.ours_peak_mb = peak_memory_mb(case.ours, inputs, device)
        result.theirs_peak_mb = peak_memory_mb(case.theirs, inputs, device)
    return result


COLUMNS = [
    "device",
    "group",
    "loss",
    "size",
    "lossbook_ms",
    "torch_ms",
    "time_ratio",
    "time_target",
    "time_met",
    "lossbook_peak_mib",
    "torch_peak_mib",
    "memory_ratio",
    "memory_target",
    "memory_met",
]


def rows(results: list[Result]) -> list[dict]:
    def fmt(value, spec):
        return "" if value is None else format(value, spec)

    out = []
    for r in results:
        out.append(
            {
                "device": r.device,
                "group": r.case.group,
                "loss": r.case.name,
                "size": r.case.size,
                "lossbook_ms": f"{r.ours_ms:.3f}",
                "torch_ms": f"{r.theirs_ms:.3f}",
                "time_ratio": f"{r.ratio:.2f}",
                "time_target": f"{r.case.target_ratio:.1f}",
                "time_met": "yes" if r.meets_target else "NO",
                "lossbook_peak_mib": fmt(r.ours_peak_mb, ".1f"),
                "torch_peak_mib": fmt(r.theirs_peak_mb, ".1f"),
                "memory_ratio": fmt(r.memory_ratio, ".2f"),
                "memory_target": f"{r.case.memory_target:.1f}",
                "memory_met": ""
                if r.meets_memory_target is None
                else ("yes" if r.meets_memory_target else "NO"),
            }
        )
    return out


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| device | group | loss | size | lossbook (ms) | torch (ms) | time ratio | target | met "
        "| lossbook peak (MiB) | torch peak (MiB) | memory ratio | met |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows(results):
        lines.append(
            f"| {row['device']} | {row['group']} | {row['loss']} | {row['size']} | {row['lossbook_ms']} "
            f"| {row['torch_ms']} | {row['time_ratio']}x | {row['time_target']}x | {row['time_met']} "
            f"| {row['lossbook_peak_mib']} | {row['torch_peak_mib']} | {row['memory_ratio']} | {row['memory_met']} |"
        )
    return "\n".join(lines)
