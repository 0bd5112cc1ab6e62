r"""The RNN-transducer loss with the semantics of ``torchaudio.functional.rnnt_loss``: function and Module.

The lattice of one example has a node :math:`(t, u)` for every frame :math:`t < T` and every
number :math:`u \le U` of labels emitted so far. From a node the transducer either emits the
blank (:math:`\varnothing(t, u)`, to :math:`(t+1, u)`) or the next label
(:math:`y(t, u)`, to :math:`(t, u+1)`), so every node depends only on its left and lower
neighbours: the nodes of one anti-diagonal :math:`t + u = d` are independent of each other.
The forward and backward variables are computed a whole anti-diagonal at a time, for every
sample of the batch at once, in a *skewed* buffer of shape ``(N, T + U + 1, U + 3)`` whose row
``d`` holds the diagonal ``d`` (node :math:`(t, u)` at row :math:`t + u`, column :math:`u + 1`,
with a column of :math:`-\infty` on either side so that neighbours never need a bounds check).
The lattice itself is a strided view of that buffer, so skewing and unskewing copy nothing.

Only the blank and label log-probabilities of each node are gathered from the logits (with the
log-softmax denominators, a ``log_softmax`` taken a block of frames at a time), so that the memory
beyond the logits and their gradient is :math:`O(N\,T\,U)`; the gradient is written by hand from
alpha and beta, straight into the buffer autograd returns.
"""

from __future__ import annotations

import math

import torch

from .._base import Loss, first_order_backward
from ..validation import check_reduction, compute_dtype, reduce
from ._inputs import check_clamp, check_flag, check_int_blank, prepare_rnnt_inputs

__all__ = ["rnnt_loss", "RNNTLoss"]

# The logits are read, and their gradient written, a block of about this many elements (whole
# samples, or frames of one sample) at a time, so that the temporaries stay a small fraction of
# the logits whatever their size; few blocks, as each is a handful of full passes.
_BLOCK_ELEMENTS = 1 << 21


def _blocks(N: int, T: int, U1: int, V: int):
    """(sample slice, frame slice) of the blocks that cover the (N, T) frames."""
    frames = max(1, _BLOCK_ELEMENTS // (U1 * V))
    if frames >= T:
        step = frames // T
        for n in range(0, N, step):
            yield slice(n, min(n + step, N)), slice(0, T)
    else:
        for n in range(N):
            for t in range(0, T, frames):
                yield slice(n, n + 1), slice(t, min(t + frames, T))


def _label_index(targets: torch.Tensor, samples: slice, frames: slice, T: int) -> torch.Tensor:
    """The next label of every node of a block, (n, t, U, 1): the targets broadcast over frames."""
    rows = targets[samples]
    return rows.view(rows.shape[0], 1, rows.shape[1], 1).expand(-1, len(range(T)[frames]), -1, -1)


def _lattice(buffer: torch.Tensor, T: int, U: int, shift: int = 0) -> torch.Tensor:
    """The (N, T, U+1) lattice as a view of a skewed (N, T+U+1, U+3) buffer.

    Node (t, u) lives at row t + u, column u + 1: offset ``t * W + u * (W + 1) + 1``.
    ``shift = W`` gives each node's right neighbour (t+1, u), ``W + 1`` its upper one (t, u+1).
    """
    N, D, W = buffer.shape
    return buffer.as_strided((N, T, U + 1), (D * W, W, W + 1), buffer.storage_offset() + 1 + shift)


def _log_probabilities(logits, targets, blank: int, fused: bool, dtype):
    """Each node's blank (N, T, U+1) and next-label (N, T, U) log-probabilities, and the
    log-softmax denominators (N, T, U+1) (None unfused), without a full-size log-softmax."""
    N, T, U1, V = logits.shape
    U = U1 - 1
    if not fused:
        index = targets.view(N, 1, U, 1).expand(N, T, U, 1)
        label = logits[:, :, :U].gather(3, index).squeeze(3).to(dtype)
        return logits[..., blank].to(dtype, copy=True), label, None
    blank_lp = logits.new_empty((N, T, U1), dtype=dtype)
    label_lp = logits.new_empty((N, T, U), dtype=dtype)
    denominators = logits.new_empty((N, T, U1), dtype=dtype)
    for samples, frames in _blocks(N, T, U1, V):
        x = logits[samples, frames]
        log_probs = torch.log_softmax(x, -1, dtype=dtype)
        blank_lp[samples, frames] = log_probs[..., blank]
        label_lp[samples, frames] = (
            log_probs[:, :, :U].gather(3, _label_index(targets, samples, frames, T)).squeeze(3)
        )
        # The denominator from the most probable class, whose log-probability is the smallest
        # in magnitude (so the difference loses nothing): logsumexp(x) = x_k - log_softmax(x)_k.
        top, k = log_probs.max(-1, keepdim=True)
        denominators[samples, frames] = (x.gather(3, k).to(dtype) - top).squeeze(3)
    return blank_lp, label_lp, denominators


def _skew(values: torch.Tensor, T: int, U: int, D: int) -> torch.Tensor:
    """A (N, T, U') lattice quantity (U' <= U+1) copied into a skewed buffer of -inf."""
    N = values.shape[0]
    buffer = values.new_full((N, D, U + 3), -math.inf)
    _lattice(buffer, T, U)[..., : values.shape[2]].copy_(values)
    return buffer


def _alpha(blank: torch.Tensor, label: torch.Tensor, T: int, U: int) -> torch.Tensor:
    r"""Forward variables, skewed: :math:`\alpha(t,u) = \mathrm{lse}(\alpha(t-1,u) + \varnothing(t-1,u),
    \alpha(t,u-1) + y(t,u-1))`, one anti-diagonal per step."""
    alpha = torch.full_like(blank, -math.inf)
    alpha[:, 0, 1] = 0.0
    nodes = slice(1, U + 2)
    lower = slice(0, U + 1)
    for d in range(1, T + U):
        prev = alpha[:, d - 1]
        torch.logaddexp(
            prev[:, nodes] + blank[:, d - 1, nodes],
            prev[:, lower] + label[:, d - 1, lower],
            out=alpha[:, d, nodes],
        )
    return alpha


def _beta(blank, label, T: int, U: int, logit_lengths, target_lengths) -> torch.Tensor:
    r"""Backward variables, skewed: :math:`\beta(t,u) = \mathrm{lse}(\beta(t+1,u) + \varnothing(t,u),
    \beta(t,u+1) + y(t,u))`, from a virtual node :math:`\beta(T_n, U_n) = 0` after each sample's
    final blank (set once its diagonal is reached), one anti-diagonal per step."""
    beta = torch.full_like(blank, -math.inf)
    N, D, _ = beta.shape
    ends: dict[int, tuple[list[int], list[int]]] = {}
    for n, (t, u) in enumerate(zip(logit_lengths.tolist(), target_lengths.tolist(), strict=True)):
        rows, columns = ends.setdefault(t + u, ([], []))
        rows.append(n)
        columns.append(u + 1)
    nodes = slice(1, U + 2)
    upper = slice(2, U + 3)
    for d in range(D - 1, -1, -1):
        if d < D - 1:
            nxt = beta[:, d + 1]
            torch.logaddexp(
                nxt[:, nodes] + blank[:, d, nodes],
                nxt[:, upper] + label[:, d, nodes],
                out=beta[:, d, nodes],
            )
        if d in ends:
            rows, columns = ends[d]
            beta[rows, d, columns] = 0.0
    return beta


def _padding(logit_lengths, target_lengths, T: int, U: int):
    """(N, T, U+1) True at the nodes past a sample's lengths; None when every sample is full length."""
    if int(logit_lengths.min()) == T and int(target_lengths.min()) == U:
        return None
    frames = torch.arange(T, device=logit_lengths.device) < logit_lengths.view(-1, 1)
    labels = torch.arange(U + 1, device=logit_lengths.device) <= target_lengths.view(-1, 1, 1)
    return ~(frames.unsqueeze(2) & labels)


class _RNNTFunction(torch.autograd.Function):
    """Per-sample losses (N,) from the lattice; the gradient written by hand from alpha and beta."""

    @staticmethod
    def forward(ctx, logits, targets, logit_lengths, target_lengths, blank, clamp, fused):
        N, T, U1, V = logits.shape
        U = U1 - 1
        blank_lp, label_lp, denominators = _log_probabilities(
            logits, targets, blank, fused, compute_dtype(logits.dtype)
        )
        padding = _padding(logit_lengths, target_lengths, T, U)
        if padding is not None:
            # Nodes past a sample's lengths have no transitions, whatever the padded logits hold.
            blank_lp.masked_fill_(padding, -math.inf)
            label_lp.masked_fill_(padding[..., 1:], -math.inf)  # no label from (t, u) once (t, u+1) is past
        blank_skewed = _skew(blank_lp, T, U, T + U + 1)
        label_skewed = _skew(label_lp, T, U, T + U + 1)
        del blank_lp, label_lp
        alpha = _alpha(blank_skewed, label_skewed, T, U)
        samples = torch.arange(N, device=logits.device)
        last = logit_lengths - 1 + target_lengths
        final = (samples, last, target_lengths + 1)
        log_likelihood = alpha[final] + blank_skewed[final]  # the final blank leaves the lattice
        ctx.blank, ctx.clamp, ctx.fused = blank, clamp, fused
        ctx.save_for_backward(
            logits,
            targets,
            logit_lengths,
            target_lengths,
            denominators if fused else log_likelihood.new_empty(0),
            blank_skewed,
            label_skewed,
            alpha,
            log_likelihood,
        )
        return -log_likelihood

    @staticmethod
    @first_order_backward("rnnt_loss")
    def backward(ctx, grad_loss):
        logits, targets, logit_lengths, target_lengths, denominators, *skewed, alpha, ll = ctx.saved_tensors
        blank_skewed, label_skewed = skewed
        N, T, U1, V = logits.shape
        U = U1 - 1
        W = U + 3
        beta = _beta(blank_skewed, label_skewed, T, U, logit_lengths, target_lengths)
        scale = grad_loss.to(ll.dtype)
        offset = -ll
        if ctx.clamp <= 0 and bool((scale > 0).all()):
            # No clamp between the gradient and its scaling: the scale goes inside the
            # exponentials (in log space), which spares a pass over the whole gradient.
            offset = offset + scale.log()
            scale = None
        alpha_nodes = _lattice(alpha, T, U) + offset.view(N, 1, 1)
        # Posteriors (times the incoming gradient) of each node's two transitions: 0 where a
        # transition does not exist.
        through_blank = alpha_nodes + _lattice(blank_skewed, T, U)
        through_blank += _lattice(beta, T, U, W)
        through_blank.exp_()
        through_label = alpha_nodes + _lattice(label_skewed, T, U)
        through_label += _lattice(beta, T, U, W + 1)
        through_label.exp_()
        del beta, alpha_nodes
        shift = padding = None
        if ctx.fused:
            # A node's occupancy is the sum of its transitions' posteriors; the softmax spreads it
            # over the classes: d loss / d logit_k = occupancy * softmax_k - posterior of k's transition.
            shift = torch.add(through_blank, through_label).log_().sub_(denominators)
            # exp(logit + shift) would turn a NaN or inf in the ignored padding into a NaN.
            padding = _padding(logit_lengths, target_lengths, T, U)
        through_label.neg_()
        grad = torch.empty_like(logits, memory_format=torch.contiguous_format)
        same = grad.dtype == ll.dtype
        for samples, frames in _blocks(N, T, U1, V):
            block = (samples, frames)
            # float16/bfloat16: the block is computed in float32, then stored.
            out = grad[block] if same else torch.empty(grad[block].shape, dtype=ll.dtype, device=grad.device)
            _fill_gradient(
                out,
                logits[block],
                *[
                    x[block] if x is not None else None
                    for x in (shift, through_blank, through_label, padding)
                ],
                _label_index(targets, samples, frames, T),
                scale[samples] if scale is not None else None,
                ctx.blank,
                ctx.clamp,
                U,
            )
            if not same:
                grad[block].copy_(out)
        return grad, None, None, None, None, None, None


def _fill_gradient(
    out, logits, shift, through_blank, minus_through_label, padding, index, scale, blank, clamp, U
):
    """Write d loss / d logits for a block of nodes into ``out`` (n, t, U+1, V).

    With the log-softmax fused (``shift`` = log occupancy - log denominator), the gradient is
    ``exp(logit + shift)`` (0 at the ``padding`` nodes, whatever their logits) minus the
    transition posteriors at the blank and at the next label; without it (``shift`` None), only
    the minus terms. Then the clamp, then the incoming gradient ``scale`` per sample (None when
    it is already inside ``shift`` and the posteriors).
    """
    if shift is not None:
        torch.add(logits, shift.unsqueeze(-1), out=out)
        out.exp_()
        if padding is not None:
            out.masked_fill_(padding.unsqueeze(-1), 0.0)
    else:
        out.zero_()
    out[..., blank] -= through_blank
    if U:
        out[:, :, :U].scatter_add_(3, index, minus_through_label[..., :U].unsqueeze(3))
    if clamp > 0:
        out.clamp_(-clamp, clamp)
    if scale is not None:
        out.mul_(scale.view(-1, 1, 1, 1))


def rnnt_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    logit_lengths: torch.Tensor,
    target_lengths: torch.Tensor,
    blank: int = -1,
    clamp: float = -1.0,
    reduction: str = "mean",
    fused_log_softmax: bool = True,
) -> torch.Tensor:
    r"""The RNN-transducer loss :math:`-\log p(y \mid x)`, summed over every alignment of the lattice.

    With :math:`\varnothing(t, u)` the log-probability of the blank and :math:`y(t, u)` that of
    the label :math:`y_{u+1}` at node :math:`(t, u)` (a ``log_softmax`` of the joiner's logits),

    .. math::

        \alpha(0, 0) = 0,\qquad
        \alpha(t, u) = \operatorname{logaddexp}\big(\alpha(t-1, u) + \varnothing(t-1, u),\
                       \alpha(t, u-1) + y(t, u-1)\big),

        \ell_n = -\big(\alpha(T_n - 1, U_n) + \varnothing(T_n - 1, U_n)\big)

    (a path ends with the blank that leaves the last frame). The nodes of each anti-diagonal
    :math:`t + u = d` are computed at once; the gradient is written by hand from :math:`\alpha`
    and the backward variables :math:`\beta`. Semantics of ``torchaudio.functional.rnnt_loss``.

    Book: *Transducers and forced alignment*, section "The transducer loss on the lattice".

    Args:
        logits: the joiner's output (N, T, U+1, V), with T = max(logit_lengths) and
            U = max(target_lengths) = targets.size(1); float32 or float64 (float16/bfloat16 are
            computed in float32). Entries past a sample's lengths are ignored.
        targets: (N, U) labels, int32 or int64; only the first target_lengths[n] entries of row
            n are labels (in [0, V), never the blank), the rest is padding.
        logit_lengths: (N,) frames per sample, int32 or int64, each in [1, T].
        target_lengths: (N,) labels per sample, int32 or int64, each in [0, U].
        blank: index of the blank in [-V, V); a negative one counts from the end, so the
            default -1 is the last class.
        clamp: when > 0, each element of the gradient (of every sample's loss) is clipped to
            [-clamp, clamp]; <= 0 clips nothing. Default: -1.
        reduction: ``"mean"`` (the mean over the batch of the per-sample losses), ``"sum"`` or
            ``"none"`` (N,). Default: ``"mean"``.
        fused_log_softmax: True: the loss takes the ``log_softmax`` of ``logits`` over V
            itself. False: ``logits`` are used as given (already log-probabilities, or any
            scores), and the gradient is taken with respect to them. Default: True.

    Returns:
        The reduced loss, or (N,) with ``"none"``; in the dtype of ``logits``.

    Reference:
        A. Graves, "Sequence Transduction with Recurrent Neural Networks", ICML 2012
        Workshop on Representation Learning (arXiv:1211.3711).

    Example:
        Zero logits make every class equally likely (1/2 with V = 2). With T = 2 frames and
        one label there are two alignments, "label, blank, blank" and "blank, label, blank",
        each of probability (1/2)**3, so p(y | x) = 1/4 and the loss is log 4:

        >>> import math, torch, lossbook
        >>> logits = torch.zeros(1, 2, 2, 2)  # (N, T, U+1, V); the blank is class -1 = 1
        >>> loss = lossbook.rnnt_loss(logits, torch.tensor([[0]]), torch.tensor([2]), torch.tensor([1]))
        >>> round(loss.item(), 4), round(math.log(4), 4)
        (1.3863, 1.3863)
    """
    check_reduction(reduction)
    clamp = check_clamp(clamp)
    fused = check_flag("fused_log_softmax", fused_log_softmax)
    targets, logit_lengths, target_lengths, blank = prepare_rnnt_inputs(
        logits, targets, logit_lengths, target_lengths, blank
    )
    losses = _RNNTFunction.apply(logits, targets, logit_lengths, target_lengths, blank, clamp, fused)
    loss = reduce(losses, reduction)
    return loss if loss.dtype == logits.dtype else loss.to(logits.dtype)


class RNNTLoss(Loss):
    r"""The RNN-transducer loss as a Module: ``RNNTLoss(blank)(logits, targets, lengths...)``.

    .. math::

        \ell_n = -\log \sum_{a \in \mathcal{A}(x_n, y_n)} \prod_{i} p(a_i \mid t_i, u_i)

    over the alignments :math:`a` of the lattice, computed by :func:`rnnt_loss`.

    Book: *Transducers and forced alignment*, section "The transducer loss on the lattice".

    Args:
        blank: index of the blank, an int (-1, the default, is the last class; checked
            against V at the call).
        clamp: when > 0, clip each element of the gradient to [-clamp, clamp]. Default: -1.
        reduction: ``"mean"`` (over the batch), ``"sum"`` or ``"none"``. Default: ``"mean"``.
        fused_log_softmax: take the ``log_softmax`` of the logits inside the loss (True) or use
            them as given (False). Default: True.

    Shape:
        ``forward(logits, targets, logit_lengths, target_lengths)``: logits (N, T, U+1, V),
        targets (N, U), lengths (N,); the output is () or, with ``"none"``, (N,).

    Reference:
        A. Graves, "Sequence Transduction with Recurrent Neural Networks", 2012 (see
        :func:`rnnt_loss`).

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.RNNTLoss(reduction="sum")
        >>> logits = torch.zeros(1, 2, 2, 2)  # two alignments of probability 1/8 each
        >>> criterion(logits, torch.tensor([[0]]), torch.tensor([2]), torch.tensor([1]))  # log 4
        tensor(1.3863)
    """

    def __init__(
        self, blank: int = -1, clamp: float = -1.0, reduction: str = "mean", fused_log_softmax: bool = True
    ) -> None:
        super().__init__(reduction)
        self.blank = check_int_blank(blank)
        self.clamp = check_clamp(clamp)
        self.fused_log_softmax = check_flag("fused_log_softmax", fused_log_softmax)

    def forward(self, logits, targets, logit_lengths, target_lengths):
        """The loss of a batch: the arguments of :func:`rnnt_loss`, without its options."""
        return rnnt_loss(
            logits,
            targets,
            logit_lengths,
            target_lengths,
            blank=self.blank,
            clamp=self.clamp,
            reduction=self.reduction,
            fused_log_softmax=self.fused_log_softmax,
        )
