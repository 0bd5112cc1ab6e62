"""Benchmark cases of the chunked linear cross-entropy: an LLM head's loss, forward + backward.

``lossbook.linear_cross_entropy`` against two torch paths, one row each: the unfused
``F.cross_entropy(F.linear(x, W), y)``, which makes the (N, V) logits and their gradient
whole, and torch's own chunked ``F.linear_cross_entropy(..., options=LinearCrossEntropyOptions())``.
The issue's targets: peak memory at most 1/8 of the unfused path's and at most torch's
chunked path's; time at most 1.2x either. Hidden states (N, H) = (4096, 512), a head of V = 32k
and 128k tokens, float32, mean reduction, no bias.

Each call multiplies (N, H) by (H, V) three times (about 0.4 TFLOP at V = 32k), seconds on a
CPU, so these cases time fewer pairs than the others (``Case.repeats``). The peak memory of
torch's chunked path is what its outputs hold: its chunked loop is one custom operator, whose
internal chunk of logits the CPU tracker does not see (see ``benchmarks/memory.py``).
"""

import torch
import torch.nn.functional as F

import lossbook

from ..case import Case

FAMILY = "llm"

SIZES = [(4096, 512, 32768), (4096, 512, 131072)]  # (N, H, V)
QUICK_SIZES = [(64, 16, 256)]
REPEATS = 5  # pairs; a call takes seconds


def make_inputs(N, H, V):
    """Hidden states (N, H), a head (V, H) scaled as nn.Linear initializes it, and next tokens (N,)."""

    def make():
        gen = torch.Generator().manual_seed(0)
        hidden = torch.randn(N, H, generator=gen, requires_grad=True)
        head = (torch.randn(V, H, generator=gen) / H**0.5).requires_grad_()
        target = torch.randint(0, V, (N,), generator=gen)
        return hidden, head, target

    return make


def ours(hidden, head, target):
    return lossbook.linear_cross_entropy(hidden, head, target)


def unfused(hidden, head, target):
    """What a model does without a fused head: the whole (N, V) logits, then cross-entropy."""
    return F.cross_entropy(F.linear(hidden, head), target)


def torch_chunked(hidden, head, target):
    """torch's chunked path, with its default options (chunk size chosen by torch)."""
    return F.linear_cross_entropy(hidden, head, target, options=torch.nn.LinearCrossEntropyOptions())


def cases(quick: bool) -> list[Case]:
    sizes = QUICK_SIZES if quick else SIZES
    out = []
    for N, H, V in sizes:
        size = f"N={N:,} H={H} V={V:,}"
        make = make_inputs(N, H, V)
        out.append(
            Case(
                FAMILY,
                "linear_cross_entropy (vs unfused cross_entropy(linear))",
                size,
                make,
                ours,
                unfused,
                target_ratio=1.2,
                memory_target=1 / 8,
                repeats=REPEATS,
            )
        )
        if hasattr(F, "linear_cross_entropy"):  # torch >= 2.13
            out.append(
                Case(
                    FAMILY,
                    "linear_cross_entropy (vs torch's chunked linear_cross_entropy)",
                    size,
                    make,
                    ours,
                    torch_chunked,
                    target_ratio=1.2,
                    memory_target=1.0,
                    repeats=REPEATS,
                )
            )
    return out
