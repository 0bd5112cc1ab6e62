"""Checks of transducer and forced-alignment inputs: logits, targets, lengths, the blank.

The policy of :mod:`lossbook.validation` holds here too: ``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong value or shape, and every message names the argument the caller
passed, what was expected and what came. The batched checks are a few tensor reductions, no
loop over the batch, so that they cost little next to the lattice.
"""

from __future__ import annotations

import math
from numbers import Real

import torch

from ..validation import check_integer_tensor, check_positive_integer, check_tensor


def check_int_blank(blank) -> int:
    """A transducer's blank option: an int (not a bool), possibly negative (counted from the end)."""
    if isinstance(blank, bool) or not isinstance(blank, int):
        raise TypeError(f"blank must be an int; got {type(blank).__name__} {blank!r}")
    return blank


def resolve_blank(blank, num_classes: int) -> int:
    """The blank of a transducer: an int in [-V, V); a negative one counts from the end (-1 is the last)."""
    check_int_blank(blank)
    if not -num_classes <= blank < num_classes:
        raise ValueError(
            f"blank must be in [-V, V) = [{-num_classes}, {num_classes}) for logits with V = {num_classes} "
            f"classes (a negative blank counts from the end); got {blank}"
        )
    return blank % num_classes


def check_flag(name: str, value) -> bool:
    """A boolean option (a bool, not a truthy object)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__} {value!r}")
    return value


def check_clamp(clamp) -> float:
    """The gradient clamp: a real number (<= 0 means no clamping), not NaN."""
    if isinstance(clamp, bool) or not isinstance(clamp, Real):
        raise TypeError(f"clamp must be a real number; got {type(clamp).__name__} {clamp!r}")
    clamp = float(clamp)
    if math.isnan(clamp):
        raise ValueError("clamp must be a number; got nan")
    return clamp


def check_lengths(
    name: str, lengths, batch: int, low: int, high: int, what: str, device=None
) -> torch.Tensor:
    """A 1-D integer tensor of ``batch`` lengths, each in [low, high]; returned as int64 (on ``device``).

    ``what`` says what ``high`` is (the number of frames of logits, ...), for the message.
    """
    check_integer_tensor(name, lengths)
    if lengths.dim() != 1 or lengths.shape[0] != batch:
        raise ValueError(
            f"{name} must be a 1-D tensor with one length per batch element ({batch}); "
            f"got shape {tuple(lengths.shape)}"
        )
    lengths = lengths.to(device=device, dtype=torch.int64)
    if batch:
        smallest, largest = (int(v) for v in torch.aminmax(lengths))
        if smallest < low:
            raise ValueError(f"{name} must be >= {low}; got a length of {smallest}")
        if largest > high:
            raise ValueError(f"{name} must be <= {what} ({high}); got a length of {largest}")
    return lengths


def check_labels(name: str, targets: torch.Tensor, lengths: torch.Tensor, num_classes: int, blank: int):
    """The first ``lengths[n]`` entries of row n are labels in [0, V), never the blank.

    Returns the targets as int64 with the padding (past each length) replaced by the blank, a
    valid index, so that every entry can index the logits.
    """
    U = targets.shape[1]
    targets = targets.to(torch.int64)
    if U == 0 or targets.shape[0] == 0:
        return targets
    inside = torch.arange(U, device=targets.device) < lengths.unsqueeze(1)
    bad = inside & ((targets < 0) | (targets >= num_classes) | (targets == blank))
    if bool(bad.any()):
        n, i = (int(v) for v in bad.nonzero()[0])
        value = int(targets[n, i])
        what = f"the blank ({blank})" if value == blank else f"{value}, outside [0, V) = [0, {num_classes})"
        raise ValueError(
            f"{name} must hold labels in [0, V) = [0, {num_classes}) other than the blank ({blank}); "
            f"batch element {n}, position {i} is {what}"
        )
    return torch.where(inside, targets, blank)


def prepare_rnnt_inputs(logits, targets, logit_lengths, target_lengths, blank):
    """Validate the arguments of rnnt_loss.

    Returns (targets int64 with the padding replaced by the blank, the lengths as int64, the blank).
    """
    check_tensor("logits", logits)
    if logits.dim() != 4:
        raise ValueError(
            f"logits must have shape (N, T, U+1, V) (batch, frames, labels + 1, classes); "
            f"got shape {tuple(logits.shape)}"
        )
    N, T, U1, V = logits.shape
    if logits.numel() == 0:
        raise ValueError(f"logits must not be empty; got shape {tuple(logits.shape)}")
    blank = resolve_blank(blank, V)
    check_integer_tensor("targets", targets)
    if targets.dim() != 2:
        raise ValueError(f"targets must have shape (N, U), padded labels; got shape {tuple(targets.shape)}")
    if targets.shape[0] != N:
        raise ValueError(
            f"targets must have one row per batch element of logits ({N}); got shape {tuple(targets.shape)}"
        )
    if targets.shape[1] + 1 != U1:
        raise ValueError(
            f"logits must have U+1 = targets.size(1) + 1 = {targets.shape[1] + 1} label positions "
            f"(dimension 2); got logits of shape {tuple(logits.shape)}"
        )
    device = logits.device
    logit_lengths = check_lengths(
        "logit_lengths", logit_lengths, N, 1, T, "the number of frames T of logits", device
    )
    target_lengths = check_lengths(
        "target_lengths", target_lengths, N, 0, U1 - 1, "the width U of targets", device
    )
    if int(logit_lengths.max()) != T:
        raise ValueError(
            f"logits must have T = max(logit_lengths) = {int(logit_lengths.max())} frames (dimension 1); "
            f"got logits of shape {tuple(logits.shape)}"
        )
    if int(target_lengths.max()) != U1 - 1:
        raise ValueError(
            f"logits must have U+1 = max(target_lengths) + 1 = {int(target_lengths.max()) + 1} label "
            f"positions (dimension 2) and targets U = {int(target_lengths.max())} columns; got logits "
            f"of shape {tuple(logits.shape)} and targets of shape {tuple(targets.shape)}"
        )
    targets = check_labels("targets", targets.to(device), target_lengths, V, blank)
    return targets, logit_lengths, target_lengths, blank


def check_one_example(log_probs, target, blank) -> tuple[int, int, int, list[int]]:
    """One (T, U+1, V) example and its labels, for the oracle: returns (T, U, blank, target as a list)."""
    check_tensor("log_probs", log_probs)
    if log_probs.dim() != 3:
        raise ValueError(
            f"log_probs must be one example of shape (T, U+1, V); got shape {tuple(log_probs.shape)}"
        )
    T, U1, V = log_probs.shape
    if T < 1 or U1 < 1 or V < 1:
        raise ValueError(
            f"log_probs must have T >= 1, U+1 >= 1 and V >= 1; got shape {tuple(log_probs.shape)}"
        )
    blank = resolve_blank(blank, V)
    if isinstance(target, torch.Tensor):
        check_integer_tensor("target", target)
        if target.dim() != 1:
            raise ValueError(f"target must be 1-D; got shape {tuple(target.shape)}")
        target = target.tolist()
    elif not isinstance(target, list | tuple):
        raise TypeError(f"target must be a list of ints or a 1-D integer tensor; got {type(target).__name__}")
    if any(isinstance(k, bool) or not isinstance(k, int) for k in target):
        raise TypeError(f"target must hold ints; got {target!r}")
    if len(target) != U1 - 1:
        raise ValueError(
            f"log_probs must have U+1 = len(target) + 1 = {len(target) + 1} label positions; "
            f"got shape {tuple(log_probs.shape)}"
        )
    for k in target:
        if not 0 <= k < V or k == blank:
            raise ValueError(
                f"target must hold labels in [0, V) = [0, {V}) other than the blank ({blank}); got {k}"
            )
    return T, U1 - 1, blank, list(target)


def check_alignment_size(T: int, U: int, limit: int) -> int:
    """Refuse an enumeration of more than ``limit`` alignments, C(T - 1 + U, U); return their number."""
    count = math.comb(T - 1 + U, U)
    if count > limit:
        raise ValueError(
            f"rnnt_loss_bruteforce enumerates C(T-1+U, U) = C({T - 1 + U}, {U}) = {count:.3g} alignments "
            f"for T = {T}, U = {U}, more than its limit of {limit:,}; use rnnt_loss (the forward "
            "algorithm) for this size"
        )
    return count


def prepare_alignment_inputs(log_probs, targets, input_lengths, target_lengths, blank):
    """Validate the arguments of ctc_forced_align: a batch of one. Returns (T, C, target as a list)."""
    check_tensor("log_probs", log_probs)
    if log_probs.dim() != 3 or log_probs.shape[0] != 1:
        raise ValueError(
            "log_probs must have shape (1, T, C): a batch of one, batch first; "
            f"got shape {tuple(log_probs.shape)}"
        )
    _, T, C = log_probs.shape
    if T < 1 or C < 1:
        raise ValueError(
            f"log_probs must have T >= 1 frames and C >= 1 classes; got shape {tuple(log_probs.shape)}"
        )
    check_int_blank(blank)
    if not 0 <= blank < C:
        raise ValueError(
            f"blank must be in [0, C) = [0, {C}) for log_probs with C = {C} classes; got {blank}"
        )
    check_integer_tensor("targets", targets)
    if targets.dim() != 2 or targets.shape[0] != 1:
        raise ValueError(
            f"targets must have shape (1, L): a batch of one, as log_probs; got shape {tuple(targets.shape)}"
        )
    L = targets.shape[1]
    if input_lengths is not None:
        check_lengths("input_lengths", input_lengths, 1, 0, T, "the number of frames T of log_probs")
        if int(input_lengths[0]) != T:
            raise ValueError(
                f"input_lengths must equal the number of frames T of log_probs ({T}), as in torchaudio; "
                f"got {int(input_lengths[0])}"
            )
    if target_lengths is not None:
        check_lengths("target_lengths", target_lengths, 1, 0, L, "the width L of targets")
        if int(target_lengths[0]) != L:
            raise ValueError(
                f"target_lengths must equal the width L of targets ({L}), as in torchaudio; "
                f"got {int(target_lengths[0])}"
            )
    target = targets[0].tolist()
    for k in target:
        if not 0 <= k < C or k == blank:
            raise ValueError(
                f"targets must hold labels in [0, C) = [0, {C}) other than the blank ({blank}); got {k}"
            )
    repeats = sum(a == b for a, b in zip(target, target[1:], strict=False))
    if T < L + repeats:
        raise ValueError(
            f"targets do not fit in the frames: a CTC path for L = {L} labels with {repeats} repeated "
            f"neighbours needs T >= L + repeats = {L + repeats} frames; log_probs has T = {T}"
        )
    return T, C, target


def check_spans_input(tokens, scores, blank) -> None:
    """merge_tokens' arguments: 1-D integer tokens and 1-D floating scores of one length."""
    check_integer_tensor("tokens", tokens)
    check_tensor("scores", scores)
    if tokens.dim() != 1 or scores.dim() != 1:
        raise ValueError(
            "tokens and scores must be 1-D (one frame each, unbatched: pass labels[0], scores[0]); "
            f"got shapes {tuple(tokens.shape)} and {tuple(scores.shape)}"
        )
    if tokens.shape[0] != scores.shape[0]:
        raise ValueError(
            f"tokens and scores must have the same length; got {tokens.shape[0]} and {scores.shape[0]}"
        )
    check_int_blank(blank)


def prepare_greedy_inputs(encoder_out, predictor, joiner, encoder_lengths, max_symbols_per_frame):
    """rnnt_greedy_decode's arguments: returns (encoder_out (N, T, H) detached, lengths (N,), unbatched)."""
    check_tensor("encoder_out", encoder_out)
    if encoder_out.dim() not in (2, 3):
        raise ValueError(
            "encoder_out must have shape (N, T, H) or, one example, (T, H); "
            f"got shape {tuple(encoder_out.shape)}"
        )
    for name, network in (("predictor", predictor), ("joiner", joiner)):
        if not callable(network):
            raise TypeError(
                f"{name} must be callable (a network or a function); got {type(network).__name__}"
            )
    check_positive_integer("max_symbols_per_frame", max_symbols_per_frame)
    unbatched = encoder_out.dim() == 2
    encoder_out = encoder_out.detach()
    if unbatched:
        encoder_out = encoder_out.unsqueeze(0)
    N, T, _ = encoder_out.shape
    if encoder_lengths is None:
        lengths = torch.full((N,), T, dtype=torch.int64, device=encoder_out.device)
    else:
        if unbatched and isinstance(encoder_lengths, torch.Tensor) and encoder_lengths.dim() == 0:
            encoder_lengths = encoder_lengths.reshape(1)
        lengths = check_lengths(
            "encoder_lengths",
            encoder_lengths,
            N,
            0,
            T,
            "the number of frames T of encoder_out",
            encoder_out.device,
        )
    return encoder_out, lengths, unbatched


def check_joiner_output(logits, batch: int) -> int:
    """The joiner's logits must be (N, V) for N samples; returns V."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] != batch:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"joiner must return logits of shape (N, V) = ({batch}, V); got {shape}")
    return logits.shape[1]
