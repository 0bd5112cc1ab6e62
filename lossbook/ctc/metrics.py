"""The metrics of a recognizer: edit distance, character error rate, sequence accuracy."""

from __future__ import annotations

from collections.abc import Sequence

from ._inputs import check_sequence_pairs

__all__ = ["edit_distance", "character_error_rate", "sequence_accuracy"]


def edit_distance(a: Sequence, b: Sequence) -> int:
    r"""Levenshtein distance: the fewest insertions, deletions and substitutions turning a into b.

    .. math::

        D_{i,j} = \min\big(D_{i-1,j} + 1,\ D_{i,j-1} + 1,\ D_{i-1,j-1} + [a_i \ne b_j]\big),
        \qquad D_{i,0} = i,\ D_{0,j} = j,

    and the distance is :math:`D_{|a|,|b|}`, computed row by row in :math:`O(|a|\,|b|)`.

    Book: *Connectionist temporal classification (CTC)*, section "A small CRNN on synthetic lines
    of digits".

    Args:
        a: (A,) a sequence of A symbols: a string, or a list of labels.
        b: (B,) a sequence of B symbols, compared with ``==`` element by element.

    Returns:
        The distance, an int.

    Reference: V. I. Levenshtein, "Binary codes capable of correcting deletions, insertions,
    and reversals", Soviet Physics Doklady 10(8), 1966.

    Example:
        >>> from lossbook import edit_distance
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

    Book: *Connectionist temporal classification (CTC)*, section "A small CRNN on synthetic lines
    of digits".

    Args:
        predictions: (N,) predicted labellings :math:`\hat l_i`, each a sequence of labels.
        references: (N,) true labellings :math:`l_i`, one per prediction, at least one label
            among them.

    Returns:
        The rate, a float (0 when every prediction is right; it can exceed 1).

    Reference: V. I. Levenshtein, "Binary codes capable of correcting deletions, insertions,
    and reversals", Soviet Physics Doklady 10(8), 1966 (the edit distance it normalizes).

    Example:
        >>> from lossbook import character_error_rate
        >>> character_error_rate([[1, 2], [3]], [[1, 2, 2], [3]])  # one deletion in 4 labels
        0.25
    """
    check_sequence_pairs(predictions, references, "character_error_rate")
    total = sum(len(r) for r in references)
    return sum(edit_distance(p, r) for p, r in zip(predictions, references, strict=True)) / total


def sequence_accuracy(predictions: Sequence[Sequence], references: Sequence[Sequence]) -> float:
    r"""Fraction of sequences recognized exactly (line accuracy, word accuracy).

    .. math:: \text{accuracy} = \frac{1}{N} \sum_{i=1}^{N} [\hat l_i = l_i]

    Book: *Connectionist temporal classification (CTC)*, section "A small CRNN on synthetic lines
    of digits".

    Args:
        predictions: (N,) predicted labellings, each a sequence of labels.
        references: (N,) true labellings, one per prediction (N >= 1).

    Returns:
        The accuracy, a float in [0, 1].

    Reference: B. Shi, X. Bai, C. Yao, "An End-to-End Trainable Neural Network for Image-Based
    Sequence Recognition and Its Application to Scene Text Recognition", IEEE TPAMI, 2017.

    Example:
        >>> from lossbook import sequence_accuracy
        >>> sequence_accuracy([[1, 2], [3]], [[1, 2, 2], [3]])
        0.5
    """
    check_sequence_pairs(predictions, references, "sequence_accuracy")
    return sum(list(p) == list(r) for p, r in zip(predictions, references, strict=True)) / len(references)
