"""Matching distributions: divergences, knowledge distillation and preference optimization.

One module per section of the chapter *Matching distributions*
(``book/*/distribution-matching.ipynb``): :mod:`~.divergences` (the Jensen-Shannon family; the
KL divergence itself is ``lossbook.kl_div``), :mod:`~.distillation` (Hinton's soft targets)
and :mod:`~.preference` (sequence log-probabilities, Bradley-Terry, DPO with its IPO and hinge
variants, SimPO, ORPO); ``_inputs`` holds the family's argument checks.
"""

from .distillation import DistillationLoss, distillation_loss
from .divergences import JSDivLoss, js_divergence
from .preference import (
    DPOLoss,
    ORPOLoss,
    SimPOLoss,
    bradley_terry_loss,
    dpo_loss,
    orpo_loss,
    sequence_log_probs,
    simpo_loss,
)

__all__ = [
    "js_divergence",
    "distillation_loss",
    "sequence_log_probs",
    "bradley_terry_loss",
    "dpo_loss",
    "simpo_loss",
    "orpo_loss",
    "JSDivLoss",
    "DistillationLoss",
    "DPOLoss",
    "SimPOLoss",
    "ORPOLoss",
]
