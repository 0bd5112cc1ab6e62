r"""The collapse map :math:`\mathcal{B}` and the decoders that turn a recognizer's output into labels."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import torch

from ..validation import check_positive_integer
from ._inputs import check_blank, check_path, prepare_decoder_inputs

__all__ = ["ctc_collapse", "ctc_greedy_decode", "ctc_beam_search_decode"]


def ctc_collapse(path, blank=0):
    r"""The collapse map :math:`\mathcal{B}`: merge runs of a repeated symbol, then drop blanks.

    A blank between two equal symbols keeps them apart: ``B("aa-a") = "aa"``, ``B("aaa") = "a"``.

    Book: *Connectionist temporal classification (CTC)*, section "The collapse map B: from paths
    to labellings".

    Args:
        path: (T,) one symbol per frame: a string (one character per frame), a list or tuple
            of ints, or a 1-D integer tensor.
        blank: the blank symbol: a one-character string for a string path (e.g. ``"-"``), an
            int >= 0 otherwise. Default: 0.

    Returns:
        The same kind of sequence as ``path``: a string for a string, a list of ints for a list,
        tuple or 1-D tensor.

    Reference: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal Classification:
    Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006 (the map
    :math:`\mathcal{B}`, Section 2).

    Example:
        >>> import lossbook
        >>> lossbook.ctc_collapse("-s-t-aatte", blank="-")
        'state'
        >>> lossbook.ctc_collapse([0, 3, 3, 0, 3, 5, 5], blank=0)
        [3, 3, 5]
    """
    path = check_path(path)
    if isinstance(path, str):
        blank = check_blank(blank, symbol=True)
        return "".join(c for c, _ in itertools.groupby(path) if c != blank)
    blank = check_blank(blank)
    return [int(k) for k, _ in itertools.groupby(path) if k != blank]


def ctc_greedy_decode(log_probs: torch.Tensor, input_lengths=None, blank: int = 0):
    r"""Best-path decoding: the most probable symbol at each frame, then :math:`\mathcal{B}`.

    Fast, and exact when one path dominates; it can miss the most probable *labelling*, whose
    probability is spread over many paths (see :func:`ctc_beam_search_decode`).

    Book: *Connectionist temporal classification (CTC)*, section "Decoding: greedy vs beam search".

    Args:
        log_probs: (T, N, C) or (T, C) log-probabilities (or logits: only the argmax matters).
        input_lengths: (N,) frames per sample; None uses all T.
        blank: index of the blank. Default: 0.

    Returns:
        One list of label ids per batch element (a single list for a (T, C) input).

    Reference: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal Classification:
    Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006 (best path
    decoding, Section 3.2).

    Example:
        The most probable path is the blank twice, so greedy decoding returns the empty
        labelling, although p("a") = 0.64 beats p("") = 0.36 (see :func:`ctc_beam_search_decode`):

        >>> import torch, lossbook
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
        >>> lossbook.ctc_greedy_decode(log_probs)
        []
    """
    lp, lengths, unbatched = prepare_decoder_inputs(log_probs, input_lengths, blank)
    best = lp.argmax(2).T.tolist()  # (N, T)
    decoded = [ctc_collapse(row[:n], blank) for row, n in zip(best, lengths, strict=True)]
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

    Book: *Connectionist temporal classification (CTC)*, section "Decoding: greedy vs beam search".

    Args:
        log_probs: (T, N, C) or (T, C) log-probabilities, time first.
        input_lengths: (N,) frames per sample; None uses all T.
        beam_width: prefixes kept after each frame (>= 1). Default: 8.
        blank: index of the blank. Default: 0.

    Returns:
        One list of label ids per batch element (a single list for a (T, C) input).

    Reference: A. Y. Hannun, A. L. Maas, D. Jurafsky, A. Y. Ng, "First-Pass Large Vocabulary
    Continuous Speech Recognition using Bi-Directional Recurrent DNNs", arXiv:1408.2873, 2014.

    Example:
        >>> import torch, lossbook
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
        >>> lossbook.ctc_beam_search_decode(log_probs)  # p("a") = 0.64 beats p("") = 0.36
        [1]
    """
    beam_width = check_positive_integer("beam_width", beam_width)
    lp, lengths, unbatched = prepare_decoder_inputs(log_probs, input_lengths, blank)
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
