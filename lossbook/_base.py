"""The base classes of lossbook's ``nn.Module`` losses: thin holders of options, as in torch.

:class:`Loss` validates and stores ``reduction`` against the reductions its loss allows;
:class:`WeightedLoss` also registers an optional ``weight`` tensor as a buffer, so that
``.to(device)`` moves it with the module, as torch's ``_WeightedLoss`` does.
"""

from __future__ import annotations

import functools

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from .validation import REDUCTIONS, check_reduction, check_tensor


class Loss(nn.Module):
    """Base of every lossbook Module: validates and stores ``reduction``.

    Subclasses store their other options in ``__init__`` and call the functional form of
    the loss in ``forward``; the math lives in the function, never in the Module.
    """

    def __init__(self, reduction: str = "mean", *, reductions: tuple[str, ...] = REDUCTIONS) -> None:
        super().__init__()
        self.reduction = check_reduction(reduction, reductions)

    def register_optional_buffer(self, name: str, tensor: torch.Tensor | None) -> None:
        """Register an optional floating tensor option (a weight) as a buffer; None stays None."""
        if tensor is not None:
            check_tensor(name, tensor)
        self.register_buffer(name, tensor)

    def extra_repr(self) -> str:
        options = {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "training"}
        return ", ".join(f"{k}={v!r}" for k, v in options.items())


class WeightedLoss(Loss):
    """A :class:`Loss` with an optional per-class or per-element ``weight`` buffer."""

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        reduction: str = "mean",
        *,
        reductions: tuple[str, ...] = REDUCTIONS,
    ) -> None:
        super().__init__(reduction, reductions=reductions)
        self.register_optional_buffer("weight", weight)


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
