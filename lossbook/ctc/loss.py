r"""The CTC loss, batched with the semantics of ``torch.nn.functional.ctc_loss``: function and Module."""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_reduction, compute_dtype
from ._inputs import check_blank, prepare_ctc_inputs
from ._trellis import CTCFunction

__all__ = ["ctc_loss", "CTCLoss"]


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

    Book: *Connectionist temporal classification (CTC)*, section "The batched loss: PyTorch's
    semantics" (the algorithm: "The forward algorithm", "The backward pass and the gradient").

    Args:
        log_probs: log-probabilities (T, N, C), time first, or (T, C) unbatched: a
            ``log_softmax`` over C, every element <= 0 (probabilities or raw scores raise a
            ``ValueError``). float32 or float64 (float16/bfloat16 are computed in float32).
        targets: labels, padded (N, S) or concatenated 1-D (sum of target_lengths); int32 or
            int64; never the blank. Unbatched: (S,).
        input_lengths: (N,) frames used per sample, each in [0, T] (tensor, list or int).
        target_lengths: (N,) labels per sample, each >= 0.
        blank: index of the blank in [0, C). Default: 0.
        reduction: ``"mean"`` (each loss divided by its target length, clamped to >= 1, then
            averaged: :func:`lossbook.validation.mean_over_lengths`), ``"sum"`` or ``"none"``
            (N,). Default: ``"mean"``.
        zero_infinity: replace infinite losses (no alignment fits in the frames) and their
            gradients by 0. Default: False.

    Returns:
        The reduced loss, or (N,) with ``"none"`` (a 0-d tensor unbatched). An infeasible
        sample has loss ``inf`` and, unlike torch's (NaN), gradient 0.

    Reference: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal Classification:
    Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006.

    Example:
        Two frames, the blank (class 0) with probability 0.6 and "a" (class 1) with 0.4 in
        each. The paths "aa", "a-" and "-a" collapse to "a", so
        p("a") = 0.16 + 0.24 + 0.24 = 0.64 and the loss is -log 0.64:

        >>> import torch, lossbook
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log().unsqueeze(1)  # (T, N, C)
        >>> lossbook.ctc_loss(log_probs, torch.tensor([[1]]), input_lengths=[2], target_lengths=[1])
        tensor(0.4463)
        >>> round(-torch.tensor(0.64).log().item(), 4)
        0.4463
    """
    check_reduction(reduction)
    log_probs, targets, input_lengths, target_lengths, unbatched, full = prepare_ctc_inputs(
        log_probs, targets, input_lengths, target_lengths, blank
    )
    dtype = log_probs.dtype
    loss = CTCFunction.apply(
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
    r"""The CTC loss as a Module: ``CTCLoss(blank)(log_probs, targets, input_lengths, target_lengths)``.

    .. math::

        \ell_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(l_n)} \prod_{t=1}^{T_n} y^t_{n, \pi_t}

    Book: *Connectionist temporal classification (CTC)*, section "The batched loss: PyTorch's
    semantics".

    Args:
        blank: index of the blank, an int >= 0 (checked against C at the call). Default: 0.
        reduction: ``"mean"`` (each loss divided by its target length, then averaged),
            ``"sum"`` or ``"none"``. Default: ``"mean"``.
        zero_infinity: replace infinite losses and their gradients by 0. Default: False.

    Shape:
        ``forward(log_probs, targets, input_lengths, target_lengths)`` takes the arguments of
        :func:`ctc_loss`: log_probs (T, N, C) or (T, C), targets (N, S) or concatenated 1-D,
        lengths (N,).

    Reference: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal Classification:
    Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.CTCLoss(blank=0, reduction="sum")
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log().unsqueeze(1)  # (T, N, C)
        >>> criterion(log_probs, torch.tensor([[1]]), [2], [1])  # -log 0.64
        tensor(0.4463)
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction)
        self.blank = check_blank(blank)
        self.zero_infinity = bool(zero_infinity)

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        """The loss of a batch: the arguments of :func:`ctc_loss`, without its options."""
        return ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            blank=self.blank,
            reduction=self.reduction,
            zero_infinity=self.zero_infinity,
        )
