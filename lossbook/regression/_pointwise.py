r"""The machinery every regression loss shares: a pointwise :math:`\phi(d)` with a hand-written derivative.

Every loss of the chapter *Regression losses* is a pointwise function :math:`\phi` of a
difference ``d`` (``input - target``, or of transformed values for MSLE and MAPE), reduced by
``"mean"``, ``"sum"`` or ``"none"``. A loss is a subclass of :class:`_Pointwise` that gives
:math:`\phi` and :math:`\phi'`; :func:`pointwise_loss` runs it through one
``torch.autograd.Function``, whose backward pass is :math:`\phi'(d)` written by hand: it is the
formula the book shows next to the code, and one fused pass is faster than autograd's chain
of elementwise nodes. The hand-written backward stays differentiable: under
``create_graph=True`` it builds the gradient from ordinary operations (``derivative``), so
second derivatives (gradient penalties, Hessians) work.

Book: *Regression losses*, section "Mean squared error (MSE)", which prints the first of them.
"""

from __future__ import annotations

import abc

import torch

from ..validation import reduce

# Elements per block when a loss streams through its inputs: 1 MiB of float32, which stays
# in cache.
_BLOCK = 1 << 18


class _Pointwise(abc.ABC):
    """A loss phi of the difference d = input - target.

    Both in-place methods receive a fresh tensor ``d`` that nobody else holds and overwrite
    it: ``value_`` with phi(d), ``derivative_times_`` with phi'(d) * scale. Working in place
    means one allocation per pass instead of one per elementwise operation, which is most
    of the cost of a loss at millions of elements.
    """

    @abc.abstractmethod
    def value_(self, d: torch.Tensor, scratch: torch.Tensor | None) -> torch.Tensor:
        """phi(d), written into d; ``scratch``, when given, is a free buffer of d's size."""

    @abc.abstractmethod
    def derivative_times_(self, d: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """phi'(d) * scale, written into d: the first-order backward pass."""

    @abc.abstractmethod
    def derivative(self, d: torch.Tensor) -> torch.Tensor:
        """phi'(d) from differentiable, out-of-place operations: the double-backward path."""


def _aligned_blocks(*tensors: torch.Tensor):
    """The tensors split into aligned flat blocks of ``_BLOCK`` elements, or None when they
    are not all contiguous (then the caller works on them whole)."""
    if not all(t.is_contiguous() for t in tensors) or tensors[0].numel() == 0:
        return None
    return zip(*(t.view(-1).split(_BLOCK) for t in tensors), strict=True)


class PointwiseFunction(torch.autograd.Function):
    """Forward: phi(input - target), reduced. Backward: phi'(input - target) times the gradient.

    With a reduction, the forward pass streams through the inputs a block at a time: d for a
    block is computed into a small reused buffer that stays in cache, so no tensor of the
    input's size is written at all. The backward pass, which must write a gradient of that
    size anyway, recomputes d from the saved inputs into it, rather than keeping d alive
    between the passes.
    """

    @staticmethod
    def forward(ctx, input, target, phi, reduction):
        ctx.phi = phi
        ctx.reduction = reduction
        ctx.save_for_backward(input, target)
        blocks = None if reduction == "none" else _aligned_blocks(input, target)
        if blocks is None:
            loss = phi.value_(input - target, None)
            if reduction == "none":
                return loss
            total = loss.sum()
        else:
            size = min(input.numel(), _BLOCK)
            work, scratch = torch.empty(2 * size, dtype=input.dtype, device=input.device).split(size)
            partial = [
                phi.value_(torch.sub(x, y, out=work[: x.numel()]), scratch[: x.numel()]).sum()
                for x, y in blocks
            ]
            total = partial[0] if len(partial) == 1 else torch.stack(partial).sum()
        return total / input.numel() if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        scale = grad_output / input.numel() if ctx.reduction == "mean" else grad_output
        if torch.is_grad_enabled():
            # create_graph=True (a gradient penalty, a Hessian): the gradient itself must be
            # differentiable, so it is built from ordinary operations autograd can follow.
            grad = ctx.phi.derivative(input - target) * scale
        else:
            grad = ctx.phi.derivative_times_(input - target, scale)
        grad_input = grad if ctx.needs_input_grad[0] else None
        grad_target = -grad if ctx.needs_input_grad[1] else None
        return grad_input, grad_target, None, None


def pointwise_loss(input, target, phi: _Pointwise, reduction: str) -> torch.Tensor:
    """phi(input - target), reduced, with phi's hand-written derivative as the backward pass."""
    return PointwiseFunction.apply(input, target, phi, reduction)


def weighted_pointwise_loss(input, target, phi: _Pointwise, reduction: str, weight, dtype, *, mean_over: str):
    """:func:`pointwise_loss` with torch's optional per-element ``weight`` (of ``input``'s shape).

    Without a weight, the plain loss. With one, ``"mean"`` divides the weighted sum by the sum
    of the weights (``mean_over="weights"``: torch's L1 and MSE) or by the number of elements
    (``mean_over="elements"``: torch's Huber loss). The result is cast to ``dtype``.
    """
    if weight is None:
        return pointwise_loss(input, target, phi, reduction).to(dtype)
    loss = pointwise_loss(input, target, phi, "none") * weight.to(input.dtype)
    if reduction == "mean" and mean_over == "weights":
        loss = loss.sum() / weight.to(input.dtype).sum()
    else:
        loss = reduce(loss, reduction)
    return loss.to(dtype)
