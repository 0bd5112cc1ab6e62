"""The base class of lossbook's ``nn.Module`` losses: a thin holder of options, as in torch."""

from __future__ import annotations

from torch import nn

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
