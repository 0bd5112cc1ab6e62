"""The base class of lossbook's ``nn.Module`` losses: a thin holder of options, as in torch."""

from __future__ import annotations

import functools

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from .validation import check_reduction


class Loss(nn.Module):
    """Base of every lossbook Module: validates and stores ``reduction``.

    Subclasses store their other options in ``__init__`` and call the functional form of
    the loss in ``forward``; the math lives in the function, never in the Module.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction)

    def extra_repr(self) -> str:
        options = {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "training"}
        return ", ".join(f"{k}={v!r}" for k, v in options.items())


def first_order_backward(name: str):
    """Mark a hand-written ``backward`` as first order: ``create_graph=True`` raises.

    torch's ``once_differentiable`` alone returns a gradient that silently carries no graph,
    so a gradient penalty built on it would add a constant; a clear error is better.
    """

    def decorate(backward):
        first_order = once_differentiable(backward)  # which runs backward under no_grad

        @functools.wraps(backward)
        def checked(ctx, *grad_outputs):
            if torch.is_grad_enabled():
                raise RuntimeError(
                    f"lossbook.{name} has a hand-written first-order backward pass: second "
                    "derivatives (create_graph=True) are not implemented; use the torch built-in "
                    "for gradient penalties or Hessians"
                )
            return first_order(ctx, *grad_outputs)

        return checked

    return decorate

