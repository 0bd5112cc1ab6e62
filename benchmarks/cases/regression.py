"""Benchmark cases of the regression losses: forward + backward at 4M elements (Gaussian NLL
with a variance per element, Poisson NLL with the Stirling term)."""

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

    def make_gaussian():
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(numel, generator=gen, requires_grad=True)
        var = (torch.rand(numel, generator=gen) + 0.1).requires_grad_()
        return x, torch.randn(numel, generator=gen), var

    def make_counts():
        gen = torch.Generator().manual_seed(0)
        log_rate = torch.randn(numel, generator=gen)
        counts = torch.poisson(log_rate.exp(), generator=gen)
        return log_rate.requires_grad_(), counts

    size = f"{numel:,} elements"
    return [
        Case(FAMILY, "mse", size, make, lossbook.mse_loss, F.mse_loss, 1.2),
        Case(FAMILY, "l1", size, make, lossbook.l1_loss, F.l1_loss, 1.2),
        Case(FAMILY, "huber", size, make, lossbook.huber_loss, F.huber_loss, 1.2),
        Case(FAMILY, "smooth_l1", size, make, lossbook.smooth_l1_loss, F.smooth_l1_loss, 1.2),
        Case(
            FAMILY, "gaussian_nll", size, make_gaussian, lossbook.gaussian_nll_loss, F.gaussian_nll_loss, 1.2
        ),
        Case(
            FAMILY,
            "poisson_nll (full)",
            size,
            make_counts,
            lambda x, y: lossbook.poisson_nll_loss(x, y, full=True),
            lambda x, y: F.poisson_nll_loss(x, y, full=True),
            1.2,
        ),
    ]
