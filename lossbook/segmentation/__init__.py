r"""Losses of segmentation and detection: Dice, Jaccard, Tversky, Lovász, and the IoU-family box losses.

The chapter "Segmentation and detection" (``book/*/segmentation.ipynb``). Three kinds:

* **Soft overlap losses** (:mod:`~lossbook.segmentation.overlap`): Dice (Milletari et al. 2016),
  Jaccard (soft IoU) and Tversky (Salehi et al. 2017) with its focal form, counted per class
  over the batch and the pixels, with segmentation_models_pytorch's conventions.
* **The Lovász losses** (:mod:`~lossbook.segmentation.lovasz`, Berman et al. 2018): the convex
  extension of the Jaccard loss, Lovász-softmax for classes and Lovász hinge for binary masks.
* **Box losses** (:mod:`~lossbook.segmentation.boxes`): IoU, GIoU (Rezatofighi et al. 2019),
  DIoU and CIoU (Zheng et al. 2020), with torchvision.ops' semantics.

Masks come in smp's three modes: ``"binary"`` (scores ``(N, 1, *)`` or ``(N, *)``, a 0/1 target of
that shape), ``"multiclass"`` (scores ``(N, C, *)``, class indices ``(N, *)``) and ``"multilabel"``
(scores ``(N, C, *)``, a 0/1 target ``(N, C, *)``); ``_inputs`` holds the family's argument checks.
"""

from .boxes import (
    BoxIoULoss,
    CompleteBoxIoULoss,
    DistanceBoxIoULoss,
    GeneralizedBoxIoULoss,
    box_iou_loss,
    complete_box_iou_loss,
    distance_box_iou_loss,
    generalized_box_iou_loss,
)
from .lovasz import LovaszLoss, lovasz_loss
from .overlap import DiceLoss, JaccardLoss, TverskyLoss, dice_loss, jaccard_loss, tversky_loss

__all__ = [
    # masks
    "dice_loss",
    "jaccard_loss",
    "tversky_loss",
    "lovasz_loss",
    # boxes
    "box_iou_loss",
    "generalized_box_iou_loss",
    "distance_box_iou_loss",
    "complete_box_iou_loss",
    # modules
    "DiceLoss",
    "JaccardLoss",
    "TverskyLoss",
    "LovaszLoss",
    "BoxIoULoss",
    "GeneralizedBoxIoULoss",
    "DistanceBoxIoULoss",
    "CompleteBoxIoULoss",
]
