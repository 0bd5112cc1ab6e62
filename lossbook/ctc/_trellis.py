r"""Connectionist temporal classification (CTC): the loss, its forward-backward, and decoders.

A recognizer that reads a sequence (audio frames, the columns of a text-line image) emits, at
each of its :math:`T` frames, a distribution over the alphabet extended with a *blank*. A
*path* :math:`\pi` picks one symbol per frame; the collapse map :math:`\mathcal{B}` merges
repeated symbols and then drops the blanks (:func:`ctc_collapse`). The probability of a
labelling :math:`l` is the total probability of the paths that collapse to it,

.. math::

    p(l \mid x) = \sum_{\pi \in \mathcal{B}^{-1}(l)} \prod_{t=1}^{T} y^t_{\pi_t},

and the CTC loss is :math:`-\log p(l \mid x)` :cite:p:`graves2006connectionist`. The sum has
exponentially many terms; the forward algorithm computes it in :math:`O(T\,|l|)` over the
*extended label* :math:`l'` (a blank before, between and after the labels, length
:math:`2|l|+1`):

.. math::

    \alpha_t(s) = y^t_{l'_s}\big(\alpha_{t-1}(s) + \alpha_{t-1}(s-1)
                  + [l'_s \ne \text{blank},\ l'_s \ne l'_{s-2}]\,\alpha_{t-1}(s-2)\big),
    \qquad p(l \mid x) = \alpha_T(|l'|-1) + \alpha_T(|l'|-2)

(positions counted from 0). This module runs that recursion in log space, vectorized over
the batch and the positions :math:`s` (Python loops only over time); the backward variables
:math:`\beta` are the :math:`\alpha` of the reversed problem, computed in the same loop
(small problems) or in the backward pass (large ones). The gradient is written by hand:
with the posterior :math:`\gamma_t(s) = \alpha_t(s) \beta_t(s) / (y^t_{l'_s}\, p(l \mid x))`
of being at position :math:`s` at time :math:`t`,
:math:`\partial(-\log p)/\partial \log y^t_k = -\sum_{s: l'_s = k} \gamma_t(s)`.

Besides the loss (:func:`ctc_loss`, :class:`CTCLoss`, semantics of
``torch.nn.functional.ctc_loss``), the module has a brute-force oracle
(:func:`ctc_loss_bruteforce`), the trellis of one example (:func:`ctc_log_alpha_beta`), two
decoders (:func:`ctc_greedy_decode`, :func:`ctc_beam_search_decode`) and the metrics of a
recognizer (:func:`edit_distance`, :func:`character_error_rate`, :func:`sequence_accuracy`).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence

import torch

from .._base import Loss, first_order_backward
from ..validation import check_integer_tensor, check_reduction, check_tensor, compute_dtype

__all__ = [
    "ctc_collapse",
    "ctc_loss",
    "CTCLoss",
    "ctc_loss_bruteforce",
    "ctc_log_alpha_beta",
    "ctc_greedy_decode",
    "ctc_beam_search_decode",
    "edit_distance",
    "character_error_rate",
    "sequence_accuracy",
]

#: ctc_loss_bruteforce refuses inputs with more than this many paths (C ** T).
MAX_BRUTEFORCE_PATHS = 2**20

#: Elements of the temporaries that ctc_loss works on at a time (the flipped emissions, the
#: posteriors, beta when it runs in the backward pass): a block of frames, so that they stay
#: small next to the trellis.
_BLOCK_ELEMENTS = 1 << 16

#: Largest trellis (elements of alpha and beta together) for which ctc_loss runs beta in the
#: same loop as alpha; larger ones run it in the backward pass, with half the memory.
_TOGETHER_ELEMENTS = 1 << 18


# ---------------------------------------------------------------------------
# The collapse map B
# ---------------------------------------------------------------------------


def ctc_collapse(path, blank=0):
    r"""The collapse map :math:`\mathcal{B}`: merge runs of a repeated symbol, then drop blanks.

    A blank between two equal symbols keeps them apart: ``B("aa-a") = "aa"``, ``B("aaa") = "a"``.

    Args:
        path: a string (one character per frame), a list or tuple of ints, or a 1-D integer
            tensor.
        blank: the blank symbol: a one-character string for a string path (e.g. ``"-"``), an
            int otherwise. Default: 0.

    Returns:
        The same kind of sequence as ``path``: a string for a string, a list of ints for a list,
        tuple or 1-D tensor.

    Example:
        >>> ctc_collapse("-s-t-aatte", blank="-")
        'state'
        >>> ctc_collapse([0, 3, 3, 0, 3, 5, 5], blank=0)
        [3, 3, 5]
    """
    if isinstance(path, str):
        if not isinstance(blank, str) or len(blank) != 1:
            raise ValueError(f"blank must be a one-character string for a string path; got {blank!r}")
        return "".join(c for c, _ in itertools.groupby(path) if c != blank)
    if isinstance(path, torch.Tensor):
        if path.dim() != 1:
            raise ValueError(f"path must be a 1-D tensor; got shape {tuple(path.shape)}")
        check_integer_tensor("path", path)
        path = path.tolist()
    elif not isinstance(path, (list, tuple)):
        raise TypeError(
            f"path must be a str, a list or tuple of ints, or a 1-D tensor; got {type(path).__name__}"
        )
    if isinstance(blank, bool) or not isinstance(blank, int):
        raise TypeError(f"blank must be an int for a list or tensor path; got {blank!r}")
    return [int(k) for k, _ in itertools.groupby(path) if k != blank]


# ---------------------------------------------------------------------------
# Argument checks (vectorized: a few tensor reductions, no loop over the batch)
# ---------------------------------------------------------------------------


def _as_length_tensor(name: str, value, device) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        check_integer_tensor(name, value)
        if value.dtype != torch.int64 or value.device != torch.device(device):
            value = value.to(device=device, dtype=torch.int64)
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer tensor, an int or a sequence of ints; got a bool")
    if isinstance(value, int):
        return torch.tensor(value, dtype=torch.int64, device=device)
    if isinstance(value, (list, tuple)) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return torch.tensor(list(value), dtype=torch.int64, device=device)
    raise TypeError(
        f"{name} must be an integer tensor, an int or a sequence of ints; got {type(value).__name__}"
    )


def _check_lengths(name: str, lengths: torch.Tensor, high: int, high_what: str) -> tuple[int, int]:
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


def _prepare(log_probs, targets, input_lengths, target_lengths, blank):
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
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    T, N, C = log_probs.shape
    if log_probs.numel() == 0:
        raise ValueError(f"log_probs must not be empty (as in torch); got shape {tuple(log_probs.shape)}")
    if isinstance(blank, bool) or not isinstance(blank, int):
        raise TypeError(f"blank must be an int; got {blank!r}")
    if not 0 <= blank < C:
        raise ValueError(
            f"blank must be in [0, C) = [0, {C}) for log_probs with C = {C} classes; got {blank}"
        )
    device = log_probs.device
    input_lengths = _as_length_tensor("input_lengths", input_lengths, device).reshape(-1)
    target_lengths = _as_length_tensor("target_lengths", target_lengths, device).reshape(-1)
    if input_lengths.shape[0] != N:
        raise ValueError(
            f"input_lengths must have one length per batch element ({N}); got {input_lengths.shape[0]}"
        )
    if target_lengths.shape[0] != N:
        raise ValueError(
            f"target_lengths must have one length per batch element ({N}); got {target_lengths.shape[0]}"
        )
    input_low, _ = _check_lengths("input_lengths", input_lengths, T, "the number of frames T of log_probs")
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
        target_low, target_top = _check_lengths(
            "target_lengths", target_lengths, targets.shape[1], "the width S of the padded targets"
        )
    elif targets.dim() == 1:
        target_low, target_top = _check_lengths(
            "target_lengths", target_lengths, targets.numel(), "the number of targets"
        )
        total = int(target_lengths.sum())
        if total != targets.numel():
            raise ValueError(
                "concatenated 1-D targets must hold sum(target_lengths) labels: "
                f"sum(target_lengths) = {total}, got {targets.numel()} labels"
            )
        targets = _pad_concatenated(targets, target_lengths)
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


def _pad_concatenated(targets: torch.Tensor, target_lengths: torch.Tensor) -> torch.Tensor:
    """Concatenated 1-D targets to a padded (N, S) matrix (entries past a length are arbitrary)."""
    N = target_lengths.shape[0]
    S = int(target_lengths.max()) if N > 0 else 0
    starts = torch.cumsum(target_lengths, 0) - target_lengths
    index = starts.unsqueeze(1) + torch.arange(S, device=targets.device)
    if targets.numel() == 0:
        return torch.zeros(N, S, dtype=torch.int64, device=targets.device)
    return targets[index.clamp_(max=targets.numel() - 1)]


# ---------------------------------------------------------------------------
# The forward-backward algorithm
# ---------------------------------------------------------------------------
#
# Layout. For a batch with at most S labels, the extended labels have L = 2 S + 1 positions.
# The log-alphas live in one buffer A of shape (T + 2, rows, L + 2):
#   * row r holds time t = r - 1; row 0 is a virtual time -1 whose only live entry is the
#     row's start position, with log-alpha 0, so that time 0 needs no special case: the
#     start position is reached from it by staying, the next one by a step;
#   * columns 0 and 1 are padding (positions -2 and -1), log-alpha -inf throughout;
#   * row T + 1 is one extra, absorbing step: its "emission" is log 1 = 0 at the last blank
#     position L_n - 1 of each sample and -inf elsewhere, so A[T + 1, n, L_n - 1 + 2] =
#     logaddexp(alpha_{T-1}(L_n - 1), alpha_{T-1}(L_n - 2)) = log p(l | x). Frames past a
#     sample's input length get the same absorbing emission, so every sample ends in one
#     place and the loop needs no per-sample bookkeeping.
# beta is alpha of the reversed problem (frames, samples and extended labels reversed),
# laid out as the whole buffer read backwards (see _trellis), so that one flip reads it
# back. When gradients are needed, small problems run the reversed samples as N more rows
# of the same loop; large ones run them in the backward pass, a block of frames at a time
# in a buffer of one block. The posterior of position s at time t is
# gamma_t(s) = alpha_t(s) beta_t(s) / (y^t_{l'_s} p); the backward pass computes it a block
# of frames at a time.


def _skip_penalty(targets, L, dtype):
    """0 where a path may jump from s - 2 to s, -inf elsewhere: (N, L + 2), padded as A.

    Label positions whose label differs from the previous label may skip the blank between
    them; position 1 may always (its source, position -1, is padding).
    """
    N, S = targets.shape
    pen = torch.full((N, L + 2), -math.inf, dtype=dtype, device=targets.device)
    if S > 0:
        allowed = torch.ones(N, S, dtype=torch.bool, device=targets.device)
        torch.ne(targets[:, 1:], targets[:, :-1], out=allowed[:, 1:])
        pen[:, 3::2].masked_fill_(allowed, 0.0)
    return pen


def _log_alpha_(pen, A):
    """Run the recursion in place: A (T + 2, N, L + 2) holds the emissions, and then the log-alphas.

    On entry, row r >= 1 holds the log-emissions of row r (-inf in the two padding columns)
    and row 0 the virtual start; ``pen`` (N, L + 2) is padded the same way. Each row is
    processed as one flat vector: the neighbours s - 1 and s - 2 of a position are then the
    flat vector shifted by one and two, every operation runs on a contiguous 1-D slice
    (several times faster than on 2-D strided views at small sizes), and the padding
    columns, which receive the tail of the previous sample, stay -inf through their -inf
    emission. Keeping the emissions in A saves a buffer of A's size.
    """
    T2, N, Lp2 = A.shape
    flat = A.view(T2, N * Lp2)
    stay, step, jump = flat[:, 2:].unbind(0), flat[:, 1:-1].unbind(0), flat[:, :-2].unbind(0)
    pen = pen.reshape(-1)[2:]
    total, skip = torch.empty_like(pen), torch.empty_like(pen)
    for r in range(1, T2):
        torch.logaddexp(stay[r - 1], step[r - 1], out=total)  # stay at s, or step from s - 1
        torch.add(jump[r - 1], pen, out=skip)  # jump from s - 2, where allowed
        torch.logaddexp(total, skip, out=total)
        stay[r].add_(total)  # times the emission already there
    return A


class _CTCFunction(torch.autograd.Function):
    """The reduced CTC loss, with the hand-written backward pass described above."""

    @staticmethod
    def forward(
        ctx, log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity, full
    ):
        T, N, C = log_probs.shape
        S = targets.shape[1]
        L = 2 * S + 1
        with_grad = ctx.needs_input_grad[0]
        # Small trellises run beta with alpha, as N more rows of one loop: the loop costs
        # little more than alpha's alone, where its operations are dominated by their fixed
        # cost. Large ones keep only alpha, and the backward pass runs beta a block of frames
        # at a time, which halves the memory where the work per operation dominates.
        together = with_grad and 2 * (T + 2) * N * (L + 2) <= _TOGETHER_ELEMENTS
        # The buffers never leave this Function, so they are built in inference mode: that
        # skips autograd's bookkeeping (version counters, view tracking) on each of the
        # loop's 4 T small operations, about a tenth of their cost at small sizes.
        with torch.inference_mode():
            ext = _extended_labels(targets, blank, L)
            ext_len = None if full else 2 * target_lengths + 1
            absorbing = None if full else _absorbing(ext_len, L, log_probs.dtype)
            A = _trellis(log_probs, ext, input_lengths, ext_len, absorbing, together)
            row_targets = torch.cat([targets, targets.flip(0, 1)]) if together else targets
            _log_alpha_(_skip_penalty(row_targets, L, A.dtype), A)
        nll = _log_likelihood(A, N, ext_len).neg()  # outside inference mode: an ordinary tensor
        if zero_infinity:
            nll.masked_fill_(torch.isinf(nll), 0.0)
        if reduction == "mean":
            # each loss divided by its target length, then averaged
            if full:
                weights = 1.0 / (max(S, 1) * N) if N > 0 else math.nan
                loss = nll.sum().mul_(weights)
            else:
                weights = target_lengths.clamp(min=1).to(log_probs.dtype).mul_(N).reciprocal_()
                loss = torch.dot(nll, weights) if N > 0 else nll.sum().div(0)
        else:
            weights = None
            loss = nll.sum() if reduction == "sum" else nll
        if with_grad:
            # Inference tensors cannot be saved for backward: A goes through an ordinary alias
            # of its storage, so that autograd frees it as soon as the backward pass has run.
            # The other saved buffers are small.
            trellis = torch.empty(0, dtype=A.dtype, device=A.device).set_(A)
            saved_weights = weights if isinstance(weights, torch.Tensor) else None
            ctx.save_for_backward(log_probs, input_lengths, saved_weights, trellis)
            ctx.labels = (targets, ext, ext_len, absorbing)
            ctx.reduction, ctx.full, ctx.weight, ctx.together = reduction, full, weights, together
        return loss

    @staticmethod
    @first_order_backward("ctc_loss")
    def backward(ctx, grad_loss):
        log_probs, input_lengths, weights, A = ctx.saved_tensors
        targets, ext, ext_len, absorbing = ctx.labels
        T, N, C = log_probs.shape
        L = A.shape[2] - 2
        width = N * (L + 2)
        # Everything but the gradient itself is a temporary, computed in inference mode as in
        # the forward pass.
        with torch.inference_mode():
            log_p = _log_likelihood(A, N, ext_len)
            # d(-log p)/d log y^t_k = -sum over positions s with l'_s = k of gamma_t(s), times
            # the weight of the sample in the reduction.
            if ctx.reduction == "mean" and ctx.full:
                factor = grad_loss * -ctx.weight
            else:
                if ctx.reduction == "mean":
                    factor = weights.mul(grad_loss.neg())
                elif ctx.reduction == "sum":
                    factor = grad_loss.neg().expand(N)
                else:
                    factor = grad_loss.neg()
                factor = factor.to(A.dtype).unsqueeze(1)
            scale = torch.nan_to_num(log_p, nan=math.inf, neginf=math.inf).unsqueeze(1)
            if not ctx.together:  # beta's buffer: one block of reversed frames after its start
                B = torch.full(
                    (_block_frames(width, T) + 1, N, L + 2), -math.inf, dtype=A.dtype, device=A.device
                )
                _reversed_start_(B[0], ext_len, L)
                pen = _skip_penalty(targets.flip(0, 1), L, A.dtype)
            grad = None
            # The posteriors go a block of frames at a time (the last ones first, as beta
            # runs): their temporaries stay the size of a block, not buffers the size of the
            # trellis.
            frames = _block_frames(width, T)
            for r0 in range(0, T, frames):  # reversed frames r0..r1 - 1 are frames T - r1..T - r0 - 1
                r1 = min(T, r0 + frames)
                t0, t1 = T - r1, T - r0
                if ctx.together:
                    reversed_rows = A[1 + r0 : 1 + r1, N:]
                else:
                    emissions = torch.full((r1 - r0, N, L + 2), -math.inf, dtype=A.dtype, device=A.device)
                    _emissions_(emissions[:, :, 2:], log_probs, ext, input_lengths, absorbing, t0, t1)
                    reversed_rows = B[1 : 1 + r1 - r0]
                    _flip_rows_(reversed_rows, emissions)  # the reversed frames' emissions
                    del emissions
                    _log_alpha_(pen, B[: 1 + r1 - r0])
                log_gamma, index = _log_gamma(log_probs, A[1 + t0 : 1 + t1, :N], reversed_rows, ext, t0, t1)
                if not ctx.together:
                    B[0] = B[r1 - r0]  # where the next block of reversed frames starts
                if not ctx.full:  # frames past a sample's input length are absorbing steps
                    past = torch.arange(t0, t1, device=A.device).unsqueeze(1) >= input_lengths
                    log_gamma.masked_fill_(past.unsqueeze(2), -math.inf)
                # gamma = alpha beta / (y p): 0 in frames past the input length (the absorbing
                # steps), for infeasible samples (p = 0) and at dead positions (where a
                # difference of infinities gives NaN, which fails the comparison below).
                # Posteriors below the smallest normal number are flushed to 0 as well: exp is
                # an order of magnitude slower when its results are subnormal, and they change
                # no sum.
                log_gamma.sub_(scale)
                keep = log_gamma >= math.log(torch.finfo(log_gamma.dtype).tiny)
                torch.where(keep, log_gamma, log_gamma.new_full((), -math.inf), out=log_gamma)
                del keep
                gamma = log_gamma.exp_().mul_(factor)
                if grad is None:  # allocated once the first block's temporaries are gone
                    with torch.inference_mode(False):  # an ordinary tensor, for the caller
                        grad = torch.zeros_like(log_probs)
                grad[t0:t1].scatter_add_(2, index, gamma)
                del log_gamma, gamma
        return grad, None, None, None, None, None, None, None


def _block_frames(width: int, T: int) -> int:
    """Frames per block of the temporaries, for rows of ``width`` elements."""
    return min(T, max(1, _BLOCK_ELEMENTS // max(1, width)))


def _log_likelihood(A, N, ext_len):
    """log p(l | x) of the N samples from the finished buffer: the absorbing row at L_n - 1."""
    if ext_len is None:  # full length: every sample ends at position L - 1
        return A[-1, :N, -1]
    return A[-1, :N].gather(1, (ext_len + 1).unsqueeze(1)).squeeze(1)


def _log_gamma(log_probs, forward_rows, reversed_rows, ext, t0, t1):
    """log(alpha beta / y) at frames t0..t1 - 1, in the layout of ext (N, L + 2).

    ``forward_rows`` holds alpha at those frames, ``reversed_rows`` the reversed samples'
    alpha at the same frames read backwards (see _trellis): one flat flip gives beta for
    every sample, each followed by two padding entries (-inf).
    """
    frames, N, Lp2 = forward_rows.shape
    width = N * Lp2
    log_gamma = reversed_rows.reshape(frames, width).flip(0, 1)
    log_gamma[:, :-2].add_(forward_rows.reshape(frames, width)[:, 2:])
    log_gamma = log_gamma.view(frames, N, Lp2)
    index = ext.unsqueeze(0).expand(frames, N, Lp2)
    return log_gamma.sub_(log_probs[t0:t1].gather(2, index)), index


def _extended_labels(targets, blank, L):
    """The extended labels l' (N, L + 2): blank, label, blank, ..., blank, then two blanks of padding."""
    ext = torch.full((targets.shape[0], L + 2), blank, dtype=torch.int64, device=targets.device)
    ext[:, 1:L:2] = targets
    return ext


def _absorbing(ext_len, L, dtype):
    """The absorbing emission (N, L): 0 at each sample's last position L_n - 1, -inf elsewhere."""
    absorbing = torch.full((ext_len.shape[0], L), -math.inf, dtype=dtype, device=ext_len.device)
    return absorbing.scatter_(1, (ext_len - 1).unsqueeze(1), 0.0)


def _emissions_(out, log_probs, ext, input_lengths, absorbing, t0, t1):
    """Write the log-emissions of frames t0..t1 - 1 into ``out`` (t1 - t0, N, L).

    Frames past a sample's input length get the absorbing emission (``absorbing`` is None
    when every sample uses all frames). Positions past a sample's extended label keep real
    emissions: they are reached only from the label's end, never lead back, and the
    backward pass reads them as -inf.
    """
    frames, N, L = out.shape
    torch.gather(log_probs[t0:t1], 2, ext[:, :L].unsqueeze(0).expand(frames, N, L), out=out)
    if absorbing is not None:
        live = (torch.arange(t0, t1, device=out.device).unsqueeze(1) < input_lengths).unsqueeze(2)
        torch.where(live, out, absorbing, out=out)


def _flip_rows_(reversed_rows, forward_rows):
    """Write ``forward_rows`` (frames, N, L + 2) read backwards into ``reversed_rows``.

    Backwards in time, in the samples and in the positions: flat, a block of rows is
    [pad pad labels_0 pad pad labels_1 ...]; read backwards, the padding comes after each
    sample's labels, hence the shift by two (the first two entries are left as they are).
    """
    frames, N, Lp2 = forward_rows.shape
    width = N * Lp2
    reversed_rows.view(frames, width)[:, 2:].copy_(forward_rows.reshape(frames, width).flip(0, 1)[:, :-2])


def _reversed_start_(row, ext_len, L):
    """Log-alpha 0 at the start of each reversed sample in ``row`` (N, L + 2), -inf elsewhere.

    Reversed row k holds sample n = N - 1 - k, right-aligned: it starts at position L - L_n.
    """
    if ext_len is None:
        row[:, 2] = 0.0
    else:
        row.scatter_(1, (L + 2 - ext_len).flip(0).unsqueeze(1), 0.0)


def _trellis(log_probs, ext, input_lengths, ext_len, absorbing, together):
    """The buffer A (T + 2, N or 2 N, L + 2), holding the log-emissions and the start row.

    ``absorbing`` is None when every sample uses all T frames and all S labels. With
    ``together``, the reversed problems ride along as N more rows.

    The reversed problems are flips. The reversed samples go in reverse order too (row
    N + k holds sample N - 1 - k), so that the block of reversed rows at one time step is
    the forward block read backwards: their emissions are one flat flip of the forward
    emissions, and in the backward pass beta is one flat flip of the reversed alphas. A
    reversed sample shorter than the buffer is right-aligned in it: its absorbing frames
    come first and hold it in its start position, the first position of its reversed label,
    and its padding positions come first and stay -inf.
    """
    T, N, C = log_probs.shape
    L = ext.shape[1] - 2
    A = torch.full(
        (T + 2, 2 * N if together else N, L + 2), -math.inf, dtype=log_probs.dtype, device=log_probs.device
    )
    _emissions_(A[1 : T + 1, :N, 2:], log_probs, ext, input_lengths, absorbing, 0, T)
    A[0, :N, 2] = 0.0  # every sample starts in its position 0
    if absorbing is None:
        A[T + 1, :N, L + 1] = 0.0  # the absorbing step ends at position L - 1
    else:
        A[T + 1, :N, 2:] = absorbing
    if together:
        _reversed_start_(A[0, N:], ext_len, L)
        frames = _block_frames(N * (L + 2), T)  # a block at a time: the flipped temporary stays small
        for t0 in range(0, T, frames):
            t1 = min(T, t0 + frames)
            _flip_rows_(A[1 + T - t1 : 1 + T - t0, N:], A[1 + t0 : 1 + t1, :N])
    return A


def ctc_loss(
    log_probs: torch.Tensor,
    targets: torch.Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> torch.Tensor:
    r"""Connectionist temporal classification loss :math:`-\log p(l \mid x)`.

    .. math::

        \ell_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(l_n)} \prod_{t=1}^{T_n} y^t_{n, \pi_t}

    computed by the forward algorithm in log space; the gradient is the hand-written backward
    pass (posterior occupancies of the extended-label trellis). Semantics of
    ``torch.nn.functional.ctc_loss``, which it is tested against.

    Args:
        log_probs: log-probabilities (T, N, C), or (T, C) unbatched; usually a
            ``log_softmax`` over C. float32 or float64 (float16/bfloat16 are computed in
            float32).
        targets: labels, padded (N, S) or concatenated 1-D (sum of target_lengths); int32 or
            int64; never the blank. Unbatched: (S,).
        input_lengths: (N,) frames used per sample, each in [0, T] (tensor, list or int).
        target_lengths: (N,) labels per sample, each >= 0.
        blank: index of the blank in [0, C). Default: 0.
        reduction: ``"mean"`` (each loss divided by its target length, clamped to >= 1, then
            averaged), ``"sum"`` or ``"none"`` (N,). Default: ``"mean"``.
        zero_infinity: replace infinite losses (no alignment fits in the frames) and their
            gradients by 0. Default: False.

    Returns:
        The reduced loss, or (N,) with ``"none"`` (a 0-d tensor unbatched). An infeasible
        sample has loss ``inf`` and, unlike torch's (NaN), gradient 0.

    Reference:
        Graves, Fernández, Gomez, Schmidhuber, "Connectionist Temporal Classification:
        Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006.

    Example:
        >>> log_probs = torch.randn(6, 2, 4).log_softmax(2)
        >>> targets = torch.tensor([[1, 2], [3, 3]])
        >>> ctc_loss(log_probs, targets, [6, 6], [2, 2]).shape
        torch.Size([])
    """
    check_reduction(reduction)
    log_probs, targets, input_lengths, target_lengths, unbatched, full = _prepare(
        log_probs, targets, input_lengths, target_lengths, blank
    )
    dtype = log_probs.dtype
    loss = _CTCFunction.apply(
        log_probs.to(compute_dtype(dtype)),
        targets,
        input_lengths,
        target_lengths,
        blank,
        reduction,
        bool(zero_infinity),
        full,
    )
    if unbatched and reduction == "none":
        loss = loss[0]
    return loss if loss.dtype == dtype else loss.to(dtype)


class CTCLoss(Loss):
    """Module form of :func:`ctc_loss`: ``CTCLoss(blank=0)(log_probs, targets, input_lengths, target_lengths)``.

    Example:
        >>> criterion = CTCLoss(blank=0, zero_infinity=True)
        >>> log_probs = torch.randn(5, 1, 3).log_softmax(2)
        >>> criterion(log_probs, torch.tensor([[1, 2]]), [5], [2]).ndim
        0
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction)
        if isinstance(blank, bool) or not isinstance(blank, int) or blank < 0:
            raise ValueError(f"blank must be an int >= 0; got {blank!r}")
        self.blank = blank
        self.zero_infinity = bool(zero_infinity)

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            blank=self.blank,
            reduction=self.reduction,
            zero_infinity=self.zero_infinity,
        )


# ---------------------------------------------------------------------------
# Oracles for one unbatched example: brute force, and the textbook alpha-beta trellis
# ---------------------------------------------------------------------------


def _unbatched_example(log_probs, target, blank):
    check_tensor("log_probs", log_probs)
    if log_probs.dim() != 2:
        raise ValueError(
            f"log_probs must be one unbatched example (T, C); got shape {tuple(log_probs.shape)}"
        )
    T, C = log_probs.shape
    if isinstance(blank, bool) or not isinstance(blank, int) or not 0 <= blank < C:
        raise ValueError(f"blank must be an int in [0, C) = [0, {C}); got {blank!r}")
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


def ctc_loss_bruteforce(log_probs: torch.Tensor, target, blank: int = 0) -> torch.Tensor:
    r""":math:`-\log p(l \mid x)` by enumerating all :math:`C^T` paths of one example.

    Every path's log-probability :math:`\sum_t \log y^t_{\pi_t}` is computed, the paths that
    collapse to ``target`` are kept and their probabilities summed (a ``logsumexp``). The
    definition itself, without the forward algorithm: the oracle of the tests and the chapter.

    Args:
        log_probs: (T, C) log-probabilities of one example.
        target: the labelling (a list of ints or a 1-D integer tensor), without blanks.
        blank: index of the blank. Default: 0.

    Returns:
        The loss as a 0-d tensor, ``inf`` when no path collapses to ``target``.

    Raises:
        ValueError: above ``MAX_BRUTEFORCE_PATHS`` = 2**20 (about a million) paths.

    Example:
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
        >>> round(ctc_loss_bruteforce(log_probs, [1]).exp().reciprocal().item(), 4)  # p("a")
        0.64
    """
    T, C, target = _unbatched_example(log_probs, target, blank)
    if C**T > MAX_BRUTEFORCE_PATHS:
        raise ValueError(
            f"ctc_loss_bruteforce enumerates C**T = {C}**{T} paths, more than {MAX_BRUTEFORCE_PATHS:,}; "
            "use ctc_loss (the forward algorithm) for this size"
        )
    device = log_probs.device
    # All paths as rows of base-C digits.
    codes = torch.arange(C**T, device=device)
    powers = C ** torch.arange(T - 1, -1, -1, device=device)
    paths = torch.div(codes.unsqueeze(1), powers, rounding_mode="floor") % C  # (C**T, T)
    path_log_p = (
        log_probs.gather(1, paths.T).sum(0) if T > 0 else torch.zeros(1, dtype=log_probs.dtype, device=device)
    )
    # Collapse all paths at once: keep a symbol when it is no blank and differs from the one before.
    keep = paths != blank
    keep[:, 1:] &= paths[:, 1:] != paths[:, :-1]
    n_kept = keep.sum(1)
    wanted = torch.tensor(target + [blank], dtype=torch.int64, device=device)
    slot = (keep.cumsum(1) - 1).clamp(min=0, max=len(target))
    agrees = torch.where(keep, paths == wanted[slot], True).all(1) & (n_kept == len(target))
    return -torch.logsumexp(torch.where(agrees, path_log_p, -math.inf), 0)


def ctc_log_alpha_beta(log_probs: torch.Tensor, target, blank: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The forward and backward variables of one example, in log space, as in the paper.

    With the extended label :math:`l'` (length :math:`L = 2|l| + 1`):

    .. math::

        \alpha_1(0) = y^1_{b},\ \alpha_1(1) = y^1_{l_1},\quad
        \alpha_t(s) = y^t_{l'_s} \sum_{j \in \text{pred}(s)} \alpha_{t-1}(j),\qquad
        \beta_T(L-1) = y^T_b,\ \beta_T(L-2) = y^T_{l_{|l|}},\quad
        \beta_t(s) = y^t_{l'_s} \sum_{j \in \text{succ}(s)} \beta_{t+1}(j),

    where pred(s) is s, s - 1, and s - 2 when :math:`l'_s` is a label different from
    :math:`l'_{s-2}`. Then :math:`\sum_s \alpha_t(s) \beta_t(s) / y^t_{l'_s} = p(l \mid x)` at
    every t. A plain loop over t and s, written for reading; :func:`ctc_loss` is the fast one.

    Args:
        log_probs: (T, C) log-probabilities of one example (T >= 1).
        target: the labelling (list of ints or 1-D integer tensor).
        blank: index of the blank. Default: 0.

    Returns:
        ``(log_alpha, log_beta)``, each of shape (T, 2 S + 1) for a target of S labels.

    Example:
        >>> log_probs = torch.randn(4, 3).log_softmax(1)
        >>> log_alpha, log_beta = ctc_log_alpha_beta(log_probs, [1, 2])
        >>> log_alpha.shape
        torch.Size([4, 5])
    """
    T, C, target = _unbatched_example(log_probs, target, blank)
    if T == 0:
        raise ValueError("log_probs must have at least one frame (T >= 1)")
    ext = [blank]
    for k in target:
        ext += [k, blank]
    L = len(ext)
    lp = log_probs
    alpha = torch.full((T, L), -math.inf, dtype=lp.dtype, device=lp.device)
    beta = torch.full((T, L), -math.inf, dtype=lp.dtype, device=lp.device)

    def skip(s):  # may a path jump from s - 2 to s?
        return s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]

    alpha[0, 0] = lp[0, ext[0]]
    if L > 1:
        alpha[0, 1] = lp[0, ext[1]]
    for t in range(1, T):
        for s in range(L):
            terms = [alpha[t - 1, s]]  # stay
            if s >= 1:
                terms.append(alpha[t - 1, s - 1])  # step from s - 1
            if skip(s):
                terms.append(alpha[t - 1, s - 2])  # jump over a blank
            alpha[t, s] = torch.logsumexp(torch.stack(terms), 0) + lp[t, ext[s]]
    beta[T - 1, L - 1] = lp[T - 1, ext[L - 1]]
    if L > 1:
        beta[T - 1, L - 2] = lp[T - 1, ext[L - 2]]
    for t in range(T - 2, -1, -1):
        for s in range(L):
            terms = [beta[t + 1, s]]  # stay
            if s + 1 < L:
                terms.append(beta[t + 1, s + 1])  # step to s + 1
            if s + 2 < L and skip(s + 2):
                terms.append(beta[t + 1, s + 2])  # jump over a blank
            beta[t, s] = torch.logsumexp(torch.stack(terms), 0) + lp[t, ext[s]]
    return alpha, beta


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def _decoder_inputs(log_probs, input_lengths, blank):
    check_tensor("log_probs", log_probs)
    if log_probs.dim() not in (2, 3):
        raise ValueError(f"log_probs must have shape (T, N, C) or (T, C); got shape {tuple(log_probs.shape)}")
    unbatched = log_probs.dim() == 2
    lp = log_probs.detach().unsqueeze(1) if unbatched else log_probs.detach()
    T, N, C = lp.shape
    if isinstance(blank, bool) or not isinstance(blank, int) or not 0 <= blank < C:
        raise ValueError(f"blank must be an int in [0, C) = [0, {C}); got {blank!r}")
    if input_lengths is None:
        lengths = torch.full((N,), T, dtype=torch.int64)
    else:
        lengths = _as_length_tensor("input_lengths", input_lengths, "cpu").reshape(-1)
        if lengths.shape[0] != N:
            raise ValueError(
                f"input_lengths must have one length per batch element ({N}); got {lengths.shape[0]}"
            )
        _check_lengths("input_lengths", lengths, T, "the number of frames T of log_probs")
    return lp, lengths.tolist(), unbatched


def ctc_greedy_decode(log_probs: torch.Tensor, input_lengths=None, blank: int = 0):
    r"""Best-path decoding: the most probable symbol at each frame, then :math:`\mathcal{B}`.

    Fast, and exact when one path dominates; it can miss the most probable *labelling*, whose
    probability is spread over many paths (see :func:`ctc_beam_search_decode`).

    Args:
        log_probs: (T, N, C) or (T, C) log-probabilities (or logits: only the argmax matters).
        input_lengths: (N,) frames per sample; None uses all T.
        blank: index of the blank. Default: 0.

    Returns:
        One list of label ids per batch element (a single list for a (T, C) input).

    Example:
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
        >>> ctc_greedy_decode(log_probs)
        []
    """
    lp, lengths, unbatched = _decoder_inputs(log_probs, input_lengths, blank)
    best = lp.argmax(2).T.tolist()  # (N, T)
    decoded = [ctc_collapse(row[:n], blank) for row, n in zip(best, lengths)]
    return decoded[0] if unbatched else decoded


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


def ctc_beam_search_decode(log_probs: torch.Tensor, input_lengths=None, beam_width: int = 8, blank: int = 0):
    r"""Prefix beam search: the most probable labellings, each summed over all of its paths.

    Each prefix :math:`l` in the beam keeps two log-probabilities, of the paths so far that
    collapse to :math:`l` and end in a blank (:math:`p_b`) or in its last label
    (:math:`p_{nb}`). A frame extends every prefix by the blank, by its last label (which
    merges unless a blank came between) and by every other label; the ``beam_width`` most
    probable prefixes survive :cite:p:`hannun2014first`. With a beam as wide as the number of
    labellings, nothing is pruned and the result is the most probable labelling exactly.

    Args:
        log_probs: (T, N, C) or (T, C) log-probabilities.
        input_lengths: (N,) frames per sample; None uses all T.
        beam_width: prefixes kept after each frame (>= 1). Default: 8.
        blank: index of the blank. Default: 0.

    Returns:
        One list of label ids per batch element (a single list for a (T, C) input).

    Example:
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
        >>> ctc_beam_search_decode(log_probs)  # p("a") = 0.64 beats p("") = 0.36
        [1]
    """
    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"beam_width must be an int >= 1; got {beam_width!r}")
    lp, lengths, unbatched = _decoder_inputs(log_probs, input_lengths, blank)
    lp = lp.to(torch.float64).cpu()
    C = lp.shape[2]
    decoded = []
    for n, length in enumerate(lengths):
        frames = lp[:length, n].tolist()
        beam = {(): (0.0, -math.inf)}  # prefix -> (log p_b, log p_nb)
        for y in frames:
            nxt = defaultdict(lambda: [-math.inf, -math.inf])
            for prefix, (p_b, p_nb) in beam.items():
                total = _logaddexp(p_b, p_nb)
                # the blank: the prefix stays, now ending in a blank
                entry = nxt[prefix]
                entry[0] = _logaddexp(entry[0], total + y[blank])
                last = prefix[-1] if prefix else None
                for k in range(C):
                    if k == blank:
                        continue
                    if k == last:
                        # repeat without a blank between: merges into the same prefix
                        entry[1] = _logaddexp(entry[1], p_nb + y[k])
                        # after a blank: a new copy of the label
                        ext = nxt[prefix + (k,)]
                        ext[1] = _logaddexp(ext[1], p_b + y[k])
                    else:
                        ext = nxt[prefix + (k,)]
                        ext[1] = _logaddexp(ext[1], total + y[k])
            ranked = sorted(nxt.items(), key=lambda item: _logaddexp(*item[1]), reverse=True)
            beam = {prefix: tuple(p) for prefix, p in ranked[:beam_width]}
        best = max(beam.items(), key=lambda item: _logaddexp(*item[1]))[0]
        decoded.append(list(best))
    return decoded[0] if unbatched else decoded


# ---------------------------------------------------------------------------
# Metrics of a recognizer
# ---------------------------------------------------------------------------


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning a into b.

    Example:
        >>> edit_distance([1, 2, 3], [1, 3])
        1
        >>> edit_distance("kitten", "sitting")
        3
    """
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def character_error_rate(predictions: Sequence[Sequence], references: Sequence[Sequence]) -> float:
    r"""Character error rate: total edit distance over the total length of the references.

    .. math:: \text{CER} = \frac{\sum_i \operatorname{edit}(\hat l_i, l_i)}{\sum_i |l_i|}

    Example:
        >>> character_error_rate([[1, 2], [3]], [[1, 2, 2], [3]])
        0.25
    """
    if len(predictions) != len(references):
        raise ValueError(
            f"predictions and references must have the same length; got {len(predictions)} and {len(references)}"
        )
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("the references must hold at least one character")
    return sum(edit_distance(p, r) for p, r in zip(predictions, references)) / total


def sequence_accuracy(predictions: Sequence[Sequence], references: Sequence[Sequence]) -> float:
    """Fraction of sequences recognized exactly.

    Example:
        >>> sequence_accuracy([[1, 2], [3]], [[1, 2, 2], [3]])
        0.5
    """
    if len(predictions) != len(references):
        raise ValueError(
            f"predictions and references must have the same length; got {len(predictions)} and {len(references)}"
        )
    if len(references) == 0:
        raise ValueError("sequence_accuracy needs at least one sequence")
    return sum(list(p) == list(r) for p, r in zip(predictions, references)) / len(references)
