r"""Knowledge distillation: a student matches a teacher's softened class distribution.

Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section "Distillation".
"""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import batchmean, check_reduction, compute_dtype, reduce
from ._inputs import KL_REDUCTIONS, check_logits_pair, check_positive

__all__ = ["distillation_loss", "DistillationLoss"]


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    temperature: float = 2.0,
    reduction: str = "batchmean",
) -> torch.Tensor:
    r"""Hinton's distillation loss: :math:`T^2` times the KL between softened teacher and student.

    .. math::
        p = \operatorname{softmax}(z_t / T), \quad q = \operatorname{softmax}(z_s / T), \qquad
        \ell_c = T^2\, p_c\, (\log p_c - \log q_c), \qquad
        \sum_c \ell_c = T^2\, D_{\mathrm{KL}}(p \,\|\, q)

    A temperature :math:`T > 1` flattens both distributions, so the student also learns the
    teacher's small probabilities (which wrong classes look alike: the "dark knowledge").
    The gradient with respect to a student logit is :math:`T\,(q_c - p_c)`: the factor
    :math:`T^2` keeps its scale independent of :math:`T` (the soft targets' gradient shrinks
    as :math:`1/T^2` for large :math:`T`), so a mix with the hard-label cross-entropy,
    :math:`\alpha\, \mathrm{CE} + (1 - \alpha)\, \ell`, keeps its balance when :math:`T`
    changes. The mix is left to the caller (the chapter shows it). The teacher is not
    differentiated (its logits are detached). Equal to
    ``T * T * torch.nn.functional.kl_div(log_softmax(z_s / T), softmax(z_t / T), reduction=...)``.

    Args:
        student_logits: :math:`z_s`, shape (batch, ..., classes), classes on the last dimension.
        teacher_logits: :math:`z_t`, ``student_logits``' shape; never receives a gradient.
        temperature: :math:`T > 0` (default 2.0); :math:`T = 1` is the plain KL between the
            two softmax distributions.
        reduction: as ``lossbook.kl_div``'s: ``"batchmean"`` (default: the sum divided by
            the first dimension, the batch), ``"sum"``, ``"mean"`` (over every element,
            classes included) or ``"none"`` (per element, the logits' shape). For sequences
            (batch, length, vocabulary), ``"batchmean"`` divides by the batch only; flatten to
            (batch * length, vocabulary) for a mean per token.

    Returns:
        The loss in ``student_logits``' dtype (float16 and bfloat16 computed in float32).

    Reference:
        G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
        NIPS 2014 Deep Learning Workshop, arXiv:1503.02531 (2015).

    Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section "Distillation".

    Example:
        >>> import torch, lossbook
        >>> teacher = torch.tensor([[2.0, 0.0, 0.0]])
        >>> lossbook.distillation_loss(teacher, teacher)  # a perfect student
        tensor(0.)
        >>> lossbook.distillation_loss(torch.zeros(1, 3), teacher, temperature=1.0)
        tensor(0.4330)
    """
    check_reduction(reduction, KL_REDUCTIONS)
    temperature = check_positive("temperature", temperature)
    check_logits_pair("student_logits", student_logits, "teacher_logits", teacher_logits)
    dtype = student_logits.dtype
    work = compute_dtype(dtype)
    log_q = torch.log_softmax(student_logits.to(work) / temperature, dim=-1)
    log_p = torch.log_softmax(teacher_logits.detach().to(work) / temperature, dim=-1)
    # exp(log p) rather than a softmax of its own: log p is finite for finite logits, and an
    # underflowing p multiplies a finite difference, so extreme logit gaps give no NaN.
    loss = (temperature * temperature) * torch.exp(log_p) * (log_p - log_q)
    if reduction == "batchmean":
        return batchmean(loss).to(dtype)
    return reduce(loss, reduction).to(dtype)


class DistillationLoss(Loss):
    r"""Module form of :func:`distillation_loss`: holds the temperature and the reduction.

    Args:
        temperature: :math:`T > 0` (default 2.0).
        reduction: ``"batchmean"`` (default), ``"sum"``, ``"mean"`` or ``"none"``.

    Shape:
        - student_logits: ``(N, *, C)``, the classes on the last dimension.
        - teacher_logits: ``(N, *, C)``, never differentiated.
        - Output: a scalar; ``(N, *, C)`` with ``reduction="none"``.

    Reference:
        G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
        arXiv:1503.02531, 2015.

    Example:
        >>> import torch, lossbook
        >>> loss = lossbook.DistillationLoss(temperature=1.0)
        >>> loss(torch.zeros(1, 3), torch.tensor([[2.0, 0.0, 0.0]]))
        tensor(0.4330)
    """

    def __init__(self, temperature: float = 2.0, reduction: str = "batchmean") -> None:
        super().__init__(reduction, reductions=KL_REDUCTIONS)
        self.temperature = check_positive("temperature", temperature)

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
        return distillation_loss(student_logits, teacher_logits, self.temperature, self.reduction)
