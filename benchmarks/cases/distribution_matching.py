"""Benchmark cases of the distribution-matching losses: forward + backward.

Distillation and the Jensen-Shannon divergence on 4096 x 1000 (a batch of an ImageNet-sized
classifier, the teacher's outputs as targets), against the torch composition a user would
write: Hinton's ``T * T * kl_div(log_softmax(s / T), softmax(t / T))`` and Lin's divergence
as two ``kl_div`` calls against the mixture.
"""

import torch
import torch.nn.functional as F

import lossbook

from ..case import Case

FAMILY = "distribution_matching"
TEMPERATURE = 2.0


def torch_distillation(student, teacher):
    t = TEMPERATURE
    return t * t * F.kl_div(F.log_softmax(student / t, -1), F.softmax(teacher / t, -1), reduction="batchmean")


def torch_js_divergence(log_q, p):
    log_m = torch.log(0.5 * (p + log_q.exp()))
    # kl_div(log m, x) is KL(x || m)
    return 0.5 * (
        F.kl_div(log_m, p, reduction="batchmean")
        + F.kl_div(log_m, log_q, reduction="batchmean", log_target=True)
    )


def cases(quick: bool) -> list[Case]:
    rows, classes = (64, 10) if quick else (4096, 1000)

    def make_logits():
        gen = torch.Generator().manual_seed(0)
        student = torch.randn(rows, classes, generator=gen, requires_grad=True)
        teacher = 3.0 * torch.randn(rows, classes, generator=gen)
        return student, teacher

    def make_distributions():
        gen = torch.Generator().manual_seed(0)
        log_q = torch.log_softmax(torch.randn(rows, classes, generator=gen), 1).requires_grad_()
        p = torch.softmax(3.0 * torch.randn(rows, classes, generator=gen), 1)
        return log_q, p

    size = f"{rows:,} x {classes:,}"
    return [
        Case(
            FAMILY,
            f"distillation_loss (T={TEMPERATURE:g})",
            size,
            make_logits,
            lambda s, t: lossbook.distillation_loss(s, t, TEMPERATURE),
            torch_distillation,
            1.2,
        ),
        Case(
            FAMILY,
            "js_divergence",
            size,
            make_distributions,
            lossbook.js_divergence,
            torch_js_divergence,
            1.2,
        ),
    ]
