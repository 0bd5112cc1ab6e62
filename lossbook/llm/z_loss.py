r"""PaLM's z-loss: the squared log-partition function of the softmax, which keeps the logits'
scale from drifting.

Cross-entropy depends on the logits only through their differences, so nothing stops all of a
row's logits from drifting up or down together; in bfloat16 a large log-sum-exp
:math:`\log Z` loses the precision of the differences that matter. Penalizing
:math:`(\log Z)^2` with a small weight (1e-4 in PaLM) pulls :math:`\log Z` towards 0, where
the softmax is self-normalized. :func:`~lossbook.llm.linear_cross_entropy.linear_cross_entropy`
adds the same term inside its chunked loop (``z_loss_weight``); :func:`z_loss` is the term
alone, for logits that exist whole.
"""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_class_indices, check_ignore_index, check_reduction, compute_dtype
from ._inputs import logit_rows

__all__ = ["z_loss", "ZLoss"]


def z_loss(
    logits: torch.Tensor,
    target: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""The z-loss of each row of logits: its squared log-sum-exp.

    .. math:: L_i = \Big(\log \sum_{c=1}^{V} e^{z_{ic}}\Big)^2, \qquad
        \frac{\partial L_i}{\partial z_i} = 2 \log Z_i \cdot \operatorname{softmax}(z_i)

    Rows whose target equals ``ignore_index`` (padding) are left out: their loss is 0 and
    ``"mean"`` divides by the number of rows kept (NaN when none is, as cross-entropy does).
    The log-sum-exp is computed as :math:`m + \log\sum e^{z - m}`: finite for logits of
    :math:`\pm 10^4`. float16 and bfloat16 logits are computed in float32.

    Explained in the book: chapter “Cross-entropy at LLM scale”, section “z-loss: the scale
    of the logits”.

    Args:
        logits: scores with the class (vocabulary) dimension last: (N, V), (B, T, V), ... or (V,).
        target: optional class indices of ``logits``' shape without its last dimension
            ((N,), (B, T), ... or ()), in [0, V) or ``ignore_index``; only used to leave out
            the ignored rows.
        ignore_index: the class index of rows to leave out. Default: -100.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss in ``logits``' dtype: a scalar, or ``logits``' shape without its last
        dimension with ``reduction="none"``. Multiply it by a small weight (PaLM: 1e-4) and
        add it to the cross-entropy.

    Reference: A. Chowdhery et al., "PaLM: Scaling Language Modeling with Pathways", 2022;
    B. Zoph et al., "ST-MoE: Designing Stable and Transferable Sparse Expert Models", 2022.

    Example:
        >>> import torch, lossbook
        >>> logits = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
        >>> lossbook.z_loss(logits, reduction="none")  # (log(e + e^2 + e^3))^2, (log 3)^2
        tensor([11.6118,  1.2069])
        >>> lossbook.z_loss(logits, torch.tensor([2, -100]))
        tensor(11.6118)
    """
    check_reduction(reduction)
    ignore_index = check_ignore_index(ignore_index)
    rows, target_rows = logit_rows("logits", logits, target, target_required=False)
    dtype = logits.dtype
    lse = torch.logsumexp(rows.to(compute_dtype(dtype)), dim=1)
    loss = lse.square()
    kept = None
    if target_rows is not None:
        bounds = check_class_indices("target", target_rows, rows.shape[1], ignore_index)
        if bounds is not None and bounds[0] <= ignore_index <= bounds[1]:
            kept = target_rows != ignore_index
            loss = loss.masked_fill(~kept, 0.0)
    if reduction == "none":
        return loss.reshape(logits.shape[:-1]).to(dtype)
    if reduction == "sum":
        return loss.sum().to(dtype)
    count = loss.numel() if kept is None else kept.sum()
    return (loss.sum() / count).to(dtype)


class ZLoss(Loss):
    r"""Module form of :func:`z_loss`: the squared log-sum-exp of each row of logits,
    :math:`(\log \sum_c e^{z_c})^2`, rows with the target ``ignore_index`` left out.

    Explained in the book: chapter “Cross-entropy at LLM scale”, section “z-loss: the scale
    of the logits”.

    Args:
        ignore_index: the class index of rows to leave out. Default: -100.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - logits: (N, V), (B, T, V), ... or (V,), the class dimension last.
        - target: optional, (N,), (B, T), ... or (), class indices.
        - Output: a scalar, or ``logits``' shape without its last dimension with ``"none"``.

    Reference: A. Chowdhery et al., "PaLM: Scaling Language Modeling with Pathways", 2022.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.ZLoss()
        >>> criterion(torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), torch.tensor([2, 0]))
        tensor(6.4094)
    """

    def __init__(self, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.ignore_index = check_ignore_index(ignore_index)

    def forward(self, logits: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        return z_loss(logits, target, ignore_index=self.ignore_index, reduction=self.reduction)
