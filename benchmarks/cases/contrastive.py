"""Benchmark cases of the contrastive losses: each against pytorch-metric-learning, and InfoNCE and
NT-Xent against their direct ``F.cross_entropy`` form on the similarity matrix.

Embeddings (N, D) = (1024, 128) and (4096, 256), float32, mean reduction, forward + backward.
The issue's targets: time at most 1.0x pml's and 1.2x the direct form's, peak memory at most
1.5x. Labels: four samples per class (SupCon, multi-similarity, circle), 100 classes with their
proxies (proxy-anchor), two views per image (NT-Xent, as in SimCLR).

pml's ``NTXentLoss`` is pair-based: it builds a (positive pairs x negative pairs) matrix, about
N x N^2 entries, 4 GB at N = 1024 already. So NT-Xent is measured against pml at N = 256 only,
and at the issue's sizes against the direct form: with two views per image, NT-Xent is the
cross-entropy of each row of the similarity matrix (its diagonal excluded) with its other view
as the target.
"""

import functools

import torch
import torch.nn.functional as F

import lossbook

from ..case import Case

FAMILY = "contrastive"

SIZES = [(1024, 128), (4096, 256)]
QUICK_SIZES = [(64, 16)]
NT_XENT_PML_SIZES = [(256, 128)]
QUICK_NT_XENT_PML_SIZES = [(32, 16)]
PROXIES = 100
TEMPERATURE = 0.1


def embeddings(N, D, labels):
    """A maker of fresh inputs: embeddings (N, D) that require grad, and ``labels(N)``."""

    def make():
        gen = torch.Generator().manual_seed(0)
        return torch.randn(N, D, generator=gen, requires_grad=True), labels(N)

    return make


def four_per_class(N):
    return torch.arange(N) // 4


def two_views(N):
    return torch.arange(N) // 2


def proxy_labels(N):
    return torch.arange(N) % PROXIES


def views(N, D):
    def make():
        gen = torch.Generator().manual_seed(0)
        query = torch.randn(N, D, generator=gen, requires_grad=True)
        key = torch.randn(N, D, generator=gen, requires_grad=True)
        return query, key

    return make


def direct_info_nce(query, key):
    logits = F.normalize(query, dim=1) @ F.normalize(key, dim=1).T / TEMPERATURE
    return F.cross_entropy(logits, torch.arange(len(query)))


def direct_clip(query, key):
    logits = F.normalize(query, dim=1) @ F.normalize(key, dim=1).T / TEMPERATURE
    target = torch.arange(len(query))
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def direct_nt_xent(x, labels):
    """SimCLR's NT-Xent with rows (2k, 2k + 1) the two views of image k: each row's partner is row i ^ 1."""
    u = F.normalize(x, dim=1)
    logits = (u @ u.T / TEMPERATURE).fill_diagonal_(float("-inf"))
    partner = torch.arange(len(x)) ^ 1
    return F.cross_entropy(logits, partner)


@functools.cache
def pml_loss(name, *args):
    """A pytorch-metric-learning loss, built once, imported when a case runs (a test requirement)."""
    from pytorch_metric_learning import losses

    return getattr(losses, name)(*args)


def pml(name, *args):
    def call(x, labels):
        return pml_loss(name, *args)(x, labels)

    return call


def proxy_anchor_make(N, D):
    def make():
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(N, D, generator=gen, requires_grad=True)
        proxies = torch.randn(PROXIES, D, generator=gen, requires_grad=True)
        return x, proxy_labels(N), proxies

    return make


def pml_proxy_anchor(x, labels, proxies):
    loss = pml_loss("ProxyAnchorLoss", PROXIES, x.shape[1])
    loss.proxies = torch.nn.Parameter(proxies.detach())  # the case's proxies (same storage)
    return loss(x, labels)


def cases(quick: bool) -> list[Case]:
    sizes = QUICK_SIZES if quick else SIZES
    out = []
    for N, D in sizes:
        size = f"{N:,} x {D}"
        out += [
            Case(
                FAMILY,
                "info_nce_loss",
                size,
                views(N, D),
                lambda q, k: lossbook.info_nce_loss(q, k, TEMPERATURE),
                direct_info_nce,
                1.2,
            ),
            Case(
                FAMILY,
                "info_nce_loss (symmetric)",
                size,
                views(N, D),
                lambda q, k: lossbook.info_nce_loss(q, k, TEMPERATURE, symmetric=True),
                direct_clip,
                1.2,
            ),
            Case(
                FAMILY,
                "nt_xent_loss (two views)",
                size,
                embeddings(N, D, two_views),
                lambda x, y: lossbook.nt_xent_loss(x, y, TEMPERATURE),
                direct_nt_xent,
                1.2,
            ),
            Case(
                FAMILY,
                "supcon_loss",
                size,
                embeddings(N, D, four_per_class),
                lambda x, y: lossbook.supcon_loss(x, y, TEMPERATURE),
                pml("SupConLoss", TEMPERATURE),
                1.0,
            ),
            Case(
                FAMILY,
                "multi_similarity_loss",
                size,
                embeddings(N, D, four_per_class),
                lossbook.multi_similarity_loss,
                pml("MultiSimilarityLoss"),
                1.0,
            ),
            Case(
                FAMILY,
                "circle_loss",
                size,
                embeddings(N, D, four_per_class),
                lossbook.circle_loss,
                pml("CircleLoss"),
                1.0,
            ),
            Case(
                FAMILY,
                "proxy_anchor_loss",
                size,
                proxy_anchor_make(N, D),
                lossbook.proxy_anchor_loss,
                pml_proxy_anchor,
                1.0,
            ),
        ]
    for N, D in QUICK_NT_XENT_PML_SIZES if quick else NT_XENT_PML_SIZES:
        out.append(
            Case(
                FAMILY,
                "nt_xent_loss (vs pml)",
                f"{N:,} x {D}",
                embeddings(N, D, two_views),
                lambda x, y: lossbook.nt_xent_loss(x, y, TEMPERATURE),
                pml("NTXentLoss", TEMPERATURE),
                1.0,
            )
        )
    return out
