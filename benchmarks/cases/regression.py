"""Benchmark cases of the regression losses: forward + backward at 4M elements."""

import torch
import torch.nn.functional as F

import lossbook

from ..case import Case

FAMILY = "regression"


def cases(quick: bool) -> list[Case]:
    numel = 4096 if quick else 4 * 1024 * 1024

    def make():
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(numel, generator=gen, requires_grad=True)
        y = torch.randn(numel, generator=gen)
        return x, y

    size = f"{numel:,} elements"
    return [
        Case(FAMILY, "mse", size, make, lossbook.mse_loss, F.mse_loss, 1.2),
        Case(FAMILY, "l1", size, make, lossbook.l1_loss, F.l1_loss, 1.2),
        Case(FAMILY, "huber", size, make, lossbook.huber_loss, F.huber_loss, 1.2),
        Case(FAMILY, "smooth_l1", size, make, lossbook.smooth_l1_loss, F.smooth_l1_loss, 1.2),
    ]
