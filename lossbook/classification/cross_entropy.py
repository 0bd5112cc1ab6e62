r"""Cross-entropy, negative log-likelihood and the Kullback-Leibler divergence.

Multi-class problems compare a score vector with one class (:func:`cross_entropy`,
:func:`nll_loss`) or with a whole distribution (:func:`cross_entropy` with probability
targets, :func:`kl_div`). The three are one quantity seen three ways: cross-entropy is NLL
after a log-softmax, and cross-entropy minus the target's entropy is the KL divergence.

Cross-entropy with class-index targets has a hand-written backward pass
(``torch.autograd.Function``): the gradient :math:`p - y` is the formula the book derives,
and writing it into the log-softmax buffer the forward pass already filled avoids the fresh
allocations that dominate the cost of a loss at millions of elements. NLL's pick of the true
class has a small one of its own; KL is differentiated by autograd.
"""

from __future__ import annotations

import torch

from .._base import Loss, WeightedLoss, first_order_backward
from ..validation import (
    batchmean,
    check_class_indices,
    check_in_interval,
    check_number,
    check_pair,
    check_reduction,
    check_values,
    compute_dtype,
    reduce,
    weighted_mean,
)
from ._inputs import (
    check_class_weight,
    check_ignore_index,
    check_log_target,
    class_rows,
    ignorable,
    index_rows,
    row_weights,
)

__all__ = ["cross_entropy", "nll_loss", "kl_div", "CrossEntropyLoss", "NLLLoss", "KLDivLoss"]

KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


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
        safe, w, ignored = row_weights(target, weight, ignore_index, input.dtype)
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
            # weighted_mean's denominator, kept as a tensor for the backward pass
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
    safe, w, ignored = row_weights(target, weight, ignore_index, rows.dtype)
    loss = -logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    if w is not None:
        loss = loss * w
    if smoothing > 0.0:
        smooth = -(logp.sum(1) if weight is None else logp @ weight)
        if ignored is not None:
            smooth = smooth.masked_fill(ignored, 0.0)
        loss = (1.0 - smoothing) * loss + (smoothing / num_classes) * smooth
    if reduction == "mean":
        return weighted_mean(loss, w)
    return reduce(loss, reduction)


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

    Explained in the book: chapter “Classification losses”, section “Cross-entropy, from
    information theory” (with its gradient, numerical stability and label smoothing).

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
    ignore_index = check_ignore_index(ignore_index)
    label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
    rows, target_rows, out_shape, is_prob = class_rows(input, target, probabilities_allowed=True)
    num_classes = rows.shape[1]
    weight = check_class_weight("weight", weight, input, num_classes)
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
    ignore_index = ignorable(
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
    """``-rows[i, index[i]]`` for every row, summed or averaged when ``reduction`` says so.

    Backward: the rows' gradients, negated, scattered into one zero matrix, where autograd's
    gather backward allocates two (a zero matrix and the scatter's result); with the
    reduction inside, the whole loss is one node, as torch's kernel is. Under
    ``create_graph=True`` the same scatter is built out of place, so that it is
    differentiable (second derivatives through a ``log_softmax`` are not zero).
    """

    @staticmethod
    def forward(ctx, rows, index, reduction):
        ctx.save_for_backward(index)
        ctx.shape, ctx.reduction = rows.shape, reduction
        picked = rows.gather(1, index.view(-1, 1)).view(-1)
        if reduction == "none":
            return picked.neg_()
        return (picked.mean() if reduction == "mean" else picked.sum()).neg_()

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        rows, classes = ctx.shape
        if ctx.reduction == "none":
            step = grad.neg()
        else:
            step = (grad.neg() / rows if ctx.reduction == "mean" else grad.neg()).expand(rows)
        # The picked entries' flat positions: put_ into a flat view is the cheapest scatter.
        flat = torch.arange(0, rows * classes, classes, device=index.device).add_(index)
        grad_rows = grad.new_zeros(ctx.shape)
        if torch.is_grad_enabled():
            return grad_rows.put(flat, step), None, None
        return grad_rows.put_(flat, step), None, None


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

    Explained in the book: chapter “Classification losses”, section “Cross-entropy, from
    information theory”.

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
    rows, target_rows, out_shape, w_class, ignore_index = index_rows(
        input, target, "weight", weight, ignore_index
    )
    dtype = input.dtype
    if w_class is None and ignore_index is None and reduction != "none":
        # The common case, without weights or ignored rows: reduced inside one node.
        loss = _NegativePick.apply(rows, target_rows, reduction)
        return loss if loss.dtype == dtype else loss.to(dtype)
    safe, w, _ = row_weights(target_rows, w_class, ignore_index, rows.dtype)
    loss = _NegativePick.apply(rows, safe, "none")
    if w is not None:
        loss = loss * w
    if reduction == "none":
        return loss.reshape(out_shape).to(dtype)
    if reduction == "mean":
        return weighted_mean(loss, w).to(dtype)
    return loss.sum().to(dtype)


def kl_div(
    input: torch.Tensor, target: torch.Tensor, reduction: str = "batchmean", log_target: bool = False
) -> torch.Tensor:
    r"""Kullback-Leibler divergence :math:`D_{\mathrm{KL}}(t \,\|\, q)` with ``input`` = log q.

    .. math:: \ell = t\,(\log t - \log q) \quad (0 \log 0 = 0), \qquad
        \sum_c \ell_c = H(t, q) - H(t)

    Note the order: ``input`` holds log-probabilities of the model, ``target`` the reference
    distribution (probabilities, or log-probabilities with ``log_target=True``).

    Explained in the book: chapter “Classification losses”, section “Cross-entropy, from
    information theory”.

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
    check_log_target(log_target)
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
        return batchmean(loss).to(dtype)
    return reduce(loss, reduction).to(dtype)


class CrossEntropyLoss(WeightedLoss):
    r"""Module form of :func:`cross_entropy`: a softmax over the logits and the negative
    log-likelihood of the target class (or distribution), with label smoothing.

    .. math:: L = (1 - \varepsilon)\, w_y (-\ell_y) + \frac{\varepsilon}{C} \sum_c w_c (-\ell_c),
        \qquad \ell = \log\operatorname{softmax}(x)

    Explained in the book: chapter “Classification losses”, section “Cross-entropy, from
    information theory”.

    Args:
        weight: optional per-class weight (C,) (a buffer).
        ignore_index: a class index whose rows give 0 loss and 0 gradient. Default: -100.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        label_smoothing: :math:`\varepsilon` in [0, 1]. Default: 0.

    Shape:
        - input: (N, C), (N, C, d1, ...) or (C,), logits.
        - target: (N,), (N, d1, ...) or () class indices, or probabilities of ``input``'s shape.
        - Output: a scalar, or the target's shape with ``reduction="none"``.

    Reference: C. E. Shannon, "A Mathematical Theory of Communication", 1948 (entropy);
    C. Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016 (label smoothing).

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.CrossEntropyLoss(label_smoothing=0.1)
        >>> criterion(torch.tensor([[2.0, 1.0, 0.1]]), torch.tensor([0]))
        tensor(0.5137)
    """

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = check_ignore_index(ignore_index)
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


class NLLLoss(WeightedLoss):
    r"""Module form of :func:`nll_loss`: the negative log-likelihood of the target class,
    given log-probabilities (a log-softmax's output).

    .. math:: L_i = -w_{y_i}\, x_{i, y_i}

    Explained in the book: chapter “Classification losses”, section “Cross-entropy, from
    information theory”.

    Args:
        weight: optional per-class weight (C,) (a buffer); ``"mean"`` divides by
            :math:`\sum_i w_{y_i}`.
        ignore_index: a class index whose rows give 0 loss and 0 gradient. Default: -100.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - input: (N, C), (N, C, d1, ...) or (C,), log-probabilities.
        - target: (N,), (N, d1, ...) or (), class indices.
        - Output: a scalar, or the target's shape with ``reduction="none"``.

    Reference: R. A. Fisher, "On the Mathematical Foundations of Theoretical Statistics",
    1922 (maximum likelihood).

    Example:
        >>> import torch, lossbook
        >>> logp = torch.log_softmax(torch.tensor([[0.1, 0.2, 0.7], [0.3, 0.5, 0.2]]), dim=1)
        >>> lossbook.NLLLoss(weight=torch.tensor([1.0, 2.0, 1.0]))(logp, torch.tensor([2, 1]))
        tensor(0.8825)
    """

    def __init__(
        self, weight: torch.Tensor | None = None, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = check_ignore_index(ignore_index)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nll_loss(
            input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class KLDivLoss(Loss):
    r"""Module form of :func:`kl_div` (default reduction ``"batchmean"``): the KL divergence
    of the target distribution from the predicted one, given as log-probabilities.

    .. math:: \operatorname{KL}(t \,\|\, p) = \sum_c t_c\,(\log t_c - x_c), \qquad x = \log p

    Explained in the book: chapter “Classification losses”, section “Cross-entropy, from
    information theory”.

    Args:
        reduction: ``"batchmean"`` (default: the sum divided by the batch size, the KL per
            sample), ``"sum"``, ``"mean"`` (over every element) or ``"none"``.
        log_target: whether ``target`` holds log-probabilities. Default: False.

    Shape:
        - input: ``(N, *)``, log-probabilities. target: ``(N, *)``, the same shape.
        - Output: a scalar, or ``(N, *)`` with ``reduction="none"``.

    Reference: S. Kullback and R. A. Leibler, "On Information and Sufficiency", 1951.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.KLDivLoss()
        >>> criterion(torch.log(torch.tensor([[0.9, 0.1]])), torch.tensor([[0.5, 0.5]]))
        tensor(0.5108)
    """

    def __init__(self, reduction: str = "batchmean", log_target: bool = False) -> None:
        super().__init__(reduction, reductions=KL_REDUCTIONS)
        self.log_target = check_log_target(log_target)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
