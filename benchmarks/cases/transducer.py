"""Benchmark cases of the RNN-transducer loss: forward + backward against a plain autograd recursion.

torch has no transducer loss and torchaudio, its usual home, has no build for this torch, so
the comparison ("torch" in the table) is the straightforward implementation a reader would
write from the formula: ``log_softmax``, the blank and label log-probabilities gathered, then
alpha node by node (a loop over T and U, each node a batch of N values) and autograd for the
gradient. Mean reduction, every sample at full length, the blank the last class.

The issue's memory target is absolute: at most 1.5x the logits' size beyond the logits (their
gradient alone is 1x); the table's memory ratio is against the loop, whose own peak holds the
``log_softmax`` and its gradient besides.
"""

import torch

import lossbook

from ..case import Case

FAMILY = "transducer"

SIZES = [(8, 100, 20, 30), (16, 200, 40, 64)]  # (N, T, U, V)
QUICK_SIZES = [(2, 6, 3, 5)]


def make_inputs(N, T, U, V):
    """A factory of transducer inputs: random joiner logits (N, T, U+1, V), labels other than the blank."""

    def make():
        gen = torch.Generator().manual_seed(0)
        logits = torch.randn(N, T, U + 1, V, generator=gen, requires_grad=True)
        targets = torch.randint(0, V - 1, (N, U), generator=gen, dtype=torch.int32)
        logit_lengths = torch.full((N,), T, dtype=torch.int32)
        target_lengths = torch.full((N,), U, dtype=torch.int32)
        return logits, targets, logit_lengths, target_lengths

    return make


def ours(logits, targets, logit_lengths, target_lengths):
    return lossbook.rnnt_loss(logits, targets, logit_lengths, target_lengths)


def autograd_recursion(logits, targets, logit_lengths, target_lengths):
    """The transducer loss as written from the formula, differentiated by autograd."""
    N, T, U1, V = logits.shape
    log_probs = logits.log_softmax(-1)
    blank = log_probs[..., V - 1]  # (N, T, U+1)
    index = targets.long().view(N, 1, U1 - 1, 1).expand(N, T, U1 - 1, 1)
    label = log_probs[:, :, : U1 - 1].gather(3, index).squeeze(3)  # (N, T, U)
    # One (N,) tensor per node, split once (indexing a node at a time would make autograd add a
    # full-size zero gradient per node).
    blank_nodes = [row.unbind(1) for row in blank.unbind(1)]
    label_nodes = [row.unbind(1) for row in label.unbind(1)]
    alpha = [[None] * U1 for _ in range(T)]
    for t in range(T):
        for u in range(U1):
            if t == 0 and u == 0:
                alpha[t][u] = logits.new_zeros(N)
            elif t == 0:
                alpha[t][u] = alpha[t][u - 1] + label_nodes[t][u - 1]
            elif u == 0:
                alpha[t][u] = alpha[t - 1][u] + blank_nodes[t - 1][u]
            else:
                alpha[t][u] = torch.logaddexp(
                    alpha[t - 1][u] + blank_nodes[t - 1][u], alpha[t][u - 1] + label_nodes[t][u - 1]
                )
    samples = torch.arange(N)
    last_t, last_u = logit_lengths.long() - 1, target_lengths.long()
    final = torch.stack([torch.stack(row, 1) for row in alpha], 1)  # (N, T, U+1)
    return -(final[samples, last_t, last_u] + blank[samples, last_t, last_u]).mean()


def cases(quick: bool) -> list[Case]:
    sizes = QUICK_SIZES if quick else SIZES
    return [
        Case(
            FAMILY,
            "rnnt (vs an autograd loop over T and U)",
            f"N={N} T={T} U={U} V={V}",
            make_inputs(N, T, U, V),
            ours,
            autograd_recursion,
            1 / 3,
        )
        for N, T, U, V in sizes
    ]
