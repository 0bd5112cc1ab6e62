r"""The 0-1 loss and its convex surrogates on the margin: the hinge loss, binary and multi-class.

:func:`zero_one_loss` counts mistakes: it is what we care about, and what no gradient can
train. The hinge losses of support vector machines replace its step by a ramp: zero once the
right answer wins by a margin (:func:`hinge_loss` for labels -1/+1, :func:`multi_margin_loss`
for a true class against every other), linear otherwise, so a gradient pushes each violation
back. The multi-class hinge loss has a hand-written backward pass; the others are short
compositions of torch operations (the 0-1 loss has no gradient at all).
"""

from __future__ import annotations

import torch

from .._base import Loss, WeightedLoss, first_order_backward
from ..validation import (
    check_allowed_values,
    check_class_indices,
    check_number,
    check_reduction,
    compute_dtype,
    reduce,
)
from ._inputs import (
    check_class_weight,
    check_margin_power,
    check_scores_or_labels,
    check_sign_pair,
    margin_rows,
)

__all__ = ["zero_one_loss", "hinge_loss", "multi_margin_loss", "HingeLoss", "MultiMarginLoss"]


def zero_one_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""0-1 loss: 1 for a wrong prediction, 0 for a right one.

    .. math:: \ell(\hat y, y) = \mathbb{1}[\hat y \ne y], \qquad \hat y = \arg\max_c x_c

    The ``"mean"`` is the error rate (one minus accuracy), ``"sum"`` the number of mistakes.
    The loss is piecewise constant in the scores: its gradient is zero wherever it exists, so
    it **cannot be trained by gradient descent**; the result never requires a gradient.
    Surrogates (cross-entropy, hinge) are trained instead and the 0-1 loss is reported.

    Explained in the book: chapter “Classification losses”, section “The 0-1 loss”.

    Args:
        input: scores (N, C) (or (C,) with a 0-D target), reduced by ``argmax`` over the
            class dimension; or predicted labels of ``target``'s shape, taken as they are.
        target: true labels, (N,) (or ()), any integer or floating dtype.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        A float tensor (``input``'s dtype when it holds floating scores, else float32).
        ``"mean"`` agrees with scikit-learn's ``zero_one_loss``, ``"sum"`` with its
        ``normalize=False``.

    Reference: V. N. Vapnik, *The Nature of Statistical Learning Theory*, Springer, 1995
    (the 0-1 loss and empirical risk); scikit-learn's ``zero_one_loss`` is matched here.

    Example:
        >>> import torch, lossbook
        >>> scores = torch.tensor([[2.0, 1.0], [0.3, 0.9], [0.8, 0.1]])
        >>> lossbook.zero_one_loss(scores, torch.tensor([0, 0, 0]))
        tensor(0.3333)
    """
    check_reduction(reduction)
    if check_scores_or_labels(input, target):
        predicted = input.argmax(dim=0 if input.dim() == 1 else 1)
    else:
        predicted = input
    dtype = input.dtype if input.is_floating_point() and predicted is not input else torch.get_default_dtype()
    with torch.no_grad():
        wrong = (predicted.detach() != target).to(dtype)
    return reduce(wrong, reduction)


def hinge_loss(
    input: torch.Tensor, target: torch.Tensor, margin: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Binary hinge loss of a support vector machine.

    .. math:: \ell(f, y) = \max(0,\ \text{margin} - y f), \qquad y \in \{-1, +1\}

    Zero once a sample is on the right side with room to spare (:math:`y f \ge` margin),
    linear otherwise: it does not care how confident a correct prediction is.

    Explained in the book: chapter “Classification losses”, section “The hinge loss”.

    Args:
        input: decision values f (real scores), any shape.
        target: labels -1 or +1, ``input``'s shape (integer or floating dtype).
        margin: the required margin, >= 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. ``"mean"`` with margin 1 agrees with scikit-learn's
        ``hinge_loss`` on binary labels.

    Reference: C. Cortes and V. Vapnik, "Support-Vector Networks", Machine Learning, 1995.

    Example:
        >>> import torch, lossbook
        >>> lossbook.hinge_loss(torch.tensor([2.0, 0.3, -0.5]), torch.tensor([1, 1, 1]), reduction="none")
        tensor([0.0000, 0.7000, 1.5000])
    """
    check_sign_pair(input, target)
    check_reduction(reduction)
    margin = check_number("margin", margin, low=0.0)
    check_allowed_values("target", target, (-1.0, 1.0))
    dtype = input.dtype
    work = compute_dtype(dtype)
    x = input.to(work)
    loss = (margin - target.to(work) * x).clamp_min(0.0)
    return reduce(loss, reduction).to(dtype)


class _MultiMarginRows(torch.autograd.Function):
    r"""Per row, :math:`\sum_{c \ne y} \max(0, m - x_y + x_c)^p`.

    Backward, with :math:`z_c = m - x_y + x_c`: :math:`\partial/\partial x_c = p\,\max(0, z_c)^{p-1}`
    (the step function for p = 1) for :math:`c \ne y`, and minus their sum for the true class.
    Both passes build their (N, C) tensor in place in one allocation; nothing of that size
    is kept between them.
    """

    @staticmethod
    def forward(ctx, rows, target, margin, p):
        ctx.save_for_backward(rows, target)
        ctx.margin, ctx.p = margin, p
        index = target.unsqueeze(1)
        hinge = (rows - rows.gather(1, index)).add_(margin).clamp_min_(0.0)
        hinge.scatter_(1, index, 0.0)  # the true class is not a competitor
        if p == 2:
            hinge.square_()
        return hinge.sum(1)

    @staticmethod
    @first_order_backward("multi_margin_loss")
    def backward(ctx, grad):
        rows, target = ctx.saved_tensors
        index = target.unsqueeze(1)
        slope = (rows - rows.gather(1, index)).add_(ctx.margin)
        if ctx.p == 1:
            slope.sign_().clamp_min_(0.0)  # 1 where the margin is violated, else 0
        else:
            slope.clamp_min_(0.0).mul_(2.0)
        slope.scatter_(1, index, 0.0).mul_(grad.unsqueeze(1))
        slope.scatter_(1, index, -slope.sum(1, keepdim=True))
        return slope, None, None, None


def multi_margin_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: torch.Tensor | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Multi-class hinge loss (Weston-Watkins / Crammer-Singer family, as in torch).

    .. math:: L_i = \frac{1}{C} \sum_{c \ne y_i} w_{y_i} \max(0,\ \text{margin} - x_{i, y_i} + x_{i, c})^p

    Every wrong class must score at least ``margin`` below the true one. Note the division by
    C, which torch applies even for ``"sum"``.

    Explained in the book: chapter “Classification losses”, section “The hinge loss”.

    Args:
        input: scores (N, C) or (C,), or () for a single class, as torch accepts.
        target: class indices in [0, C), one per sample: (N,), or () or (1,) for one
            sample; the loss with ``"none"`` has the target's shape.
        p: 1 or 2.
        margin: the required margin.
        weight: optional per-class weight (C,), applied by the true class.
        reduction: ``"mean"`` (default, over samples), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.multi_margin_loss``.

    Reference: J. Weston and C. Watkins, "Support Vector Machines for Multi-Class Pattern
    Recognition", ESANN 1999; matches ``torch.nn.functional.multi_margin_loss``.

    Example:
        >>> import torch, lossbook
        >>> lossbook.multi_margin_loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]))
        tensor(0.3250)
    """
    check_reduction(reduction)
    p = check_margin_power(p)
    margin = check_number("margin", margin)
    rows, target_rows, out_shape = margin_rows(input, target)
    num_classes = rows.shape[1]
    weight = check_class_weight("weight", weight, input, num_classes)
    check_class_indices("target", target_rows, num_classes)
    dtype = input.dtype
    work = compute_dtype(dtype)
    rows = rows.to(work)
    loss = _MultiMarginRows.apply(rows, target_rows, margin, p) / num_classes
    if weight is not None:
        loss = loss * weight.to(work)[target_rows]
    if reduction == "none":
        return loss.reshape(out_shape).to(dtype)
    return reduce(loss, reduction).to(dtype)


class HingeLoss(Loss):
    r"""Module form of :func:`hinge_loss`: the soft-margin SVM's loss on decision values.

    .. math:: \ell = \max(0,\; m - y f), \qquad y \in \{-1, +1\}

    Explained in the book: chapter “Classification losses”, section “The hinge loss”.

    Args:
        margin: the required margin m, >= 0. Default: 1.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - input: (*), decision values. target: (*), the same shape, labels -1 or +1.
        - Output: a scalar, or (*) with ``reduction="none"``.

    Reference: C. Cortes and V. Vapnik, "Support-Vector Networks", Machine Learning, 1995.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.HingeLoss(margin=1.0, reduction="none")
        >>> criterion(torch.tensor([2.0, 0.3, -0.5]), torch.tensor([1, 1, -1]))
        tensor([0.0000, 0.7000, 0.5000])
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin, low=0.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return hinge_loss(input, target, margin=self.margin, reduction=self.reduction)


class MultiMarginLoss(WeightedLoss):
    r"""Module form of :func:`multi_margin_loss`: the multi-class hinge loss.

    .. math:: L = \frac{1}{C} \sum_{c \ne y} w_y \max(0,\; m - x_y + x_c)^p

    Explained in the book: chapter “Classification losses”, section “The hinge loss”.

    Args:
        p: 1 (default) or 2.
        margin: the required margin m. Default: 1.
        weight: optional per-class weight (C,) (a buffer), applied by the true class.
        reduction: ``"mean"`` (default, over samples), ``"sum"`` or ``"none"``.

    Shape:
        - input: (N, C) or (C,), scores. target: (N,) or (), class indices.
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: J. Weston and C. Watkins, "Support Vector Machines for Multi-Class Pattern
    Recognition", ESANN 1999.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.MultiMarginLoss(p=2)
        >>> criterion(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]))
        tensor(0.1525)
    """

    def __init__(
        self, p: int = 1, margin: float = 1.0, weight: torch.Tensor | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__(weight, reduction)
        self.p = check_margin_power(p)
        self.margin = check_number("margin", margin)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return multi_margin_loss(
            input, target, p=self.p, margin=self.margin, weight=self.weight, reduction=self.reduction
        )
