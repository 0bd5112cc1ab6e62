"""Benchmark cases of the metric-learning losses that have a torch built-in: the triplet losses
and the cosine embedding loss on 4096 x 512 embeddings; the margin ranking and hinge embedding
losses on 4M scores."""

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

    numel = 4096 if quick else 4 * 1024 * 1024

    def make_pairs():
        gen = torch.Generator().manual_seed(0)
        x1, x2 = (torch.randn(batch, dim, generator=gen, requires_grad=True) for _ in range(2))
        return x1, x2, torch.randint(0, 2, (batch,), generator=gen) * 2 - 1

    def make_ranked():
        gen = torch.Generator().manual_seed(0)
        s1, s2 = (torch.randn(numel, generator=gen, requires_grad=True) for _ in range(2))
        return s1, s2, (torch.randint(0, 2, (numel,), generator=gen) * 2 - 1).float()

    def make_distances():
        gen = torch.Generator().manual_seed(0)
        d = torch.rand(numel, generator=gen).mul_(2).requires_grad_()
        return d, torch.randint(0, 2, (numel,), generator=gen) * 2 - 1

    size, scores = f"{batch:,} x {dim}", f"{numel:,} elements"
    return [
        Case(
            FAMILY,
            "triplet_margin_loss",
            size,
            make,
            lossbook.triplet_margin_loss,
            F.triplet_margin_loss,
            1.2,
        ),
        Case(
            FAMILY,
            "triplet_margin_with_distance_loss",
            size,
            make,
            lossbook.triplet_margin_with_distance_loss,
            F.triplet_margin_with_distance_loss,
            1.2,
        ),
        Case(
            FAMILY,
            "cosine_embedding_loss",
            size,
            make_pairs,
            lossbook.cosine_embedding_loss,
            F.cosine_embedding_loss,
            1.2,
        ),
        Case(
            FAMILY,
            "margin_ranking_loss",
            scores,
            make_ranked,
            lossbook.margin_ranking_loss,
            F.margin_ranking_loss,
            1.2,
        ),
        Case(
            FAMILY,
            "hinge_embedding_loss",
            scores,
            make_distances,
            lossbook.hinge_embedding_loss,
            F.hinge_embedding_loss,
            1.2,
        ),
    ]
