"""How the cost grows: forward + backward time against problem size, lossbook and torch.

Three series: an elementwise loss (MSE) against the number of elements, cross-entropy against
the number of classes, and CTC against the input length T. Each point is a median of
interleaved pairs, as in the main table.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

import lossbook

from .case import Case, Result
from .cases import ctc
from .measure import measure


def _mse(numel: int) -> Case:
    def make():
        gen = torch.Generator().manual_seed(0)
        return torch.randn(numel, generator=gen, requires_grad=True), torch.randn(numel, generator=gen)

    return Case("scaling", "mse_loss", str(numel), make, lossbook.mse_loss, F.mse_loss, 1.2)


def _cross_entropy(classes: int, batch: int = 1024) -> Case:
    def make():
        gen = torch.Generator().manual_seed(0)
        logits = torch.randn(batch, classes, generator=gen, requires_grad=True)
        return logits, torch.randint(0, classes, (batch,), generator=gen)

    return Case("scaling", "cross_entropy", str(classes), make, lossbook.cross_entropy, F.cross_entropy, 1.2)


def _ctc(length: int, batch: int = 16, classes: int = 28) -> Case:
    make = ctc.make_inputs(length, batch, classes, max(1, length // 5))
    return Case("scaling", "ctc_loss", str(length), make, ctc.ours, ctc.theirs, 1.5)


def series(quick: bool) -> dict[str, tuple[str, list[Case]]]:
    """Name -> (size axis label, cases in increasing size)."""
    if quick:
        return {
            "mse_loss": ("elements", [_mse(n) for n in (256, 1024)]),
            "cross_entropy": ("classes (batch 1024)", [_cross_entropy(c, batch=8) for c in (4, 16)]),
            "ctc_loss": ("input length T (N=16, C=28, S=T/5)", [_ctc(t, batch=2) for t in (10, 20)]),
        }
    return {
        "mse_loss": ("elements", [_mse(1 << k) for k in range(12, 24, 2)]),
        "cross_entropy": (
            "classes (batch 1024)",
            [_cross_entropy(c) for c in (10, 32, 100, 316, 1000, 3162)],
        ),
        "ctc_loss": ("input length T (N=16, C=28, S=T/5)", [_ctc(t) for t in (25, 50, 100, 200, 400)]),
    }


def run(quick: bool, device: str, repeats: int) -> list[tuple[str, str, Result]]:
    """Every point of every series, timed (no memory): ``(series, axis label, result)``."""
    return [
        (name, axis, measure(case, device=device, repeats=repeats, memory=False))
        for name, (axis, cases) in series(quick).items()
        for case in cases
    ]
