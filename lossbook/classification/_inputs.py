"""The argument checks of the classification losses; the checks shared with other families live
in ``lossbook.validation``.

Class-index targets, per-class and per-element weights, ``ignore_index``, the labels of the
0-1 and hinge losses, and the options only these losses take. Every check follows the policy
stated in ``lossbook.validation``: ``TypeError`` for a wrong type or dtype, ``ValueError`` for
a wrong value or shape, and each message names the argument, what was expected and what came.

The multi-class losses also flatten their inputs here: ``input`` (N, C, d1, ...) becomes rows
(M, C) of class scores with the class dimension last, and a class-index ``target`` becomes
(M,), every index checked before anything indexes with it.
"""

from __future__ import annotations

from numbers import Real

import torch

from ..validation import (
    check_broadcastable,
    check_class_indices,
    check_class_weight,
    check_ignore_index,
    check_integer_tensor,
    check_same_device,
    check_tensor,
    compute_dtype,
)

_INDEX_DTYPE_HINT = "an integer dtype; convert class labels with target.long()"


def check_elementwise_weight(name: str, weight, input: torch.Tensor) -> torch.Tensor | None:
    """A per-element weight: None, or a floating tensor that broadcasts to ``input``'s shape."""
    if weight is None:
        return None
    check_tensor(name, weight)
    check_broadcastable(name, weight, "input", input.shape)
    check_same_device("input", input, name, weight)
    return weight


def class_rows(input, target, *, probabilities_allowed: bool):
    """Validate a multi-class (input, target) pair and flatten it to rows of class scores.

    ``input`` is (C,), (N, C) or (N, C, d1, ...); an integer ``target`` holds class indices
    of shape (), (N,) or (N, d1, ...); a floating ``target`` (when allowed) is a
    distribution of ``input``'s shape. A floating target of the class indices' shape is a
    ``TypeError`` that says to convert it with ``.long()``. Returns
    ``(rows, target_rows, out_shape, is_prob)``: ``rows`` is (M, C) with the class dimension
    last, ``out_shape`` the shape of the per-sample loss.
    """
    check_tensor("input", input)
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    if input.dim() == 0:
        raise ValueError(
            "input must have a class dimension: shape (C,), (N, C) or (N, C, d1, ...); got a 0-D tensor"
        )
    check_same_device("input", input, "target", target)
    num_classes = input.shape[0] if input.dim() == 1 else input.shape[1]
    index_shape = () if input.dim() == 1 else (input.shape[0], *input.shape[2:])
    if target.is_floating_point():
        if not probabilities_allowed:
            raise TypeError(f"target must hold class indices ({_INDEX_DTYPE_HINT}); got {target.dtype}")
        if tuple(target.shape) == index_shape:
            raise TypeError(
                f"target of shape {index_shape} must hold class indices ({_INDEX_DTYPE_HINT}), "
                f"or class probabilities of input's shape {tuple(input.shape)}; got {target.dtype}"
            )
        if target.shape != input.shape:
            raise ValueError(
                "a floating target holds class probabilities and must have input's shape; "
                f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
            )
        is_prob = True
    else:
        check_integer_tensor("target", target)
        if tuple(target.shape) != index_shape:
            raise ValueError(
                f"target of class indices must have shape {index_shape} for input of shape "
                f"{tuple(input.shape)}; got {tuple(target.shape)}"
            )
        is_prob = False
    if input.dim() == 1:
        rows = input.unsqueeze(0)
        target_rows = target.unsqueeze(0) if is_prob else target.reshape(1)
        out_shape = ()
    elif input.dim() == 2:
        rows, target_rows = input, target
        out_shape = (input.shape[0],)
    else:
        rows = input.movedim(1, -1).reshape(-1, num_classes)
        target_rows = target.movedim(1, -1).reshape(-1, num_classes) if is_prob else target.reshape(-1)
        out_shape = (input.shape[0], *input.shape[2:])
    if not is_prob:
        target_rows = target_rows.long()
    return rows, target_rows, out_shape, is_prob


def margin_rows(input, target):
    """``multi_margin_loss``'s pair, with torch's shapes: scores (N, C), (C,) or () (one class),
    C >= 1, and class indices with one entry per sample: (N,), or () or (1,) for one sample
    (a 0-D target also serves an input (1, C)). Returns ``(rows, target_rows, out_shape)``:
    rows (M, C), indices (M,) and the shape of the per-sample loss, which is the target's."""
    check_tensor("input", input)
    if input.dim() > 2 or (input.dim() >= 1 and input.shape[-1] == 0):
        raise ValueError(f"input must have shape (N, C), (C,) or () with C >= 1; got {tuple(input.shape)}")
    if isinstance(target, torch.Tensor) and target.is_floating_point():
        raise TypeError(f"target must hold class indices ({_INDEX_DTYPE_HINT}); got {target.dtype}")
    check_integer_tensor("target", target)
    samples = input.shape[0] if input.dim() == 2 else 1
    if target.dim() > 1 or target.numel() != samples:
        raise ValueError(
            f"target must hold one class index per sample: shape ({samples},)"
            + (" or ()" if samples == 1 else "")
            + f" for input of shape {tuple(input.shape)}; got {tuple(target.shape)}"
        )
    check_same_device("input", input, "target", target)
    num_classes = input.shape[-1] if input.dim() else 1
    return input.reshape(samples, num_classes), target.reshape(samples).long(), tuple(target.shape)


def index_rows(input, target, weight_name, weight, ignore_index):
    """Validate a (scores, class indices) pair with an optional per-class weight.

    Returns ``(rows, target_rows, out_shape, weight, ignore_index)``: rows (M, C) and the
    weight in the compute dtype, every class index checked (before any indexing), and
    ``ignore_index`` None when no target equals it.
    """
    ignore_index = check_ignore_index(ignore_index)
    rows, target_rows, out_shape, _ = class_rows(input, target, probabilities_allowed=False)
    num_classes = rows.shape[1]
    weight = check_class_weight(weight_name, weight, input, num_classes)
    bounds = check_class_indices("target", target_rows, num_classes, ignore_index)
    work = compute_dtype(input.dtype)
    weight = None if weight is None else weight.to(work)
    rows = rows if rows.dtype == work else rows.to(work)
    return rows, target_rows, out_shape, weight, ignorable(ignore_index, bounds)


def ignorable(ignore_index: int, bounds: tuple[int, int] | None) -> int | None:
    """``ignore_index``, or None when it lies outside the targets' range (no row is ignored)."""
    if bounds is None or not bounds[0] <= ignore_index <= bounds[1]:
        return None
    return ignore_index


def row_weights(target, weight, ignore_index, dtype):
    """Per-row weights w[y_i] (0 for ignored rows) and the safe indices to gather with.

    ``ignore_index`` None means that no row is ignored (see :func:`ignorable`). Returns
    ``(safe, w, ignored)``: ``w`` None when every row weighs 1, ``ignored`` None when no row
    is ignored.
    """
    if ignore_index is None:
        return target, (None if weight is None else weight[target]), None
    ignored = target == ignore_index
    any_ignored = bool(ignored.any()) if target.numel() else False
    safe = target.masked_fill(ignored, 0) if any_ignored else target
    if weight is not None:
        w = weight[safe]
        if any_ignored:
            w = w.masked_fill(ignored, 0.0)
    elif any_ignored:
        w = (~ignored).to(dtype)
    else:
        w = None
    return safe, w, (ignored if any_ignored else None)


def check_scores_or_labels(input, target) -> bool:
    """The 0-1 loss's pair: True when ``input`` holds class scores (one more dimension than
    ``target``, reduced by argmax), False when it holds predicted labels of ``target``'s shape."""
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor; got {type(input).__name__}")
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    check_same_device("input", input, "target", target)
    if input.shape == target.shape:
        return False
    if input.dim() == target.dim() + 1 and input.dim() >= 1:
        if input.dim() > 1 and (input.shape[0],) + tuple(input.shape[2:]) != tuple(target.shape):
            raise ValueError(
                f"input scores {tuple(input.shape)} and target {tuple(target.shape)} "
                "disagree on the batch shape"
            )
        return True
    raise ValueError(
        "input must be scores with one more (class) dimension than target, or labels of target's shape; "
        f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
    )


def check_sign_pair(input, target) -> None:
    """The hinge loss's pair: floating decision values and a target of ``input``'s shape
    whose dtype can hold the labels -1 and +1 (their values are checked separately)."""
    check_tensor("input", input)
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    if target.dtype == torch.bool or target.is_complex():
        raise TypeError(
            f"target must hold the labels -1 and +1 (integer or floating dtype); got {target.dtype}"
        )
    if input.shape != target.shape:
        raise ValueError(
            "input and target must have the same shape; "
            f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    check_same_device("input", input, "target", target)


def check_margin_power(p) -> int:
    """``multi_margin_loss``'s exponent ``p``: the number 1 or 2 (an int; 1.0 and 2.0 pass too)."""
    if isinstance(p, bool) or not isinstance(p, Real):
        raise TypeError(f"p must be the integer 1 or 2; got {type(p).__name__} {p!r}")
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2; got {p!r}")
    return int(p)


def check_log_target(log_target) -> bool:
    """``kl_div``'s ``log_target``: a bool."""
    if not isinstance(log_target, bool):
        raise TypeError(f"log_target must be a bool; got {type(log_target).__name__}")
    return log_target


def check_label_pair(input, target, *, labels_last: bool = False) -> None:
    """The multi-label losses' pair: floating scores and a target of ``input``'s shape, floating
    or integer (labels or their probabilities; bool has no arithmetic in torch's formulas).
    ``labels_last``: ``input`` needs a last (label) dimension, so a 0-D input is refused."""
    check_tensor("input", input)
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    if target.dtype == torch.bool or target.is_complex():
        raise TypeError(f"target must have a floating-point or integer dtype; got {target.dtype}")
    if labels_last and input.dim() == 0:
        raise ValueError("input must have a label dimension: shape (C,) or (N, C); got a 0-D tensor")
    if input.shape != target.shape:
        raise ValueError(
            "input and target must have the same shape; "
            f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    check_same_device("input", input, "target", target)


def check_label_lists(input, target) -> None:
    """``multilabel_margin_loss``'s pair: scores (), (C,) or (N, C) with C >= 1, and lists of
    class indices of the same shape, each ended by -1; every entry in [-1, C), as torch checks."""
    check_tensor("input", input)
    if isinstance(target, torch.Tensor) and target.is_floating_point():
        raise TypeError(f"target must hold class indices ({_INDEX_DTYPE_HINT}); got {target.dtype}")
    check_integer_tensor("target", target)
    if input.dim() > 2 or (input.dim() >= 1 and input.shape[-1] == 0):
        raise ValueError(
            "input must be (), (C,) or (N, C) scores with C >= 1, as torch accepts; "
            f"got shape {tuple(input.shape)}"
        )
    if target.shape != input.shape:
        raise ValueError(
            "target must have input's shape (class indices padded with -1); "
            f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    check_same_device("input", input, "target", target)
    num_classes = input.shape[-1] if input.dim() else 1
    if target.numel():
        lowest, highest = (int(v) for v in torch.aminmax(target))
        if lowest < -1 or highest >= num_classes:
            bad = lowest if lowest < -1 else highest
            raise ValueError(
                f"target must hold class indices in [0, {num_classes}) or the padding -1; "
                f"got an entry equal to {bad}"
            )
