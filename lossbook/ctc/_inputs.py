"""Checks of CTC inputs: log-probabilities, labellings, lengths, the blank, paths, decoded sequences.

The policy of :mod:`lossbook.validation` holds here too: ``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong value or shape, and every message names the argument the caller
passed, what was expected and what came. The checks of the batched loss are vectorized (a few
tensor reductions, no loop over the batch), so that they cost little next to the trellis.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..validation import check_integer_tensor, check_tensor


def check_blank(blank, num_classes: int | None = None, *, symbol: bool = False):
    """The one check of a blank, for every function of the family that takes one.

    With ``symbol``, the blank of a string path: a one-character string. Otherwise an int (not
    a bool), in [0, C) when the number of classes C is known, >= 0 when it is not (a Module's
    option, a path of ints).
    """
    if symbol:
        if not isinstance(blank, str):
            raise TypeError(
                "blank must be a one-character string for a string path; "
                f"got {type(blank).__name__} {blank!r}"
            )
        if len(blank) != 1:
            raise ValueError(f"blank must be a one-character string for a string path; got {blank!r}")
        return blank
    if isinstance(blank, bool) or not isinstance(blank, int):
        raise TypeError(f"blank must be an int; got {type(blank).__name__} {blank!r}")
    if num_classes is None:
        if blank < 0:
            raise ValueError(f"blank must be an int >= 0; got {blank}")
    elif not 0 <= blank < num_classes:
        raise ValueError(
            f"blank must be in [0, C) = [0, {num_classes}) for log_probs with C = {num_classes} classes; "
            f"got {blank}"
        )
    return blank


def check_path(path) -> list | str:
    """A path for the collapse map: a string, a list or tuple, or a 1-D integer tensor (as a list)."""
    if isinstance(path, str | list | tuple):
        return path
    if isinstance(path, torch.Tensor):
        check_integer_tensor("path", path)
        if path.dim() != 1:
            raise ValueError(f"path must be a 1-D tensor; got shape {tuple(path.shape)}")
        return path.tolist()
    raise TypeError(
        f"path must be a str, a list or tuple of ints, or a 1-D tensor; got {type(path).__name__}"
    )


def as_length_tensor(name: str, value, device) -> torch.Tensor:
    """Lengths given as an integer tensor, an int or a sequence of ints, as an int64 tensor on ``device``."""
    if isinstance(value, torch.Tensor):
        check_integer_tensor(name, value)
        if value.dtype != torch.int64 or value.device != torch.device(device):
            value = value.to(device=device, dtype=torch.int64)
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer tensor, an int or a sequence of ints; got a bool")
    if isinstance(value, int):
        return torch.tensor(value, dtype=torch.int64, device=device)
    if isinstance(value, list | tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return torch.tensor(list(value), dtype=torch.int64, device=device)
    raise TypeError(
        f"{name} must be an integer tensor, an int or a sequence of ints; got {type(value).__name__}"
    )


def check_lengths(name: str, lengths: torch.Tensor, high: int, high_what: str) -> tuple[int, int]:
    """Refuse lengths outside [0, high]; return the smallest and the largest (0, 0 for none)."""
    if lengths.numel() == 0:
        return 0, 0
    low, top = torch.aminmax(lengths)
    low, top = int(low), int(top)
    if low < 0:
        raise ValueError(f"{name} must be >= 0; got a length of {low}")
    if top > high:
        raise ValueError(f"{name} must be <= {high_what} ({high}); got a length of {top}")
    return low, top


def check_one_length_per_sample(
    name: str, lengths: torch.Tensor, shape: tuple[int, ...], *, unbatched: bool = False
) -> None:
    """One length per batch element of log_probs (T, N, C), with a hint when it looks batch-first.

    A batch-first (N, T, C) tensor shows itself by lengths that count its first dimension.
    ``shape`` is that of the caller's log_probs; an unbatched (T, C) one has one batch element.
    """
    T, N = (shape[0], 1) if unbatched else (shape[0], shape[1])
    if lengths.shape[0] == N:
        return
    if not unbatched and lengths.shape[0] == T:
        raise ValueError(
            f"log_probs must have shape (T, N, C), time first; got shape {tuple(shape)}, which looks "
            f"batch-first (N, T, C): {name} has {T} lengths, one per entry of its first dimension. "
            "Pass log_probs.transpose(0, 1)"
        )
    raise ValueError(f"{name} must have one length per batch element ({N}); got {lengths.shape[0]}")


def check_log_probabilities(log_probs: torch.Tensor) -> None:
    """Refuse probabilities or raw scores given as log_probs: every element must be <= 0.

    Log-probabilities from ``log_softmax`` never exceed 0; ``log(softmax(x))`` may by a few
    units in the last place of its dtype, which the tolerance allows (16 of them, and at least
    1e-5, the size of a ``gradcheck`` perturbation of an entry at 0). NaN is left to the loss.
    """
    if log_probs.numel() == 0:
        return
    tolerance = max(1e-5, 16 * torch.finfo(log_probs.dtype).eps)
    top = float(log_probs.detach().max())
    if top > tolerance:
        raise ValueError(
            "log_probs must be log-probabilities, every element <= 0 (probabilities or raw scores "
            f"are not); got an element equal to {top:.4g}. apply log_softmax over the classes first, "
            "e.g. logits.log_softmax(-1)"
        )


def prepare_ctc_inputs(log_probs, targets, input_lengths, target_lengths, blank):
    """Validate the arguments of ctc_loss and bring them to the batched, padded form.

    Returns ``(log_probs (T, N, C), targets (N, S) int64 with a valid label past each length,
    input_lengths (N,), target_lengths (N,), unbatched, full)``; ``full`` says that every
    sample uses all T frames and all S labels.
    """
    check_tensor("log_probs", log_probs)
    if log_probs.dim() not in (2, 3):
        raise ValueError(
            f"log_probs must have shape (T, N, C) or, unbatched, (T, C); got shape {tuple(log_probs.shape)}"
        )
    check_integer_tensor("targets", targets)
    unbatched = log_probs.dim() == 2
    shape = tuple(log_probs.shape)
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    T, N, C = log_probs.shape
    if log_probs.numel() == 0:
        raise ValueError(f"log_probs must not be empty (as in torch); got shape {tuple(log_probs.shape)}")
    check_blank(blank, C)
    device = log_probs.device
    input_lengths = as_length_tensor("input_lengths", input_lengths, device).reshape(-1)
    target_lengths = as_length_tensor("target_lengths", target_lengths, device).reshape(-1)
    check_one_length_per_sample("input_lengths", input_lengths, shape, unbatched=unbatched)
    check_one_length_per_sample("target_lengths", target_lengths, shape, unbatched=unbatched)
    input_low, _ = check_lengths("input_lengths", input_lengths, T, "the number of frames T of log_probs")
    targets = targets.to(device)
    if unbatched:
        if targets.dim() == 2 and targets.shape[0] == 1:
            targets = targets[0]
        if targets.dim() != 1:
            raise ValueError(
                f"targets of an unbatched (T, C) input must be 1-D; got shape {tuple(targets.shape)}"
            )
        targets = targets.unsqueeze(0)
    if targets.dim() == 2:
        if targets.shape[0] != N:
            raise ValueError(
                f"targets must have one row per batch element: shape (N, S) = ({N}, S); "
                f"got shape {tuple(targets.shape)}"
            )
        target_low, target_top = check_lengths(
            "target_lengths", target_lengths, targets.shape[1], "the width S of the padded targets"
        )
    elif targets.dim() == 1:
        target_low, target_top = check_lengths(
            "target_lengths", target_lengths, targets.numel(), "the number of targets"
        )
        total = int(target_lengths.sum())
        if total != targets.numel():
            raise ValueError(
                "concatenated 1-D targets must hold sum(target_lengths) labels: "
                f"sum(target_lengths) = {total}, got {targets.numel()} labels"
            )
        targets = pad_concatenated(targets, target_lengths)
        target_top = targets.shape[1]
    else:
        raise ValueError(
            f"targets must be padded (N, S) or concatenated 1-D; got shape {tuple(targets.shape)}"
        )
    S = targets.shape[1]
    if targets.dtype != torch.int64:
        targets = targets.to(torch.int64)
    every_label = target_low == target_top == S  # no padding in the targets
    if S > 0:
        if every_label:
            inside = None
        else:
            # Only the first target_lengths[n] entries of row n are labels; the rest is padding,
            # replaced by a valid label so that every entry can index log_probs.
            inside = torch.arange(S, device=device) < target_lengths.unsqueeze(1)
            targets = torch.where(inside, targets, (blank + 1) % C)
        low, high = (int(v) for v in torch.aminmax(targets))
        # the blank can only be among the labels when it lies within their range
        if low < 0 or high >= C or C == 1 or (low <= blank <= high and bool((targets == blank).any())):
            if inside is None:
                inside = torch.ones_like(targets, dtype=torch.bool)
            _raise_bad_label(targets, inside, C, blank)
    check_log_probabilities(log_probs)
    full = input_low == T and every_label
    return log_probs, targets, input_lengths, target_lengths, unbatched, full


def _raise_bad_label(targets, inside, C, blank):
    bad = inside & ((targets < 0) | (targets >= C) | (targets == blank))
    n, i = (int(v) for v in bad.nonzero()[0])
    value = int(targets[n, i])
    what = f"the blank ({blank})" if value == blank else f"{value}, outside [0, C) = [0, {C})"
    raise ValueError(
        f"targets must hold labels in [0, C) = [0, {C}) other than the blank ({blank}); "
        f"batch element {n}, position {i} is {what}"
    )


def pad_concatenated(targets: torch.Tensor, target_lengths: torch.Tensor) -> torch.Tensor:
    """Concatenated 1-D targets to a padded (N, S) matrix (entries past a length are arbitrary)."""
    N = target_lengths.shape[0]
    S = int(target_lengths.max()) if N > 0 else 0
    starts = torch.cumsum(target_lengths, 0) - target_lengths
    index = starts.unsqueeze(1) + torch.arange(S, device=targets.device)
    if targets.numel() == 0:
        return torch.zeros(N, S, dtype=torch.int64, device=targets.device)
    return targets[index.clamp_(max=targets.numel() - 1)]


def check_unbatched_example(log_probs, target, blank, *, min_frames: int = 0) -> tuple[int, int, list[int]]:
    """One (T, C) example and its labelling, for the oracles: returns ``(T, C, target as a list)``."""
    check_tensor("log_probs", log_probs)
    if log_probs.dim() != 2:
        raise ValueError(
            f"log_probs must be one unbatched example (T, C); got shape {tuple(log_probs.shape)}"
        )
    T, C = log_probs.shape
    check_blank(blank, C)
    if T < min_frames:
        raise ValueError(
            f"log_probs must have at least {min_frames} frame(s) (T >= {min_frames}); got T = {T}"
        )
    if isinstance(target, torch.Tensor):
        check_integer_tensor("target", target)
        if target.dim() != 1:
            raise ValueError(f"target must be 1-D; got shape {tuple(target.shape)}")
        target = target.tolist()
    target = [int(k) for k in target]
    for k in target:
        if not 0 <= k < C or k == blank:
            raise ValueError(
                f"target must hold labels in [0, C) = [0, {C}) other than the blank ({blank}); got {k}"
            )
    return T, C, target


def check_bruteforce_size(T: int, C: int, limit: int) -> None:
    """Refuse an enumeration of more than ``limit`` paths (C ** T)."""
    if C**T > limit:
        raise ValueError(
            f"ctc_loss_bruteforce enumerates C**T = {C}**{T} paths, more than {limit:,}; "
            "use ctc_loss (the forward algorithm) for this size"
        )


def prepare_decoder_inputs(log_probs, input_lengths, blank):
    """log_probs (T, N, C) detached, the lengths as a list, and whether the input was unbatched."""
    check_tensor("log_probs", log_probs)
    if log_probs.dim() not in (2, 3):
        raise ValueError(f"log_probs must have shape (T, N, C) or (T, C); got shape {tuple(log_probs.shape)}")
    unbatched = log_probs.dim() == 2
    lp = log_probs.detach().unsqueeze(1) if unbatched else log_probs.detach()
    T, N, C = lp.shape
    check_blank(blank, C)
    if input_lengths is None:
        lengths = torch.full((N,), T, dtype=torch.int64)
    else:
        lengths = as_length_tensor("input_lengths", input_lengths, "cpu").reshape(-1)
        check_one_length_per_sample("input_lengths", lengths, tuple(log_probs.shape), unbatched=unbatched)
        check_lengths("input_lengths", lengths, T, "the number of frames T of log_probs")
    return lp, lengths.tolist(), unbatched


def check_sequence_pairs(predictions: Sequence, references: Sequence, metric: str) -> None:
    """Predictions and references of a recognizer metric: one prediction per reference.

    The character error rate needs at least one reference character, the sequence accuracy
    at least one sequence (``metric`` names the function).
    """
    if len(predictions) != len(references):
        raise ValueError(
            "predictions and references must have the same length; "
            f"got {len(predictions)} and {len(references)}"
        )
    if metric == "character_error_rate" and sum(len(r) for r in references) == 0:
        raise ValueError("the references must hold at least one character")
    if metric == "sequence_accuracy" and len(references) == 0:
        raise ValueError("sequence_accuracy needs at least one sequence")
