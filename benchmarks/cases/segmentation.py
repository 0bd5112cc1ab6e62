"""Benchmark cases of the segmentation and box losses against segmentation_models_pytorch and
torchvision.ops.

The "theirs" side is a plain-torch transcription, line for line, of
segmentation_models_pytorch 0.6.0 (``losses/{dice,jaccard,tversky,lovasz,_functional}.py``,
``DiceLoss``/``JaccardLoss``/``TverskyLoss``/``LovaszLoss`` with ``classes=None``) and of
torchvision 0.28.0 (``ops/{_utils,giou_loss,diou_loss,ciou_loss}.py``), without their
telemetry calls and assertions. The packages themselves do not import everywhere: smp's
``__init__`` needs timm and its encoders, and torchvision's PyPI wheel fails to load its C++
operators against a CPU-only torch. ``tests/unit/test_segmentation.py`` checks that these
transcriptions equal the installed packages' loss files, value and gradient.
"""

from __future__ import annotations

import torch
import torch.linalg as LA
import torch.nn.functional as F

import lossbook

from ..case import Case

FAMILY = "segmentation"


# --- segmentation_models_pytorch 0.6.0, transcribed -------------------------------------------


def _smp_soft_tversky_score(output, target, alpha, beta, smooth=0.0, eps=1e-7, dims=None):
    output_sum = torch.sum(output, dim=dims)
    target_sum = torch.sum(target, dim=dims)
    difference = LA.vector_norm(output - target, ord=1, dim=dims)
    intersection = (output_sum + target_sum - difference) / 2  # TP
    fp = output_sum - intersection
    fn = target_sum - intersection
    return (intersection + smooth) / (intersection + alpha * fp + beta * fn + smooth).clamp_min(eps)


def smp_overlap_loss(
    y_pred,
    y_true,
    mode="multiclass",
    *,
    alpha=0.5,
    beta=0.5,
    gamma=1.0,
    log_loss=False,
    from_logits=True,
    smooth=0.0,
    eps=1e-7,
    ignore_index=None,
):
    """smp's ``DiceLoss.forward`` (alpha = beta = 0.5), ``JaccardLoss`` (1, 1) and
    ``TverskyLoss`` (its ``compute_score`` and ``aggregate_loss``), with ``classes=None``."""
    if from_logits:
        if mode == "multiclass":
            y_pred = y_pred.log_softmax(dim=1).exp()
        else:
            y_pred = F.logsigmoid(y_pred).exp()
    bs = y_true.size(0)
    num_classes = y_pred.size(1)
    dims = (0, 2)
    if mode == "binary":
        y_true = y_true.reshape(bs, 1, -1)
        y_pred = y_pred.reshape(bs, 1, -1)
        if ignore_index is not None:
            mask = y_true != ignore_index
            y_pred = y_pred * mask
            y_true = y_true * mask
    if mode == "multiclass":
        y_true = y_true.reshape(bs, -1)
        y_pred = y_pred.reshape(bs, num_classes, -1)
        if ignore_index is not None:
            mask = y_true != ignore_index
            y_pred = y_pred * mask.unsqueeze(1)
            y_true = F.one_hot((y_true * mask).to(torch.long), num_classes)
            y_true = y_true.permute(0, 2, 1) * mask.unsqueeze(1)
        else:
            y_true = F.one_hot(y_true, num_classes)
            y_true = y_true.permute(0, 2, 1)
    if mode == "multilabel":
        y_true = y_true.reshape(bs, num_classes, -1)
        y_pred = y_pred.reshape(bs, num_classes, -1)
        if ignore_index is not None:
            mask = y_true != ignore_index
            y_pred = y_pred * mask
            y_true = y_true * mask
    scores = _smp_soft_tversky_score(y_pred, y_true.type_as(y_pred), alpha, beta, smooth, eps, dims)
    loss = -torch.log(scores.clamp_min(eps)) if log_loss else 1.0 - scores
    mask = y_true.sum(dims) > 0
    loss *= mask.to(loss.dtype)
    return loss.mean() ** gamma if gamma != 1.0 else loss.mean()


def _smp_lovasz_grad(gt_sorted):
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.float().cumsum(0)
    union = gts + (1 - gt_sorted).float().cumsum(0)
    jaccard = 1.0 - intersection / union
    if p > 1:
        jaccard[1:p] = jaccard[1:p] - jaccard[0:-1]
    return jaccard


def _smp_mean(values):
    values = iter(values)
    try:
        n = 1
        acc = next(values)
    except StopIteration:
        return 0
    for n, v in enumerate(values, 2):  # noqa: B007 (n is the count after the loop)
        acc += v
    return acc if n == 1 else acc / n


def _smp_lovasz_hinge_flat(logits, labels):
    if len(labels) == 0:
        return logits.sum() * 0.0
    signs = 2.0 * labels.float() - 1.0
    errors = 1.0 - logits * signs
    errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
    gt_sorted = labels[perm.data]
    return torch.dot(F.relu(errors_sorted), _smp_lovasz_grad(gt_sorted))


def _smp_flatten_binary_scores(scores, labels, ignore=None):
    scores, labels = scores.reshape(-1), labels.reshape(-1)
    if ignore is None:
        return scores, labels
    valid = labels != ignore
    return scores[valid], labels[valid]


def _smp_lovasz_softmax_flat(probas, labels):
    if probas.numel() == 0:
        return probas * 0.0
    losses = []
    for c in range(probas.size(1)):
        fg = (labels == c).type_as(probas)
        if fg.sum() == 0:
            continue
        errors = (fg - probas[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, _smp_lovasz_grad(fg[perm.data])))
    return _smp_mean(losses)


def _smp_flatten_probas(probas, labels, ignore=None):
    if probas.dim() == 3:
        b, h, w = probas.size()
        probas = probas.reshape(b, 1, h, w)
    c = probas.size(1)
    probas = torch.movedim(probas, 1, -1).reshape(-1, c)
    labels = labels.reshape(-1)
    if ignore is None:
        return probas, labels
    valid = labels != ignore
    return probas[valid], labels[valid]


def smp_lovasz_loss(y_pred, y_true, mode="multiclass", *, per_image=False, ignore_index=None):
    """smp's ``LovaszLoss.forward``."""
    if mode in ("binary", "multilabel"):
        if per_image:
            return _smp_mean(
                _smp_lovasz_hinge_flat(
                    *_smp_flatten_binary_scores(x.unsqueeze(0), y.unsqueeze(0), ignore_index)
                )
                for x, y in zip(y_pred, y_true, strict=True)
            )
        return _smp_lovasz_hinge_flat(*_smp_flatten_binary_scores(y_pred, y_true, ignore_index))
    probas = y_pred.softmax(dim=1)
    if per_image:
        return _smp_mean(
            _smp_lovasz_softmax_flat(*_smp_flatten_probas(p.unsqueeze(0), y.unsqueeze(0), ignore_index))
            for p, y in zip(probas, y_true, strict=True)
        )
    return _smp_lovasz_softmax_flat(*_smp_flatten_probas(probas, y_true, ignore_index))


# --- torchvision 0.28.0 ops, transcribed -------------------------------------------------------


def _tv_upcast_non_float(t):
    return t.float() if t.dtype not in (torch.float32, torch.float64) else t


def _tv_loss_inter_union(boxes1, boxes2):
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1 = torch.max(x1, x1g)
    ykis1 = torch.max(y1, y1g)
    xkis2 = torch.min(x2, x2g)
    ykis2 = torch.min(y2, y2g)
    intsctk = torch.zeros_like(x1)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsctk[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    return intsctk, unionk


def _tv_reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    return loss


def tv_generalized_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    intsctk, unionk = _tv_loss_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    return _tv_reduce(1 - miouk, reduction)


def _tv_diou_iou_loss(boxes1, boxes2, eps=1e-7):
    intsct, union = _tv_loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    diagonal_distance_squared = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    x_p = (x2 + x1) / 2
    y_p = (y2 + y1) / 2
    x_g = (x1g + x2g) / 2
    y_g = (y1g + y2g) / 2
    centers_distance_squared = ((x_p - x_g) ** 2) + ((y_p - y_g) ** 2)
    return 1 - iou + (centers_distance_squared / diagonal_distance_squared), iou


def tv_distance_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    loss, _ = _tv_diou_iou_loss(boxes1, boxes2, eps)
    return _tv_reduce(loss, reduction)


def tv_complete_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    diou_loss, iou = _tv_diou_iou_loss(boxes1, boxes2)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    w_pred = x2 - x1
    h_pred = y2 - y1
    w_gt = x2g - x1g
    h_gt = y2g - y1g
    v = (4 / (torch.pi**2)) * torch.pow((torch.atan(w_gt / h_gt) - torch.atan(w_pred / h_pred)), 2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _tv_reduce(diou_loss + alpha * v, reduction)


# --- the cases ---------------------------------------------------------------------------------


def cases(quick: bool) -> list[Case]:
    n, c, h, w = (2, 3, 16, 16) if quick else (8, 21, 128, 128)
    boxes = 256 if quick else 65_536
    size = f"{n} x {c} x {h} x {w}"

    def masks():
        gen = torch.Generator().manual_seed(0)
        logits = torch.randn(n, c, h, w, generator=gen, requires_grad=True)
        return logits, torch.randint(0, c, (n, h, w), generator=gen)

    def multilabel():
        gen = torch.Generator().manual_seed(0)
        logits = torch.randn(n, c, h, w, generator=gen, requires_grad=True)
        return logits, (torch.rand(n, c, h, w, generator=gen) < 0.3).float()

    def box_pairs():
        gen = torch.Generator().manual_seed(0)

        def some():
            corner = torch.rand(boxes, 2, generator=gen) * 100
            return torch.cat([corner, corner + torch.rand(boxes, 2, generator=gen) * 50 + 1], 1)

        return some().requires_grad_(), some()

    mask_cases = [
        ("dice_loss", masks, lossbook.dice_loss, smp_overlap_loss),
        (
            "jaccard_loss",
            masks,
            lossbook.jaccard_loss,
            lambda x, y: smp_overlap_loss(x, y, alpha=1.0, beta=1.0),
        ),
        (
            "tversky_loss (focal)",
            masks,
            lambda x, y: lossbook.tversky_loss(x, y, alpha=0.3, beta=0.7, gamma=1.5),
            lambda x, y: smp_overlap_loss(x, y, alpha=0.3, beta=0.7, gamma=1.5),
        ),
        ("lovasz_loss (softmax)", masks, lossbook.lovasz_loss, smp_lovasz_loss),
        (
            "lovasz_loss (hinge, multilabel)",
            multilabel,
            lambda x, y: lossbook.lovasz_loss(x, y, "multilabel"),
            lambda x, y: smp_lovasz_loss(x, y, "multilabel"),
        ),
    ]
    box_cases = [
        ("generalized_box_iou_loss", lossbook.generalized_box_iou_loss, tv_generalized_box_iou_loss),
        ("distance_box_iou_loss", lossbook.distance_box_iou_loss, tv_distance_box_iou_loss),
        ("complete_box_iou_loss", lossbook.complete_box_iou_loss, tv_complete_box_iou_loss),
    ]
    result = [Case(FAMILY, name, size, make, ours, theirs, 1.2) for name, make, ours, theirs in mask_cases]
    for name, ours, theirs in box_cases:
        result.append(
            Case(
                FAMILY,
                name,
                f"{boxes:,} boxes",
                box_pairs,
                lambda a, b, f=ours: f(a, b, "mean"),
                lambda a, b, f=theirs: f(a, b, "mean"),
                1.2,
            )
        )
    return result
