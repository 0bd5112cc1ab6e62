"""Checks of regression inputs: a prediction and a target of one shape, and the reduction.

The policy of :mod:`lossbook.validation` holds here too: ``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong value or shape, and every message names the argument the caller
passed (``input``, ``target``, ``delta``, ...), what was expected and what came.
"""

from __future__ import annotations

import torch

from ..validation import check_pair, check_reduction, compute_dtype


def prepare_pair(input, target, reduction: str) -> tuple[torch.Tensor, torch.Tensor, torch.dtype]:
    """Validate an (input, target) pair and the reduction; upcast float16/bfloat16 to float32.

    Returns ``(input, target, dtype)``: the pair in the dtype the loss computes in, and the
    caller's dtype, which the loss is cast back to.
    """
    input, target = check_pair(input, target)
    check_reduction(reduction)
    work = compute_dtype(input.dtype)
    return input.to(work), target.to(work), input.dtype
