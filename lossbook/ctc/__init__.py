r"""Connectionist temporal classification (CTC): the loss, its forward-backward, and decoders.

A recognizer that reads a sequence (audio frames, the columns of a text-line image) emits, at
each of its :math:`T` frames, a distribution over the alphabet extended with a *blank*. A
*path* :math:`\pi` picks one symbol per frame; the collapse map :math:`\mathcal{B}` merges
repeated symbols and then drops the blanks (:func:`~lossbook.ctc.decode.ctc_collapse`). The
probability of a labelling :math:`l` is the total probability of the paths that collapse to it,

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

(positions counted from 0).

One module per part of the chapter *Connectionist temporal classification (CTC)*:
:mod:`~.loss` (:func:`~.loss.ctc_loss`, :class:`~.loss.CTCLoss`, semantics of
``torch.nn.functional.ctc_loss``), whose fast forward-backward and its memory layout live in
``_trellis``; :mod:`~.reference` (the brute-force oracle and the trellis of one example, written
for reading); :mod:`~.decode` (the collapse map, greedy and beam-search decoding) and
:mod:`~.metrics` (edit distance, character error rate, sequence accuracy). ``_inputs`` holds
the family's argument checks.
"""

from .decode import ctc_beam_search_decode, ctc_collapse, ctc_greedy_decode
from .loss import CTCLoss, ctc_loss
from .metrics import character_error_rate, edit_distance, sequence_accuracy
from .reference import ctc_log_alpha_beta, ctc_loss_bruteforce

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
