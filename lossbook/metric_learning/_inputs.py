"""Checks of metric-learning inputs: embeddings, per-sample labels, pairs, triplets, classifier heads.

The policy of :mod:`lossbook.validation` holds here too: ``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong value or shape, and every message names the argument the caller
passed, what was expected and what came. The generic checks (tensors, numbers, choices,
reductions, devices) live in ``validation.py``; these are the ones only this family uses.
"""

from __future__ import annotations

import math
from numbers import Integral

import torch

from ..validation import (
    check_integer_tensor,
    check_number,
    check_positive_integer,
    check_same_shape,
    check_tensor,
)

_MOVE = "move one of them with .to(device)"


def check_matrix(name: str, value, *, columns: int | None = None) -> torch.Tensor:
    """Check that ``value`` is a 2-D floating tensor (a batch of row vectors).

    ``columns`` additionally fixes the size of the second dimension (the feature size).
    """
    check_tensor(name, value)
    if value.dim() != 2:
        raise ValueError(
            f"{name} must be a 2-D tensor (batch, features); got {value.dim()}-D shape {tuple(value.shape)}"
        )
    if columns is not None and value.shape[1] != columns:
        raise ValueError(f"{name} must have {columns} columns (features); got shape {tuple(value.shape)}")
    return value


def check_labels(
    name: str, labels, batch_size: int | None = None, num_classes: int | None = None
) -> torch.Tensor:
    """Check class labels: a 1-D integer tensor (of ``batch_size`` entries), each in [0, num_classes)."""
    check_integer_tensor(name, labels)
    if batch_size is None:
        if labels.dim() != 1:
            raise ValueError(f"{name} must be a 1-D tensor; got shape {tuple(labels.shape)}")
    elif labels.dim() != 1 or labels.shape[0] != batch_size:
        raise ValueError(
            f"{name} must be a 1-D tensor with one label per sample ({batch_size}); "
            f"got shape {tuple(labels.shape)}"
        )
    if num_classes is not None and labels.numel() > 0:
        lowest, highest = int(labels.min()), int(labels.max())
        if lowest < 0 or highest >= num_classes:
            bad = lowest if lowest < 0 else highest
            raise ValueError(f"{name} must lie in [0, {num_classes}) ({num_classes} classes); got {bad}")
    return labels


def check_binary(name: str, tensor: torch.Tensor) -> None:
    """Check that every element of ``tensor`` is 0 or 1 (bool, integer or floating dtype)."""
    if tensor.dtype == torch.bool or tensor.numel() == 0:
        return
    bad = (tensor != 0) & (tensor != 1)
    if bool(bad.any()):
        value = tensor[bad].flatten()[0].item()
        raise ValueError(f"{name} must contain only 0 and 1; got an element equal to {value!r}")


def check_devices(first: tuple[str, torch.Tensor], *others: tuple[str, torch.Tensor]) -> None:
    """Check that every ``(name, tensor)`` lies on the device of ``first``; the message says what to do."""
    name_a, a = first
    for name_b, b in others:
        if a.device != b.device:
            raise ValueError(
                f"{name_a} and {name_b} must be on the same device; "
                f"got {name_a} on {a.device} and {name_b} on {b.device} ({_MOVE})"
            )


def check_module_input(name: str, value, parameter_name: str, parameter: torch.Tensor) -> torch.Tensor:
    """Check a Module's input against the loss's own parameter (``weight``, ``centers``).

    ``value`` must be a matrix with one column per column of the parameter, on its device: a
    mismatch is the caller's input or a loss not moved with ``.to(device)``, and the message
    says which.
    """
    check_matrix(name, value, columns=parameter.shape[1])
    if value.device != parameter.device:
        raise ValueError(
            f"{name} and the loss's {parameter_name} must be on the same device; got {name} on "
            f"{value.device} and {parameter_name} on {parameter.device} (move the loss with "
            f".to({name}.device), or {name} with .to(device))"
        )
    return value


def check_embedding_batch(embeddings, labels) -> None:
    """A labelled batch: ``embeddings`` (N, D), ``labels`` (N,) integers, on one device."""
    check_matrix("embeddings", embeddings)
    check_labels("labels", labels, embeddings.shape[0])
    check_devices(("embeddings", embeddings), ("labels", labels))


def check_gallery(query, query_labels, gallery, gallery_labels) -> None:
    """A labelled query batch and a labelled gallery of the same feature size, on one device."""
    check_matrix("query", query)
    check_labels("query_labels", query_labels, query.shape[0])
    check_matrix("gallery", gallery, columns=query.shape[1])
    check_labels("gallery_labels", gallery_labels, gallery.shape[0])
    check_devices(
        ("query", query),
        ("query_labels", query_labels),
        ("gallery", gallery),
        ("gallery_labels", gallery_labels),
    )


def check_neighbours(k, num_samples: int) -> int:
    """``k`` of recall@k: a positive integer smaller than the number of samples (each leaves itself out)."""
    k = check_positive_integer("k", k)
    if k >= num_samples:
        raise ValueError(f"k must be smaller than the number of samples ({num_samples}); got {k}")
    return k


def check_pairs(x1, x2, target) -> None:
    """The pairs of the contrastive loss: two (N, D) sides and an (N,) 0/1 target, on one device."""
    check_matrix("x1", x1)
    check_matrix("x2", x2)
    check_same_shape("x1", x1, "x2", x2)
    check_tensor("target", target, floating=False)
    if target.dim() != 1 or target.shape[0] != x1.shape[0]:
        raise ValueError(
            f"target must be a 1-D tensor with one entry per pair ({x1.shape[0]}); "
            f"got shape {tuple(target.shape)}"
        )
    check_devices(("x1", x1), ("x2", x2), ("target", target))
    check_binary("target", target)


def check_triplets(anchor, positive, negative) -> None:
    """Three (N, D) embeddings, or three unbatched (D,) ones, of one shape on one device."""
    for name, value in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(name, value)
        if value.dim() not in (1, 2):
            raise ValueError(f"{name} must be (N, D) or (D,); got shape {tuple(value.shape)}")
    check_same_shape("anchor", anchor, "positive", positive)
    check_same_shape("anchor", anchor, "negative", negative)
    check_devices(("anchor", anchor), ("positive", positive), ("negative", negative))


def check_norm_order(p, squared: bool) -> float:
    """The order ``p`` > 0 of the triplet distance; the squared distance is Euclidean only."""
    p = check_number("p", p, low=0.0, low_inclusive=False)
    if squared and p != 2.0:
        raise ValueError(f"squared=True is the squared Euclidean distance and needs p=2; got p={p!r}")
    return p


def check_centers(features, labels, centers) -> None:
    """Center loss: ``features`` (N, D), ``labels`` (N,) in [0, C), ``centers`` (C, D), on one device."""
    check_matrix("features", features)
    check_matrix("centers", centers, columns=features.shape[1])
    check_labels("labels", labels, features.shape[0], num_classes=centers.shape[0])
    check_devices(("features", features), ("centers", centers), ("labels", labels))


def check_head(embeddings, weight, labels) -> None:
    """A classifier head: ``embeddings`` (N, D), ``weight`` (C, D), ``labels`` (N,) in [0, C), one device."""
    check_matrix("embeddings", embeddings)
    check_matrix("weight", weight, columns=embeddings.shape[1])
    check_labels("labels", labels, embeddings.shape[0], num_classes=weight.shape[0])
    check_devices(("embeddings", embeddings), ("weight", weight), ("labels", labels))


def check_cosine_head(cosine, labels) -> None:
    """Cosine logits: ``cosine`` (N, C) and ``labels`` (N,) in [0, C), on one device."""
    check_matrix("cosine", cosine)
    check_labels("labels", labels, cosine.shape[0], num_classes=cosine.shape[1])
    check_devices(("cosine", cosine), ("labels", labels))


def check_angular_margin(margin) -> float:
    """ArcFace's additive angular margin: radians in [0, pi), beyond which cos(theta + m) turns back."""
    margin = check_number("margin", margin, low=0.0)
    if margin >= math.pi:
        raise ValueError(f"margin must be an angle in [0, pi) radians; got {margin!r}")
    return margin


def check_iteration(iteration) -> int:
    """A training-step count: a non-negative Python integer (not a bool or a float)."""
    if isinstance(iteration, bool) or not isinstance(iteration, Integral):
        raise TypeError(
            f"iteration must be a non-negative integer; got {type(iteration).__name__} {iteration!r}"
        )
    if iteration < 0:
        raise ValueError(f"iteration must be a non-negative integer; got {iteration!r}")
    return int(iteration)


def _check_signs(name: str, value) -> None:
    """A target of signs (1, -1): a floating or integer tensor (bool has no sign)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if value.dtype == torch.bool or value.is_complex():
        raise TypeError(f"{name} must hold 1 and -1 (floating or integer dtype); got {value.dtype}")


def check_ranked_pair(input1, input2, target) -> None:
    """``margin_ranking_loss``: two score tensors and a sign target, all of one shape and device."""
    check_tensor("input1", input1)
    check_tensor("input2", input2)
    _check_signs("target", target)
    check_same_shape("input1", input1, "input2", input2)
    check_same_shape("input1", input1, "target", target)
    check_devices(("input1", input1), ("input2", input2), ("target", target))


def check_cosine_pairs(input1, input2, target) -> None:
    """``cosine_embedding_loss``: (N, D) pairs with an (N,) target, or (D,) with a 0-D one."""
    check_tensor("input1", input1)
    check_tensor("input2", input2)
    _check_signs("target", target)
    if input1.dim() not in (1, 2):
        raise ValueError(f"input1 must be (N, D) or (D,); got shape {tuple(input1.shape)}")
    check_same_shape("input1", input1, "input2", input2)
    if tuple(target.shape) != tuple(input1.shape[:-1]):
        raise ValueError(
            f"target must have one entry per pair, shape {tuple(input1.shape[:-1])} for input1 "
            f"{tuple(input1.shape)}; got shape {tuple(target.shape)}"
        )
    check_devices(("input1", input1), ("input2", input2), ("target", target))


def check_signed_distances(input, target) -> None:
    """``hinge_embedding_loss``: distances and a sign target of one shape, on one device."""
    check_tensor("input", input)
    _check_signs("target", target)
    check_same_shape("input", input, "target", target)
    check_devices(("input", input), ("target", target))


def check_distance_triplets(anchor, positive, negative, distance_function) -> None:
    """``triplet_margin_with_distance_loss``: tensors with one number of dimensions on one device
    (of one floating shape for the default distance), and a callable distance or None."""
    names = (("anchor", anchor), ("positive", positive), ("negative", negative))
    if distance_function is not None and not callable(distance_function):
        raise TypeError(
            f"distance_function must be a callable (a, b) -> distances, or None; "
            f"got {type(distance_function).__name__}"
        )
    for name, value in names:
        check_tensor(name, value, floating=distance_function is None)
    if not anchor.dim() == positive.dim() == negative.dim():
        raise ValueError(
            "anchor, positive and negative must have the same number of dimensions; got "
            f"{tuple(anchor.shape)}, {tuple(positive.shape)} and {tuple(negative.shape)}"
        )
    if distance_function is None:
        if anchor.dim() not in (1, 2):
            raise ValueError(f"anchor must be (N, D) or (D,); got shape {tuple(anchor.shape)}")
        check_same_shape("anchor", anchor, "positive", positive)
        check_same_shape("anchor", anchor, "negative", negative)
    check_devices(*names)


def check_flag(name: str, value) -> bool:
    """A boolean option (``swap``): a Python bool, not a number or a string."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False); got {type(value).__name__} {value!r}")
    return value
