"""Benchmark cases of the CTC loss: forward + backward against torch's native one.

Both receive ``log_softmax`` of the same logits inside the timed graph (the gradient reaches
the logits), mean reduction. The issue's sizes have every sample with all T frames and S
labels; the same sizes with variable lengths (frames in [3T/4, T], labels in [S/2, S], as in
training on real data) follow, where torch's loop covers only each sample's own lengths
while lossbook's vectorized one covers the padded buffer.
"""

import torch
import torch.nn.functional as F

import lossbook

from ..case import Case

FAMILY = "ctc"

SIZES = [(50, 16, 28, 10), (150, 32, 40, 40), (400, 32, 80, 100)]
QUICK_SIZES = [(12, 3, 6, 4)]


def make_inputs(T, N, C, S, variable=False):
    """A factory of CTC inputs: random logits and targets (no blank), full-length or variable."""

    def make():
        gen = torch.Generator().manual_seed(0)
        logits = torch.randn(T, N, C, generator=gen, requires_grad=True)
        targets = torch.randint(1, C, (N, S), generator=gen)
        if variable:
            input_lengths = torch.randint(T * 3 // 4, T + 1, (N,), generator=gen)
            target_lengths = torch.randint(S // 2, S + 1, (N,), generator=gen)
        else:
            input_lengths = torch.full((N,), T, dtype=torch.int64)
            target_lengths = torch.full((N,), S, dtype=torch.int64)
        return logits, targets, input_lengths, target_lengths

    return make


def ours(logits, targets, input_lengths, target_lengths):
    return lossbook.ctc_loss(logits.log_softmax(2), targets, input_lengths, target_lengths)


def theirs(logits, targets, input_lengths, target_lengths):
    return F.ctc_loss(logits.log_softmax(2), targets, input_lengths, target_lengths)


def cases(quick: bool) -> list[Case]:
    sizes = QUICK_SIZES if quick else SIZES
    return [
        Case(FAMILY, "ctc", f"T={T} N={N} C={C} S={S}", make_inputs(T, N, C, S), ours, theirs, 1.5)
        for T, N, C, S in sizes
    ] + [
        Case(
            FAMILY,
            "ctc (variable lengths)",
            f"T={T} N={N} C={C} S={S}",
            make_inputs(T, N, C, S, True),
            ours,
            theirs,
            1.5,
        )
        for T, N, C, S in sizes
    ]
