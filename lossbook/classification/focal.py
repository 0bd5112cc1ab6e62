r"""Focal loss: cross-entropy scaled down on the examples the model already gets right.

:func:`sigmoid_focal_loss` multiplies BCE-with-logits, and :func:`softmax_focal_loss`
cross-entropy, by :math:`(1 - p_t)^\gamma`, so that the many easy examples of an imbalanced
problem (the background of a detector) no longer drown the few hard ones. Both are short
compositions of torch operations, differentiated by autograd; the care is in computing
:math:`1 - p_t` without cancellation and keeping the factor's gradient finite.
"""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import (
    check_in_interval,
    check_number,
    check_pair,
    check_reduction,
    compute_dtype,
    reduce,
    weighted_mean,
)
from ._inputs import check_ignore_index, index_rows, row_weights
from .binary import binary_cross_entropy_with_logits

__all__ = ["sigmoid_focal_loss", "softmax_focal_loss", "SigmoidFocalLoss", "SoftmaxFocalLoss"]


def _modulating_factor(q: torch.Tensor, gamma: float) -> torch.Tensor:
    r"""(1 - p_t)^gamma from q = 1 - p_t computed without cancellation.

    q is clamped at the smallest normal number first: for 0 < gamma < 1 the derivative
    :math:`\gamma q^{\gamma - 1}` is infinite at q = 0, and autograd would multiply it by the
    derivative of q, which is 0 there, giving NaN. The clamp changes the loss by less than
    :math:`q \cdot \text{tiny}^\gamma`, far below the float resolution.
    """
    tiny = torch.finfo(q.dtype).tiny
    return q.clamp_min(tiny).pow(gamma)


def sigmoid_focal_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Sigmoid focal loss (RetinaNet): BCE-with-logits scaled down on easy examples.

    .. math:: \ell = \alpha_t (1 - p_t)^\gamma\, \operatorname{BCE}(x, y),
        \quad p = \sigma(x),\ p_t = p y + (1 - p)(1 - y),\ \alpha_t = \alpha y + (1 - \alpha)(1 - y)

    ``alpha < 0`` turns the class weighting off; ``gamma = 0`` without it is
    BCE-with-logits. :math:`1 - p_t = y\,\sigma(-x) + (1 - y)\,\sigma(x)` is computed without
    the cancellation of ``1 - p_t``, and the factor's base is clamped at the smallest normal
    float, so the gradient stays finite for ``0 < gamma < 1`` as :math:`p_t \to 1`.

    Explained in the book: chapter “Classification losses”, section “Focal loss”.

    Args:
        input: logits, any shape.
        target: targets in [0, 1], ``input``'s shape.
        alpha: weight of the positive class in [0, 1], or < 0 for none.
        gamma: focusing parameter, >= 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (torchvision's default is
            ``"none"``).

    Returns:
        The loss in ``input``'s dtype. Agrees with torchvision's ``sigmoid_focal_loss``.

    Reference: T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense
    Object Detection", ICCV 2017.

    Example:
        >>> import torch, lossbook
        >>> logits, target = torch.tensor([3.0, -1.0]), torch.tensor([1.0, 1.0])
        >>> lossbook.sigmoid_focal_loss(logits, target, alpha=-1, reduction="none")
        tensor([1.0928e-04, 7.0187e-01])
    """
    input, target = check_pair(input, target)
    check_reduction(reduction)
    alpha = check_number("alpha", alpha, high=1.0)
    gamma = check_number("gamma", gamma, low=0.0)
    check_in_interval("target", target, 0.0, 1.0)
    dtype = input.dtype
    work = compute_dtype(dtype)
    x, y = input.to(work), target.to(work)
    loss = binary_cross_entropy_with_logits(x, y, reduction="none")
    if gamma != 0.0:
        q = y * torch.sigmoid(-x) + (1.0 - y) * torch.sigmoid(x)  # 1 - p_t
        loss = loss * _modulating_factor(q, gamma)
    if alpha >= 0.0:
        loss = (alpha * y + (1.0 - alpha) * (1.0 - y)) * loss
    return reduce(loss, reduction).to(dtype)


def softmax_focal_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    alpha: torch.Tensor | None = None,
    gamma: float = 2.0,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Multi-class (softmax) focal loss.

    .. math:: L_i = -\alpha_{y_i} (1 - p_{y_i})^\gamma \log p_{y_i}, \qquad p = \operatorname{softmax}(x_i)

    With ``gamma = 0`` and no ``alpha`` it is
    :func:`~lossbook.classification.cross_entropy.cross_entropy`, value and gradient.
    :math:`1 - p_y` is computed as ``-expm1(log p_y)``, accurate when :math:`p_y \to 1`, and
    clamped as in :func:`sigmoid_focal_loss`, so gradients stay finite for ``0 < gamma < 1``.
    ``"mean"`` averages over the samples not ignored (it does not divide by the alphas).

    Explained in the book: chapter “Classification losses”, section “Focal loss”.

    Args:
        input: logits (N, C), (N, C, d1, ...) or (C,).
        target: class indices (N,), (N, d1, ...) or () in [0, C) or ``ignore_index``.
        alpha: None, or a per-class weight (C,).
        gamma: focusing parameter, >= 0.
        ignore_index: a class index whose rows give 0 loss and 0 gradient.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype.

    Reference: T.-Y. Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.

    Example:
        >>> import torch, lossbook
        >>> logits = torch.log(torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1]]))
        >>> lossbook.softmax_focal_loss(logits, torch.tensor([1, 1]), reduction="none")
        tensor([0.5899, 0.0089])
    """
    check_reduction(reduction)
    gamma = check_number("gamma", gamma, low=0.0)
    rows, target_rows, out_shape, alpha, ignore_index = index_rows(
        input, target, "alpha", alpha, ignore_index
    )
    dtype = input.dtype
    safe, kept, ignored = row_weights(target_rows, None, ignore_index, rows.dtype)
    log_p = torch.log_softmax(rows, 1).gather(1, safe.unsqueeze(1)).squeeze(1)
    loss = -log_p
    if gamma != 0.0:
        loss = loss * _modulating_factor(-torch.expm1(log_p), gamma)
    if alpha is not None:
        loss = loss * alpha[safe]
    if ignored is not None:
        loss = loss.masked_fill(ignored, 0.0)
    if reduction == "none":
        return loss.reshape(out_shape).to(dtype)
    if reduction == "mean":
        return weighted_mean(loss, kept).to(dtype)  # kept: 1 per row not ignored, not the alphas
    return loss.sum().to(dtype)


class SigmoidFocalLoss(Loss):
    r"""Module form of :func:`sigmoid_focal_loss`: binary cross-entropy on logits, scaled down
    for the samples the model already gets right.

    .. math:: \ell = -\alpha_t\,(1 - p_t)^\gamma \log p_t

    Explained in the book: chapter “Classification losses”, section “Focal loss”.

    Args:
        alpha: weight of the positive class in [0, 1], or < 0 for none. Default: 0.25.
        gamma: focusing parameter, >= 0. Default: 2.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - input: (*), logits. target: (*), the same shape, values in [0, 1].
        - Output: a scalar, or (*) with ``reduction="none"``.

    Reference: T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense
    Object Detection", ICCV 2017.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.SigmoidFocalLoss(alpha=-1, gamma=2.0, reduction="none")
        >>> criterion(torch.tensor([3.0, -1.0]), torch.tensor([1.0, 1.0]))
        tensor([1.0928e-04, 7.0187e-01])
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.alpha = check_number("alpha", alpha, high=1.0)
        self.gamma = check_number("gamma", gamma, low=0.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return sigmoid_focal_loss(input, target, alpha=self.alpha, gamma=self.gamma, reduction=self.reduction)


class SoftmaxFocalLoss(Loss):
    r"""Module form of :func:`softmax_focal_loss`: cross-entropy scaled down for the samples
    the model already gets right.

    .. math:: L = -\alpha_y\,(1 - p_y)^\gamma \log p_y, \qquad p = \operatorname{softmax}(x)

    Explained in the book: chapter “Classification losses”, section “Focal loss”.

    Args:
        alpha: None, or a per-class weight (C,) (a buffer).
        gamma: focusing parameter, >= 0. Default: 2.
        ignore_index: a class index whose rows give 0 loss and 0 gradient. Default: -100.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - input: (N, C), (N, C, d1, ...) or (C,), logits.
        - target: (N,), (N, d1, ...) or (), class indices.
        - Output: a scalar, or the target's shape with ``reduction="none"``.

    Reference: T.-Y. Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.

    Example:
        >>> import torch, lossbook
        >>> logits = torch.log(torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1]]))
        >>> lossbook.SoftmaxFocalLoss(gamma=2.0, reduction="none")(logits, torch.tensor([1, 1]))
        tensor([0.5899, 0.0089])
    """

    def __init__(
        self,
        alpha: torch.Tensor | None = None,
        gamma: float = 2.0,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.register_optional_buffer("alpha", alpha)
        self.gamma = check_number("gamma", gamma, low=0.0)
        self.ignore_index = check_ignore_index(ignore_index)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return softmax_focal_loss(
            input,
            target,
            alpha=self.alpha,
            gamma=self.gamma,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )
