r"""The oracle of the transducer loss: every alignment of one example, enumerated.

Written for reading and for the tests, not for speed: :func:`rnnt_loss_bruteforce` is the
definition itself, the sum over alignments, without the lattice's recursion.
:func:`~lossbook.transducer.loss.rnnt_loss` is the fast one.
"""

from __future__ import annotations

import itertools

import torch

from ._inputs import check_alignment_size, check_one_example

__all__ = ["rnnt_loss_bruteforce"]

#: rnnt_loss_bruteforce refuses examples with more alignments than this, C(T - 1 + U, U).
MAX_ALIGNMENTS = 200_000


def rnnt_loss_bruteforce(log_probs: torch.Tensor, target, blank: int = -1) -> torch.Tensor:
    r""":math:`-\log p(y \mid x)` of one example by enumerating all of its alignments.

    An alignment of :math:`U` labels to :math:`T` frames is a sequence of :math:`T + U` symbols,
    the :math:`T` blanks and the labels in order, that ends with a blank (the step off the last
    frame). At each step the transducer stands on node :math:`(t, u)` (:math:`t` blanks and
    :math:`u` labels so far) and emits the symbol with probability
    :math:`p(k \mid t, u)`; the loss sums the products over the
    :math:`\binom{T - 1 + U}{U}` alignments:

    .. math::

        -\log p(y \mid x) = -\log \sum_{a} \prod_{i=1}^{T+U} p(a_i \mid t_i, u_i).

    The oracle of the tests and the chapter, differentiable (autograd through a ``logsumexp``).

    Args:
        log_probs: (T, U+1, V) log-probabilities of one example (a ``log_softmax`` over V).
        target: the U labels, a list of ints or an integer tensor of shape (U,), never the blank.
        blank: index of the blank in [-V, V); -1 (the default) is the last class.

    Returns:
        The loss as a 0-d tensor of the dtype of ``log_probs``.

    Raises:
        ValueError: above ``MAX_ALIGNMENTS`` = 200,000 alignments (T = 12, U = 8 has 75,582;
            T = 60, U = 30 has about 1.5e24).

    Book: *Transducers and forced alignment*, section "Alignments: paths through the lattice".

    Reference:
        A. Graves, "Sequence Transduction with Recurrent Neural Networks", ICML 2012
        Workshop on Representation Learning (arXiv:1211.3711).

    Example:
        Two frames, one label, probabilities 1/2 everywhere: two alignments of three symbols.

        >>> import math, torch, lossbook
        >>> log_probs = torch.full((2, 2, 2), math.log(0.5))  # (T, U+1, V), blank = 1
        >>> loss = lossbook.rnnt_loss_bruteforce(log_probs, [0])
        >>> round(loss.neg().exp().item(), 4)  # 2 * 0.5**3
        0.25
    """
    T, U, blank, target = check_one_example(log_probs, target, blank)
    count = check_alignment_size(T, U, MAX_ALIGNMENTS)
    device = log_probs.device
    steps = T - 1 + U  # the final blank is fixed; the labels go to U of the other slots
    slots = torch.tensor(list(itertools.combinations(range(steps), U)), dtype=torch.int64).reshape(count, U)
    is_label = torch.zeros(slots.shape[0], steps + 1, dtype=torch.bool).scatter_(1, slots, True).to(device)
    # The node each symbol is emitted from: t blanks and u labels before it.
    u = torch.cumsum(is_label, 1) - is_label.long()
    t = torch.cumsum(~is_label, 1) - (~is_label).long()
    labels = torch.tensor(target + [blank], dtype=torch.int64, device=device)
    symbol = torch.where(is_label, labels[u.clamp(max=max(U - 1, 0))], blank)
    path_log_p = log_probs[t, u, symbol].sum(1)
    return -torch.logsumexp(path_log_p, 0)
