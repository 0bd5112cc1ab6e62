r"""The IoU family of box-regression losses: IoU, GIoU, DIoU and CIoU, torchvision's semantics.

Boxes are corners (x1, y1, x2, y2), tensors of shape (..., 4), compared pair by pair. Every
loss starts from the IoU and adds a penalty that keeps a gradient when the boxes do not
overlap:

.. math:: \mathcal{L}_{\mathrm{IoU}} = 1 - \mathrm{IoU}, \quad
    \mathcal{L}_{\mathrm{GIoU}} = \mathcal{L}_{\mathrm{IoU}} + \frac{|C| - |A \cup B|}{|C|}, \quad
    \mathcal{L}_{\mathrm{DIoU}} = \mathcal{L}_{\mathrm{IoU}} + \frac{\rho^2}{c^2}, \quad
    \mathcal{L}_{\mathrm{CIoU}} = \mathcal{L}_{\mathrm{DIoU}} + \alpha v

(C the smallest enclosing box, :math:`\rho` the distance of the centres, c the diagonal of C,
v the aspect-ratio term). The values and gradients are those of
``torchvision.ops.generalized_box_iou_loss``, ``distance_box_iou_loss`` and
``complete_box_iou_loss``, with ``eps`` in the same places; the differences (finite point
boxes, ``eps`` used throughout CIoU, half precision cast back) are stated in each docstring.
"""

from __future__ import annotations

import math

import torch

from .._base import Loss
from ..validation import check_number, check_reduction
from ._inputs import box_pair

__all__ = [
    "box_iou_loss",
    "generalized_box_iou_loss",
    "distance_box_iou_loss",
    "complete_box_iou_loss",
    "BoxIoULoss",
    "GeneralizedBoxIoULoss",
    "DistanceBoxIoULoss",
    "CompleteBoxIoULoss",
]


def _iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float):
    """IoU = intersection / (union + eps), and the corners of both boxes.

    The intersection is 0, with gradient 0, unless both overlaps are strictly positive (as in
    torchvision's ``_loss_inter_union``): touching boxes do not pull on each other.
    """
    x1, y1, x2, y2 = boxes1.unbind(-1)
    u1, v1, u2, v2 = boxes2.unbind(-1)
    width = torch.minimum(x2, u2) - torch.maximum(x1, u1)
    height = torch.minimum(y2, v2) - torch.maximum(y1, v1)
    overlap = (width > 0) & (height > 0)
    intersection = torch.where(overlap, width * height, 0.0)
    union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - intersection
    return intersection / (union + eps), union, (x1, y1, x2, y2), (u1, v1, u2, v2)


def _enclosing(a, b):
    """Width and height of the smallest box that contains both."""
    x1, y1, x2, y2 = a
    u1, v1, u2, v2 = b
    return torch.maximum(x2, u2) - torch.minimum(x1, u1), torch.maximum(y2, v2) - torch.minimum(y1, v1)


def _distance_penalty(a, b, eps: float) -> torch.Tensor:
    """DIoU's penalty: squared distance of the centres over the squared diagonal of C (+ eps)."""
    x1, y1, x2, y2 = a
    u1, v1, u2, v2 = b
    cw, ch = _enclosing(a, b)
    diagonal = cw**2 + ch**2 + eps
    centres = ((x1 + x2 - u1 - u2) / 2) ** 2 + ((y1 + y2 - v1 - v2) / 2) ** 2
    return centres / diagonal


def _aspect_angle(width: torch.Tensor, height: torch.Tensor) -> torch.Tensor:
    """atan(w / h), written atan2(w, h): the same for every box of positive height, pi/2 for a
    zero-height box, and 0 with gradient 0 for a point (w = h = 0), where atan(0 / 0) is NaN."""
    point = (width == 0) & (height == 0)
    angle = torch.atan2(width.masked_fill(point, 1.0), height.masked_fill(point, 1.0))
    return angle.masked_fill(point, 0.0)


def _reduce(loss: torch.Tensor, reduction: str, dtype: torch.dtype) -> torch.Tensor:
    """torchvision's reductions: "mean" of no boxes is 0 (joined to the graph), not NaN."""
    if reduction == "mean":
        loss = loss.mean() if loss.numel() > 0 else loss.sum() * 0.0
    elif reduction == "sum":
        loss = loss.sum()
    return loss.to(dtype) if dtype.is_floating_point else loss


def _prepare(boxes1, boxes2, reduction, eps):
    check_reduction(reduction)
    a, b, eps = box_pair(boxes1, boxes2, eps)
    return a, b, eps, boxes1.dtype


def box_iou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7
) -> torch.Tensor:
    r"""IoU loss: one minus the intersection over union of two boxes.

    .. math:: \mathcal{L} = 1 - \frac{|A \cap B|}{|A \cup B| + \epsilon}

    The IoU as in torchvision's box losses (``eps`` added to the union). It has no gradient
    when the boxes do not overlap: a prediction far from its target does not move. Zero-area
    boxes give a finite loss of 1.

    Explained in the book: chapter “Segmentation and detection”, section “Box losses”.

    Args:
        boxes1: boxes (..., 4) as (x1, y1, x2, y2), x2 >= x1 and y2 >= y1.
        boxes2: boxes of ``boxes1``'s shape.
        reduction: ``"none"`` (default, as torchvision), ``"mean"`` or ``"sum"``; the mean of
            no boxes is 0.
        eps: > 0. Default: 1e-7.

    Returns:
        The loss (...) with ``"none"``, else a scalar; in the boxes' dtype (float32 for
        integer boxes; float16 and bfloat16 computed in float32 and cast back).

    Reference: J. Yu, Y. Jiang, Z. Wang, Z. Cao, T. Huang, "UnitBox: An Advanced Object
    Detection Network", ACM MM 2016.

    Example:
        >>> import torch, lossbook
        >>> a = torch.tensor([0.0, 0.0, 2.0, 2.0])
        >>> b = torch.tensor([1.0, 1.0, 3.0, 3.0])  # intersection 1, union 7
        >>> lossbook.box_iou_loss(a, b)
        tensor(0.8571)
    """
    a, b, eps, dtype = _prepare(boxes1, boxes2, reduction, eps)
    iou = _iou(a, b, eps)[0]
    return _reduce(1.0 - iou, reduction, dtype)


def generalized_box_iou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7
) -> torch.Tensor:
    r"""Generalized IoU loss (Rezatofighi et al. 2019), torchvision's ``generalized_box_iou_loss``.

    .. math:: \mathcal{L} = 1 - \frac{|A \cap B|}{|A \cup B| + \epsilon}
        + \frac{|C| - |A \cup B|}{|C| + \epsilon}

    with C the smallest box enclosing A and B. The penalty grows as disjoint boxes move apart,
    so they get a gradient; but when one box contains the other, :math:`C` is the larger box
    and the penalty vanishes: GIoU is then the IoU loss, and moves boxes slowly. Values in
    [0, 2). Point boxes give a finite loss (1 for two equal points).

    Explained in the book: chapter “Segmentation and detection”, section “Box losses”.

    Args:
        boxes1: boxes (..., 4) as (x1, y1, x2, y2), x2 >= x1 and y2 >= y1.
        boxes2: boxes of ``boxes1``'s shape.
        reduction: ``"none"`` (default, as torchvision), ``"mean"`` or ``"sum"``; the mean of
            no boxes is 0.
        eps: > 0. Default: 1e-7.

    Returns:
        The loss (...) with ``"none"``, else a scalar; in the boxes' dtype (torchvision returns
        float32 for float16 boxes).

    Reference: H. Rezatofighi, N. Tsoi, J. Gwak, A. Sadeghian, I. Reid, S. Savarese,
    "Generalized Intersection over Union: A Metric and A Loss for Bounding Box Regression",
    CVPR 2019.

    Example:
        >>> import torch, lossbook
        >>> a = torch.tensor([0.0, 0.0, 1.0, 1.0])
        >>> b = torch.tensor([2.0, 0.0, 3.0, 1.0])  # disjoint: IoU 0, C = 3, union 2
        >>> lossbook.generalized_box_iou_loss(a, b)
        tensor(1.3333)
    """
    a, b, eps, dtype = _prepare(boxes1, boxes2, reduction, eps)
    iou, union, ca, cb = _iou(a, b, eps)
    cw, ch = _enclosing(ca, cb)
    area = cw * ch
    loss = 1.0 - iou + (area - union) / (area + eps)
    return _reduce(loss, reduction, dtype)


def distance_box_iou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7
) -> torch.Tensor:
    r"""Distance IoU loss (Zheng et al. 2020), torchvision's ``distance_box_iou_loss``.

    .. math:: \mathcal{L} = 1 - \frac{|A \cap B|}{|A \cup B| + \epsilon}
        + \frac{\rho^2(a, b)}{c^2 + \epsilon}

    with :math:`\rho(a, b)` the distance between the boxes' centres and c the diagonal of the
    smallest enclosing box. The penalty pulls the centres together directly, also when one box
    contains the other, so DIoU converges faster than GIoU. Point boxes give a finite loss.

    Explained in the book: chapter “Segmentation and detection”, section “Box losses”.

    Args:
        boxes1: boxes (..., 4) as (x1, y1, x2, y2), x2 >= x1 and y2 >= y1.
        boxes2: boxes of ``boxes1``'s shape.
        reduction: ``"none"`` (default, as torchvision), ``"mean"`` or ``"sum"``; the mean of
            no boxes is 0.
        eps: > 0. Default: 1e-7.

    Returns:
        The loss (...) with ``"none"``, else a scalar, in the boxes' dtype.

    Reference: Z. Zheng, P. Wang, W. Liu, J. Li, R. Ye, D. Ren, "Distance-IoU Loss: Faster and
    Better Learning for Bounding Box Regression", AAAI 2020.

    Example:
        >>> import torch, lossbook
        >>> a = torch.tensor([0.0, 0.0, 4.0, 4.0])
        >>> b = torch.tensor([1.0, 1.0, 2.0, 2.0])  # inside: IoU 1/16, rho^2 = 0.5, c^2 = 32
        >>> lossbook.distance_box_iou_loss(a, b)
        tensor(0.9531)
    """
    a, b, eps, dtype = _prepare(boxes1, boxes2, reduction, eps)
    iou, _, ca, cb = _iou(a, b, eps)
    loss = 1.0 - iou + _distance_penalty(ca, cb, eps)
    return _reduce(loss, reduction, dtype)


def complete_box_iou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7
) -> torch.Tensor:
    r"""Complete IoU loss (Zheng et al. 2020), torchvision's ``complete_box_iou_loss``.

    .. math:: \mathcal{L} = \mathcal{L}_{\mathrm{DIoU}} + \alpha v, \quad
        v = \frac{4}{\pi^2}\Bigl(\arctan\frac{w_2}{h_2} - \arctan\frac{w_1}{h_1}\Bigr)^2, \quad
        \alpha = \frac{v}{1 - \mathrm{IoU} + v + \epsilon}

    DIoU plus a term for the difference of the aspect ratios, weighted by :math:`\alpha`,
    which is computed without gradient (a constant in the backward pass, as in the paper and
    torchvision): the paper's gradient of v has a factor :math:`1/(w^2 + h^2)` that it drops
    for stability. Differences from torchvision, stated: the angle is ``atan2(w, h)``, equal to
    :math:`\arctan(w/h)` for every box of positive height, but finite with a finite gradient
    for zero-height boxes and 0 for point boxes, where torchvision returns NaN; and ``eps``
    is used in the IoU and the DIoU term too (torchvision uses its default 1e-7 there whatever
    ``eps`` is passed), so the two agree at the default ``eps``.

    Explained in the book: chapter “Segmentation and detection”, section “Box losses”.

    Args:
        boxes1: boxes (..., 4) as (x1, y1, x2, y2), x2 >= x1 and y2 >= y1.
        boxes2: boxes of ``boxes1``'s shape.
        reduction: ``"none"`` (default, as torchvision), ``"mean"`` or ``"sum"``; the mean of
            no boxes is 0.
        eps: > 0. Default: 1e-7.

    Returns:
        The loss (...) with ``"none"``, else a scalar, in the boxes' dtype.

    Reference: Z. Zheng, P. Wang, W. Liu, J. Li, R. Ye, D. Ren, "Distance-IoU Loss: Faster and
    Better Learning for Bounding Box Regression", AAAI 2020.

    Example:
        >>> import torch, lossbook
        >>> a = torch.tensor([0.0, 0.0, 2.0, 1.0])
        >>> b = torch.tensor([0.0, 0.0, 1.0, 2.0])  # IoU 1/3, rho^2 = 0.5, c^2 = 8
        >>> lossbook.complete_box_iou_loss(a, b)
        tensor(0.7629)
    """
    a, b, eps, dtype = _prepare(boxes1, boxes2, reduction, eps)
    iou, _, ca, cb = _iou(a, b, eps)
    diou = 1.0 - iou + _distance_penalty(ca, cb, eps)
    x1, y1, x2, y2 = ca
    u1, v1, u2, v2 = cb
    v = (4 / math.pi**2) * (_aspect_angle(u2 - u1, v2 - v1) - _aspect_angle(x2 - x1, y2 - y1)) ** 2
    with torch.no_grad():
        alpha = v / (1.0 - iou + v + eps)
    return _reduce(diou + alpha * v, reduction, dtype)


class _BoxLoss(Loss):
    def __init__(self, reduction: str = "none", eps: float = 1e-7) -> None:
        super().__init__(reduction)
        self.eps = check_number("eps", eps, low=0.0, low_inclusive=False)


class BoxIoULoss(_BoxLoss):
    r"""Module form of :func:`box_iou_loss`: :math:`1 - \mathrm{IoU}` of paired boxes.

    Explained in the book: chapter “Segmentation and detection”, section “Box losses”.

    Args:
        reduction: ``"none"`` (default), ``"mean"`` or ``"sum"``.
        eps: > 0. Default: 1e-7.

    Shape:
        - boxes1, boxes2: ``(*, 4)``, corners (x1, y1, x2, y2).
        - Output: ``(*)`` with ``"none"``, else a scalar.

    Reference: J. Yu, Y. Jiang, Z. Wang, Z. Cao, T. Huang, "UnitBox: An Advanced Object
    Detection Network", ACM MM 2016.

    Example:
        >>> import torch, lossbook
        >>> lossbook.BoxIoULoss()(torch.tensor([0.0, 0.0, 2.0, 2.0]), torch.tensor([1.0, 1.0, 3.0, 3.0]))
        tensor(0.8571)
    """

    def forward(self, boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
        return box_iou_loss(boxes1, boxes2, self.reduction, self.eps)


class GeneralizedBoxIoULoss(_BoxLoss):
    r"""Module form of :func:`generalized_box_iou_loss`: the IoU loss plus the empty part of the
    enclosing box C.

    .. math:: \mathcal{L} = 1 - \mathrm{IoU} + \frac{|C| - |A \cup B|}{|C|}

    Explained in the book: chapter “Segmentation and detection”, section “Box losses”.

    Args:
        reduction: ``"none"`` (default), ``"mean"`` or ``"sum"``.
        eps: > 0. Default: 1e-7.

    Shape:
        - boxes1, boxes2: ``(*, 4)``, corners (x1, y1, x2, y2).
        - Output: ``(*)`` with ``"none"``, else a scalar.

    Reference: H. Rezatofighi, N. Tsoi, J. Gwak, A. Sadeghian, I. Reid, S. Savarese,
    "Generalized Intersection over Union: A Metric and A Loss for Bounding Box Regression",
    CVPR 2019.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.GeneralizedBoxIoULoss()
        >>> criterion(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([2.0, 0.0, 3.0, 1.0]))
        tensor(1.3333)
    """

    def forward(self, boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
        return generalized_box_iou_loss(boxes1, boxes2, self.reduction, self.eps)


class DistanceBoxIoULoss(_BoxLoss):
    r"""Module form of :func:`distance_box_iou_loss`: the IoU loss plus the normalized squared
    distance of the centres.

    .. math:: \mathcal{L} = 1 - \mathrm{IoU} + \rho^2 / c^2

    Explained in the book: chapter “Segmentation and detection”, section “Box losses”.

    Args:
        reduction: ``"none"`` (default), ``"mean"`` or ``"sum"``.
        eps: > 0. Default: 1e-7.

    Shape:
        - boxes1, boxes2: ``(*, 4)``, corners (x1, y1, x2, y2).
        - Output: ``(*)`` with ``"none"``, else a scalar.

    Reference: Z. Zheng, P. Wang, W. Liu, J. Li, R. Ye, D. Ren, "Distance-IoU Loss: Faster and
    Better Learning for Bounding Box Regression", AAAI 2020.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.DistanceBoxIoULoss()
        >>> criterion(torch.tensor([0.0, 0.0, 4.0, 4.0]), torch.tensor([1.0, 1.0, 2.0, 2.0]))
        tensor(0.9531)
    """

    def forward(self, boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
        return distance_box_iou_loss(boxes1, boxes2, self.reduction, self.eps)


class CompleteBoxIoULoss(_BoxLoss):
    r"""Module form of :func:`complete_box_iou_loss`: DIoU plus the aspect-ratio term.

    .. math:: \mathcal{L} = 1 - \mathrm{IoU} + \rho^2 / c^2 + \alpha v

    Explained in the book: chapter “Segmentation and detection”, section “Box losses”.

    Args:
        reduction: ``"none"`` (default), ``"mean"`` or ``"sum"``.
        eps: > 0. Default: 1e-7.

    Shape:
        - boxes1, boxes2: ``(*, 4)``, corners (x1, y1, x2, y2).
        - Output: ``(*)`` with ``"none"``, else a scalar.

    Reference: Z. Zheng, P. Wang, W. Liu, J. Li, R. Ye, D. Ren, "Distance-IoU Loss: Faster and
    Better Learning for Bounding Box Regression", AAAI 2020.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.CompleteBoxIoULoss()
        >>> criterion(torch.tensor([0.0, 0.0, 2.0, 1.0]), torch.tensor([0.0, 0.0, 1.0, 2.0]))
        tensor(0.7629)
    """

    def forward(self, boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
        return complete_box_iou_loss(boxes1, boxes2, self.reduction, self.eps)
