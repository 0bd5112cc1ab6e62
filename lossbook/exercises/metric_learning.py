"""Exercises of the metric-learning chapter.

>>> from lossbook.exercises import metric_learning as ex
>>> result = ex.contrastive.check(None)  # prints the message
✗ Not yet: ex.contrastive(...) returned None. Write its body and run the cell again.
  ex.contrastive.hint() gives a hint and ex.contrastive.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import math

import torch

import lossbook

from ..validation import reduce as _reduce
from ._exercise import AnswerExercise, Case, Mistake
from ._function import FunctionExercise
from ._messages import Text

__all__ = [
    "contrastive",
    "triplet",
    "triplet_grad",
    "margin_ranking",
    "count_triplets",
    "center_alone",
    "arcface_jump",
]


def _distance(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Row-wise Euclidean distances; torch's norm has the subgradient 0 at a zero difference."""
    return torch.linalg.vector_norm(u - v, dim=1)


def _embeddings(g: torch.Generator, n: int, d: int, scale: float, dtype: torch.dtype) -> torch.Tensor:
    return (torch.randn(n, d, generator=g, dtype=torch.float64) * scale).to(dtype)


# Value and gradient tolerances of the float64 cases of the distance-based exercises: loose enough
# for torch.nn.functional.pairwise_distance, which adds eps = 1e-6 to the difference, far tighter
# than any of the mistakes.
_LOOSE = {"rtol": 1e-6, "atol": 1e-5}

_SQRT_HINT = Text(
    "the derivative of √s is 1/(2√s), infinite at s = 0, and autograd multiplies it by 0: nan. "
    "Two identical embeddings (distance 0) are common in a batch. torch.linalg.vector_norm(x1 - x2, "
    "dim=1) (or .norm(dim=1)) gives the subgradient 0 there; (x1 - x2).pow(2).sum(1).sqrt() does not.",
    "√s 的导数是 1/(2√s)，在 s = 0 处为无穷大，autograd 再乘以 0 就得到 nan。"
    "批次中两个嵌入完全相同（距离为 0）的情况很常见。torch.linalg.vector_norm(x1 - x2, dim=1)"
    "（或 .norm(dim=1)）在那里给出次梯度 0；(x1 - x2).pow(2).sum(1).sqrt() 则不会。",
)


# -- Exercise: the contrastive loss -----------------------------------------------------------------


def my_contrastive(x1, x2, target, margin=1.0, reduction="mean"):
    d = torch.linalg.vector_norm(x1 - x2, dim=1)  # its gradient at d = 0 is 0, not nan
    y = target.to(d.dtype)  # 1: similar pair, 0: dissimilar pair
    loss = 0.5 * y * d**2 + 0.5 * (1 - y) * torch.clamp(margin - d, min=0) ** 2
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _contrastive_reference(x1, x2, target, margin=1.0, reduction="mean"):
    return lossbook.contrastive_loss(x1, x2, target, margin=margin, reduction=reduction)


def _contrastive_parts(x1, x2, target):
    return _distance(x1, x2), target.to(x1.dtype)


def _contrastive_without_half(x1, x2, target, margin=1.0, reduction="mean"):
    d, y = _contrastive_parts(x1, x2, target)
    return _reduce(y * d**2 + (1 - y) * (margin - d).clamp_min(0) ** 2, reduction)


def _contrastive_swapped(x1, x2, target, margin=1.0, reduction="mean"):
    d, y = _contrastive_parts(x1, x2, target)
    return _reduce(0.5 * (1 - y) * d**2 + 0.5 * y * (margin - d).clamp_min(0) ** 2, reduction)


def _contrastive_hinge_not_squared(x1, x2, target, margin=1.0, reduction="mean"):
    d, y = _contrastive_parts(x1, x2, target)
    return _reduce(0.5 * y * d**2 + 0.5 * (1 - y) * (margin - d).clamp_min(0), reduction)


def _contrastive_no_clamp(x1, x2, target, margin=1.0, reduction="mean"):
    d, y = _contrastive_parts(x1, x2, target)
    return _reduce(0.5 * y * d**2 + 0.5 * (1 - y) * (margin - d) ** 2, reduction)


def _contrastive_hinge_on_squares(x1, x2, target, margin=1.0, reduction="mean"):
    d, y = _contrastive_parts(x1, x2, target)
    return _reduce(0.5 * y * d**2 + 0.5 * (1 - y) * (margin - d**2).clamp_min(0) ** 2, reduction)


def _contrastive_cases(g):
    y6 = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    cases = []
    for reduction in ("none", "mean", "sum"):
        x1, x2 = _embeddings(g, 6, 3, 0.4, torch.float64), _embeddings(g, 6, 3, 0.4, torch.float64)
        cases.append(
            Case(
                (x1, x2, y6),
                {"margin": 1.0, "reduction": reduction},
                Text("float64, float targets", "float64，浮点标签"),
                grad=(0, 1),
                **_LOOSE,
            )
        )
    x1, x2 = _embeddings(g, 8, 4, 0.8, torch.float64), _embeddings(g, 8, 4, 0.8, torch.float64)
    y8 = torch.tensor([0, 1, 0, 0, 1, 0, 1, 0])
    cases.append(
        Case(
            (x1, x2, y8),
            {"margin": 2.0, "reduction": "none"},
            Text("float64, integer targets, margin 2", "float64，整数标签，间隔 2"),
            grad=(0, 1),
            **_LOOSE,
        )
    )
    # Similar pairs at distance 0 (duplicates), compared with their gradient: a naive sqrt gives nan.
    x1 = _embeddings(g, 5, 3, 0.6, torch.float64)
    x2 = torch.cat([x1[:2], _embeddings(g, 3, 3, 0.6, torch.float64)])
    y5 = torch.tensor([1.0, 1.0, 0.0, 1.0, 0.0])
    cases.append(
        Case(
            (x1, x2, y5),
            {"margin": 1.0, "reduction": "sum"},
            Text("float64, two similar pairs of identical embeddings", "float64，两个嵌入完全相同的相似对"),
            grad=(0, 1),
            **_LOOSE,
        )
    )
    x1, x2 = _embeddings(g, 6, 3, 0.6, torch.float32), _embeddings(g, 6, 3, 0.6, torch.float32)
    cases.append(Case((x1, x2, y6.float()), {"margin": 1.0, "reduction": "mean"}, Text("float32", "float32")))
    # Dissimilar pairs at distance 0 (a collapsed embedding): values only, the gradient is a subgradient.
    x1 = _embeddings(g, 4, 3, 0.6, torch.float32)
    x2 = torch.cat([x1[:2], _embeddings(g, 2, 3, 0.6, torch.float32)])
    cases.append(
        Case(
            (x1, x2, torch.tensor([0, 0, 1, 0])),
            {"margin": 1.0, "reduction": "none"},
            Text("float32, dissimilar pairs of identical embeddings", "float32，嵌入完全相同的不相似对"),
            grad=(),
        )
    )
    x1, x2 = _embeddings(g, 4, 3, 1e3, torch.float32), _embeddings(g, 4, 3, 1e3, torch.float32)
    cases.append(
        Case(
            (x1, x2, torch.tensor([1, 0, 1, 0])),
            {"margin": 1.0, "reduction": "none"},
            Text("float32, distances of about 1e3", "float32，距离约为 1e3"),
            grad=(),
        )
    )
    return cases


contrastive = FunctionExercise(
    "contrastive",
    reference=_contrastive_reference,
    cases=_contrastive_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "missing_half",
            _contrastive_without_half,
            Text(
                "this is twice the contrastive loss: both terms carry a factor ½, ½·y·d² + ½·(1 − y)·max(0, "
                "m − d)².",
                "这是对比损失的两倍：两项都带因子 ½，即 ½·y·d² + ½·(1 − y)·max(0, m − d)²。",
            ),
        ),
        Mistake(
            "labels_swapped",
            _contrastive_swapped,
            Text(
                "the labels are swapped: here target 1 means a similar pair, pulled together by ½d². "
                "(The 2006 paper writes Y = 0 for similar pairs; lossbook, like most libraries, uses 1.)",
                "标签用反了：这里 target 为 1 表示相似对，用 ½d² 拉近。"
                "（2006 年的论文用 Y = 0 表示相似对；lossbook 与多数库一样用 1。）",
            ),
        ),
        Mistake(
            "hinge_not_squared",
            _contrastive_hinge_not_squared,
            Text(
                "square the hinge: a dissimilar pair costs ½·max(0, m − d)², not ½·max(0, m − d).",
                "合页项要平方：不相似对的代价是 ½·max(0, m − d)²，而不是 ½·max(0, m − d)。",
            ),
        ),
        Mistake(
            "no_clamp",
            _contrastive_no_clamp,
            Text(
                "a dissimilar pair farther than the margin must cost nothing: take max(0, m − d) before "
                "squaring; (m − d)² pulls far-apart pairs back to distance m.",
                "距离超过间隔的不相似对不应有代价：先取 max(0, m − d) 再平方；"
                "(m − d)² 会把本已分得很开的对拉回到距离 m。",
            ),
        ),
        Mistake(
            "hinge_on_squared_distance",
            _contrastive_hinge_on_squares,
            Text(
                "the hinge compares the distance d with the margin, max(0, m − d), not the squared distance "
                "d².",
                "合页项比较的是距离 d 与间隔 m，即 max(0, m − d)，而不是平方距离 d²。",
            ),
        ),
    ],
    unstable_hint=_SQRT_HINT,
    hint=Text(
        "with d = ‖x1 − x2‖ per row (torch.linalg.vector_norm(x1 - x2, dim=1)) and y = target, "
        "the loss is ½·y·d² + ½·(1 − y)·max(0, m − d)²; torch.clamp(m - d, min=0) is the max, then "
        "apply the reduction.",
        "对每一行令 d = ‖x1 − x2‖（torch.linalg.vector_norm(x1 - x2, dim=1)），y = target，"
        "损失为 ½·y·d² + ½·(1 − y)·max(0, m − d)²；max 用 torch.clamp(m - d, min=0)，最后按 reduction 归约。",
    ),
    explanation=Text(
        "A similar pair (y = 1) is pulled together by the spring ½d²; a dissimilar pair (y = 0) is "
        "pushed apart by ½·max(0, m − d)² only while it is closer than the margin. The distance goes "
        "through torch.linalg.vector_norm, whose gradient at d = 0 is the subgradient 0: identical "
        "embeddings do not turn the gradient into nan.",
        "相似对（y = 1）被弹簧 ½d² 拉近；不相似对（y = 0）只在距离小于间隔时才被 "
        "½·max(0, m − d)² 推开。距离用 torch.linalg.vector_norm 计算，它在 d = 0 处的梯度是次梯度 0："
        "完全相同的嵌入不会让梯度变成 nan。",
    ),
    solution=my_contrastive,
    coverage=Text(
        "float32 and float64, float and integer targets, margins 1 and 2, every reduction, pairs at "
        "distance 0, the gradient",
        "float32 与 float64、浮点与整数标签、间隔 1 与 2、所有 reduction、距离为 0 的对、梯度",
    ),
)


# -- Exercise: the triplet margin loss --------------------------------------------------------------


def my_triplet(anchor, positive, negative, margin=1.0, reduction="mean"):
    d_ap = torch.linalg.vector_norm(anchor - positive, dim=1)  # (N,)
    d_an = torch.linalg.vector_norm(anchor - negative, dim=1)  # (N,)
    loss = torch.clamp(d_ap - d_an + margin, min=0)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _triplet_reference(anchor, positive, negative, margin=1.0, reduction="mean"):
    return lossbook.triplet_margin_loss(
        anchor, positive, negative, margin=margin, eps=0.0, reduction=reduction
    )


def _triplet_no_hinge(anchor, positive, negative, margin=1.0, reduction="mean"):
    return _reduce(_distance(anchor, positive) - _distance(anchor, negative) + margin, reduction)


def _triplet_squared(anchor, positive, negative, margin=1.0, reduction="mean"):
    return lossbook.triplet_margin_loss(
        anchor, positive, negative, margin=margin, squared=True, reduction=reduction
    )


def _triplet_swapped(anchor, positive, negative, margin=1.0, reduction="mean"):
    return _reduce(
        (_distance(anchor, negative) - _distance(anchor, positive) + margin).clamp_min(0), reduction
    )


def _triplet_broadcast(anchor, positive, negative, margin=1.0, reduction="mean"):
    d_ap = _distance(anchor, positive)
    d_an = _distance(anchor, negative).unsqueeze(1)  # (N, 1): broadcast against (N,) gives (N, N)
    return _reduce((d_ap - d_an + margin).clamp_min(0), reduction)


def _triplet_cases(g):
    cases = []
    for reduction in ("none", "mean", "sum"):
        a, p, n = (_embeddings(g, 6, 3, 0.6, torch.float64) for _ in range(3))
        cases.append(
            Case(
                (a, p, n),
                {"margin": 0.5, "reduction": reduction},
                Text("float64, margin 0.5", "float64，间隔 0.5"),
                grad=(0, 1, 2),
                **_LOOSE,
            )
        )
    a, p, n = (_embeddings(g, 8, 4, 0.8, torch.float64) for _ in range(3))
    cases.append(
        Case(
            (a, p, n),
            {"margin": 1.0, "reduction": "none"},
            Text("float64, 8 triplets", "float64，8 个三元组"),
            grad=(0, 1, 2),
            **_LOOSE,
        )
    )
    # Positives identical to their anchor, negatives far away: zero loss, and a zero gradient
    # (a naive sqrt gives nan: the clamp's zero gradient times sqrt's infinite one).
    a = _embeddings(g, 4, 3, 0.6, torch.float64)
    p = torch.cat([a[:2], _embeddings(g, 2, 3, 0.6, torch.float64)])
    n = a + torch.tensor([3.0, 0.0, 0.0], dtype=torch.float64)
    cases.append(
        Case(
            (a, p, n),
            {"margin": 1.0, "reduction": "sum"},
            Text("float64, positives identical to their anchor", "float64，正样本与锚点完全相同"),
            grad=(0, 1, 2),
            **_LOOSE,
        )
    )
    a, p, n = (_embeddings(g, 6, 3, 0.6, torch.float32) for _ in range(3))
    cases.append(Case((a, p, n), {"margin": 1.0, "reduction": "mean"}, Text("float32", "float32")))
    # A negative on top of its anchor (a collapsed embedding): the most violated triplet.
    a, p = _embeddings(g, 4, 3, 0.6, torch.float32), _embeddings(g, 4, 3, 0.6, torch.float32)
    n = torch.cat([a[:2], _embeddings(g, 2, 3, 0.6, torch.float32)])
    cases.append(
        Case(
            (a, p, n),
            {"margin": 0.2, "reduction": "none"},
            Text("float32, negatives identical to their anchor", "float32，负样本与锚点完全相同"),
            grad=(),
        )
    )
    return cases


triplet = FunctionExercise(
    "triplet",
    reference=_triplet_reference,
    cases=_triplet_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "no_hinge",
            _triplet_no_hinge,
            Text(
                "the loss is max(0, d(a, p) − d(a, n) + m): without the max, a well-separated triplet "
                "gets a negative loss and keeps being pushed.",
                "损失是 max(0, d(a, p) − d(a, n) + m)：少了 max，分得很开的三元组会得到负的损失，"
                "并且一直被推动。",
            ),
        ),
        Mistake(
            "squared_distances",
            _triplet_squared,
            Text(
                "these are squared distances ‖a − p‖², the form of FaceNet and of the module in the "
                "overview 'Loss Functions'; the exercise (and torch's TripletMarginLoss) uses the distances "
                "themselves, ‖a − p‖.",
                "这里用的是平方距离 ‖a − p‖²，即综述《损失函数》中的模块和 FaceNet 的形式；本练习（以及 "
                "torch 的 TripletMarginLoss）用的是距离本身 ‖a − p‖。",
            ),
        ),
        Mistake(
            "swapped",
            _triplet_swapped,
            Text(
                "the two distances are swapped: the loss is positive while the negative is not farther "
                "than the positive by m, so it is d(a, p) − d(a, n) + m.",
                "两个距离写反了：当负样本没有比正样本远出 m 时损失为正，所以是 d(a, p) − d(a, n) + m。",
            ),
        ),
        Mistake(
            "broadcast",
            _triplet_broadcast,
            Text(
                "one distance has shape (N, 1) and the other (N,), so their difference is an (N, N) "
                "matrix: drop keepdim=True (or the unsqueeze) so that both are (N,).",
                "一个距离的形状是 (N, 1)，另一个是 (N,)，两者相减得到 (N, N) 矩阵："
                "去掉 keepdim=True（或 unsqueeze），让两者都是 (N,)。",
            ),
        ),
    ],
    unstable_hint=_SQRT_HINT,
    hint=Text(
        "compute the row-wise distances d(a, p) = ‖a − p‖ and d(a, n) = ‖a − n‖ with "
        "torch.linalg.vector_norm(..., dim=1), then max(0, d(a, p) − d(a, n) + m) with "
        "torch.clamp(..., min=0), then the reduction.",
        "用 torch.linalg.vector_norm(..., dim=1) 逐行计算 d(a, p) = ‖a − p‖ 和 d(a, n) = ‖a − n‖，"
        "再用 torch.clamp(..., min=0) 算 max(0, d(a, p) − d(a, n) + m)，最后归约。",
    ),
    explanation=Text(
        "Each triplet asks for d(a, n) ≥ d(a, p) + m; the hinge max(0, ·) makes satisfied triplets "
        "cost nothing. Both distances are (N,) vectors, one per triplet. torch.nn.functional."
        "triplet_margin_loss computes the same, with eps = 1e-6 added to each difference.",
        "每个三元组要求 d(a, n) ≥ d(a, p) + m；合页 max(0, ·) 让已满足的三元组代价为 0。"
        "两个距离都是形状为 (N,) 的向量，每个三元组一个值。torch.nn.functional.triplet_margin_loss "
        "算的是同一个量，只是在每个差上加了 eps = 1e-6。",
    ),
    solution=my_triplet,
    coverage=Text(
        "float32 and float64, margins 0.2, 0.5 and 1, every reduction, positives and negatives at "
        "distance 0, the gradient with respect to all three inputs",
        "float32 与 float64、间隔 0.2、0.5 与 1、所有 reduction、距离为 0 的正负样本、对三个输入的梯度",
    ),
)


# -- Exercise: the gradient of the triplet loss with respect to the negative ------------------------


def my_triplet_grad(anchor, positive, negative, margin=1.0):
    d_ap = torch.linalg.vector_norm(anchor - positive, dim=1)
    d_an = torch.linalg.vector_norm(anchor - negative, dim=1)
    active = (d_ap - d_an + margin > 0).to(anchor.dtype)  # the hinge passes the gradient
    # d d(a, n) / d n = (n - a) / ||n - a||, and the loss has - d(a, n)
    return active.unsqueeze(1) * (anchor - negative) / d_an.unsqueeze(1)


def _triplet_grad_reference(anchor, positive, negative, margin=1.0):
    negative = negative.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = lossbook.triplet_margin_loss(
            anchor, positive, negative, margin=margin, eps=0.0, reduction="sum"
        )
        (grad,) = torch.autograd.grad(loss, negative)
    return grad


def _triplet_grad_parts(anchor, positive, negative, margin):
    d_ap, d_an = _distance(anchor, positive), _distance(anchor, negative)
    return (d_ap - d_an + margin > 0).to(anchor.dtype).unsqueeze(1), d_an.unsqueeze(1)


def _triplet_grad_sign(anchor, positive, negative, margin=1.0):
    active, d_an = _triplet_grad_parts(anchor, positive, negative, margin)
    return active * (negative - anchor) / d_an


def _triplet_grad_everywhere(anchor, positive, negative, margin=1.0):
    return (anchor - negative) / _distance(anchor, negative).unsqueeze(1)


def _triplet_grad_unnormalized(anchor, positive, negative, margin=1.0):
    active, _ = _triplet_grad_parts(anchor, positive, negative, margin)
    return active * (anchor - negative)


def _triplet_grad_squared(anchor, positive, negative, margin=1.0):
    negative = negative.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = lossbook.triplet_margin_loss(
            anchor, positive, negative, margin=margin, squared=True, reduction="sum"
        )
        (grad,) = torch.autograd.grad(loss, negative)
    return grad


def _triplet_grad_mean(anchor, positive, negative, margin=1.0):
    return _triplet_grad_reference(anchor, positive, negative, margin) / anchor.shape[0]


def _triplet_grad_cases(g):
    cases = []
    for n_rows, dim, margin, dtype in (
        (6, 3, 0.5, torch.float64),
        (8, 5, 1.0, torch.float64),
        (6, 3, 0.5, torch.float32),
    ):
        a, p, n = (_embeddings(g, n_rows, dim, 0.6, dtype) for _ in range(3))
        label = Text(f"{str(dtype)[6:]}, margin {margin}", f"{str(dtype)[6:]}，间隔 {margin}")
        cases.append(Case((a, p, n), {"margin": margin}, label, grad=()))
    a, p, n = (_embeddings(g, 4, 2, 1e3, torch.float32) for _ in range(3))
    cases.append(
        Case(
            (a, p, n),
            {"margin": 1.0},
            Text("float32, distances of about 1e3", "float32，距离约为 1e3"),
            grad=(),
        )
    )
    return cases


triplet_grad = FunctionExercise(
    "triplet_grad",
    reference=_triplet_grad_reference,
    cases=_triplet_grad_cases,
    mistakes=[
        Mistake(
            "sign",
            _triplet_grad_sign,
            Text(
                "check the sign: the loss contains −d(a, n), so its gradient is −(n − a)/‖n − a‖ = "
                "(a − n)/‖a − n‖. Gradient descent moves n along −∂ℓ/∂n, away from the anchor.",
                "检查符号：损失里是 −d(a, n)，所以梯度为 −(n − a)/‖n − a‖ = (a − n)/‖a − n‖。"
                "梯度下降让 n 沿 −∂ℓ/∂n 移动，即远离锚点。",
            ),
        ),
        Mistake(
            "no_indicator",
            _triplet_grad_everywhere,
            Text(
                "where d(a, p) − d(a, n) + m ≤ 0 the hinge is flat and the gradient is 0: multiply by "
                "the indicator of an active triplet.",
                "当 d(a, p) − d(a, n) + m ≤ 0 时合页是平的，梯度为 0：要乘以“三元组仍然有效”的指示函数。",
            ),
        ),
        Mistake(
            "not_normalized",
            _triplet_grad_unnormalized,
            Text(
                "∂‖v‖/∂v = v/‖v‖, a unit vector: divide a − n by the distance ‖a − n‖ (unsquared "
                "distances push every active negative with a force of size 1).",
                "∂‖v‖/∂v = v/‖v‖ 是单位向量：要把 a − n 除以距离 ‖a − "
                "n‖（未平方的距离对每个有效的负样本施加大小为 1 的推力）。",
            ),
        ),
        Mistake(
            "squared",
            _triplet_grad_squared,
            Text(
                "this is the gradient of the loss on squared distances, 2(a − n); with the distances "
                "themselves it is (a − n)/‖a − n‖, and the hinge is tested on d, not d².",
                "这是平方距离形式的梯度 2(a − n)；用距离本身时梯度是 (a − n)/‖a − n‖，合页的判断也用 d "
                "而不是 d²。",
            ),
        ),
        Mistake(
            "mean",
            _triplet_grad_mean,
            Text(
                "this is the gradient of the mean over the N triplets; the exercise asks for the sum "
                "(each row is the gradient of its own triplet's loss).",
                "这是对 N 个三元组取平均后的梯度；本题要的是求和（每一行是它自己那个三元组损失的梯度）。",
            ),
        ),
    ],
    hint=Text(
        "only the term −d(a, n) depends on n, and ∂‖n − a‖/∂n = (n − a)/‖n − a‖; the hinge passes "
        "the gradient where d(a, p) − d(a, n) + m > 0 and blocks it elsewhere.",
        "只有 −d(a, n) 一项依赖 n，且 ∂‖n − a‖/∂n = (n − a)/‖n − a‖；合页在 d(a, p) − d(a, n) + m > 0 "
        "处让梯度通过，其余地方梯度为 0。",
    ),
    explanation=Text(
        "For an active triplet (d(a, p) − d(a, n) + m > 0), ∂ℓ/∂n = −∂‖n − a‖/∂n = (a − n)/‖a − n‖: "
        "a unit vector pointing from n to the anchor, so a descent step moves n straight away from "
        "the anchor with a push of size 1 whatever the distance. Inactive triplets contribute 0.",
        "对有效的三元组（d(a, p) − d(a, n) + m > 0），∂ℓ/∂n = −∂‖n − a‖/∂n = (a − n)/‖a − n‖："
        "一个从 n 指向锚点的单位向量，所以梯度下降一步把 n 径直推离锚点，推力大小恒为 1，与距离无关。"
        "无效的三元组贡献 0。",
    ),
    solution=my_triplet_grad,
    coverage=Text(
        "float32 and float64, margins 0.5 and 1, active and inactive triplets, distances of about 1e3",
        "float32 与 float64、间隔 0.5 与 1、有效与无效的三元组、约 1e3 的距离",
    ),
)


# -- Exercise: the margin ranking loss --------------------------------------------------------------


def my_margin_ranking(input1, input2, target, margin=0.0, reduction="mean"):
    # target +1: input1 should score higher; -1: input2 should; a pair costs nothing once the
    # right one leads by at least the margin
    loss = torch.clamp(-target * (input1 - input2) + margin, min=0)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _ranking_scores(g: torch.Generator, n: int, dtype: torch.dtype) -> tuple:
    """Two score vectors and ±1 targets. Random scores never put a hinge exactly at its kink,
    where clamp and relu pick different subgradients and a right answer would fail the gradient."""
    first = torch.randn(n, generator=g, dtype=torch.float64)
    second = torch.randn(n, generator=g, dtype=torch.float64)
    target = torch.randint(0, 2, (n,), generator=g).mul(2).sub(1).to(torch.float64)
    return first.to(dtype), second.to(dtype), target.to(dtype)


def _ranking_cases(g: torch.Generator) -> list[Case]:
    cases = []
    for reduction, margin in (("none", 0.5), ("mean", 1.0), ("sum", 0.25)):
        first, second, target = _ranking_scores(g, 8, torch.float64)
        cases.append(
            Case(
                (first, second, target),
                {"margin": margin, "reduction": reduction},
                Text(f"float64, margin {margin}", f"float64，间隔 {margin}"),
                grad=(0, 1),
            )
        )
    # ties: equal scores cost the whole margin, whatever the target
    first = torch.tensor([0.3, 0.3, -1.0, 2.0], dtype=torch.float64)
    second = torch.tensor([0.3, 0.3, -1.0, -2.0], dtype=torch.float64)
    target = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    cases.append(
        Case(
            (first, second, target),
            {"margin": 1.0, "reduction": "none"},
            Text("float64, tied scores, margin 1", "float64，分数相等，间隔 1"),
            grad=(0, 1),
        )
    )
    first, second, target = _ranking_scores(g, 10, torch.float64)
    cases.append(
        Case(
            (first, second, target),
            {"reduction": "mean"},
            Text("float64, the default margin 0", "float64，默认间隔 0"),
            grad=(0, 1),
        )
    )
    first, second, target = _ranking_scores(g, 6, torch.float32)
    cases.append(
        Case((first, second, target), {"margin": 0.5, "reduction": "mean"}, Text("float32", "float32"))
    )
    return cases


def _ranking_sign(input1, input2, target, margin=0.0, reduction="mean"):
    return _reduce(torch.clamp(target * (input1 - input2) + margin, min=0), reduction)


def _ranking_minus_margin(input1, input2, target, margin=0.0, reduction="mean"):
    return _reduce(torch.clamp(-target * (input1 - input2) - margin, min=0), reduction)


def _ranking_no_hinge(input1, input2, target, margin=0.0, reduction="mean"):
    return _reduce(-target * (input1 - input2) + margin, reduction)


def _ranking_squared(input1, input2, target, margin=0.0, reduction="mean"):
    return _reduce(torch.clamp(-target * (input1 - input2) + margin, min=0) ** 2, reduction)


margin_ranking = FunctionExercise(
    "margin_ranking",
    reference=lossbook.margin_ranking_loss,
    cases=_ranking_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "sign",
            _ranking_sign,
            Text(
                "the sign is reversed: with target = +1 the loss must grow when input1 falls below "
                "input2, so the hinge is max(0, −y (x1 − x2) + margin).",
                "符号反了：target = +1 时，input1 低于 input2 损失应当增大，所以合页是 "
                "max(0, −y (x1 − x2) + margin)。",
            ),
        ),
        Mistake(
            "minus_margin",
            _ranking_minus_margin,
            Text(
                "the margin is added, not subtracted: the right score must lead by at least the margin "
                "before the pair costs nothing; with − margin a pair in the wrong order is free.",
                "间隔是加上去的，不是减去的：正确的分数至少领先一个间隔，这一对才没有损失；"
                "减去间隔的话，顺序错了的一对反而没有损失。",
            ),
        ),
        Mistake(
            "no_hinge",
            _ranking_no_hinge,
            Text(
                "a pair already in the right order by more than the margin costs 0, not a negative "
                "amount: take max(0, ·) (torch.clamp(..., min=0)).",
                "顺序正确且领先超过间隔的一对损失为 0，而不是负数：要取 max(0, ·)"
                "（torch.clamp(..., min=0)）。",
            ),
        ),
        Mistake(
            "squared",
            _ranking_squared,
            Text(
                "the margin ranking loss is a plain hinge, not a squared one: max(0, −y (x1 − x2) + margin).",
                "间隔排序损失是普通的合页，不是平方合页：max(0, −y (x1 − x2) + margin)。",
            ),
        ),
    ],
    hint=Text(
        "for each pair, −y (x1 − x2) is positive when the pair is in the wrong order; add the margin, "
        "keep the positive part with torch.clamp(..., min=0), then apply the reduction.",
        "对每一对，顺序错误时 −y (x1 − x2) 为正；加上间隔，用 torch.clamp(..., min=0) 保留正的部分，"
        "再按 reduction 归约。",
    ),
    explanation=Text(
        "ℓ = max(0, −y (x1 − x2) + margin). With y = +1 the pair wants x1 ≥ x2 + margin: the loss "
        "and its gradient (−y on x1, +y on x2) vanish once it does. Tied scores cost the whole "
        "margin, and with the default margin 0 a tie costs nothing: the loss only asks for the order.",
        "ℓ = max(0, −y (x1 − x2) + margin)。y = +1 时这一对要求 x1 ≥ x2 + margin：一旦满足，"
        "损失和梯度（对 x1 为 −y，对 x2 为 +y）都为零。分数相等时损失为整个间隔；默认间隔为 0 时，"
        "相等的分数没有损失：这个损失只要求顺序。",
    ),
    solution=my_margin_ranking,
    coverage=Text(
        "float32 and float64, margins 0 to 1, tied scores, every reduction, the gradients",
        "float32 与 float64、间隔 0 到 1、相等的分数、所有 reduction、梯度",
    ),
)


# -- Exercise: how many triplets does a P x K batch hold? -------------------------------------------


def my_count_triplets(P, K):
    anchors = P * K  # every sample can be an anchor
    positives = K - 1  # the other samples of its class
    negatives = (P - 1) * K  # every sample of the other classes
    return anchors * positives * negatives


def _count_triplets_reference(P, K):
    """Brute force: the valid triplets that lossbook.mine_triplets finds in a P x K batch."""
    labels = torch.arange(P).repeat_interleave(K)
    return len(lossbook.mine_triplets(torch.zeros(P * K, 1), labels, "all")[0])


def _count_with_self(P, K):
    return P * K * K * (P - 1) * K


def _count_unordered(P, K):
    return P * K * (K - 1) // 2 * (P - 1) * K


def _count_negative_classes(P, K):
    return P * K * (K - 1) * (P - 1)


def _count_every_other_sample(P, K):
    return P * K * (K - 1) * (P * K - 1)


count_triplets = FunctionExercise(
    "count_triplets",
    whole_numbers=True,
    reference=_count_triplets_reference,
    cases=lambda g: [
        Case(
            (P, K),
            label=Text(f"P = {P} classes, K = {K} per class", f"P = {P} 个类，每类 K = {K} 个"),
            grad=(),
        )
        for P, K in ((4, 3), (2, 2), (8, 4), (3, 5), (1, 5), (5, 1), (18, 4))
    ],
    mistakes=[
        Mistake(
            "self_as_positive",
            _count_with_self,
            Text(
                "a positive must be another sample of the anchor's class (p ≠ a): each anchor has K − 1 "
                "positives, not K.",
                "正样本必须是锚点同类中的另一个样本（p ≠ a）：每个锚点有 K − 1 个正样本，而不是 K 个。",
            ),
        ),
        Mistake(
            "unordered_pairs",
            _count_unordered,
            Text(
                "(a, p) and (p, a) are two different triplets (the anchor plays a different role), so do "
                "not divide the positive pairs by 2.",
                "(a, p) 和 (p, a) 是两个不同的三元组（锚点的角色不同），所以正样本对不要除以 2。",
            ),
        ),
        Mistake(
            "negative_classes",
            _count_negative_classes,
            Text(
                "a negative is a sample, not a class: there are (P − 1)·K negatives for each anchor.",
                "负样本是一个样本而不是一个类：每个锚点有 (P − 1)·K 个负样本。",
            ),
        ),
        Mistake(
            "every_other_sample",
            _count_every_other_sample,
            Text(
                "a negative must have another label than the anchor: (P − 1)·K samples, not all PK − 1 "
                "others.",
                "负样本的标签必须与锚点不同：共 (P − 1)·K 个样本，而不是其余全部 PK − 1 个。",
            ),
        ),
    ],
    hint=Text(
        "choose the anchor (PK ways), then a positive of its class other than itself, then a "
        "negative from any other class, and multiply.",
        "先选锚点（PK 种），再选同类中除它自己以外的正样本，再从其他类中选负样本，然后相乘。",
    ),
    explanation=Text(
        "An anchor (PK choices), a positive among the K − 1 other samples of its class, a negative "
        "among the (P − 1)·K samples of the other classes: PK·(K − 1)·(P − 1)·K triplets, 216 for "
        "P = 4, K = 3, 2,688 for P = 8, K = 4 and 14,688 for P = 18, K = 4 (72 images): the "
        "O(B³) growth that makes mining necessary.",
        "锚点（PK 种）、同类其余 K − 1 个样本中的一个正样本、其他类 (P − 1)·K 个样本中的一个负样本："
        "共 PK·(K − 1)·(P − 1)·K 个三元组，P = 4、K = 3 时为 216，P = 8、K = 4 时为 2,688，"
        "P = 18、K = 4（72 张图）时已有 14,688 个：这种 O(B³) 的增长正是需要挖掘的原因。",
    ),
    solution=my_count_triplets,
    coverage=Text(
        "P from 1 to 18, K from 1 to 5, against a brute-force count with lossbook.mine_triplets",
        "P 取 1 到 18、K 取 1 到 5，与 lossbook.mine_triplets 的暴力计数比较",
    ),
)


# -- Predict, then measure: the center loss alone -----------------------------------------------------

center_alone = AnswerExercise(
    "center_alone",
    answer="collapse",
    choices=("compact", "unchanged", "collapse"),
    mistakes=[
        (
            "compact",
            Text(
                "compact classes far apart need a force that keeps the classes apart, and the center loss "
                "has none: it only pulls. What is the cheapest way to make every ‖x_i − c_{y_i}‖ small?",
                "让各类紧凑且彼此远离，需要一种把类分开的力，而中心损失没有：它只会拉近。"
                "让所有 ‖x_i − c_{y_i}‖ 都变小，最省事的办法是什么？",
            ),
        ),
        (
            "unchanged",
            Text(
                "without cross-entropy nothing asks the features to classify anything; the center loss "
                "alone has a trivial minimum. Which one?",
                "没有交叉熵，就没有任何东西要求特征去做分类；单独的中心损失有一个平凡的最小值。是哪个？",
            ),
        ),
    ],
    hint=Text(
        "look for the cheapest minimum of ½Σ‖x_i − c_{y_i}‖²: what if the network mapped every image, "
        "and every center moved, to the same point?",
        "寻找 ½Σ‖x_i − c_{y_i}‖² 最省事的最小值：如果网络把每张图都映射到同一个点，所有中心也移到那里，"
        "会怎样？",
    ),
    why=Text(
        "Alone, the center loss is minimized by mapping every feature and every center to one point: "
        "the features shrink, the classes merge and the accuracy falls towards chance. Softmax supplies "
        "the force that keeps the classes apart.",
        "单独使用时，中心损失的最小值是把所有特征和所有中心都映射到同一点：特征不断收缩，各类混在一起，"
        "准确率跌向随机水平。把各类分开的力来自 softmax。",
    ),
    explanation=Text(
        "Answer 'collapse'. L_C = ½Σ‖x_i − c_{y_i}‖² is 0 when all features and centers coincide, and "
        "nothing in it pushes classes apart. Trained alone (the chapter's 2-D network, the paper's "
        "center update), the mean distance between class means shrinks from 0.30 after one epoch "
        "to 0.019 after 40, and the nearest-neighbour accuracy on digits 0–4 falls to 0.35 "
        "(chance is 0.2; with softmax next to it, 0.99).",
        "答案是 'collapse'。L_C = ½Σ‖x_i − c_{y_i}‖² 在所有特征与中心重合时为 0，"
        "其中没有任何把各类推开的项。单独训练时（本章的二维网络、论文的中心更新），类均值之间的平均距离从 1 "
        "轮后的 0.30 缩到 40 轮后的 0.019，数字 0–4 上的最近邻准确率跌到 0.35（随机水平是 0.2；配合 softmax "
        "时为 0.99）。",
    ),
)


# -- Read a curve, then derive: where ArcFace's target logit jumps --------------------------------------

arcface_jump = AnswerExercise(
    "arcface_jump",
    answer=180.0 - math.degrees(0.5),
    rel_tol=1e-2,
    mistakes=[
        (
            math.pi - 0.5,
            Text(
                "that is π − m in radians; the answer is asked in degrees.",
                "这是以弧度表示的 π − m；题目要的是角度（度）。",
            ),
        ),
        (
            math.degrees(0.5),
            Text(
                "28.6° is the margin itself in degrees; the switch happens where θ + m reaches 180°.",
                "28.6° 是间隔 m 本身换算成的角度；切换发生在 θ + m 到达 180° 的地方。",
            ),
        ),
        (
            90.0,
            Text(
                "cos θ = 0, at 90°, is where easy_margin=True would switch; the default easy_margin=False "
                "switches where θ + m reaches π.",
                "cos θ = 0（90°）是 easy_margin=True 时的切换点；默认的 easy_margin=False 在 θ + m 到达 π "
                "时切换。",
            ),
        ),
        (
            180.0,
            Text(
                "cos(θ + m) stops decreasing when θ + m, not θ, reaches 180°.",
                "当 θ + m（而不是 θ）到达 180° 时，cos(θ + m) 就不再递减。",
            ),
        ),
        (
            180.0 + math.degrees(0.5),
            Text(
                "θ lies in [0°, 180°]; the switch is at θ + m = 180°, so θ = 180° − m.",
                "θ 在 [0°, 180°] 内；切换点是 θ + m = 180°，即 θ = 180° − m。",
            ),
        ),
    ],
    hint=Text(
        "cos(θ + m) decreases only while θ + m ≤ π; beyond, lossbook (like ArcFace's code) switches to "
        "cos θ − m·sin m. Solve θ + m = π for θ with m = 0.5 rad, and convert to degrees.",
        "cos(θ + m) 只在 θ + m ≤ π 时递减；超过之后，lossbook（与 ArcFace 的代码一样）改用 cos θ − m·sin m。"
        "令 m = 0.5 弧度，解 θ + m = π，再换算成度。",
    ),
    why=Text(
        "θ = π − m = 180° − 28.65° ≈ 151.35°: there cos(θ + m) reaches −1, and the fallback "
        "cos θ − m·sin m ≈ −1.117 takes over; the curve keeps decreasing but jumps down by about 0.117.",
        "θ = π − m = 180° − 28.65° ≈ 151.35°：此处 cos(θ + m) 到达 −1，之后由 cos θ − m·sin m ≈ −1.117 "
        "接替；曲线仍然递减，但向下跳了约 0.117。",
    ),
    explanation=Text(
        "Answer 180° − 0.5 rad = 180° − 28.65° ≈ 151.35°. Beyond θ = π − m, cos(θ + m) would rise "
        "again (an angle past π), which would reward a worse angle; ArcFace replaces it there by "
        "cos θ − m·sin m, which is monotonic but meets cos(θ + m) only approximately: at "
        "θ = π − m it is −cos m − m·sin m ≈ −1.117 instead of −1.",
        "答案是 180° − 0.5 弧度 = 180° − 28.65° ≈ 151.35°。θ 超过 π − m 后，cos(θ + m) 会重新上升"
        "（角度越过了 π），等于奖励更差的角度；ArcFace 在那里改用 cos θ − m·sin m，它是单调的，"
        "但与 cos(θ + m) 只是近似衔接：在 θ = π − m 处它等于 −cos m − m·sin m ≈ −1.117，而不是 −1。",
    ),
    solution="""theta = torch.linspace(0, math.pi, 100001, dtype=torch.float64)
labels = torch.zeros(len(theta), dtype=torch.long)
f = lossbook.arcface_logits(theta.cos().unsqueeze(1), labels, scale=1.0, margin=0.5)[:, 0]
jump = f.diff().abs().argmax()
print(torch.rad2deg(theta[jump + 1]).item(), f[jump].item(), f[jump + 1].item())""",
)
