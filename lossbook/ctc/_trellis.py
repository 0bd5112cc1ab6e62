r"""The fast forward-backward of :func:`~lossbook.ctc.loss.ctc_loss`: the trellis and its layout.

The forward algorithm runs in log space, vectorized over the batch and the extended-label
positions :math:`s` (Python loops only over time); the backward variables :math:`\beta` are the
:math:`\alpha` of the reversed problem, computed in the same loop (small problems) or in the
backward pass (large ones). The gradient is written by hand: with the posterior
:math:`\gamma_t(s) = \alpha_t(s) \beta_t(s) / (y^t_{l'_s}\, p(l \mid x))` of being at position
:math:`s` at time :math:`t`, :math:`\partial(-\log p)/\partial \log y^t_k = -\sum_{s: l'_s = k}
\gamma_t(s)`.

Book: *Connectionist temporal classification (CTC)*, sections "The forward algorithm" and
"The backward pass and the gradient".

Layout. For a batch with at most S labels, the extended labels have L = 2 S + 1 positions.
The log-alphas live in one buffer A of shape (T + 2, rows, L + 2):

* row r holds time t = r - 1; row 0 is a virtual time -1 whose only live entry is the
  row's start position, with log-alpha 0, so that time 0 needs no special case: the
  start position is reached from it by staying, the next one by a step;
* columns 0 and 1 are padding (positions -2 and -1), log-alpha -inf throughout;
* row T + 1 is one extra, absorbing step: its "emission" is log 1 = 0 at the last blank
  position L_n - 1 of each sample and -inf elsewhere, so A[T + 1, n, L_n - 1 + 2] =
  logaddexp(alpha_{T-1}(L_n - 1), alpha_{T-1}(L_n - 2)) = log p(l | x). Frames past a
  sample's input length get the same absorbing emission, so every sample ends in one
  place and the loop needs no per-sample bookkeeping.

beta is alpha of the reversed problem (frames, samples and extended labels reversed),
laid out as the whole buffer read backwards (see ``_trellis``), so that one flip reads it
back. When gradients are needed, small problems run the reversed samples as N more rows
of the same loop; large ones run them in the backward pass, a block of frames at a time
in a buffer of one block. The posterior of position s at time t is
gamma_t(s) = alpha_t(s) beta_t(s) / (y^t_{l'_s} p); the backward pass computes it a block
of frames at a time.
"""

from __future__ import annotations

import math

import torch

from .._base import first_order_backward

#: Elements of the temporaries that ctc_loss works on at a time (the flipped emissions, the
#: posteriors, beta when it runs in the backward pass): a block of frames, so that they stay
#: small next to the trellis.
_BLOCK_ELEMENTS = 1 << 16

#: Largest trellis (elements of alpha and beta together) for which ctc_loss runs beta in the
#: same loop as alpha; larger ones run it in the backward pass, with half the memory.
_TOGETHER_ELEMENTS = 1 << 18


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


class CTCFunction(torch.autograd.Function):
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
        # loop's 4 T small operations, whose cost at small sizes is mostly fixed overhead.
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
            # validation.mean_over_lengths (each loss divided by its target length, then
            # averaged), written as a weighted sum whose weights the backward pass reuses
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
