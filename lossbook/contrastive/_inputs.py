"""Checks of contrastive-loss inputs: temperatures, (query, key) pairs, proxies, the process group.

The policy of :mod:`lossbook.validation` holds here too: ``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong value or shape, every message naming the argument, what was expected
and what came. Embeddings and labels are checked by the metric-learning family's checkers, which
this family shares.
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist

from ..metric_learning._inputs import check_devices, check_embedding_batch, check_labels, check_matrix
from ..validation import check_number, check_tensor

__all__ = [
    "check_temperature",
    "check_flag",
    "check_query_key",
    "check_labelled_batch",
    "check_proxies",
    "check_process_group",
]


def check_temperature(temperature, name: str = "temperature") -> float | torch.Tensor:
    """A temperature: a finite real number > 0, or a 0-d floating tensor > 0 (a learned one).

    A tensor is returned as it is, so that its gradient flows; its value is read once to check it.
    """
    if isinstance(temperature, torch.Tensor):
        check_tensor(name, temperature)
        if temperature.dim() != 0:
            raise ValueError(f"{name} must be a number or a 0-d tensor; got shape {tuple(temperature.shape)}")
        value = float(temperature.detach())
        if not (value > 0.0 and math.isfinite(value)):
            raise ValueError(f"{name} must be > 0 and finite; got tensor({value!r})")
        return temperature
    value = check_number(name, temperature, low=0.0, low_inclusive=False)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be > 0 and finite; got {value!r}")
    return value


def check_flag(name: str, value) -> bool:
    """An on/off option: a bool (not 0 or 1, which would hide a misplaced positional argument)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__} {value!r}")
    return value


def check_query_key(query, key) -> None:
    """InfoNCE's pairs: ``query`` and ``key`` of one shape (N, D), N >= 1, on one device."""
    check_matrix("query", query)
    check_matrix("key", key)
    if query.shape != key.shape:
        raise ValueError(
            "query and key must have the same shape (row i of each is a positive pair); "
            f"got query {tuple(query.shape)} and key {tuple(key.shape)}"
        )
    if query.shape[0] < 1:
        raise ValueError("query and key must hold at least one pair (row); got 0 rows")
    check_devices(("query", query), ("key", key))


def check_labelled_batch(embeddings, labels) -> None:
    """``embeddings`` (N, D) with N >= 1, ``labels`` (N,) integers, on one device."""
    check_embedding_batch(embeddings, labels)
    if embeddings.shape[0] < 1:
        raise ValueError("embeddings must hold at least one row; got 0 rows")


def check_proxies(embeddings, labels, proxies) -> None:
    """Proxy losses: ``embeddings`` (N, D), ``proxies`` (C, D), ``labels`` (N,) in [0, C), one device."""
    check_matrix("embeddings", embeddings)
    check_matrix("proxies", proxies, columns=embeddings.shape[1])
    if proxies.shape[0] < 1:
        raise ValueError("proxies must hold at least one row (one per class); got 0 rows")
    check_labels("labels", labels, embeddings.shape[0], num_classes=proxies.shape[0])
    check_devices(("embeddings", embeddings), ("proxies", proxies), ("labels", labels))


def check_process_group(function: str, hint: str = "; in a single process, use gather=False") -> None:
    """``gather=True`` needs an initialised process group: say so before any collective is attempted."""
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            f"{function} gathers rows across processes and needs an initialised torch.distributed "
            "process group (call torch.distributed.init_process_group first); none is initialised"
            f"{hint}"
        )
