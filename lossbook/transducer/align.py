r"""Forced alignment: the single best path through CTC's trellis, and the spans it gives each label.

Where the CTC loss *sums* over the paths that collapse to a labelling, forced alignment takes
their *maximum* (the Viterbi recursion) and keeps the path: for every frame, which label (or
the blank) the known transcript is aligned to. :func:`ctc_forced_align` has the semantics of
``torchaudio.functional.forced_align``; :func:`merge_tokens` turns its frame labels into one
:class:`TokenSpan` per label (those of ``torchaudio.functional.merge_tokens``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..validation import compute_dtype
from ._inputs import check_spans_input, prepare_alignment_inputs

__all__ = ["ctc_forced_align", "merge_tokens", "TokenSpan"]


def ctc_forced_align(
    log_probs: torch.Tensor,
    targets: torch.Tensor,
    input_lengths: torch.Tensor | None = None,
    target_lengths: torch.Tensor | None = None,
    blank: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The most probable CTC path that collapses to ``targets``: a label (or the blank) per frame.

    Over the extended label :math:`l'` (a blank before, between and after the labels), the
    Viterbi recursion replaces the forward algorithm's sum by a maximum,

    .. math::

        \delta_t(s) = \log y^t_{l'_s} + \max\big(\delta_{t-1}(s),\ \delta_{t-1}(s-1),\
                      [l'_s \ne \text{blank},\ l'_s \ne l'_{s-2}]\,\delta_{t-1}(s-2)\big),

    and the path is read back from the end, :math:`\max(\delta_T(|l'|-1), \delta_T(|l'|-2))`,
    through the choices made. Ties go as in torchaudio (the skip, then the step, then the stay
    must be strictly better to be taken). Semantics of ``torchaudio.functional.forced_align``.

    Book: *Transducers and forced alignment*, section "Forced alignment".

    Args:
        log_probs: shape (1, T, C), log-probabilities of one example, batch first, as torchaudio
            takes them (a float tensor of any precision; float16/bfloat16 are searched in
            float32).
        targets: shape (1, L), labels, int32 or int64, in [0, C) and never the blank. A path needs
            at least L + (the number of equal neighbours) frames; fewer raise a ValueError.
        input_lengths: (1,) the number of frames, which must be T (as torchaudio); None for T.
        target_lengths: (1,) the number of labels, which must be L; None for L.
        blank: index of the blank in [0, C). Default: 0.

    Returns:
        ``(labels, scores)``: labels (1, T) with the dtype of ``targets``, the symbol of each
        frame on the best path; scores (1, T) with the dtype of ``log_probs``, the
        log-probability of that symbol at that frame (``scores.sum()`` is the path's).

    Reference:
        A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal
        Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks",
        ICML 2006; as used for text-to-speech alignment by L. Kürzinger et al., "CTC-Segmentation
        of Large Corpora for German End-to-End Speech Recognition", SPECOM 2020.

    Example:
        Three frames, the label 1 most probable at the middle one:

        >>> import torch, lossbook
        >>> probs = torch.tensor([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4]])  # (T, C), blank = 0
        >>> labels, scores = lossbook.ctc_forced_align(probs.log().unsqueeze(0), torch.tensor([[1]]))
        >>> labels
        tensor([[0, 1, 0]])
        >>> round(scores.sum().exp().item(), 3)  # 0.7 * 0.8 * 0.6
        0.336
    """
    T, C, target = prepare_alignment_inputs(log_probs, targets, input_lengths, target_lengths, blank)
    extended = [blank]
    for k in target:
        extended += [k, blank]
    S = len(extended)
    device = log_probs.device
    ext = torch.tensor(extended, dtype=torch.int64, device=device)
    emissions = log_probs[0].detach().to(compute_dtype(log_probs.dtype))[:, ext]  # (T, S)
    can_skip = torch.zeros(S, dtype=torch.bool, device=device)
    if S > 3:
        can_skip[3::2] = ext[3::2] != ext[1:-2:2]
    minus_inf = emissions.new_full((2,), -math.inf)
    delta = torch.full((S,), -math.inf, dtype=emissions.dtype, device=device)
    delta[: min(2, S)] = emissions[0, : min(2, S)]
    choices = torch.zeros(T, S, dtype=torch.int8, device=device)
    for t in range(1, T):
        stay = delta
        shifted = torch.cat([minus_inf, delta])  # delta moved two states on: s - 2 at s
        step = shifted[1 : S + 1]
        skip = torch.where(can_skip, shifted[:S], -math.inf)
        take_skip = (skip > step) & (skip > stay)
        take_step = ~take_skip & (step > stay)
        choice = take_skip.to(torch.int8) * 2 + take_step.to(torch.int8)
        choices[t] = choice
        delta = torch.where(take_skip, skip, torch.where(take_step, step, stay)) + emissions[t]
    s = S - 1 if S == 1 or bool(delta[S - 1] > delta[S - 2]) else S - 2
    back = choices.cpu().tolist()
    path = [0] * T
    for t in range(T - 1, -1, -1):
        path[t] = extended[s]
        s -= back[t][s]
    labels = torch.tensor([path], dtype=targets.dtype, device=device)
    scores = log_probs[0].detach().gather(1, labels[0].to(torch.int64).unsqueeze(1)).view(1, T)
    return labels, scores


@dataclass
class TokenSpan:
    """One label's span on the frame axis: frames ``start`` (inclusive) to ``end`` (exclusive).

    ``score`` is the mean of the frame scores over the span (the mean log-probability, for the
    scores of :func:`ctc_forced_align`); ``len(span)`` is its number of frames.
    """

    token: int
    start: int
    end: int
    score: float

    def __len__(self) -> int:
        return self.end - self.start


def merge_tokens(tokens: torch.Tensor, scores: torch.Tensor, blank: int = 0) -> list[TokenSpan]:
    r"""One :class:`TokenSpan` per run of a label in a frame-label path: repeats merged, blanks dropped.

    A run of equal symbols :math:`\pi_s = \dots = \pi_{e-1}` (not the blank) becomes the span
    :math:`[s, e)` with the score

    .. math::

        \text{score} = \frac{1}{e - s} \sum_{t=s}^{e-1} \text{scores}_t ,

    so the labels of the spans, in order, are the collapse :math:`\mathcal{B}(\pi)`. Semantics
    of ``torchaudio.functional.merge_tokens``.

    Book: *Transducers and forced alignment*, section "Forced alignment".

    Args:
        tokens: (T,) integer frame labels of one example (``labels[0]`` of
            :func:`ctc_forced_align`).
        scores: (T,) their scores (``scores[0]``); exponentiate them first for mean
            probabilities instead of mean log-probabilities.
        blank: the blank symbol. Default: 0.

    Returns:
        A list of :class:`TokenSpan` ``(token, start, end, score)``, in frame order.

    Reference:
        The torchaudio forced-alignment tutorial (X. Zhang, M. Hira, "CTC forced alignment API
        tutorial"), after A. Graves et al., "Connectionist Temporal Classification", ICML 2006.

    Example:
        >>> import torch, lossbook
        >>> tokens = torch.tensor([0, 3, 3, 0, 3, 5])
        >>> scores = torch.tensor([-0.1, -0.2, -0.4, -0.1, -0.5, -0.3])
        >>> for span in lossbook.merge_tokens(tokens, scores):
        ...     print(span.token, span.start, span.end, round(span.score, 2))
        3 1 3 -0.3
        3 4 5 -0.5
        5 5 6 -0.3
    """
    check_spans_input(tokens, scores, blank)
    values = tokens.tolist()
    frame_scores = scores.detach().double().cpu().tolist()
    spans = []
    start = 0
    for t in range(1, len(values) + 1):
        if t == len(values) or values[t] != values[start]:
            if values[start] != blank:
                mean = sum(frame_scores[start:t]) / (t - start)
                spans.append(TokenSpan(int(values[start]), start, t, mean))
            start = t
    return spans
