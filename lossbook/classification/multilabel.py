r"""Multi-label classification: each sample may carry several labels at once.

A multi-label problem asks C yes-or-no questions per sample. :func:`soft_margin_loss` is the
logistic loss of one such question with labels -1 and +1; :func:`multilabel_soft_margin_loss`
averages the binary cross-entropy of the C questions (sigmoid BCE divided by C), and
:func:`multilabel_margin_loss` asks every true label to score at least 1 above every false
one, a multi-label hinge. All three agree with their ``torch.nn.functional`` namesakes.

Explained in the book: chapter “Classification losses”, section “Multi-label classification”.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._base import Loss, WeightedLoss, first_order_backward
from ..validation import check_reduction, compute_dtype, reduce
from ._inputs import check_elementwise_weight, check_label_lists, check_label_pair
from .binary import binary_cross_entropy_with_logits

__all__ = [
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multilabel_margin_loss",
    "SoftMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiLabelMarginLoss",
]


def soft_margin_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Soft margin loss: the logistic loss of a decision value against a label -1 or +1.

    .. math::
        \ell = \log\left(1 + e^{-y x}\right)

    A smooth hinge: about :math:`-y x` when the sign is wrong, decaying to 0 as the margin
    :math:`y x` grows. It is the binary cross-entropy with logits written for labels
    :math:`\pm 1`. lossbook computes it as :math:`\operatorname{softplus}(-y x)`, which stays
    finite where torch's :math:`\log(1 + e^{-yx})` overflows (:math:`-yx > 88` in float32).

    Explained in the book: chapter “Classification losses”, section “Multi-label classification”.

    Args:
        input: decision values, shape (*) (any shape, floating dtype).
        target: labels, the shape of ``input``, floating or integer (normally -1 and +1;
            as in torch, any value is used as the multiplier :math:`y`).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.soft_margin_loss``.

    Reference: Y. LeCun, S. Chopra, R. Hadsell, M. Ranzato, F. Huang, "A Tutorial on
    Energy-Based Learning", *Predicting Structured Data*, MIT Press 2006.

    Example:
        >>> import torch, lossbook
        >>> x, y = torch.tensor([2.0, -1.0]), torch.tensor([1.0, 1.0])
        >>> lossbook.soft_margin_loss(x, y, reduction="none")
        tensor([0.1269, 1.3133])
    """
    check_label_pair(input, target)
    check_reduction(reduction)
    dtype = input.dtype
    work = compute_dtype(dtype)
    # The product is a fresh tensor nothing else saves, so it is negated in place: one
    # tensor of input's size less at the peak.
    loss = F.softplus(torch.mul(target.to(work), input.to(work)).neg_())
    return reduce(loss, reduction).to(dtype)


def multilabel_soft_margin_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Multi-label soft margin loss: sigmoid binary cross-entropy, averaged over the C labels.

    .. math::
        \ell_n = -\frac{1}{C} \sum_{c} w_c \left[ y_{nc} \log \sigma(x_{nc})
        + (1 - y_{nc}) \log \sigma(-x_{nc}) \right]

    Per sample, the mean over labels of ``lossbook.binary_cross_entropy_with_logits``; the
    ``"mean"`` reduction then averages over samples, so the result equals the BCE with
    logits averaged over all N C elements. The two are the same loss up to this mean.

    Explained in the book: chapter “Classification losses”, section “Multi-label classification”.

    Args:
        input: logits, shape (N, C) or (C,) (as in torch, any shape with the labels last).
        target: 0/1 labels (or probabilities), the shape of ``input``, floating or integer.
        weight: optional weight per label (C,), or any floating tensor that broadcasts to
            ``input``'s shape.
        reduction: ``"mean"`` (default, over samples), ``"sum"`` or ``"none"`` (per sample).

    Returns:
        The loss in ``input``'s dtype: () reduced, (N,) (input's shape without the last
        dimension) with ``"none"``. Agrees with
        ``torch.nn.functional.multilabel_soft_margin_loss``.

    Reference: G. Tsoumakas, I. Katakis, "Multi-Label Classification: An Overview",
    International Journal of Data Warehousing and Mining 2007.

    Example:
        >>> import torch, lossbook
        >>> x, y = torch.tensor([[2.0, -1.0, 0.0]]), torch.tensor([[1.0, 0.0, 1.0]])
        >>> lossbook.multilabel_soft_margin_loss(x, y)
        tensor(0.3778)
    """
    check_label_pair(input, target, labels_last=True)
    check_reduction(reduction)
    weight = check_elementwise_weight("weight", weight, input)
    dtype = input.dtype
    work = compute_dtype(dtype)
    x = input.to(work)
    elementwise = binary_cross_entropy_with_logits(
        x, target.to(work), None if weight is None else weight.to(work), reduction="none"
    )
    loss = elementwise.sum(-1) / input.shape[-1]
    return reduce(loss, reduction).to(dtype)


class _LabelListHinge(torch.autograd.Function):
    r"""Per row: :math:`\sum_{j \in Y} \sum_{i \notin Y} \max(0, 1 - x_j + x_i)`, Y the label list.

    One pass over the (N, C) scores per position of the label lists (their longest prefix), as
    torch's kernel loops over the labels: nothing of size N x T x C is materialized. Backward:
    each active hinge adds 1 to :math:`\partial / \partial x_i` and -1 to that of its label j.
    """

    @staticmethod
    def forward(ctx, rows, labels, valid, negatives):
        ctx.save_for_backward(rows, labels, valid, negatives)
        loss = rows.new_zeros(rows.shape[0])
        hinge = torch.empty_like(rows)
        for k in range(labels.shape[1]):
            scores = rows.gather(1, labels[:, k : k + 1])
            torch.sub(rows, scores, out=hinge).add_(1.0).clamp_min_(0.0).mul_(negatives)
            loss += hinge.sum(1) * valid[:, k]
        return loss

    @staticmethod
    @first_order_backward("multilabel_margin_loss")
    def backward(ctx, grad):
        rows, labels, valid, negatives = ctx.saved_tensors
        grad_rows = torch.zeros_like(rows)
        active = torch.empty_like(rows)
        for k in range(labels.shape[1]):
            scores = rows.gather(1, labels[:, k : k + 1])
            weight = (grad * valid[:, k]).unsqueeze(1)
            torch.sub(rows, scores, out=active).add_(1.0).gt_(0.0).mul_(negatives).mul_(weight)
            grad_rows += active
            grad_rows.scatter_add_(1, labels[:, k : k + 1], -active.sum(1, keepdim=True))
        return grad_rows, None, None, None


def multilabel_margin_loss(
    input: torch.Tensor, target: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    r"""Multi-label margin loss: every true label must score at least 1 above every false one.

    .. math::
        \ell_n = \frac{1}{C} \sum_{j \in Y_n} \sum_{i \notin Y_n} \max(0,\ 1 - x_{nj} + x_{ni})

    The labels :math:`Y_n` come as torch expects them: a row of class indices of ``input``'s
    shape, ended by the first -1 (what follows it is ignored). A label listed twice counts
    twice, as in torch.

    Explained in the book: chapter “Classification losses”, section “Multi-label classification”.

    Args:
        input: scores, shape (N, C), (C,) or () (one class), floating dtype, C >= 1.
        target: class indices in [0, C), padded with -1, of ``input``'s shape; an integer
            dtype. Every entry must lie in [-1, C), as torch checks.
        reduction: ``"mean"`` (default, over samples), ``"sum"`` or ``"none"`` (per sample).

    Returns:
        The loss in ``input``'s dtype: () reduced, (N,) with ``"none"`` for a batch.
        Agrees with ``torch.nn.functional.multilabel_margin_loss``.

    Reference: A. Elisseeff, J. Weston, "A Kernel Method for Multi-Labelled Classification",
    NIPS 2001.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> y = torch.tensor([[3, 0, -1, 1]])  # labels 3 and 0; the rest is padding
        >>> lossbook.multilabel_margin_loss(x, y)
        tensor(0.8500)
    """
    check_reduction(reduction)
    check_label_lists(input, target)
    dtype = input.dtype
    num_classes = input.shape[-1] if input.dim() else 1
    rows = input.to(compute_dtype(dtype)).reshape(-1, num_classes)
    lists = target.reshape(-1, num_classes).long()
    valid = (lists >= 0).cumprod(1).bool()  # the prefix before the first -1
    longest = int(valid.sum(1).max()) if valid.numel() else 0
    labels = lists[:, :longest].clamp_min(0)
    valid = valid[:, :longest]
    # The labels' mask, scattered with the padding sent to a spare last column.
    is_label = torch.zeros(rows.shape[0], num_classes + 1, dtype=torch.bool, device=rows.device)
    is_label.scatter_(1, torch.where(valid, labels, num_classes), True)
    negatives = ~is_label[:, :num_classes]
    loss = _LabelListHinge.apply(rows, labels, valid.to(rows.dtype), negatives) / num_classes
    if reduction == "none":
        return loss.reshape(input.shape[:-1]).to(dtype)
    return reduce(loss, reduction).to(dtype)


class SoftMarginLoss(Loss):
    r"""Module form of :func:`soft_margin_loss`.

    .. math::
        \ell = \log\left(1 + e^{-y x}\right)

    Explained in the book: chapter “Classification losses”, section “Multi-label classification”.

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (*), any shape. target: (*), the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (*) with ``"none"``.

    Reference: Y. LeCun, S. Chopra, R. Hadsell, M. Ranzato, F. Huang, "A Tutorial on
    Energy-Based Learning", *Predicting Structured Data*, MIT Press 2006.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.SoftMarginLoss(reduction="none")
        >>> criterion(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 1.0]))
        tensor([0.1269, 1.3133])
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of decision values ``input`` against labels ``target``."""
        return soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(WeightedLoss):
    r"""Module form of :func:`multilabel_soft_margin_loss`.

    .. math::
        \ell_n = -\frac{1}{C} \sum_{c} w_c \left[ y_{nc} \log \sigma(x_{nc})
        + (1 - y_{nc}) \log \sigma(-x_{nc}) \right]

    Explained in the book: chapter “Classification losses”, section “Multi-label classification”.

    Args:
        weight: optional weight per label (C,), kept as a buffer. Default: None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (N, C) or (C,). target: the same shape. Output: () with ``"mean"`` or
        ``"sum"``, (N,) with ``"none"``.

    Reference: G. Tsoumakas, I. Katakis, "Multi-Label Classification: An Overview",
    International Journal of Data Warehousing and Mining 2007.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.MultiLabelSoftMarginLoss()
        >>> criterion(torch.tensor([[2.0, -1.0, 0.0]]), torch.tensor([[1.0, 0.0, 1.0]]))
        tensor(0.3778)
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of logits ``input`` against 0/1 labels ``target``."""
        return multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(Loss):
    r"""Module form of :func:`multilabel_margin_loss`.

    .. math::
        \ell_n = \frac{1}{C} \sum_{j \in Y_n} \sum_{i \notin Y_n} \max(0,\ 1 - x_{nj} + x_{ni})

    Explained in the book: chapter “Classification losses”, section “Multi-label classification”.

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        input: (N, C), (C,) or (). target: the same shape, class indices padded with -1.
        Output: () with ``"mean"`` or ``"sum"``, (N,) with ``"none"``.

    Reference: A. Elisseeff, J. Weston, "A Kernel Method for Multi-Labelled Classification",
    NIPS 2001.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.MultiLabelMarginLoss()
        >>> criterion(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of scores ``input`` against the -1-padded label lists ``target``."""
        return multilabel_margin_loss(input, target, reduction=self.reduction)
