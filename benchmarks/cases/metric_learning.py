"""Benchmark cases of the metric-learning losses that have a torch built-in: the triplet margin loss."""

import torch
import torch.nn.functional as F

import lossbook

from ..case import Case

FAMILY = "metric_learning"


def cases(quick: bool) -> list[Case]:
    batch, dim = (32, 16) if quick else (4096, 512)

    def make():
        gen = torch.Generator().manual_seed(0)
        return tuple(torch.randn(batch, dim, generator=gen, requires_grad=True) for _ in range(3))

    return [
        Case(
            FAMILY,
            "triplet_margin_loss",
            f"{batch:,} x {dim}",
            make,
            lossbook.triplet_margin_loss,
            F.triplet_margin_loss,
            1.2,
        )
    ]
