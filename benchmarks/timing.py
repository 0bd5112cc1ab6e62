"""Forward + backward time of a lossbook loss against the torch built-in it re-implements.

Both run in one process, alternating pair by pair after a warm-up, so that load on the
machine affects both alike; the figure reported is the median over pairs of the ratio
(lossbook time / torch time). On CUDA the timing is synchronized and taken with CUDA events.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

import torch


class Timing(NamedTuple):
    """Median times of the two losses (ms) and the median of the per-pair ratios."""

    ours_ms: float
    theirs_ms: float
    ratio: float


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


def clear_grads(inputs: tuple) -> None:
    """Drop the gradients of the previous run, so that backward allocates them afresh each time."""
    for t in inputs:
        if isinstance(t, torch.Tensor) and t.requires_grad:
            t.grad = None


def forward_backward_seconds(
    loss_fn: Callable[..., torch.Tensor], inputs: tuple, device: torch.device
) -> float:
    """Seconds one ``loss_fn(*inputs).backward()`` takes."""
    clear_grads(inputs)
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


def time_pairs(
    ours: Callable[..., torch.Tensor],
    theirs: Callable[..., torch.Tensor],
    inputs: tuple,
    device: torch.device,
    repeats: int = 15,
    warmup: int = 3,
) -> Timing:
    """Time ``ours`` against ``theirs`` on the same inputs, in ``repeats`` interleaved pairs."""
    for _ in range(warmup):
        forward_backward_seconds(ours, inputs, device)
        forward_backward_seconds(theirs, inputs, device)
    ours_s, theirs_s, ratios = [], [], []
    for i in range(repeats):
        # Alternate which one goes first, so neither always runs on a warmer cache.
        if i % 2 == 0:
            a = forward_backward_seconds(ours, inputs, device)
            b = forward_backward_seconds(theirs, inputs, device)
        else:
            b = forward_backward_seconds(theirs, inputs, device)
            a = forward_backward_seconds(ours, inputs, device)
        ours_s.append(a)
        theirs_s.append(b)
        ratios.append(a / b)
    return Timing(
        1e3 * statistics.median(ours_s), 1e3 * statistics.median(theirs_s), statistics.median(ratios)
    )
