r"""Classification losses: functions of scores (logits or probabilities) and class labels.

Binary and multi-label problems score each output on its own (:func:`binary_cross_entropy`,
:func:`binary_cross_entropy_with_logits`, :func:`hinge_loss`, :func:`sigmoid_focal_loss`);
multi-class problems compare a score vector with one class (:func:`cross_entropy`,
:func:`nll_loss`, :func:`multi_margin_loss`, :func:`softmax_focal_loss`) or with a whole
distribution (:func:`cross_entropy` with probability targets, :func:`kl_div`).
:func:`zero_one_loss` counts mistakes: it is what we care about, and what no gradient can train.

Cross-entropy, BCE and BCE-with-logits have a hand-written backward pass
(``torch.autograd.Function``): the gradients :math:`p - y` and :math:`\sigma(x) - y` are the
formulas the book derives, and writing them into the buffer the forward pass already filled
avoids the fresh allocations that dominate the cost of a loss at millions of elements.
The other losses are short compositions of torch operations, differentiated by autograd.
"""

from __future__ import annotations

import torch

from ._base import Loss, first_order_backward
from .validation import (
    check_allowed_values,
    check_broadcastable,
    check_class_indices,
    check_in_interval,
    check_integer_tensor,
    check_number,
    check_pair,
    check_reduction,
    check_same_device,
    check_tensor,
    check_values,
    compute_dtype,
    reduce,
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
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "HingeLoss",
    "MultiMarginLoss",
    "SigmoidFocalLoss",
    "SoftmaxFocalLoss",
    "KLDivLoss",
]

# torch clamps each log of binary_cross_entropy at -100, so p = 0 or 1 gives a finite loss,
# and divides its gradient by max(p (1 - p), 1e-12), with 1e-12 rounded to float32.
BCE_LOG_CLAMP = -100.0
BCE_GRAD_EPS = 9.999999960041972e-13


# ---------------------------------------------------------------------------
# Argument handling shared by the multi-class losses
# ---------------------------------------------------------------------------


def _check_ignore_index(ignore_index) -> int:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"ignore_index must be an int; got {type(ignore_index).__name__} {ignore_index!r}")
    return ignore_index


def _check_class_weight(name: str, weight, input: torch.Tensor, num_classes: int):
    """A per-class weight: None, or a 1-D floating tensor of ``num_classes`` entries."""
    if weight is None:
        return None
    check_tensor(name, weight)
    if weight.dim() != 1 or weight.shape[0] != num_classes:
        raise ValueError(
            f"{name} must be a 1-D tensor with one entry per class ({num_classes}); got shape {tuple(weight.shape)}"
        )
    check_same_device("input", input, name, weight)
    return weight


def _class_input(input, target, *, probabilities_allowed: bool):
    """Validate a multi-class (input, target) pair and flatten it to rows of class scores.

    ``input`` is (C,), (N, C) or (N, C, d1, ...); an integer ``target`` holds class indices
    of shape (), (N,) or (N, d1, ...); a floating ``target`` (when allowed) is a
    distribution of ``input``'s shape. Returns ``(rows, target_rows, out_shape, is_prob)``:
    ``rows`` is (M, C) with the class dimension last, ``out_shape`` the shape of the
    per-sample loss.
    """
    check_tensor("input", input)
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    if input.dim() == 0:
        raise ValueError(
            "input must have a class dimension: shape (C,), (N, C) or (N, C, d1, ...); got a 0-D tensor"
        )
    check_same_device("input", input, "target", target)
    num_classes = input.shape[0] if input.dim() == 1 else input.shape[1]
    if target.is_floating_point():
        if not probabilities_allowed:
            raise TypeError(f"target must hold class indices (an integer dtype); got {target.dtype}")
        if target.shape != input.shape:
            raise ValueError(
                "a floating target holds class probabilities and must have input's shape; "
                f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
            )
        is_prob = True
    else:
        check_integer_tensor("target", target)
        expected = () if input.dim() == 1 else (input.shape[0], *input.shape[2:])
        if tuple(target.shape) != expected:
            raise ValueError(
                f"target of class indices must have shape {expected} for input of shape {tuple(input.shape)}; "
                f"got {tuple(target.shape)}"
            )
        is_prob = False
    if input.dim() == 1:
        rows = input.unsqueeze(0)
        target_rows = target.unsqueeze(0) if is_prob else target.reshape(1)
        out_shape = ()
    elif input.dim() == 2:
        rows, target_rows = input, target
        out_shape = (input.shape[0],)
    else:
        rows = input.movedim(1, -1).reshape(-1, num_classes)
        target_rows = target.movedim(1, -1).reshape(-1, num_classes) if is_prob else target.reshape(-1)
        out_shape = (input.shape[0], *input.shape[2:])
    if not is_prob:
        target_rows = target_rows.long()
    return rows, target_rows, out_shape, is_prob


def _index_rows(input, target, weight_name, weight, ignore_index):
    """Validate a (scores, class indices) pair with an optional per-class weight.

    Returns ``(rows, target_rows, out_shape, weight, ignore_index)``: rows (M, C) and the
    weight in the compute dtype, every class index checked (before any indexing), and
    ``ignore_index`` None when no target equals it.
    """
    ignore_index = _check_ignore_index(ignore_index)
    rows, target_rows, out_shape, _ = _class_input(input, target, probabilities_allowed=False)
    num_classes = rows.shape[1]
    weight = _check_class_weight(weight_name, weight, input, num_classes)
    bounds = check_class_indices("target", target_rows, num_classes, ignore_index)
    work = compute_dtype(input.dtype)
    weight = None if weight is None else weight.to(work)
    return rows.to(work), target_rows, out_shape, weight, _ignorable(ignore_index, bounds)


def _ignorable(ignore_index: int, bounds: tuple[int, int] | None) -> int | None:
    """``ignore_index``, or None when it lies outside the targets' range (no row is ignored)."""
    if bounds is None or not bounds[0] <= ignore_index <= bounds[1]:
        return None
    return ignore_index


def _row_weights(target, weight, ignore_index, dtype):
    """Per-row weights w[y_i] (0 for ignored rows) and the safe indices to gather with.

    ``ignore_index`` None means that no row is ignored (see :func:`_ignorable`).
    """
    if ignore_index is None:
        return target, (None if weight is None else weight[target]), None
    ignored = target == ignore_index
    any_ignored = bool(ignored.any()) if target.numel() else False
    safe = target.masked_fill(ignored, 0) if any_ignored else target
    if weight is not None:
        w = weight[safe]
        if any_ignored:
            w = w.masked_fill(ignored, 0.0)
    elif any_ignored:
        w = (~ignored).to(dtype)
    else:
        w = None
    return safe, w, (ignored if any_ignored else None)


# ---------------------------------------------------------------------------
# Cross-entropy with class-index targets: hand-written backward
# ---------------------------------------------------------------------------


class _CrossEntropyIndex(torch.autograd.Function):
    r"""Rows (M, C) of logits and class indices (M,).

    Per row, with :math:`\ell = \log\operatorname{softmax}(x)` and the smoothing :math:`\varepsilon`:

    .. math:: L_i = (1 - \varepsilon)\, w_{y_i} (-\ell_{y_i}) + \frac{\varepsilon}{C} \sum_c w_c (-\ell_c)

    and the gradient is :math:`a_i p - b_i e_{y_i} - c_i w` with :math:`p = e^{\ell}`,
    :math:`a_i = (1-\varepsilon) w_{y_i} + \tfrac{\varepsilon}{C} \sum_c w_c`,
    :math:`b_i = (1-\varepsilon) w_{y_i}`, :math:`c_i = \tfrac{\varepsilon}{C}` (all zero for an
    ignored row). The forward pass keeps the log-softmax buffer; the backward pass turns it,
    in place, into the gradient.
    """

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, smoothing, reduction):
        num_classes = input.shape[1]
        logp = torch.log_softmax(input, 1)
        safe, w, ignored = _row_weights(target, weight, ignore_index, input.dtype)
        picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1)
        # 0 - x rather than -x: a perfect prediction has loss +0, not -0
        loss = torch.rsub(picked if w is None else picked.mul_(w), 0.0)
        if smoothing > 0.0:
            smooth = logp.sum(1) if weight is None else torch.mv(logp, weight)
            smooth.neg_()
            if ignored is not None:
                smooth.masked_fill_(ignored, 0.0)
            loss = loss.mul_(1.0 - smoothing).add_(smooth, alpha=smoothing / num_classes)
        if reduction == "mean":
            denominator = w.sum() if w is not None else torch.tensor(float(loss.numel()), dtype=loss.dtype)
            ctx.denominator = denominator
        ctx.save_for_backward(input, safe, w, weight, ignored)
        ctx.smoothing, ctx.reduction = smoothing, reduction
        ctx.buffer = logp if ctx.needs_input_grad[0] else None
        if reduction == "none":
            return loss
        total = loss.sum()
        return total / ctx.denominator if reduction == "mean" else total

    @staticmethod
    @first_order_backward("cross_entropy")
    def backward(ctx, grad_output):
        input, safe, w, weight, ignored = ctx.saved_tensors
        num_classes = input.shape[1]
        eps = ctx.smoothing
        buffer, ctx.buffer = ctx.buffer, None
        if buffer is None:  # a second backward (retain_graph): recompute
            buffer = torch.log_softmax(input, 1)
        grad = buffer.exp_()  # the softmax p, in the forward pass's buffer
        # The upstream factor of each row.
        if ctx.reduction == "mean":
            denominator = ctx.denominator
            if float(denominator) == 0.0:  # every row ignored: the loss is NaN, the gradient 0
                denominator = torch.ones_like(denominator)
            scale = grad_output / denominator
        else:
            scale = grad_output
        b = (1.0 - eps) * (w if w is not None else torch.ones((), dtype=input.dtype, device=input.device))
        b = b * scale  # () or (M,)
        if eps > 0.0:
            mask = scale if ignored is None else (~ignored).to(input.dtype) * scale
            c = (eps / num_classes) * mask
            total_weight = num_classes if weight is None else weight.sum()
            a = b + c * total_weight
        else:
            c, a = None, b
        if a.dim() == 0:
            grad.mul_(a)
        else:
            grad.mul_(a.unsqueeze(1))
        b_rows = b.expand(safe.shape[0]) if b.dim() == 0 else b
        grad.scatter_add_(1, safe.unsqueeze(1), b_rows.neg().unsqueeze(1))
        if c is not None:
            if weight is None:
                grad.sub_(c.unsqueeze(1) if c.dim() else c)
            else:
                c_rows = c.expand(safe.shape[0]) if c.dim() == 0 else c
                grad.addr_(c_rows, weight, alpha=-1.0)
        return grad, None, None, None, None, None


def _cross_entropy_index_composite(rows, target, weight, ignore_index, smoothing, reduction):
    """The same loss by autograd (used when ``weight`` itself requires a gradient)."""
    num_classes = rows.shape[1]
    logp = torch.log_softmax(rows, 1)
    safe, w, ignored = _row_weights(target, weight, ignore_index, rows.dtype)
    loss = -logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    if w is not None:
        loss = loss * w
    if smoothing > 0.0:
        smooth = -(logp.sum(1) if weight is None else logp @ weight)
        if ignored is not None:
            smooth = smooth.masked_fill(ignored, 0.0)
        loss = (1.0 - smoothing) * loss + (smoothing / num_classes) * smooth
    if reduction == "mean":
        return loss.sum() / (w.sum() if w is not None else loss.numel())
    return reduce(loss, reduction)


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def zero_one_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""0-1 loss: 1 for a wrong prediction, 0 for a right one.

    .. math:: \ell(\hat y, y) = \mathbb{1}[\hat y \ne y], \qquad \hat y = \arg\max_c x_c

    The ``"mean"`` is the error rate (one minus accuracy), ``"sum"`` the number of mistakes.
    The loss is piecewise constant in the scores: its gradient is zero wherever it exists, so
    it **cannot be trained by gradient descent**; the result never requires a gradient.
    Surrogates (cross-entropy, hinge) are trained instead and the 0-1 loss is reported.

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
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor; got {type(input).__name__}")
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    check_same_device("input", input, "target", target)
    if input.shape == target.shape:
        predicted = input
    elif input.dim() == target.dim() + 1 and input.dim() >= 1:
        if input.dim() > 1 and (input.shape[0],) + tuple(input.shape[2:]) != tuple(target.shape):
            raise ValueError(
                f"input scores {tuple(input.shape)} and target {tuple(target.shape)} disagree on the batch shape"
            )
        predicted = input.argmax(dim=0 if input.dim() == 1 else 1)
    else:
        raise ValueError(
            "input must be scores with one more (class) dimension than target, or labels of target's shape; "
            f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    dtype = input.dtype if input.is_floating_point() and predicted is not input else torch.get_default_dtype()
    with torch.no_grad():
        wrong = (predicted.detach() != target).to(dtype)
    return reduce(wrong, reduction)


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


def _check_elementwise_weight(name, weight, input):
    if weight is None:
        return None
    check_tensor(name, weight)
    check_broadcastable(name, weight, "input", input.shape)
    check_same_device("input", input, name, weight)
    return weight


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

    Args:
        input: probabilities, any shape, every element in [0, 1].
        target: targets in [0, 1] (labels 0/1 or soft labels), ``input``'s shape.
        weight: optional rescaling, broadcastable to ``input``'s shape.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.binary_cross_entropy``.

    Example:
        >>> import torch, lossbook
        >>> lossbook.binary_cross_entropy(torch.tensor([0.9, 0.1, 0.4]), torch.tensor([1.0, 0.0, 1.0]))
        tensor(0.3757)
    """
    input, target = check_pair(input, target)
    check_reduction(reduction)
    weight = _check_elementwise_weight("weight", weight, input)
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
        >>> lossbook.binary_cross_entropy_with_logits(torch.tensor([1e4, -1e4, 0.0]), torch.tensor([1.0, 1.0, 0.0]), reduction="none")
        tensor([0.0000e+00, 1.0000e+04, 6.9315e-01])
    """
    input, target = check_pair(input, target)
    check_reduction(reduction)
    weight = _check_elementwise_weight("weight", weight, input)
    pos_weight = _check_elementwise_weight("pos_weight", pos_weight, input)
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


def cross_entropy(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    r"""Cross-entropy of a softmax over class scores (logits) and a class or a distribution.

    With :math:`\ell = \log\operatorname{softmax}(x)`, a class-index target y gives

    .. math:: L = (1 - \varepsilon)\, w_y (-\ell_y) + \frac{\varepsilon}{C} \sum_c w_c (-\ell_c),
        \qquad \frac{\partial L}{\partial x} = p - y_{\text{one-hot}} \quad (\varepsilon = 0, w = 1)

    and a probability target t gives :math:`L = -\sum_c w_c t'_c \ell_c` with
    :math:`t' = (1 - \varepsilon) t + \varepsilon / C`. The log-softmax is computed as
    :math:`x - \max x - \log\sum e^{x - \max x}`: exact and finite for logits of
    :math:`\pm 10^4`.

    ``"mean"`` divides by the sum of :math:`w_{y_i}` over the rows not ignored (their number
    without ``weight``; NaN when every row is ignored) for index targets, and by the number of
    samples for probability targets, as torch does.

    Args:
        input: logits (N, C), (N, C, d1, ...) or (C,).
        target: class indices (N,), (N, d1, ...) or () in [0, C) or ``ignore_index``
            (integer dtype); or class probabilities of ``input``'s shape (floating dtype).
        weight: optional per-class weight (C,).
        ignore_index: a class index whose rows give 0 loss and 0 gradient (index targets).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        label_smoothing: :math:`\varepsilon` in [0, 1].

    Returns:
        The loss in ``input``'s dtype; ``"none"`` gives the shape of ``input`` without its
        class dimension. Agrees with ``torch.nn.functional.cross_entropy``.

    Reference: C. E. Shannon, "A Mathematical Theory of Communication", 1948 (entropy);
    C. Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016 (label smoothing).

    Example:
        >>> import torch, lossbook
        >>> lossbook.cross_entropy(torch.tensor([[2.0, 1.0, 0.1]]), torch.tensor([0]))
        tensor(0.4170)
    """
    check_reduction(reduction)
    ignore_index = _check_ignore_index(ignore_index)
    label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
    rows, target_rows, out_shape, is_prob = _class_input(input, target, probabilities_allowed=True)
    num_classes = rows.shape[1]
    weight = _check_class_weight("weight", weight, input, num_classes)
    dtype = input.dtype
    work = compute_dtype(dtype)
    rows = rows.to(work)
    w = None if weight is None else weight.to(work)
    if is_prob:
        check_in_interval("target", target_rows, 0.0, 1.0)
        t = target_rows.to(work)
        if label_smoothing > 0.0:
            t = t * (1.0 - label_smoothing) + label_smoothing / num_classes
        logp = torch.log_softmax(rows, 1)
        if w is not None:
            logp = logp * w
        loss = -(logp * t).sum(1)
        if reduction == "none":
            return loss.reshape(out_shape).to(dtype)
        return reduce(loss, reduction).to(dtype)
    ignore_index = _ignorable(
        ignore_index, check_class_indices("target", target_rows, num_classes, ignore_index)
    )
    if w is not None and w.requires_grad:
        loss = _cross_entropy_index_composite(rows, target_rows, w, ignore_index, label_smoothing, reduction)
    else:
        loss = _CrossEntropyIndex.apply(rows, target_rows, w, ignore_index, label_smoothing, reduction)
    if reduction == "none":
        loss = loss.reshape(out_shape)
    return loss.to(dtype)


class _NegativePick(torch.autograd.Function):
    """``-rows[i, index[i]]`` for every row. Backward: the row gradients, negated, scattered
    into a zero matrix: one allocation, where autograd's gather backward makes two."""

    @staticmethod
    def forward(ctx, rows, index):
        ctx.save_for_backward(index)
        ctx.shape = rows.shape
        return rows.gather(1, index.unsqueeze(1)).squeeze(1).neg_()

    @staticmethod
    @first_order_backward("nll_loss")
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_rows = grad.new_zeros(ctx.shape)
        grad_rows.scatter_(1, index.unsqueeze(1), grad.neg().unsqueeze(1))
        return grad_rows, None


def nll_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Negative log-likelihood of the true class, given log-probabilities.

    .. math:: L_i = -w_{y_i}\, x_{i, y_i}

    Pair it with ``torch.log_softmax``: ``nll_loss(log_softmax(z), y)`` equals
    ``cross_entropy(z, y)``. ``"mean"`` divides by the sum of :math:`w_{y_i}` over the rows
    not ignored (NaN when all are ignored), as torch does.

    Args:
        input: log-probabilities (N, C), (N, C, d1, ...) or (C,).
        target: class indices (N,), (N, d1, ...) or () in [0, C) or ``ignore_index``.
        weight: optional per-class weight (C,).
        ignore_index: a class index whose rows give 0 loss and 0 gradient.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``input``'s dtype. Agrees with ``torch.nn.functional.nll_loss``.

    Reference: R. A. Fisher, "On the Mathematical Foundations of Theoretical Statistics",
    1922 (maximum likelihood); matches ``torch.nn.functional.nll_loss``.

    Example:
        >>> import torch, lossbook
        >>> logp = torch.log_softmax(torch.tensor([[0.1, 0.2, 0.7], [0.3, 0.5, 0.2]]), dim=1)
        >>> lossbook.nll_loss(logp, torch.tensor([2, 1]))
        tensor(0.8539)
    """
    check_reduction(reduction)
    rows, target_rows, out_shape, w_class, ignore_index = _index_rows(
        input, target, "weight", weight, ignore_index
    )
    dtype = input.dtype
    safe, w, _ = _row_weights(target_rows, w_class, ignore_index, rows.dtype)
    loss = _NegativePick.apply(rows, safe)
    if w is not None:
        loss = loss * w
    if reduction == "none":
        return loss.reshape(out_shape).to(dtype)
    if reduction == "mean":
        return (loss.sum() / (w.sum() if w is not None else loss.numel())).to(dtype)
    return loss.sum().to(dtype)


def hinge_loss(
    input: torch.Tensor, target: torch.Tensor, margin: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Binary hinge loss of a support vector machine.

    .. math:: \ell(f, y) = \max(0,\ \text{margin} - y f), \qquad y \in \{-1, +1\}

    Zero once a sample is on the right side with room to spare (:math:`y f \ge` margin),
    linear otherwise: it does not care how confident a correct prediction is.

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
    check_tensor("input", input)
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    if target.dtype == torch.bool or target.is_complex():
        raise TypeError(
            f"target must hold the labels -1 and +1 (integer or floating dtype); got {target.dtype}"
        )
    if input.shape != target.shape:
        raise ValueError(
            f"input and target must have the same shape; got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    check_same_device("input", input, "target", target)
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

    Args:
        input: scores (N, C) or (C,).
        target: class indices (N,) or () in [0, C).
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
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"p must be 1 or 2; got {p!r}")
    margin = check_number("margin", margin)
    check_tensor("input", input)
    if input.dim() not in (1, 2):
        raise ValueError(f"input must have shape (N, C) or (C,); got {tuple(input.shape)}")
    rows, target_rows, out_shape, _ = _class_input(input, target, probabilities_allowed=False)
    num_classes = rows.shape[1]
    weight = _check_class_weight("weight", weight, input, num_classes)
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
        >>> lossbook.sigmoid_focal_loss(torch.tensor([3.0, -1.0]), torch.tensor([1.0, 1.0]), alpha=-1, reduction="none")
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

    With ``gamma = 0`` and no ``alpha`` it is :func:`cross_entropy`, value and gradient.
    :math:`1 - p_y` is computed as ``-expm1(log p_y)``, accurate when :math:`p_y \to 1`, and
    clamped as in :func:`sigmoid_focal_loss`, so gradients stay finite for ``0 < gamma < 1``.
    ``"mean"`` averages over the samples not ignored (it does not divide by the alphas).

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
    rows, target_rows, out_shape, alpha, ignore_index = _index_rows(
        input, target, "alpha", alpha, ignore_index
    )
    dtype = input.dtype
    safe, kept, ignored = _row_weights(target_rows, None, ignore_index, rows.dtype)
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
        return (loss.sum() / (kept.sum() if kept is not None else loss.numel())).to(dtype)
    return loss.sum().to(dtype)


KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(
    input: torch.Tensor, target: torch.Tensor, reduction: str = "batchmean", log_target: bool = False
) -> torch.Tensor:
    r"""Kullback-Leibler divergence :math:`D_{\mathrm{KL}}(t \,\|\, q)` with ``input`` = log q.

    .. math:: \ell = t\,(\log t - \log q) \quad (0 \log 0 = 0), \qquad
        \sum_c \ell_c = H(t, q) - H(t)

    Note the order: ``input`` holds log-probabilities of the model, ``target`` the reference
    distribution (probabilities, or log-probabilities with ``log_target=True``).

    Args:
        input: log-probabilities, any shape (batch first).
        target: probabilities in [0, 1] (or log-probabilities <= 0), ``input``'s shape.
        reduction: ``"batchmean"`` (default: the sum divided by the batch size, the true KL
            per sample), ``"sum"``, ``"mean"`` (over every element: not a KL) or ``"none"``.
        log_target: whether ``target`` holds log-probabilities.

    Returns:
        The divergence in ``input``'s dtype. Agrees with ``torch.nn.functional.kl_div``
        (whose default reduction is ``"mean"``; lossbook's is ``"batchmean"``).

    Reference: S. Kullback and R. A. Leibler, "On Information and Sufficiency", 1951.

    Example:
        >>> import torch, lossbook
        >>> t = torch.tensor([[0.5, 0.5]])
        >>> lossbook.kl_div(torch.log(torch.tensor([[0.9, 0.1]])), t)
        tensor(0.5108)
    """
    check_reduction(reduction, KL_REDUCTIONS)
    if not isinstance(log_target, bool):
        raise TypeError(f"log_target must be a bool; got {type(log_target).__name__}")
    input, target = check_pair(input, target)
    if log_target:
        check_values("target", target, high=0.0)
    else:
        check_in_interval("target", target, 0.0, 1.0)
    dtype = input.dtype
    work = compute_dtype(dtype)
    x, t = input.to(work), target.to(work)
    if log_target:
        loss = torch.exp(t) * (t - x)
    else:
        loss = torch.xlogy(t, t) - t * x
    if reduction == "batchmean":
        total = loss.sum()
        return (total / x.shape[0] if x.dim() > 0 else total).to(dtype)
    return reduce(loss, reduction).to(dtype)


# ---------------------------------------------------------------------------
# Modules: thin holders of the options
# ---------------------------------------------------------------------------


def _register_optional(module: Loss, name: str, tensor) -> None:
    """Register a weight tensor as a buffer (moved by ``.to(device)``), as torch does."""
    if tensor is not None:
        check_tensor(name, tensor)
    module.register_buffer(name, tensor)


class BCELoss(Loss):
    """Module form of :func:`binary_cross_entropy`."""

    def __init__(self, weight: torch.Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        _register_optional(self, "weight", weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(Loss):
    """Module form of :func:`binary_cross_entropy_with_logits`."""

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        reduction: str = "mean",
        pos_weight: torch.Tensor | None = None,
    ) -> None:
        super().__init__(reduction)
        _register_optional(self, "weight", weight)
        _register_optional(self, "pos_weight", pos_weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class CrossEntropyLoss(Loss):
    """Module form of :func:`cross_entropy`."""

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        _register_optional(self, "weight", weight)
        self.ignore_index = _check_ignore_index(ignore_index)
        self.label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(Loss):
    """Module form of :func:`nll_loss`."""

    def __init__(
        self, weight: torch.Tensor | None = None, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        _register_optional(self, "weight", weight)
        self.ignore_index = _check_ignore_index(ignore_index)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nll_loss(
            input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class HingeLoss(Loss):
    """Module form of :func:`hinge_loss`."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_number("margin", margin, low=0.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return hinge_loss(input, target, margin=self.margin, reduction=self.reduction)


class MultiMarginLoss(Loss):
    """Module form of :func:`multi_margin_loss`."""

    def __init__(
        self, p: int = 1, margin: float = 1.0, weight: torch.Tensor | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        if isinstance(p, bool) or p not in (1, 2):
            raise ValueError(f"p must be 1 or 2; got {p!r}")
        self.p = p
        self.margin = check_number("margin", margin)
        _register_optional(self, "weight", weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return multi_margin_loss(
            input, target, p=self.p, margin=self.margin, weight=self.weight, reduction=self.reduction
        )


class SigmoidFocalLoss(Loss):
    """Module form of :func:`sigmoid_focal_loss`."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.alpha = check_number("alpha", alpha, high=1.0)
        self.gamma = check_number("gamma", gamma, low=0.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return sigmoid_focal_loss(input, target, alpha=self.alpha, gamma=self.gamma, reduction=self.reduction)


class SoftmaxFocalLoss(Loss):
    """Module form of :func:`softmax_focal_loss`."""

    def __init__(
        self,
        alpha: torch.Tensor | None = None,
        gamma: float = 2.0,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        _register_optional(self, "alpha", alpha)
        self.gamma = check_number("gamma", gamma, low=0.0)
        self.ignore_index = _check_ignore_index(ignore_index)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return softmax_focal_loss(
            input,
            target,
            alpha=self.alpha,
            gamma=self.gamma,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class KLDivLoss(Loss):
    """Module form of :func:`kl_div` (default reduction ``"batchmean"``)."""

    def __init__(self, reduction: str = "batchmean", log_target: bool = False) -> None:
        super().__init__("mean")
        self.reduction = check_reduction(reduction, KL_REDUCTIONS)
        if not isinstance(log_target, bool):
            raise TypeError(f"log_target must be a bool; got {type(log_target).__name__}")
        self.log_target = log_target

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
