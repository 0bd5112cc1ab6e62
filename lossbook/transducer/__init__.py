r"""Beyond CTC: the RNN-transducer loss, its greedy decoding, and CTC forced alignment.

CTC scores each frame independently given the input. The RNN transducer (Graves 2012) adds a
*prediction network* over the labels emitted so far, and a *joint network* that combines it
with the encoder's frame: for frame :math:`t` and :math:`u` labels emitted, a distribution over
the labels and the blank. An alignment walks the lattice of nodes :math:`(t, u)`, a blank
moving to the next frame and a label to the next label, so a frame can emit several labels:

.. math::

    p(y \mid x) = \sum_{a \in \mathcal{A}(x, y)} \prod_{i=1}^{T+U} p(a_i \mid t_i, u_i),
    \qquad \ell = -\log p(y \mid x),

computed by the forward variables
:math:`\alpha(t, u) = \operatorname{logaddexp}(\alpha(t-1, u) + \varnothing(t-1, u),\
\alpha(t, u-1) + y(t, u-1))` (A. Graves, "Sequence Transduction with Recurrent Neural
Networks", 2012). *Forced alignment* is the other
use of a trellis: the single most probable CTC path for a known transcript (the Viterbi
recursion), which says which frames each label occupies.

One module per part of the chapter *Transducers and forced alignment*: :mod:`~.loss`
(:func:`~.loss.rnnt_loss`, :class:`~.loss.RNNTLoss`, semantics of
``torchaudio.functional.rnnt_loss``), :mod:`~.reference` (the brute-force oracle),
:mod:`~.decode` (greedy decoding from the three networks) and :mod:`~.align`
(:func:`~.align.ctc_forced_align`, semantics of ``torchaudio.functional.forced_align``, and
:func:`~.align.merge_tokens`). ``_inputs`` holds the family's argument checks.
"""

from .align import TokenSpan as TokenSpan
from .align import ctc_forced_align, merge_tokens
from .decode import rnnt_greedy_decode
from .loss import RNNTLoss, rnnt_loss
from .reference import rnnt_loss_bruteforce

# TokenSpan (the record merge_tokens returns) is importable from here but left out of __all__,
# which lossbook re-exports flat: the flat namespace holds functions and loss Modules only.
__all__ = [
    "rnnt_loss",
    "RNNTLoss",
    "rnnt_loss_bruteforce",
    "rnnt_greedy_decode",
    "ctc_forced_align",
    "merge_tokens",
]
