"""The argument checks of the segmentation and box losses; the checks shared with other families
live in ``lossbook.validation``.

Masks come in segmentation_models_pytorch's three modes, and :func:`segmentation_pair` checks a
pair and flattens it to (N, C, P): the spatial dimensions, however many, become one axis P.
Boxes are (..., 4) tensors of corners (x1, y1, x2, y2), checked by :func:`box_pair`. Every check
follows the policy stated in ``lossbook.validation``: ``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong value or shape, and each message names the argument, what was
expected and what came.
"""

from __future__ import annotations

import math

import torch

from ..validation import (
    check_choice,
    check_class_indices,
    check_ignore_index,
    check_in_interval,
    check_integer_tensor,
    check_number,
    check_same_device,
    check_tensor,
    compute_dtype,
)

MODES = ("binary", "multiclass", "multilabel")


def check_mode(mode) -> str:
    """``mode``: one of ``"binary"``, ``"multiclass"``, ``"multilabel"``."""
    return check_choice("mode", mode, MODES)


def check_flag(name: str, value) -> bool:
    """A boolean option (``from_logits``, ``log_loss``, ``per_image``): a bool, not a 0/1 int."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False); got {type(value).__name__} {value!r}")
    return value


def check_optional_ignore_index(ignore_index) -> int | None:
    """``ignore_index``: None (nothing ignored) or an int, the target value of ignored pixels."""
    return None if ignore_index is None else check_ignore_index(ignore_index)


def check_overlap_options(smooth, eps) -> tuple[float, float]:
    """``smooth`` >= 0 and ``eps`` > 0 of the soft overlap losses (Dice, Jaccard, Tversky)."""
    smooth = check_number("smooth", smooth, low=0.0)
    eps = check_number("eps", eps, low=0.0, low_inclusive=False)
    return smooth, eps


def _check_binary_values(target: torch.Tensor, ignore_index: int | None, mode: str) -> None:
    """Every target element is 0, 1 or ``ignore_index`` (one vectorized pass in the common case)."""
    if target.numel() == 0 or target.dtype == torch.bool:
        return
    if not target.is_floating_point() and ignore_index is None:
        lowest, highest = (int(v) for v in torch.aminmax(target))
        if 0 <= lowest and highest <= 1:
            return
    ok = (target == 0) | (target == 1)
    if ignore_index is not None:
        ok |= target == ignore_index
    if not bool(ok.all()):
        bad = target[~ok].flatten()[0].item()
        also = f" or ignore_index={ignore_index}" if ignore_index is not None else ""
        raise ValueError(f"in {mode} mode, target must hold 0 or 1{also}; got an element equal to {bad!r}")


def _check_classes(input: torch.Tensor, mode: str) -> None:
    if input.shape[1] < 1:
        raise ValueError(
            f"in {mode} mode, input must have at least one class, shape (N, C, *) with C >= 1; "
            f"got {tuple(input.shape)}"
        )


def segmentation_pair(input, target, mode: str, ignore_index: int | None, *, probabilities: bool = False):
    """Check a (scores, mask) pair in one of the three modes and flatten it to (N, C, P).

    - ``"binary"``: ``input`` (N, *) (such as (N, 1, H, W)), ``target`` 0/1 of ``input``'s shape;
      one channel, C = 1.
    - ``"multiclass"``: ``input`` (N, C, *), ``target`` class indices (N, *) in [0, C).
    - ``"multilabel"``: ``input`` (N, C, *), ``target`` 0/1 of ``input``'s shape.

    ``ignore_index`` may appear in ``target`` wherever a label does. ``probabilities``: the
    input holds probabilities (``from_logits=False``) and must lie in [0, 1].

    Returns ``(x, y, valid)``: ``x`` (N, C, P) in the compute dtype; ``y`` (N, P) int64 class
    indices in multiclass mode, else (N, C, P) 0/1 in ``x``'s dtype, ignored entries set to 0
    in both; ``valid`` a bool mask of ``y``'s shape, or None when nothing is ignored.
    """
    check_tensor("input", input)
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor; got {type(target).__name__}")
    check_same_device("input", input, "target", target)
    if probabilities:
        check_in_interval("input", input, 0.0, 1.0)
    work = compute_dtype(input.dtype)
    if mode == "multiclass":
        if input.dim() < 2:
            raise ValueError(
                "in multiclass mode, input must have shape (N, C, *) with a class dimension; "
                f"got {tuple(input.shape)}"
            )
        _check_classes(input, mode)
        check_integer_tensor("target", target)
        expected = (input.shape[0], *input.shape[2:])
        if tuple(target.shape) != expected:
            raise ValueError(
                f"in multiclass mode, target must hold class indices of shape (N, *) = {expected} "
                f"for input of shape {tuple(input.shape)}; got {tuple(target.shape)}"
            )
        num_classes = input.shape[1]
        check_class_indices("target", target, num_classes, ignore_index)
        n, pixels = input.shape[0], math.prod(input.shape[2:])  # explicit: -1 fails on empty tensors
        x = input.reshape(n, num_classes, pixels).to(work)
        y = target.reshape(n, pixels).long()
        valid = None
        if ignore_index is not None and y.numel() and bool((y == ignore_index).any()):
            valid = y != ignore_index
            y = y.masked_fill(~valid, 0)
        return x, y, valid
    if mode == "binary":
        if input.dim() < 1:
            raise ValueError("in binary mode, input must have shape (N, *); got a 0-D tensor")
    elif input.dim() < 2:
        raise ValueError(
            "in multilabel mode, input must have shape (N, C, *) with a class dimension; "
            f"got {tuple(input.shape)}"
        )
    if mode == "multilabel":
        _check_classes(input, mode)
    if target.is_complex():
        raise TypeError(f"target must be real (bool, integer or floating); got {target.dtype}")
    if target.shape != input.shape:
        raise ValueError(
            f"in {mode} mode, target must have input's shape {tuple(input.shape)}; got {tuple(target.shape)}"
        )
    _check_binary_values(target, ignore_index, mode)
    n = input.shape[0]
    channels = 1 if mode == "binary" else input.shape[1]
    pixels = math.prod(input.shape[1:]) // max(channels, 1)
    x = input.reshape(n, channels, pixels).to(work)
    t = target.reshape(n, channels, pixels)
    valid = None
    if ignore_index is not None and t.numel() and bool((t == ignore_index).any()):
        valid = t != ignore_index
        t = t.masked_fill(~valid, 0)
    return x, t.to(work), valid


def box_pair(boxes1, boxes2, eps) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Check two tensors of boxes (x1, y1, x2, y2) of one shape (..., 4).

    Integer boxes are computed in float32 (as torchvision does), float16 and bfloat16 in
    float32 too. Returns both in the compute dtype and ``eps`` (> 0) as a float.
    """
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        if not isinstance(boxes, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(boxes).__name__}")
        if boxes.is_complex() or boxes.dtype == torch.bool:
            raise TypeError(f"{name} must have a real floating or integer dtype; got {boxes.dtype}")
        if boxes.dim() == 0 or boxes.shape[-1] != 4:
            raise ValueError(
                f"{name} must have shape (..., 4), boxes (x1, y1, x2, y2); got {tuple(boxes.shape)}"
            )
    if boxes1.shape != boxes2.shape:
        raise ValueError(
            "boxes1 and boxes2 must have the same shape (lossbook does not broadcast); "
            f"got boxes1 {tuple(boxes1.shape)} and boxes2 {tuple(boxes2.shape)}"
        )
    check_same_device("boxes1", boxes1, "boxes2", boxes2)
    eps = check_number("eps", eps, low=0.0, low_inclusive=False)
    work = compute_dtype(boxes1.dtype) if boxes1.is_floating_point() else torch.float32
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        _check_corners(name, boxes)
    return boxes1.to(work), boxes2.to(work), eps


def _check_corners(name: str, boxes: torch.Tensor) -> None:
    """x2 >= x1 and y2 >= y1 for every box: a box with its corners swapped has a negative width,
    and the losses would silently give nonsense for it."""
    if boxes.numel() == 0 or not bool((boxes[..., 2:] < boxes[..., :2]).any()):
        return
    bad = (boxes[..., 2:] < boxes[..., :2]).any(-1)
    index = tuple(int(i) for i in bad.nonzero()[0])
    raise ValueError(
        f"{name} must hold boxes (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1; "
        f"got {boxes[index].tolist()} at index {index}"
    )
