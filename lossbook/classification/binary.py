r"""Binary cross-entropy, on probabilities and on logits: each output scored on its own.

For binary and multi-label problems, each element of ``input`` answers its own yes/no
question, as a probability (:func:`binary_cross_entropy`) or as a logit
(:func:`binary_cross_entropy_with_logits`, the stable form to train with), and ``target``
says how true the answer is, in [0, 1].

Both losses have a hand-written backward pass (``torch.autograd.Function``): the gradient
:math:`\sigma(x) - y` of the logits form is the formula the book derives, and writing it into
the buffer the forward pass already filled avoids the fresh allocations that dominate the cost
of a loss at millions of elements.
"""

from __future__ import annotations

import torch

from .._base import WeightedLoss, first_order_backward
from ..validation import check_in_interval, check_pair, check_reduction, compute_dtype, reduce
from ._inputs import check_elementwise_weight

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "BCELoss", "BCEWithLogitsLoss"]

# torch clamps each log of binary_cross_entropy at -100, so p = 0 or 1 gives a finite loss,
# and divides its gradient by max(p (1 - p), 1e-12), with 1e-12 rounded to float32.
BCE_LOG_CLAMP = -100.0
BCE_GRAD_EPS = 9.999999960041972e-13


class _BinaryCrossEntropy(torch.autograd.Function):
    """BCE on probabilities with torch's clamped logs and its bounded-denominator gradient."""

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        # -(y log p + (1 - y) log(1 - p)), each log clamped at -100
        log_q = torch.log1p(input.neg()).clamp_min_(BCE_LOG_CLAMP)
        log_p = torch.log(input).clamp_min_(BCE_LOG_CLAMP)
        loss = log_q.sub_(log_q.mul(target)).add_(log_p.mul_(target)).neg_()
        if weight is not None:
            loss.mul_(weight)
        ctx.save_for_backward(input, target, weight)
        ctx.reduction = reduction
        if reduction == "none":
            return loss
        total = loss.sum()
        return total / loss.numel() if reduction == "mean" else total

    @staticmethod
    @first_order_backward("binary_cross_entropy")
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        scale = grad_output / input.numel() if ctx.reduction == "mean" else grad_output
        if weight is not None:
            scale = scale * weight
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            # (p - y) / max(p (1 - p), 1e-12)
            denominator = torch.mul(input, 1.0 - input).clamp_min_(BCE_GRAD_EPS)
            grad_input = (input - target).div_(denominator).mul_(scale)
        if ctx.needs_input_grad[1]:
            grad_target = torch.logit(input).neg_().mul_(scale)
        return grad_input, grad_target, None, None


def binary_cross_entropy(
    input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None, reduction: str = "mean"
) -> torch.Tensor:
    r"""Binary cross-entropy on probabilities.

    .. math:: \ell(p, y) = -w\,\big[y \log p + (1 - y) \log(1 - p)\big]

    Each logarithm is clamped at -100, as in torch, so a probability of exactly 0 or 1 gives
    a finite loss (100 at worst) rather than ``inf``; the gradient
    :math:`w (p - y) / \max(p(1-p), 10^{-12})` is finite too. Prefer
    :func:`binary_cross_entropy_with_logits`: a sigmoid in float32 rounds to exactly 1 beyond
    a logit of about 17, and the information is gone before this loss sees it.

    Explained in the book: chapter “Classification losses”, section “Binary cross-entropy:
    BCE and BCE-with-logits”.

    Args:
        input: probabilities, any shape, every element in [0, 1].
        target: targets in [0, 1] (labels 0/1 or soft labels), ``input``'s shape.
        weight: optional rescaling, broadcastable to ``input``'s shape.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.binary_cross_entropy``.

    Reference: the negative log-likelihood of a Bernoulli variable; D. R. Cox, "The Regression
    Analysis of Binary Sequences", Journal of the Royal Statistical Society B, 1958. Matches
    ``torch.nn.functional.binary_cross_entropy``.

    Example:
        >>> import torch, lossbook
        >>> lossbook.binary_cross_entropy(torch.tensor([0.9, 0.1, 0.4]), torch.tensor([1.0, 0.0, 1.0]))
        tensor(0.3757)
    """
    input, target = check_pair(input, target)
    check_reduction(reduction)
    weight = check_elementwise_weight("weight", weight, input)
    check_in_interval("input", input, 0.0, 1.0)
    check_in_interval("target", target, 0.0, 1.0)
    dtype = input.dtype
    work = compute_dtype(dtype)
    if weight is not None and weight.requires_grad:
        x, y = input.to(work), target.to(work)
        loss = -(
            y * torch.log(x).clamp_min(BCE_LOG_CLAMP) + (1 - y) * torch.log1p(-x).clamp_min(BCE_LOG_CLAMP)
        )
        return reduce(loss * weight.to(work), reduction).to(dtype)
    w = None if weight is None else weight.to(work)
    return _BinaryCrossEntropy.apply(input.to(work), target.to(work), w, reduction).to(dtype)


def _log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    r""":math:`\log\sigma(x) = -\operatorname{softplus}(-x)`, in one fused pass, exact for any x.

    torch's ``softplus(x, beta, threshold)`` is :math:`\log(1 + e^{\beta x}) / \beta`, or x
    where :math:`\beta x` > threshold; with :math:`\beta = -1` that is :math:`\log\sigma(x)`,
    and x itself for x < -40, where :math:`e^{x}` is below the float64 resolution of x. It
    never exponentiates a positive number, so it cannot overflow; and unlike
    ``F.logsigmoid`` it allocates one tensor, not two.
    """
    return torch.nn.functional.softplus(x, beta=-1.0, threshold=40.0)


class _BCEWithLogits(torch.autograd.Function):
    r"""BCE on logits: :math:`(1 - y) x - l \log\sigma(x)`, :math:`l = 1 + (q - 1) y`.

    Gradient with respect to x: :math:`l \sigma(x) - q y` (:math:`\sigma(x) - y` without
    ``pos_weight`` q). The forward pass's per-element buffer is reused for the gradient.
    """

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        loss = torch.addcmul(input, input, target, value=-1.0)  # (1 - y) x, exactly 0 for y = 1
        if pos_weight is None:
            loss.sub_(_log_sigmoid(input))
        else:
            log_weight = (pos_weight - 1.0).mul(target).add_(1.0)
            loss.addcmul_(log_weight, _log_sigmoid(input), value=-1.0)
        if weight is not None:
            loss.mul_(weight)
        ctx.save_for_backward(input, target, weight, pos_weight)
        ctx.reduction = reduction
        if reduction == "none":
            ctx.spare = None
            return loss
        # The per-element buffer is free once summed: the backward pass writes into it.
        ctx.spare = loss if ctx.needs_input_grad[0] and loss.shape == input.shape else None
        total = loss.sum()
        return total / loss.numel() if reduction == "mean" else total

    @staticmethod
    @first_order_backward("binary_cross_entropy_with_logits")
    def backward(ctx, grad_output):
        input, target, weight, pos_weight = ctx.saved_tensors
        scale = grad_output / input.numel() if ctx.reduction == "mean" else grad_output
        spare, ctx.spare = ctx.spare, None
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = torch.sigmoid(input, out=spare) if spare is not None else torch.sigmoid(input)
            if pos_weight is None:
                grad_input.sub_(target)
            else:
                # l sigma(x) - q y = sigma(x) (1 + (q - 1) y) - q y
                grad_input.mul_((pos_weight - 1.0).mul(target).add_(1.0)).sub_(pos_weight * target)
            if weight is not None:
                grad_input.mul_(weight)
            grad_input.mul_(scale)
        if ctx.needs_input_grad[1]:
            # d/dy = -x - (q - 1) log sigmoid(x)
            grad_target = input.neg()
            if pos_weight is not None:
                grad_target = grad_target.sub_((pos_weight - 1.0) * _log_sigmoid(input))
            if weight is not None:
                grad_target.mul_(weight)
            grad_target.mul_(scale)
        return grad_input, grad_target, None, None, None


def binary_cross_entropy_with_logits(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    reduction: str = "mean",
    pos_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Binary cross-entropy on logits: a sigmoid and BCE in one stable formula.

    .. math::
        \ell(x, y) = -w\,\big[q\,y \log\sigma(x) + (1 - y) \log(1 - \sigma(x))\big]
        = w\,\big[(1 - y)\,x - (1 + (q - 1) y) \log\sigma(x)\big]

    using :math:`\log(1 - \sigma(x)) = \log\sigma(x) - x`, with
    :math:`\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})`, which never exponentiates a
    large number: exact and finite for logits of :math:`\pm 10^4`. The
    gradient is :math:`w\,[(1 + (q-1)y)\,\sigma(x) - q y]`, :math:`\sigma(x) - y` for
    :math:`q = w = 1`.

    Explained in the book: chapter “Classification losses”, section “Binary cross-entropy:
    BCE and BCE-with-logits”.

    Args:
        input: logits, any shape, floating dtype.
        target: targets in [0, 1], ``input``'s shape.
        weight: optional rescaling, broadcastable to ``input``'s shape.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        pos_weight: optional weight q of the positive term, broadcastable to ``input``'s
            shape (typically (C,), one per class along the last dimension); q > 1 raises
            recall, q < 1 precision.

    Returns:
        The loss in ``input``'s dtype. Agrees with
        ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Reference: D. R. Cox, "The Regression Analysis of Binary Sequences", Journal of the
    Royal Statistical Society B, 1958 (the logistic log-likelihood); matches
    ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Example:
        >>> import torch, lossbook
        >>> logits = torch.tensor([1e4, -1e4, 0.0])
        >>> lossbook.binary_cross_entropy_with_logits(logits, torch.tensor([1.0, 1.0, 0.0]), reduction="none")
        tensor([0.0000e+00, 1.0000e+04, 6.9315e-01])
    """
    input, target = check_pair(input, target)
    check_reduction(reduction)
    weight = check_elementwise_weight("weight", weight, input)
    pos_weight = check_elementwise_weight("pos_weight", pos_weight, input)
    check_in_interval("target", target, 0.0, 1.0)
    dtype = input.dtype
    work = compute_dtype(dtype)
    x, y = input.to(work), target.to(work)
    w = None if weight is None else weight.to(work)
    q = None if pos_weight is None else pos_weight.to(work)
    if (w is not None and w.requires_grad) or (q is not None and q.requires_grad):
        log_weight = 1.0 if q is None else 1.0 + (q - 1.0) * y
        loss = (1.0 - y) * x - log_weight * _log_sigmoid(x)
        if w is not None:
            loss = loss * w
        return reduce(loss, reduction).to(dtype)
    return _BCEWithLogits.apply(x, y, w, q, reduction).to(dtype)


class BCELoss(WeightedLoss):
    r"""Module form of :func:`binary_cross_entropy`: BCE on probabilities.

    .. math:: \ell = -w\,[\,y \log p + (1 - y) \log(1 - p)\,]

    Explained in the book: chapter “Classification losses”, section “Binary cross-entropy:
    BCE and BCE-with-logits”.

    Args:
        weight: optional rescaling w, broadcastable to ``input``'s shape (a buffer).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - input: (*), probabilities in [0, 1]. target: (*), the same shape.
        - Output: a scalar, or (*) with ``reduction="none"``.

    Reference: D. R. Cox, "The Regression Analysis of Binary Sequences", Journal of the
    Royal Statistical Society B, 1958.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.BCELoss(weight=torch.tensor([1.0, 2.0, 1.0]))
        >>> criterion(torch.tensor([0.9, 0.1, 0.4]), torch.tensor([1.0, 0.0, 1.0]))
        tensor(0.4108)
    """

    def __init__(self, weight: torch.Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(WeightedLoss):
    r"""Module form of :func:`binary_cross_entropy_with_logits`: BCE on logits, stable for any x.

    .. math:: \ell = w\,[\,(1 - y)\,x + (1 + (q - 1)\,y)\,\log(1 + e^{-x})\,]

    Explained in the book: chapter “Classification losses”, section “Binary cross-entropy:
    BCE and BCE-with-logits”.

    Args:
        weight: optional rescaling w, broadcastable to ``input``'s shape (a buffer).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        pos_weight: optional weight q of the positive term, broadcastable to ``input``'s
            shape (a buffer).

    Shape:
        - input: (*), logits. target: (*), the same shape, values in [0, 1].
        - Output: a scalar, or (*) with ``reduction="none"``.

    Reference: D. R. Cox, "The Regression Analysis of Binary Sequences", Journal of the
    Royal Statistical Society B, 1958.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.BCEWithLogitsLoss(pos_weight=torch.tensor(3.0))
        >>> criterion(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 0.0]))
        tensor(0.3470)
    """

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        reduction: str = "mean",
        pos_weight: torch.Tensor | None = None,
    ) -> None:
        super().__init__(weight, reduction)
        self.register_optional_buffer("pos_weight", pos_weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )
