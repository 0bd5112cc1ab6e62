r"""Classification losses: functions of scores (logits or probabilities) and class labels.

Binary and multi-label problems score each output on its own
(:func:`~lossbook.classification.binary.binary_cross_entropy`,
``lossbook.binary_cross_entropy_with_logits``,
:func:`~lossbook.classification.margin.hinge_loss`,
:func:`~lossbook.classification.focal.sigmoid_focal_loss`); multi-class problems compare a
score vector with one class (:func:`~lossbook.classification.cross_entropy.cross_entropy`,
:func:`~lossbook.classification.cross_entropy.nll_loss`,
:func:`~lossbook.classification.margin.multi_margin_loss`,
:func:`~lossbook.classification.focal.softmax_focal_loss`) or with a whole distribution
(:func:`~lossbook.classification.cross_entropy.cross_entropy` with probability targets,
``lossbook.kl_div``).
:func:`~lossbook.classification.margin.zero_one_loss` counts mistakes: it is what we care
about, and what no gradient can train.

Cross-entropy, BCE and BCE-with-logits have a hand-written backward pass
(``torch.autograd.Function``): the gradients :math:`p - y` and :math:`\sigma(x) - y` are the
formulas the book derives, and writing them into the buffer the forward pass already filled
avoids the fresh allocations that dominate the cost of a loss at millions of elements.
NLL and the multi-class and multi-label hinge losses have small ones of their own; the other
losses are short compositions of torch operations, differentiated by autograd.

The files follow the sections of the chapter “Classification losses”:
:mod:`~lossbook.classification.binary` (BCE and BCE-with-logits),
:mod:`~lossbook.classification.cross_entropy` (cross-entropy, NLL, KL divergence),
:mod:`~lossbook.classification.margin` (the 0-1 loss, the hinge losses),
:mod:`~lossbook.classification.focal` (focal losses),
:mod:`~lossbook.classification.multilabel` (soft margin, multi-label soft margin and margin
losses); the argument checks only these losses
need live in ``lossbook/classification/_inputs.py``. Every name is also ``lossbook.<name>``.
"""

from .binary import BCELoss, BCEWithLogitsLoss, binary_cross_entropy, binary_cross_entropy_with_logits
from .cross_entropy import CrossEntropyLoss, KLDivLoss, NLLLoss, cross_entropy, kl_div, nll_loss
from .cross_entropy import _CrossEntropyIndex as _CrossEntropyIndex  # the chapter prints its docstring
from .focal import SigmoidFocalLoss, SoftmaxFocalLoss, sigmoid_focal_loss, softmax_focal_loss
from .margin import HingeLoss, MultiMarginLoss, hinge_loss, multi_margin_loss, zero_one_loss
from .multilabel import (
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    SoftMarginLoss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)

__all__ = [
    "zero_one_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "hinge_loss",
    "multi_margin_loss",
    "sigmoid_focal_loss",
    "softmax_focal_loss",
    "kl_div",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multilabel_margin_loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "HingeLoss",
    "MultiMarginLoss",
    "SigmoidFocalLoss",
    "SoftmaxFocalLoss",
    "KLDivLoss",
    "SoftMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiLabelMarginLoss",
]
