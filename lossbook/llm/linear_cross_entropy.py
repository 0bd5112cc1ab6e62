r"""Cross-entropy of a linear head, a chunk of rows at a time: the logits never exist whole.

A language model's last layer maps N hidden states (N, H) to logits (N, V) over a vocabulary
of V tokens. At V = 128k and N = 8192 the logits and their gradient take 8 GiB in float32,
far more than the head itself (V·H). :func:`linear_cross_entropy` computes
``cross_entropy(linear(input, W, b), target)`` without them: each chunk of rows makes its
logits, reduces them to one log-sum-exp per row and lets them go.

With gradients wanted and a scalar loss (``"mean"``, ``"sum"``), the same sweep also turns
each chunk's logits into their gradient :math:`\partial L / \partial z` and multiplies it into
the gradients of input, weight and bias, which the backward pass then only scales by the
upstream gradient: one product with the head per chunk instead of two, as Liger-Kernel and
torch's chunked path do. Otherwise (``reduction="none"``, whose upstream gradient is only known
in the backward pass, or a second backward with ``retain_graph``) the forward pass keeps the
per-row log-sum-exp alone and the backward pass recomputes each chunk's logits from it.
"""

from __future__ import annotations

import contextlib

import torch

from .._base import Loss, first_order_backward
from ..validation import check_ignore_index, check_number, check_positive_integer
from ._inputs import LinearProblem, linear_problem

__all__ = ["linear_cross_entropy", "LinearCrossEntropyLoss"]


def _chunk_logits(rows, head, bias, num_classes):
    """The logits of a chunk of hidden rows (n, H): (n·D, C), one row per (hidden row, position)."""
    z = torch.mm(rows, head.t()) if bias is None else torch.addmm(bias, rows, head.t())
    return z.view(-1, num_classes)


class _Targets:
    """The target of a chunk's logits rows, in the forms the loss and its gradient use.

    Index targets: ``safe`` indices to gather with, the row weight ``rw`` = w[y] (0 for an
    ignored row; None when every row weighs 1) and the ``valid`` mask (None: none ignored).
    Probability targets: the smoothed, class-weighted distribution ``tp`` and its sum ``tsum``.
    """

    def __init__(self, p: LinearProblem, j0: int, j1: int):
        t = p.target[j0:j1]
        self.safe = self.rw = self.valid = self.tp = self.tsum = None
        eps, num_classes = p.label_smoothing, p.num_classes
        if p.is_prob:
            tp = t.to(p.work)
            if eps > 0.0:
                tp = tp * (1.0 - eps) + eps / num_classes
            if p.class_weight is not None:
                tp = tp * p.class_weight
            self.tp, self.tsum = tp, tp.sum(1)
            return
        if p.ignore_index is None:
            self.safe = t
        else:
            ignored = t == p.ignore_index
            self.safe = t.masked_fill(ignored, 0)
            self.valid = (~ignored).to(p.work)
        if p.class_weight is not None:
            self.rw = p.class_weight[self.safe]
            if self.valid is not None:
                self.rw = self.rw * self.valid
        else:
            self.rw = self.valid


def _gradient_in_place(p: LinearProblem, e, inv_s, lse, tg: _Targets, weight_sum, upstream):
    r"""Turn ``e`` = exp(z - m) (softmax p = e / s) into ``upstream`` times :math:`\partial L / \partial z`.

    Index targets: :math:`a\,p - b\,e_y - c\,w` with :math:`a = (1-\varepsilon) w_y +
    \tfrac{\varepsilon}{C}\sum_c w_c + 2\lambda w_y\,\mathrm{lse}`, :math:`b = (1-\varepsilon) w_y`,
    :math:`c = \tfrac{\varepsilon}{C}`; probability targets: :math:`(\sum_c t'_c w_c +
    2\lambda\,\mathrm{lse})\,p - t' w`. ``upstream`` is a number or one value per row.
    """
    eps, lam, num_classes = p.label_smoothing, p.z_loss_weight, p.num_classes
    if p.is_prob:
        a = tg.tsum + (2.0 * lam) * lse if lam else tg.tsum
        e.mul_((a * inv_s * upstream).unsqueeze(1))
        e.addcmul_(
            tg.tp, torch.as_tensor(upstream, dtype=e.dtype, device=e.device).reshape(-1, 1), value=-1.0
        )
        return e
    one = torch.ones((), dtype=e.dtype, device=e.device)
    rw = one if tg.rw is None else tg.rw
    valid = one if tg.valid is None else tg.valid
    b = (1.0 - eps) * rw * upstream
    a = b
    if lam:
        a = a + (2.0 * lam) * rw * lse * upstream
    if eps > 0.0:
        c = (eps / num_classes) * valid * upstream
        a = a + c * weight_sum
    a = (a * inv_s).expand(e.shape[0])
    e.mul_(a.unsqueeze(1))
    e.scatter_add_(1, tg.safe.unsqueeze(1), b.expand(e.shape[0]).neg().unsqueeze(1))
    if eps > 0.0:
        c = c.expand(e.shape[0])
        if p.class_weight is None:
            e.sub_(c.unsqueeze(1))
        else:
            e.addr_(c, p.class_weight, alpha=-1.0)
    return e


class _Gradients:
    """The gradients of input (N, H), head (D·C, H) and bias, filled chunk by chunk."""

    def __init__(self, rows, head, bias, needs, work):
        self.rows = torch.empty_like(rows, memory_format=torch.contiguous_format) if needs[0] else None
        self.head = head.new_zeros(head.shape, dtype=work) if needs[1] else None
        self.bias = bias.new_zeros(bias.shape, dtype=work) if bias is not None and needs[2] else None

    def add(self, g, x, head, i0, i1):
        """Add one chunk: ``g`` (n·D, C) the logits' gradient, ``x`` (n, H) its hidden rows."""
        g = g.view(i1 - i0, -1)
        if self.rows is not None:
            if self.rows.dtype == g.dtype:
                torch.mm(g, head, out=self.rows[i0:i1])
            else:
                self.rows[i0:i1] = torch.mm(g, head)
        if self.head is not None:
            self.head.addmm_(g.t(), x)
        if self.bias is not None:
            self.bias.add_(g.sum(0))

    def result(self, dtype):
        """(input, head, bias) gradients in the inputs' dtype, None where not needed."""
        head = None if self.head is None else self.head.to(dtype)
        bias = None if self.bias is None else self.bias.to(dtype)
        return self.rows, head, bias


def _weight_sum(p: LinearProblem):
    return p.num_classes if p.class_weight is None else p.class_weight.sum()


def _mean_denominator(p: LinearProblem):
    """What ``"mean"`` divides by: the sum of the row weights w[y] (index targets), else the rows."""
    if p.is_prob or (p.class_weight is None and p.ignore_index is None):
        return float(p.target.shape[0])
    tg = _Targets(p, 0, p.target.shape[0])
    return tg.rw.sum()


def _no_autocast(device: torch.device):
    """The chunk's products in the compute dtype, even under ``torch.autocast`` (which would make
    the logits bfloat16 and lose the float32 accumulation this loss promises)."""
    if device.type in ("cpu", "cuda"):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


def _chunks(p: LinearProblem, n: int):
    """(i0, i1, j0, j1) per chunk: its hidden rows [i0, i1) and logits rows [j0, j1)."""
    for i0 in range(0, n, p.chunk_size):
        i1 = min(i0 + p.chunk_size, n)
        yield i0, i1, i0 * p.positions, i1 * p.positions


def _forward_sweep(p: LinearProblem, rows, head, bias, reduction, scale, grads):
    """The loss (per logits row with ``"none"``, else summed) and every row's log-sum-exp; with
    ``grads``, each chunk's gradient too, for an upstream gradient of 1."""
    head_w, bias_w = head.to(p.work), None if bias is None else bias.to(p.work)
    weight_sum = _weight_sum(p)
    n = rows.shape[0]
    lse = rows.new_empty(n * p.positions, dtype=p.work)
    losses = rows.new_empty(n * p.positions, dtype=p.work) if reduction == "none" else None
    total = torch.zeros((), dtype=p.work, device=rows.device)
    for i0, i1, j0, j1 in _chunks(p, n):
        x = rows[i0:i1].to(p.work)
        z = _chunk_logits(x, head_w, bias_w, p.num_classes)
        tg = _Targets(p, j0, j1)
        m = z.amax(1)
        # Gathered before the logits are overwritten by their exponentials.
        if p.is_prob:
            picked = torch.bmm(z.unsqueeze(1), tg.tp.unsqueeze(2)).view(-1)  # no (n, C) temporary
        else:
            zs = None
            if p.label_smoothing > 0.0:
                zs = z.sum(1) if p.class_weight is None else torch.mv(z, p.class_weight)
            picked = (z.gather(1, tg.safe.unsqueeze(1)).squeeze(1), zs)
        e = z.sub_(m.unsqueeze(1)).exp_()
        s = e.sum(1)
        chunk_lse = torch.log(s).add_(m)
        lse[j0:j1] = chunk_lse
        loss = _loss_from_stats(p, chunk_lse, tg, weight_sum, picked)
        if losses is not None:
            losses[j0:j1] = loss
        else:
            total += loss.sum()
        if grads is not None:
            g = _gradient_in_place(p, e, s.reciprocal_(), chunk_lse, tg, weight_sum, scale)
            grads.add(g, x, head_w, i0, i1)
        # Let this chunk's logits go before the next chunk's are made: one chunk alive, not two.
        z = e = g = x = tg = None
    return (losses if losses is not None else total), lse


def _backward_sweep(p: LinearProblem, rows, head, bias, lse, upstream, grads):
    """Each chunk's logits again, exp(z - lse) their softmax, and the gradients from them."""
    head_w, bias_w = head.to(p.work), None if bias is None else bias.to(p.work)
    weight_sum = _weight_sum(p)
    for i0, i1, j0, j1 in _chunks(p, rows.shape[0]):
        x = rows[i0:i1].to(p.work)
        z = _chunk_logits(x, head_w, bias_w, p.num_classes)
        chunk_lse = lse[j0:j1]
        e = z.sub_(chunk_lse.unsqueeze(1)).exp_()
        u = upstream if upstream.dim() == 0 else upstream[j0:j1]
        g = _gradient_in_place(p, e, 1.0, chunk_lse, _Targets(p, j0, j1), weight_sum, u)
        grads.add(g, x, head_w, i0, i1)
        z = e = g = x = None  # one chunk of logits alive, not two


class _LinearCrossEntropy(torch.autograd.Function):
    """The chunked sweeps; ``p`` holds everything but the three differentiable tensors."""

    @staticmethod
    def forward(ctx, rows, head, bias, p: LinearProblem, reduction):
        scale = 1.0
        if reduction == "mean":
            denominator = _mean_denominator(p)
            # Every row ignored: the loss is 0/0 = NaN as in torch, the gradient 0.
            scale = 1.0 / denominator if float(denominator) != 0.0 else 0.0
        needs = tuple(ctx.needs_input_grad[:3])
        # A scalar loss's upstream gradient is a number: the gradients can be made now and scaled later.
        grads = _Gradients(rows, head, bias, needs, p.work) if reduction != "none" and any(needs) else None
        with _no_autocast(rows.device):
            loss, lse = _forward_sweep(p, rows, head, bias, reduction, scale, grads)
        ctx.save_for_backward(rows, head, bias, lse)
        ctx.problem, ctx.reduction, ctx.scale, ctx.grads = p, reduction, scale, grads
        return loss / denominator if reduction == "mean" else loss

    @staticmethod
    @first_order_backward("linear_cross_entropy")
    def backward(ctx, grad_output):
        grads, ctx.grads = ctx.grads, None  # handed over, so that autograd need not copy them
        rows, head, bias, lse = ctx.saved_tensors
        if grads is not None:
            gx, gw, gb = grads.result(rows.dtype)
            for g in (gx, gw, gb):
                if g is not None:
                    g.mul_(grad_output)
            return gx, gw, gb, None, None
        # reduction="none", or a second backward (retain_graph): recompute from the saved lse.
        p = ctx.problem
        grads = _Gradients(rows, head, bias, tuple(ctx.needs_input_grad[:3]), p.work)
        upstream = grad_output.to(p.work)
        if ctx.reduction == "mean":
            upstream = upstream * ctx.scale
        with _no_autocast(rows.device):
            _backward_sweep(p, rows, head, bias, lse, upstream, grads)
        gx, gw, gb = grads.result(rows.dtype)
        return gx, gw, gb, None, None


def _loss_from_stats(p: LinearProblem, lse, tg: _Targets, weight_sum, picked):
    """Each row's loss from its log-sum-exp and the logits gathered before they were overwritten."""
    eps, lam = p.label_smoothing, p.z_loss_weight
    if p.is_prob:
        loss = lse * tg.tsum - picked
        return loss.add_(lse.square(), alpha=lam) if lam else loss
    zy, zs = picked
    loss = (lse - zy).mul_(1.0 - eps)
    if lam:
        loss.add_(lse.square(), alpha=lam)
    if tg.rw is not None:
        loss.mul_(tg.rw)
    if eps > 0.0:
        smooth = (lse * weight_sum).sub_(zs).mul_(eps / p.num_classes)
        loss.add_(smooth if tg.valid is None else smooth.mul_(tg.valid))
    return loss


def linear_cross_entropy(
    input: torch.Tensor,
    linear_weight: torch.Tensor,
    target: torch.Tensor,
    *,
    linear_bias: torch.Tensor | None = None,
    weight: torch.Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    chunk_size: int | None = None,
    z_loss_weight: float = 0.0,
    options=None,
) -> torch.Tensor:
    r"""Cross-entropy of the logits :math:`z = x W^\top + b`, computed a chunk of rows at a time.

    Exactly ``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``, with
    torch's ``linear_cross_entropy`` semantics, but the (N, C) logits and their gradient never
    exist whole: per row only

    .. math:: \operatorname{lse}_i = \log \sum_c e^{z_{ic}}, \qquad
        L_i = w_{y_i}\big[(1-\varepsilon)(\operatorname{lse}_i - z_{i y_i})
        + \lambda \operatorname{lse}_i^2\big]
        + \frac{\varepsilon}{C} \sum_c w_c (\operatorname{lse}_i - z_{ic})

    is kept, :math:`\lambda` being ``z_loss_weight`` (PaLM's z-loss, added inside the same loop
    and reduced as the cross-entropy is: each row's term carries its weight :math:`w_{y_i}`, and
    ignored rows are left out). The gradients follow from
    :math:`\partial L_i / \partial z_i = a_i\, \operatorname{softmax}(z_i) - (1-\varepsilon) w_{y_i} e_{y_i}
    - \tfrac{\varepsilon}{C} w`, with :math:`\nabla_x = G W`, :math:`\nabla_W = G^\top x`,
    :math:`\nabla_b = \sum_i G_i`, summed chunk by chunk. A probability target t gives
    :math:`L_i = -\sum_c w_c t'_{ic} \log\operatorname{softmax}(z_i)_c + \lambda\operatorname{lse}_i^2`
    with :math:`t' = (1-\varepsilon) t + \varepsilon / C`.

    Memory: beyond the inputs and the gradients of input, weight and bias, one chunk of
    ``chunk_size`` × C logits and O(N) per-row values. The default chunk holds 32 MiB of
    logits, or 256 rows when C exceeds 32k (fewer rows would make the update of the weight's
    gradient, which reads and writes all of it per chunk, memory-bound). float16 and
    bfloat16 inputs are computed in float32 (the head is copied to float32 once, the gradient
    of the weight accumulates in float32). The backward pass is first order only.

    Explained in the book: chapter “Cross-entropy at LLM scale”, section “The chunked
    algorithm” (the loop, the backward pass as recomputation, the gradient of W as a sum).

    Args:
        input: hidden states (N, H), or (H,) for one sample.
        linear_weight: the head (C, H), or (C, d1, ..., dK, H) for a K-dimensional loss
            (batched input only), in ``input``'s dtype.
        target: class indices (N,), (N, d1, ..., dK) or () in [0, C) or ``ignore_index``
            (integer dtype); or class probabilities of the logits' shape (N, C),
            (N, C, d1, ..., dK) or (C,) (floating dtype).
        linear_bias: optional bias (C,) or (C, d1, ..., dK).
        weight: optional per-class weight (C,); ``"mean"`` then divides by
            :math:`\sum_i w_{y_i}` over the rows not ignored (index targets), as torch does.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        ignore_index: a class index whose rows give 0 loss and 0 gradient; None (default)
            means -100 for index targets. Not allowed with probability targets.
        label_smoothing: :math:`\varepsilon` in [0, 1].
        chunk_size: rows of ``input`` per chunk (>= 1); None: as many as keep one chunk of
            logits within 32 MiB, but at least 256. Every chunk size gives the same result to
            rounding.
        z_loss_weight: :math:`\lambda \ge 0`, the weight of the z-loss term.
        options: a ``torch.nn.LinearCrossEntropyOptions``, accepted so that code written for
            torch runs unchanged; its ``batch_chunk_size`` sets the chunk size, its other
            fields do not apply (lossbook always accumulates half precision in float32).

    Returns:
        The loss in ``input``'s dtype: a scalar, or with ``reduction="none"`` the target's
        shape for index targets ((N,), (N, d1, ..., dK) or ()), the logits' shape without
        the class dimension for probability targets. Agrees with
        ``torch.nn.functional.linear_cross_entropy``.

    Reference: E. Wijmans, B. Huval, A. Hertzberg, V. Koltun, P. Krähenbühl, "Cut Your Losses
    in Large-Vocabulary Language Models", ICLR 2025 (arXiv 2024); A. Chowdhery et al., "PaLM:
    Scaling Language Modeling with Pathways", 2022 (the z-loss).

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> W = torch.tensor([[2.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
        >>> y = torch.tensor([0, 1, 2])
        >>> lossbook.linear_cross_entropy(x, W, y, chunk_size=2)  # two chunks: rows 0-1, row 2
        tensor(1.1465)
        >>> torch.nn.functional.cross_entropy(x @ W.T, y)  # the logits made whole
        tensor(1.1465)
    """
    p = linear_problem(
        input, linear_weight, target, linear_bias, weight, reduction, ignore_index, label_smoothing,
        chunk_size, z_loss_weight, options,
    )  # fmt: skip
    loss = _LinearCrossEntropy.apply(p.rows, p.head, p.bias, p, reduction)
    if reduction == "none":
        loss = loss.reshape(p.out_shape)
    return loss.to(input.dtype)


class LinearCrossEntropyLoss(Loss):
    r"""Module form of :func:`linear_cross_entropy`: the cross-entropy of a linear head's logits,
    computed a chunk of rows at a time; the head's weight (and bias) belong to the model and
    are passed to ``forward``.

    .. math:: L_i = w_{y_i}\big[(1-\varepsilon)(\operatorname{lse}_i - z_{i y_i})
        + \lambda \operatorname{lse}_i^2\big]
        + \frac{\varepsilon}{C} \sum_c w_c (\operatorname{lse}_i - z_{ic}), \qquad z = x W^\top + b

    Explained in the book: chapter “Cross-entropy at LLM scale”, section “The chunked
    algorithm”.

    Args:
        weight: optional per-class weight (C,) (a buffer).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        ignore_index: a class index whose rows give 0 loss and 0 gradient; None (default)
            means -100 for index targets.
        label_smoothing: :math:`\varepsilon` in [0, 1]. Default: 0.
        chunk_size: rows per chunk; None (default): 32 MiB of logits, at least 256 rows.
        z_loss_weight: :math:`\lambda \ge 0`, PaLM's z-loss weight (1e-4 there). Default: 0.

    Shape:
        - input: (N, H) or (H,), hidden states.
        - linear_weight: (C, H) or (C, d1, ..., dK, H). linear_bias: (C,) or (C, d1, ..., dK).
        - target: (N,), (N, d1, ..., dK) or () class indices, or probabilities of the
          logits' shape (N, C, ...).
        - Output: a scalar, or the target's shape with ``reduction="none"``.

    Reference: E. Wijmans, B. Huval, A. Hertzberg, V. Koltun, P. Krähenbühl, "Cut Your Losses
    in Large-Vocabulary Language Models", ICLR 2025 (arXiv 2024).

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> W = torch.tensor([[2.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
        >>> criterion = lossbook.LinearCrossEntropyLoss(z_loss_weight=1e-4)
        >>> criterion(x, W, torch.tensor([0, 1, 2]))  # 1.1465 + 1e-4 * mean(lse**2)
        tensor(1.1469)
    """

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        reduction: str = "mean",
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        chunk_size: int | None = None,
        z_loss_weight: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        self.register_optional_buffer("weight", weight)
        self.ignore_index = None if ignore_index is None else check_ignore_index(ignore_index)
        self.label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
        self.chunk_size = None if chunk_size is None else check_positive_integer("chunk_size", chunk_size)
        self.z_loss_weight = check_number("z_loss_weight", z_loss_weight, low=0.0)

    def forward(
        self,
        input: torch.Tensor,
        linear_weight: torch.Tensor,
        target: torch.Tensor,
        linear_bias: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return linear_cross_entropy(
            input,
            linear_weight,
            target,
            linear_bias=linear_bias,
            weight=self.weight,
            reduction=self.reduction,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
            chunk_size=self.chunk_size,
            z_loss_weight=self.z_loss_weight,
        )
