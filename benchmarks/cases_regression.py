"""Benchmark cases of lossbook.regression: forward + backward at 4M elements."""

import torch
import torch.nn.functional as F

import lossbook

from .timing import Case


def cases(quick: bool) -> list[Case]:
    numel = 4096 if quick else 4 * 1024 * 1024

    def make():
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(numel, generator=gen, requires_grad=True)
        y = torch.randn(numel, generator=gen)
        return x, y

    size = f"{numel:,} elements"
    return [
        Case("regression", "mse", size, make, lossbook.mse_loss, F.mse_loss, 1.2),
        Case("regression", "l1", size, make, lossbook.l1_loss, F.l1_loss, 1.2),
        Case("regression", "huber", size, make, lossbook.huber_loss, F.huber_loss, 1.2),
        Case("regression", "smooth_l1", size, make, lossbook.smooth_l1_loss, F.smooth_l1_loss, 1.2),
    ]
