"""Input checks of the distribution-matching losses (the generic ones live in ``lossbook.validation``).

The policy is the package's: ``TypeError`` for a wrong type or dtype, ``ValueError`` for a wrong
value or shape, and every message names the argument, what was expected and what came.
"""

from __future__ import annotations

import math
from numbers import Integral

import torch

from ..validation import (
    check_class_indices,
    check_integer_tensor,
    check_number,
    check_same_device,
    check_same_shape,
    check_tensor,
)

DPO_LOSS_TYPES = ("sigmoid", "hinge", "ipo")
# kl_div's reductions: "batchmean" divides the sum by the first dimension (the batch).
KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def check_flag(name: str, value) -> bool:
    """Check a boolean option (a Python bool: 0 and 1 are refused, they usually mean a slip)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False); got {type(value).__name__} {value!r}")
    return value


def check_positive(name: str, value) -> float:
    """A finite number > 0 (a temperature, DPO's beta)."""
    return check_number(name, value, low=0.0, high=math.inf, low_inclusive=False, high_inclusive=False)


def check_non_negative(name: str, value) -> float:
    """A finite number >= 0 (SimPO's margin gamma)."""
    return check_number(name, value, low=0.0, high=math.inf, high_inclusive=False)


def check_logits_pair(name_a: str, a, name_b: str, b) -> tuple[torch.Tensor, torch.Tensor]:
    """Two floating tensors of scores over classes on the last dimension, of one shape and device.

    At least 2-D, (batch, ..., classes): ``"batchmean"`` divides by the first dimension, which
    must therefore be a batch, not the classes of a single distribution.
    """
    check_tensor(name_a, a)
    check_tensor(name_b, b)
    if a.dim() < 2:
        raise ValueError(
            f"{name_a} must be at least 2-D (batch, ..., classes), classes on the last dimension; "
            f"got {a.dim()}-D shape {tuple(a.shape)} (add a batch dimension with .unsqueeze(0))"
        )
    check_same_shape(name_a, a, name_b, b)
    check_same_device(name_a, a, name_b, b)
    return a, b


def check_paired_scores(**tensors: torch.Tensor) -> list[torch.Tensor]:
    """Per-pair scores (sequence log-probabilities or rewards): floating, one shape, one device.

    Each is compared with the first; the messages name every argument by its keyword. Their
    dtypes may differ (a reference computed in another precision): the losses compute in the
    first one's.
    """
    names = list(tensors)
    first_name, first = names[0], tensors[names[0]]
    check_tensor(first_name, first)
    out = [first]
    for name in names[1:]:
        value = check_tensor(name, tensors[name])
        check_same_shape(first_name, first, name, value)
        check_same_device(first_name, first, name, value)
        out.append(value)
    return out


def check_below_zero(name: str, tensor: torch.Tensor) -> None:
    """Every element < 0: a log-probability of a sequence whose probability is below 1 (ORPO's odds)."""
    if tensor.numel() == 0:
        return
    highest = tensor.max()
    if bool(torch.isnan(highest)):
        raise ValueError(f"{name} must not contain NaN")
    if bool(highest >= 0):
        raise ValueError(
            f"{name} must have every element < 0 (log-probabilities of sequences with a probability "
            f"below 1, so that their odds p / (1 - p) are finite); got an element equal to {highest.item()!r}"
        )


def check_dpo_options(beta, label_smoothing, loss_type: str) -> tuple[float, float, str]:
    """DPO's options: beta > 0, one of the loss types, label smoothing in [0, 0.5] for "sigmoid" only."""
    beta = check_positive("beta", beta)
    if not isinstance(loss_type, str) or loss_type not in DPO_LOSS_TYPES:
        valid = ", ".join(repr(t) for t in DPO_LOSS_TYPES)
        raise ValueError(f"loss_type must be one of {valid}; got {loss_type!r}")
    label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=0.5)
    if label_smoothing and loss_type != "sigmoid":
        raise ValueError(
            f"label_smoothing applies to loss_type='sigmoid' only (conservative DPO); got "
            f"label_smoothing={label_smoothing!r} with loss_type={loss_type!r}"
        )
    return beta, label_smoothing, loss_type


def check_ignore_index(ignore_index) -> int:
    """An integer label that marks positions to skip (a Python int, not a bool)."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, Integral):
        raise TypeError(f"ignore_index must be an int; got {type(ignore_index).__name__} {ignore_index!r}")
    return int(ignore_index)


def check_sequence_inputs(logits, labels, ignore_index: int) -> None:
    """Logits (batch, length, vocabulary) and labels (batch, length) aligned position by position."""
    check_tensor("logits", logits)
    check_integer_tensor("labels", labels)
    if logits.dim() != 3:
        raise ValueError(
            "logits must be 3-D (batch, length, vocabulary); "
            f"got {logits.dim()}-D shape {tuple(logits.shape)}"
        )
    if labels.shape != logits.shape[:-1]:
        raise ValueError(
            "labels must have the shape of logits without its last (vocabulary) dimension, "
            f"{tuple(logits.shape[:-1])}: labels[b, i] is the token that logits[b, i] scores; "
            f"got labels {tuple(labels.shape)} and logits {tuple(logits.shape)}"
        )
    check_same_device("logits", logits, "labels", labels)
    check_class_indices("labels", labels, logits.shape[-1], ignore_index)
