"""Exercises of the chapter on segmentation and detection losses.

>>> from lossbook.exercises import segmentation as ex
>>> result = ex.soft_dice.check(None)  # prints the message
✗ Not yet: ex.soft_dice(...) returned None. Write its body and run the cell again.
  ex.soft_dice.hint() gives a hint and ex.soft_dice.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import torch

import lossbook

from ._exercise import AnswerExercise, Case, Mistake
from ._function import FunctionExercise
from ._messages import Text

__all__ = ["soft_dice", "tversky", "giou_disjoint", "diou_penalty", "lovasz_gradient"]


def _probs(g, shape, dtype=torch.float64):
    return torch.rand(shape, generator=g, dtype=torch.float64).to(dtype)


def _mask(g, shape, share=0.3, dtype=torch.float64):
    return (torch.rand(shape, generator=g, dtype=torch.float64) < share).to(dtype)


# -- Exercise: soft Dice by hand, with smoothing ----------------------------------------------------


def my_soft_dice(probs, target, smooth=1.0):
    # one score for the whole batch: the sums run over every image and every pixel
    intersection = (probs * target).sum()
    return 1 - (2 * intersection + smooth) / (probs.sum() + target.sum() + smooth)


def _soft_dice_reference(probs, target, smooth=1.0):
    """lossbook's binary Dice loss. Its smoothing follows smp: s enters TP / (TP + FP/2 + FN/2),
    which is 2s in the form (2 I + s) / (P + G + s) of the exercise, hence smooth / 2."""
    if target.sum() == 0:  # smp's convention gives 0 for an empty target; the formula needs P = 0 here
        return 1 - smooth / (probs.sum() + smooth)
    return lossbook.dice_loss(probs, target, mode="binary", from_logits=False, smooth=smooth / 2, eps=1e-300)


def _soft_dice_cases(g):
    def case(probs, target, smooth, en, zh, grad=(0,)):
        return Case((probs, target), {"smooth": smooth}, Text(en, zh), grad=grad)

    small = torch.zeros(2, 16, 16, dtype=torch.float64)
    small[0, 3:5, 3:5] = 1  # one object of 4 pixels in a batch of two images
    return [
        case(
            _probs(g, (2, 8, 8)),
            _mask(g, (2, 8, 8)),
            1.0,
            "float64, a batch of two 8x8 masks",
            "float64，两张 8x8 掩码的批量",
        ),
        case(_probs(g, (2, 8, 8)), _mask(g, (2, 8, 8)), 0.0, "float64, smooth = 0", "float64，smooth = 0"),
        case(
            _probs(g, (3, 5, 7)),
            _mask(g, (3, 5, 7), 0.1),
            10.0,
            "float64, smooth = 10",
            "float64，smooth = 10",
        ),
        case(
            0.5 * small,
            small,
            1.0,
            "a 4-pixel object predicted with p = 0.5",
            "一个 4 像素的目标，预测 p = 0.5",
        ),
        case(
            torch.cat([_probs(g, (1, 6, 6)), 0.01 * _probs(g, (1, 6, 6))]),
            torch.cat([_mask(g, (1, 6, 6), 0.6), torch.zeros(1, 6, 6, dtype=torch.float64)]),
            1.0,
            "the second image is empty: the sums still run over the batch",
            "第二张图是空的：求和仍然覆盖整个批量",
        ),
        case(
            torch.zeros(2, 4, 4, dtype=torch.float64),
            torch.zeros(2, 4, 4, dtype=torch.float64),
            1.0,
            "empty mask, empty prediction: smoothing turns 0 / 0 into 0",
            "空掩码、空预测：平滑项把 0 / 0 变成 0",
            grad=(),
        ),
        case(
            _probs(g, (2, 8, 8), torch.float32),
            _mask(g, (2, 8, 8), dtype=torch.float32),
            1.0,
            "float32",
            "float32",
        ),
    ]


def _dice_numerator_only(probs, target, smooth=1.0):
    return 1 - (2 * (probs * target).sum() + smooth) / (probs.sum() + target.sum())


def _dice_denominator_only(probs, target, smooth=1.0):
    return 1 - (2 * (probs * target).sum()) / (probs.sum() + target.sum() + smooth)


def _dice_without_two(probs, target, smooth=1.0):
    return 1 - ((probs * target).sum() + smooth) / (probs.sum() + target.sum() + smooth)


def _dice_as_jaccard(probs, target, smooth=1.0):
    inter = (probs * target).sum()
    return 1 - (inter + smooth) / (probs.sum() + target.sum() - inter + smooth)


def _dice_per_image(probs, target, smooth=1.0):
    dims = tuple(range(1, probs.dim()))
    inter = (probs * target).sum(dims)
    return (1 - (2 * inter + smooth) / (probs.sum(dims) + target.sum(dims) + smooth)).mean()


def _dice_squared(probs, target, smooth=1.0):
    return 1 - (2 * (probs * target).sum() + smooth) / ((probs**2).sum() + (target**2).sum() + smooth)


def _dice_score(probs, target, smooth=1.0):
    return (2 * (probs * target).sum() + smooth) / (probs.sum() + target.sum() + smooth)


soft_dice = FunctionExercise(
    "soft_dice",
    reference=_soft_dice_reference,
    cases=_soft_dice_cases,
    mistakes=[
        Mistake(
            "score_not_loss",
            _dice_score,
            Text(
                "this is the Dice coefficient, 1 for a perfect prediction. The loss is 1 minus it.",
                "这是 Dice 系数，完美的预测得 1。损失是 1 减去它。",
            ),
        ),
        Mistake(
            "smooth_numerator_only",
            _dice_numerator_only,
            Text(
                "smooth goes in the numerator and in the denominator: then an empty prediction of an "
                "empty mask scores s / s = 1.",
                "平滑项要同时加在分子和分母上：这样空掩码上的空预测得分为 s / s = 1。",
            ),
        ),
        Mistake(
            "smooth_denominator_only",
            _dice_denominator_only,
            Text(
                "smooth in the denominator alone only keeps the division finite, and a perfect "
                "prediction no longer scores 1: add it to the numerator too.",
                "只加在分母上的平滑项只是让除法保持有限，完美的预测也不再得 1：分子上也要加。",
            ),
        ),
        Mistake(
            "no_factor_two",
            _dice_without_two,
            Text(
                "the intersection is counted twice in the numerator: 2 I, since P + G counts the common "
                "pixels twice too.",
                "分子中的交集要算两次，即 2 I，因为 P + G 也把共同的像素算了两次。",
            ),
        ),
        Mistake(
            "jaccard",
            _dice_as_jaccard,
            Text(
                "this is the Jaccard (IoU) loss, I over the union P + G − I. Dice divides 2 I by P + G.",
                "这是 Jaccard（IoU）损失，用 I 除以并集 P + G − I。Dice 是 2 I 除以 P + G。",
            ),
        ),
        Mistake(
            "per_image",
            _dice_per_image,
            Text(
                "this averages one Dice per image. The exercise sums over the batch and the pixels "
                "together: one score for the whole batch, as smp and lossbook do.",
                "这是先对每张图算一个 Dice 再求平均。练习要求在批量和像素上一起求和：整个批量只有一个"
                "得分，和 smp、lossbook 一样。",
            ),
        ),
        Mistake(
            "squared",
            _dice_squared,
            Text(
                "the squares p² + y² in the denominator are V-Net's variant. The exercise uses the plain "
                "sums P = Σ p and G = Σ y.",
                "分母中的平方 p² + y² 是 V-Net 的变体。练习用的是普通的和 P = Σ p、G = Σ y。",
            ),
        ),
    ],
    hint=Text(
        "I = Σ p y, P = Σ p, G = Σ y, each summed over every image and pixel. The loss is "
        "1 − (2 I + smooth) / (P + G + smooth).",
        "I = Σ p y，P = Σ p，G = Σ y，都在所有图像和像素上求和。损失是 "
        "1 − (2 I + smooth) / (P + G + smooth)。",
    ),
    explanation=Text(
        "The soft Dice loss replaces the sets by probabilities: I = Σ p y, P = Σ p, G = Σ y, summed over the "
        "whole batch, and the loss is 1 − (2 I + s) / (P + G + s). The smoothing term s in both places makes "
        "the empty prediction of an empty mask score 1 (loss 0) instead of 0 / 0, and it lowers the loss of "
        "small objects: on 4 pixels with p = 0.5 the loss is 0.333 without it and 0.286 with s = 1. smp and "
        "lossbook write the same score as (TP + s) / (TP + FP/2 + FN/2 + s), so their smooth is half the s "
        "of this form, and they give an absent class a loss of 0 whatever the prediction.",
        "软 Dice 损失把集合换成概率：I = Σ p y，P = Σ p，G = Σ y，在整个批量上求和，损失是 "
        "1 − (2 I + s) / (P + G + s)。两处都加的平滑项 s 让空掩码上的空预测得分为 1（损失 0），而不是 0 / 0；"
        "它也降低了小目标的损失：4 个像素、p = 0.5 时，不加平滑损失是 0.333，s = 1 时是 0.286。smp 和 "
        "lossbook 把同一个得分写成 (TP + s) / (TP + FP/2 + FN/2 + s)，所以它们的 smooth 是这里 s 的一半；"
        "并且对目标中不存在的类别，不论预测如何，损失都记为 0。",
    ),
    solution=my_soft_dice,
    coverage=Text(
        "smooth 0, 1 and 10, a 4-pixel object, an empty image in the batch, an empty mask, float32",
        "smooth 为 0、1、10，4 像素的目标，批量中有空图，空掩码，float32",
    ),
)


# -- Exercise: Tversky, and alpha = beta = 0.5 is Dice ----------------------------------------------


def my_tversky(probs, target, alpha=0.5, beta=0.5):
    tp = (probs * target).sum()
    fp = (probs * (1 - target)).sum()  # predicted, but not in the target
    fn = ((1 - probs) * target).sum()  # in the target, but not predicted
    return 1 - tp / (tp + alpha * fp + beta * fn)


def _tversky_reference(probs, target, alpha=0.5, beta=0.5):
    return lossbook.tversky_loss(
        probs, target, mode="binary", from_logits=False, alpha=alpha, beta=beta, eps=1e-300
    )


def _tversky_cases(g):
    def case(alpha, beta, en, zh, dtype=torch.float64, shape=(2, 8, 8)):
        return Case(
            (_probs(g, shape, dtype), _mask(g, shape, dtype=dtype)),
            {"alpha": alpha, "beta": beta},
            Text(en, zh),
        )

    return [
        case(0.5, 0.5, "alpha = beta = 0.5: the Dice loss", "alpha = beta = 0.5：即 Dice 损失"),
        case(0.3, 0.7, "alpha = 0.3, beta = 0.7: misses cost more", "alpha = 0.3，beta = 0.7：漏报代价更高"),
        case(
            0.7,
            0.3,
            "alpha = 0.7, beta = 0.3: false alarms cost more",
            "alpha = 0.7，beta = 0.3：误报代价更高",
        ),
        case(1.0, 1.0, "alpha = beta = 1: the Jaccard loss", "alpha = beta = 1：即 Jaccard 损失"),
        case(0.2, 0.9, "float64, a 3-D volume", "float64，三维体数据", shape=(2, 4, 5, 6)),
        case(0.3, 0.7, "float32", "float32", dtype=torch.float32),
    ]


def _tversky_swapped(probs, target, alpha=0.5, beta=0.5):
    return _tversky_reference(probs, target, alpha=beta, beta=alpha)


def _tversky_dice_always(probs, target, alpha=0.5, beta=0.5):
    return _tversky_reference(probs, target, 0.5, 0.5)


def _tversky_index(probs, target, alpha=0.5, beta=0.5):
    return 1 - _tversky_reference(probs, target, alpha, beta)


def _tversky_without_tp(probs, target, alpha=0.5, beta=0.5):
    tp = (probs * target).sum()
    fp = (probs * (1 - target)).sum()
    fn = ((1 - probs) * target).sum()
    return 1 - tp / (alpha * fp + beta * fn)


tversky = FunctionExercise(
    "tversky",
    reference=_tversky_reference,
    cases=_tversky_cases,
    mistakes=[
        Mistake(
            "index_not_loss",
            _tversky_index,
            Text(
                "this is the Tversky index, 1 for a perfect prediction. The loss is 1 minus it.",
                "这是 Tversky 指数，完美的预测得 1。损失是 1 减去它。",
            ),
        ),
        Mistake(
            "swapped",
            _tversky_swapped,
            Text(
                "alpha weighs the false positives (Σ p (1 − y)) and beta the false negatives "
                "(Σ (1 − p) y); yours are the other way round.",
                "alpha 是假阳性（Σ p (1 − y)）的权重，beta 是假阴性（Σ (1 − p) y）的权重；你的正好反了。",
            ),
        ),
        Mistake(
            "dice_always",
            _tversky_dice_always,
            Text(
                "this is the Dice loss whatever alpha and beta are: use them to weigh FP and FN.",
                "不论 alpha、beta 取什么，这都是 Dice 损失：要用它们给 FP 和 FN 加权。",
            ),
        ),
        Mistake(
            "no_tp_in_denominator",
            _tversky_without_tp,
            Text(
                "the denominator keeps TP: TP + alpha FP + beta FN, so that the index is at most 1.",
                "分母中要保留 TP：TP + alpha FP + beta FN，这样指数才不超过 1。",
            ),
        ),
    ],
    hint=Text(
        "TP = Σ p y, FP = Σ p (1 − y), FN = Σ (1 − p) y, over every image and pixel; the loss is "
        "1 − TP / (TP + alpha FP + beta FN).",
        "TP = Σ p y，FP = Σ p (1 − y)，FN = Σ (1 − p) y，在所有图像和像素上求和；损失是 "
        "1 − TP / (TP + alpha FP + beta FN)。",
    ),
    explanation=Text(
        "With TP = Σ p y, FP = Σ p (1 − y) and FN = Σ (1 − p) y, P + G = 2 TP + FP + FN, so the Dice score "
        "2 TP / (P + G) is TP / (TP + FP/2 + FN/2): the "
        "Tversky index at alpha = beta = 0.5. alpha = beta = 1 "
        "gives TP / (TP + FP + FN), the Jaccard index. beta > alpha makes a missed pixel cost more than a "
        "false alarm, which favors recall.",
        "记 TP = Σ p y，FP = Σ p (1 − y)，FN = Σ (1 − p) y，则 P + G = 2 TP + FP + FN，Dice 得分 "
        "2 TP / (P + G) 就是 TP / (TP + FP/2 + FN/2)：alpha = beta = 0.5 时的 Tversky 指数。alpha = beta = 1 "
        "时是 TP / (TP + FP + FN)，即 Jaccard 指数。beta > alpha 让漏掉一个像素比误报一个像素代价更高，"
        "从而偏向召回率。",
    ),
    solution=my_tversky,
    coverage=Text(
        "alpha = beta = 0.5 (Dice) and 1 (Jaccard), both orders of the trade-off, a 3-D volume, float32",
        "alpha = beta = 0.5（Dice）与 1（Jaccard）、两个方向的取舍、三维体数据、float32",
    ),
)


# -- Exercise: GIoU of two disjoint boxes -----------------------------------------------------------

#: The boxes of the exercise (x1, y1, x2, y2), as in the chapter's gradient example.
GIOU_BOXES = ((0.0, 0.0, 2.0, 2.0), (3.0, 0.0, 5.0, 2.0))

giou_disjoint = AnswerExercise(
    "giou_disjoint",
    answer=1.2,
    rel_tol=1e-3,
    mistakes=[
        (
            1.0,
            Text(
                "1 is the IoU loss of the two boxes. GIoU adds the share of the enclosing box that the union "
                "leaves empty.",
                "1 是这两个框的 IoU 损失。GIoU 还要加上外接框中没有被并集填满的比例。",
            ),
        ),
        (
            0.2,
            Text(
                "0.2 is the penalty (|C| − |U|) / |C| alone; the loss is 1 − IoU plus the penalty.",
                "0.2 只是惩罚项 (|C| − |U|) / |C|；损失是 1 − IoU 再加上惩罚项。",
            ),
        ),
        (
            1.25,
            Text(
                "the empty part of the enclosing box is divided by the area of the enclosing box C (10), "
                "not by the union (8).",
                "外接框中空出的部分要除以外接框 C 的面积（10），而不是并集（8）。",
            ),
        ),
        (
            -0.2,
            Text(
                "−0.2 is GIoU itself, IoU − (|C| − |U|) / |C|. The loss is 1 − GIoU.",
                "−0.2 是 GIoU 本身，即 IoU − (|C| − |U|) / |C|。损失是 1 − GIoU。",
            ),
        ),
    ],
    hint=Text(
        "the boxes do not overlap, so IoU = 0. The union has area 4 + 4; the smallest box C that "
        "contains both is (0, 0, 5, 2). The loss is 1 − IoU + (|C| − |U|) / |C|.",
        "两个框不重叠，所以 IoU = 0。并集面积是 4 + 4；包含两者的最小框 C 是 (0, 0, 5, 2)。"
        "损失是 1 − IoU + (|C| − |U|) / |C|。",
    ),
    why=Text(
        "IoU = 0, |U| = 8, |C| = 10, so the loss is 1 − 0 + 2/10 = 1.2. It grows as the boxes move "
        "apart, which gives the gradient the IoU loss lacks.",
        "IoU = 0，|U| = 8，|C| = 10，所以损失是 1 − 0 + 2/10 = 1.2。两个框离得越远它越大，"
        "这就提供了 IoU 损失所缺少的梯度。",
    ),
    explanation=Text(
        "Answer 1.2. The boxes (0, 0, 2, 2) and (3, 0, 5, 2) do not overlap: IoU = 0 and the IoU loss is 1, "
        "the same wherever the boxes are. The union has area 4 + 4 = 8. The enclosing box (0, 0, 5, 2) has "
        "area 10, of which 2 (the gap between the boxes) is empty. GIoU = IoU − (|C| − |U|) / |C| = −0.2, "
        "and the loss 1 − GIoU = 1.2. Moving the boxes apart widens the gap and raises the loss, so its "
        "gradient points the boxes toward each other.",
        "答案是 1.2。框 (0, 0, 2, 2) 与 (3, 0, 5, 2) 不重叠：IoU = 0，IoU 损失为 1，不论两个框在哪里都一样。"
        "并集面积 4 + 4 = 8。外接框 (0, 0, 5, 2) 面积为 10，其中 2（两框之间的空隙）是空的。"
        "GIoU = IoU − (|C| − |U|) / |C| = −0.2，损失 1 − GIoU = 1.2。把两个框拉开，空隙变大，损失升高，"
        "所以它的梯度让两个框相互靠近。",
    ),
    solution="""\
inter = 0.0  # the boxes do not overlap
union = 2 * 2 + 2 * 2 - inter
enclosing = (5 - 0) * (2 - 0)
print(1 - inter / union + (enclosing - union) / enclosing)  # 1.2""",
)


# -- Exercise: the DIoU penalty ----------------------------------------------------------------------


def my_diou_penalty(boxes1, boxes2):
    # squared distance between the centers
    dx = (boxes1[..., 0] + boxes1[..., 2] - boxes2[..., 0] - boxes2[..., 2]) / 2
    dy = (boxes1[..., 1] + boxes1[..., 3] - boxes2[..., 1] - boxes2[..., 3]) / 2
    # squared diagonal of the smallest box that contains both
    cw = torch.max(boxes1[..., 2], boxes2[..., 2]) - torch.min(boxes1[..., 0], boxes2[..., 0])
    ch = torch.max(boxes1[..., 3], boxes2[..., 3]) - torch.min(boxes1[..., 1], boxes2[..., 1])
    return (dx**2 + dy**2) / (cw**2 + ch**2)


def _diou_penalty_reference(boxes1, boxes2):
    """DIoU loss minus IoU loss, both from lossbook with eps = 0: what DIoU adds."""
    diou = lossbook.distance_box_iou_loss(boxes1, boxes2, eps=1e-300)
    return diou - lossbook.box_iou_loss(boxes1, boxes2, eps=1e-300)


def _random_boxes(g, n, dtype=torch.float64, spread=10.0):
    corner = spread * torch.rand(n, 2, generator=g, dtype=torch.float64)
    size = 0.5 + 5 * torch.rand(n, 2, generator=g, dtype=torch.float64)
    return torch.cat([corner, corner + size], -1).to(dtype)


def _diou_penalty_cases(g):
    def case(b1, b2, en, zh):
        return Case((b1, b2), label=Text(en, zh), grad=(0, 1))

    inner = torch.tensor([[0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 3.0, 5.0]], dtype=torch.float64)
    contained = torch.tensor([[2.5, 2.5, 3.5, 3.5], [1.5, 2.0, 2.5, 3.0]], dtype=torch.float64)
    return [
        case(_random_boxes(g, 6), _random_boxes(g, 6), "float64, 6 pairs of boxes", "float64，6 对框"),
        case(
            torch.tensor([0.0, 0.0, 2.0, 2.0], dtype=torch.float64),
            torch.tensor([3.0, 0.0, 5.0, 2.0], dtype=torch.float64),
            "the chapter's two boxes apart",
            "本章中两个分开的框",
        ),
        case(inner, contained, "one box inside the other", "一个框在另一个之内"),
        case(
            _random_boxes(g, 6).reshape(2, 3, 4),
            _random_boxes(g, 6).reshape(2, 3, 4),
            "float64, boxes of shape (2, 3, 4)",
            "float64，形状为 (2, 3, 4) 的框",
        ),
        case(_random_boxes(g, 5, torch.float32), _random_boxes(g, 5, torch.float32), "float32", "float32"),
    ]


def _penalty_corners(boxes1, boxes2):
    d = (boxes1[..., :2] - boxes2[..., :2]).pow(2).sum(-1)
    cw = torch.max(boxes1[..., 2], boxes2[..., 2]) - torch.min(boxes1[..., 0], boxes2[..., 0])
    ch = torch.max(boxes1[..., 3], boxes2[..., 3]) - torch.min(boxes1[..., 1], boxes2[..., 1])
    return d / (cw**2 + ch**2)


def _penalty_not_squared(boxes1, boxes2):
    return my_diou_penalty(boxes1, boxes2).sqrt()


def _penalty_area(boxes1, boxes2):
    dx = (boxes1[..., 0] + boxes1[..., 2] - boxes2[..., 0] - boxes2[..., 2]) / 2
    dy = (boxes1[..., 1] + boxes1[..., 3] - boxes2[..., 1] - boxes2[..., 3]) / 2
    cw = torch.max(boxes1[..., 2], boxes2[..., 2]) - torch.min(boxes1[..., 0], boxes2[..., 0])
    ch = torch.max(boxes1[..., 3], boxes2[..., 3]) - torch.min(boxes1[..., 1], boxes2[..., 1])
    return (dx**2 + dy**2) / (cw * ch)


def _penalty_target_diagonal(boxes1, boxes2):
    dx = (boxes1[..., 0] + boxes1[..., 2] - boxes2[..., 0] - boxes2[..., 2]) / 2
    dy = (boxes1[..., 1] + boxes1[..., 3] - boxes2[..., 1] - boxes2[..., 3]) / 2
    w, h = boxes2[..., 2] - boxes2[..., 0], boxes2[..., 3] - boxes2[..., 1]
    return (dx**2 + dy**2) / (w**2 + h**2)


diou_penalty = FunctionExercise(
    "diou_penalty",
    reference=_diou_penalty_reference,
    cases=_diou_penalty_cases,
    mistakes=[
        Mistake(
            "corners",
            _penalty_corners,
            Text(
                "DIoU measures the distance between the centers, ((x1 + x2) / 2, (y1 + y2) / 2), "
                "not between the top-left corners.",
                "DIoU 度量的是两个中心 ((x1 + x2) / 2, (y1 + y2) / 2) 之间的距离，而不是左上角之间的距离。",
            ),
        ),
        Mistake(
            "not_squared",
            _penalty_not_squared,
            Text(
                "the penalty is the squared distance over the squared diagonal, ρ² / c², not ρ / c.",
                "惩罚项是距离的平方除以对角线的平方，ρ² / c²，而不是 ρ / c。",
            ),
        ),
        Mistake(
            "area",
            _penalty_area,
            Text(
                "c² is the squared diagonal of the enclosing box, w_C² + h_C², not its area w_C h_C.",
                "c² 是外接框对角线的平方 w_C² + h_C²，而不是它的面积 w_C h_C。",
            ),
        ),
        Mistake(
            "target_diagonal",
            _penalty_target_diagonal,
            Text(
                "the diagonal is the one of the smallest box that contains both boxes, not of the target.",
                "对角线是包含两个框的最小框的对角线，而不是目标框的对角线。",
            ),
        ),
    ],
    hint=Text(
        "ρ² = the squared distance between the two centers; c² = w_C² + h_C² for the smallest box C "
        "that contains both, w_C = max(x2) − min(x1), h_C = max(y2) − min(y1). Return ρ² / c² per pair.",
        "ρ² 是两个中心之间距离的平方；c² = w_C² + h_C²，C 是包含两个框的最小框，w_C = max(x2) − min(x1)，"
        "h_C = max(y2) − min(y1)。对每一对框返回 ρ² / c²。",
    ),
    explanation=Text(
        "DIoU adds ρ² / c² to the IoU loss: the squared distance between the centers over the squared "
        "diagonal of the enclosing box. It is 0 when the centers coincide, below 1 always, and it does "
        "not depend on the scale of the boxes. Unlike GIoU's penalty it is not 0 when one box contains "
        "the other, so the centers keep moving toward each other. The checker takes lossbook's DIoU loss "
        "minus its IoU loss.",
        "DIoU 在 IoU 损失上加上 ρ² / c²：两中心距离的平方除以外接框对角线的平方。中心重合时它为 0，"
        "始终小于 1，而且与框的尺度无关。和 GIoU 的惩罚项不同，一个框包含另一个时它不为 0，"
        "所以两个中心会继续靠近。检查器用 lossbook 的 DIoU 损失减去 IoU 损失作为参考。",
    ),
    solution=my_diou_penalty,
    coverage=Text(
        "boxes apart, one inside the other, any leading shape, float32",
        "分开的框、一个框在另一个之内、任意前导形状、float32",
    ),
)


# -- Exercise: the Lovász gradient on three pixels ---------------------------------------------------

#: Three pixels: their ground truth and their errors m (pixel 3 is background).
LOVASZ_TRUTH = (1, 1, 0)
LOVASZ_ERRORS = (0.6, 0.1, 0.4)


def _lovasz_increment_of_pixel_3():
    order = sorted(range(3), key=lambda i: -LOVASZ_ERRORS[i])
    foreground = sum(LOVASZ_TRUTH)
    previous, inter, union = 0.0, foreground, foreground
    for i in order:
        inter -= LOVASZ_TRUTH[i]
        union += 1 - LOVASZ_TRUTH[i]
        now = 1 - inter / union
        if i == 2:
            return now - previous
        previous = now
    raise AssertionError("pixel 3 is among the pixels")


lovasz_gradient = AnswerExercise(
    "lovasz_gradient",
    answer=round(_lovasz_increment_of_pixel_3(), 3),
    rel_tol=5e-3,
    mistakes=[
        (
            0.667,
            Text(
                "2/3 is the Jaccard loss of the set {pixel 1, pixel 3}. The derivative is the increment: "
                "that loss minus the loss of the set before pixel 3 entered.",
                "2/3 是集合 {像素 1, 像素 3} 的 Jaccard "
                "损失。导数是增量：这个损失减去像素 3 加入之前那个集合的损失。",
            ),
        ),
        (
            0.0,
            Text(
                "a false positive enlarges the union: after pixel 1 the union is 2, after pixel 3 it is 3, "
                "so the Jaccard loss goes from 1/2 to 2/3.",
                "假阳性会让并集变大：加入像素 1 后并集是 2，加入像素 3 "
                "后是 3，所以 Jaccard 损失从 1/2 变成 2/3。",
            ),
        ),
        (
            0.333,
            Text(
                "1/3 is the Jaccard loss of pixel 3 alone. The "
                "pixels enter in the order of decreasing error: "
                "pixel 1 (0.6) comes before pixel 3 (0.4).",
                "1/3 是只有像素 3 错时的 Jaccard 损失。"
                "像素按误差从大到小依次加入：像素 1（0.6）在像素 3（0.4）之前。",
            ),
        ),
        (
            0.5,
            Text(
                "1/2 is the increment of the first pixel in the order, pixel 1. Pixel 3 comes second.",
                "1/2 是排在第一位的像素 1 的增量。像素 3 排在第二位。",
            ),
        ),
    ],
    hint=Text(
        "sort the errors in decreasing order: pixel 1 (0.6), pixel 3 (0.4), pixel 2 (0.1). Add the pixels "
        "one by one and compute the Jaccard loss 1 − |intersection| / |union| of the mispredicted set "
        "each time. The derivative for pixel 3 is the change when it enters.",
        "把误差从大到小排序：像素 1（0.6）、像素 3（0.4）、"
        "像素 2（0.1）。依次加入像素，每次计算预测错的集合的 "
        "Jaccard 损失 1 − |交集| / |并集|。像素 3 的导数就是它加入时损失的变化。",
    ),
    why=Text(
        "with pixel 1 wrong the loss is 1 − 1/2 = 1/2; adding the false positive pixel 3 makes it "
        "1 − 1/3 = 2/3. The increment, 1/6, is the weight of m3 in the extension, and its derivative.",
        "像素 1 错时损失是 1 − 1/2 = 1/2；再加上假阳性像素 3，损失变成 1 − 1/3 = 2/3。增量 1/6 就是 m3 "
        "在扩展中的系数，也就是它的导数。",
    ),
    explanation=Text(
        "Answer 1/6 ≈ 0.167. The extension is linear where the order of the errors is fixed: "
        "m1 Δ({1}) + m3 (Δ({1, 3}) − Δ({1})) + m2 (Δ({1, 3, 2}) − Δ({1, 3})). Two pixels are foreground. "
        "Δ({1}) = 1 − 1/2 = 1/2 (one of two foreground pixels kept, union 2); Δ({1, 3}) = 1 − 1/3 = 2/3 (the "
        "false positive adds to the union); Δ({1, 3, 2}) = 1. The coefficients are 1/2, 1/6 and 1/3, so "
        "the derivative with respect to m3 is 1/6 and the loss is 0.6/2 + 0.4/6 + 0.1/3 = 0.4.",
        "答案是 1/6 ≈ 0.167。误差顺序固定时扩展是线性的："
        "m1 Δ({1}) + m3 (Δ({1, 3}) − Δ({1})) + m2 (Δ({1, 3, 2}) − Δ({1, 3}))。有两个前景像素。"
        "Δ({1}) = 1 − 1/2 = 1/2（两个前景像素保住一个，并集为 "
        "2）；Δ({1, 3}) = 1 − 1/3 = 2/3（假阳性让并集变大）；"
        "Δ({1, 3, 2}) = 1。系数依次是 1/2、1/6、1/3，所以对 m3 "
        "的导数是 1/6，损失是 0.6/2 + 0.4/6 + 0.1/3 = 0.4。",
    ),
    solution="""\
truth = [1, 1, 0]
errors = [0.6, 0.1, 0.4]
order = sorted(range(3), key=lambda i: -errors[i])  # pixel 1, pixel 3, pixel 2
inter = union = sum(truth)
previous = 0.0
for i in order:
    inter -= truth[i]  # a missed foreground pixel leaves the intersection
    union += 1 - truth[i]  # a false positive joins the union
    loss = 1 - inter / union
    print(f"pixel {i + 1}: increment {loss - previous:.3f}")  # pixel 3: 0.167
    previous = loss""",
)
