"""The base classes of lossbook's ``nn.Module`` losses: thin holders of options, as in torch.

:class:`Loss` validates and stores ``reduction`` against the reductions its loss allows;
:class:`WeightedLoss` also registers an optional ``weight`` tensor as a buffer, so that
``.to(device)`` moves it with the module, as torch's ``_WeightedLoss`` does.
"""

from __future__ import annotations

import functools
import inspect

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

    def __init_subclass__(cls, **kwargs) -> None:
        # help(SomeLoss) shows forward's docstring; without one it would show nn.Module's
        # "Define the computation performed at every call", which says nothing of the loss.
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith("_"):
            return  # a private base: its public subclasses get the docstring, with their Shape
        owner = next(k for k in cls.__mro__ if "forward" in k.__dict__)
        forward = owner.__dict__["forward"]
        if owner is nn.Module or forward.__doc__:
            return
        if owner is cls:
            forward.__doc__ = forward_docstring(cls, forward)
            return

        @functools.wraps(forward)
        def documented(self, *args, **kwargs):
            return forward(self, *args, **kwargs)

        documented.__doc__ = forward_docstring(cls, forward)
        cls.forward = documented

    def register_optional_buffer(self, name: str, tensor: torch.Tensor | None) -> None:
        """Register an optional floating tensor option (a weight) as a buffer; None stays None."""
        if tensor is not None:
            check_tensor(name, tensor)
        self.register_buffer(name, tensor)

    def extra_repr(self) -> str:
        options = {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "training"}
        return ", ".join(f"{k}={v!r}" for k, v in options.items())


def forward_docstring(cls: type, forward) -> str:
    """A ``forward`` docstring from the Module's own: what it takes, with the Shape section.

    >>> class Demo(Loss):
    ...     __doc__ = "Demo loss.\\n\\nShape:\\n    - input: (N, C).\\n    - Output: a scalar.\\n"
    ...
    ...     def forward(self, input):
    ...         return input.sum()
    >>> print(inspect.getdoc(Demo.forward))
    The loss of a batch: ``Demo(...)(input)``, with the options the Module was made with.
    <BLANKLINE>
    Shape:
        - input: (N, C).
        - Output: a scalar.
    """
    parameters = list(inspect.signature(forward).parameters)[1:]  # less self
    lines = [
        f"The loss of a batch: ``{cls.__name__}(...)({', '.join(parameters)})``, with the options "
        "the Module was made with."
    ]
    doc = inspect.cleandoc(cls.__doc__ or "").splitlines()
    if "Shape:" in doc:
        start = doc.index("Shape:")
        end = next((i for i in range(start + 1, len(doc)) if not doc[i].strip()), len(doc))
        lines += ["", *doc[start:end]]
    return "\n".join(lines)


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
