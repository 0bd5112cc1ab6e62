"""Exercises of the chapter on contrastive and self-supervised learning.

>>> from lossbook.exercises import contrastive as ex
>>> result = ex.info_nce.check(None)  # prints the message
✗ Not yet: ex.info_nce(...) returned None. Write its body and run the cell again.
  ex.info_nce.hint() gives a hint and ex.info_nce.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import lossbook

from ._exercise import Case, Mistake
from ._function import FunctionExercise
from ._messages import Text

__all__ = ["info_nce", "mi_bound", "clip", "negative_weights", "supcon"]


def _similarities(g, n, dtype=torch.float64, dim=8, noise=0.7):
    """An (n, n) matrix of cosines between n queries and their noisy keys (positives on the diagonal)."""
    q = torch.randn(n, dim, generator=g, dtype=torch.float64)
    k = q + noise * torch.randn(n, dim, generator=g, dtype=torch.float64)
    return (F.normalize(q, dim=1) @ F.normalize(k, dim=1).T).to(dtype)


def _arange_like(similarity):
    return torch.arange(similarity.shape[0], device=similarity.device)


def _similarity_cases(g):
    f32 = torch.float32

    def case(similarity, temperature, en, zh, **kwargs):
        return Case((similarity, temperature), label=Text(en, zh), **kwargs)

    perfect = torch.full((6, 6), -0.2, dtype=torch.float64).fill_diagonal_(1.0)
    return [
        case(_similarities(g, 4), 0.1, "float64, N = 4, τ = 0.1", "float64，N = 4，τ = 0.1"),
        case(_similarities(g, 8), 0.5, "float64, N = 8, τ = 0.5", "float64，N = 8，τ = 0.5"),
        case(
            _similarities(g, 16, f32), 0.07, "float32, N = 16, τ = 0.07", "float32，N = 16，τ = 0.07", grad=()
        ),
        case(_similarities(g, 1), 0.2, "float64, N = 1: no negative", "float64，N = 1：没有负样本"),
        case(perfect, 0.1, "float64, every positive at cosine 1", "float64，所有正样本的余弦都是 1"),
        case(
            _similarities(g, 8, f32, noise=0.1),
            0.005,
            "float32, τ = 0.005: logits up to 200",
            "float32，τ = 0.005：logit 高达 200",
            grad=(),
        ),
    ]


_UNSTABLE = Text(
    "exp(s / τ) overflows for a small τ (exp(200) is inf in float32). Let F.cross_entropy or "
    "torch.logsumexp do the sum: they subtract the largest logit first.",
    "τ 很小时 exp(s / τ) 会溢出（float32 中 exp(200) 是 inf）。让 F.cross_entropy 或 torch.logsumexp "
    "来求和：它们会先减去最大的 logit。",
)


# -- Exercise: InfoNCE from the similarity matrix -------------------------------------------------


def my_info_nce(similarity, temperature):
    # row i is a classification over the N keys, and its correct class is column i
    logits = similarity / temperature
    target = torch.arange(similarity.shape[0])
    return torch.nn.functional.cross_entropy(logits, target)


def _info_nce_reference(similarity, temperature):
    return F.cross_entropy(similarity / temperature, _arange_like(similarity))


def _negatives_only(similarity, temperature):
    logits = similarity / temperature
    eye = torch.eye(len(logits), dtype=torch.bool)
    if len(logits) == 1:
        return logits.new_zeros(()) * float("nan")
    return (torch.logsumexp(logits.masked_fill(eye, float("-inf")), 1) - logits.diagonal()).mean()


info_nce = FunctionExercise(
    "info_nce",
    reference=_info_nce_reference,
    cases=_similarity_cases,
    mistakes=[
        Mistake(
            "no_temperature",
            lambda s, t: F.cross_entropy(s, _arange_like(s)),
            Text(
                "the logits are the similarities divided by the temperature: s / τ.",
                "logit 是相似度除以温度：s / τ。",
            ),
        ),
        Mistake(
            "times_temperature",
            lambda s, t: F.cross_entropy(s * t, _arange_like(s)),
            Text(
                "divide by the temperature, do not multiply: a small τ sharpens the softmax.",
                "要除以温度，而不是乘以温度：τ 越小，softmax 越尖锐。",
            ),
        ),
        Mistake(
            "columns",
            lambda s, t: F.cross_entropy(s.T / t, _arange_like(s)),
            Text(
                "row i holds query i's similarities to every key: the softmax runs along the row "
                "(dim=1). Along the column is the other direction, key → query.",
                "第 i 行是查询 i 与所有键的相似度：softmax 应沿着行（dim=1）计算。"
                "沿着列是另一个方向，即键 → 查询。",
            ),
        ),
        Mistake(
            "positive_not_in_denominator",
            _negatives_only,
            Text(
                "the positive is one of the N candidates: it belongs in the denominator too, "
                "−log(e^(s_ii/τ) / Σ_j e^(s_ij/τ)) with j over every column.",
                "正样本也是 N 个候选之一，分母里也要有它：−log(e^(s_ii/τ) / Σ_j e^(s_ij/τ))，j 取遍所有列。",
            ),
        ),
        Mistake(
            "sum_not_mean",
            lambda s, t: F.cross_entropy(s / t, _arange_like(s), reduction="sum"),
            Text(
                "the loss is the mean over the N rows, not their sum.",
                "损失是 N 行的平均，而不是它们的和。",
            ),
        ),
    ],
    unstable_hint=_UNSTABLE,
    hint=Text(
        "divide the matrix by τ; each row is then the logits of an N-way classification whose "
        "correct class is the diagonal. One call to F.cross_entropy does it.",
        "把矩阵除以 τ；这样每一行都是一个 N 类分类问题的 logit，正确的类别在对角线上。调用一次 "
        "F.cross_entropy 即可。",
    ),
    explanation=Text(
        "InfoNCE is cross-entropy on the similarity matrix: logits = S / τ, and the target of row "
        "i is i. With N = 1 there is no negative and the loss is 0. cross_entropy computes the "
        "log-softmax with the largest logit subtracted, so τ = 0.005 stays finite.",
        "InfoNCE 就是相似度矩阵上的交叉熵：logit = S / τ，第 i 行的目标是 i。N = 1 时没有负样本，"
        "损失为 0。cross_entropy 计算 log-softmax 时先减去最大的 logit，所以 τ = 0.005 也不会溢出。",
    ),
    solution=my_info_nce,
    coverage=Text(
        "float32 and float64, N from 1 to 16, τ from 0.005 to 0.5, the gradient",
        "float32 与 float64、N 从 1 到 16、τ 从 0.005 到 0.5、梯度",
    ),
)


# -- Exercise: the log N bound ---------------------------------------------------------------------


def my_mi_bound(similarity, temperature):
    # the InfoNCE estimate of the mutual information: log N minus the loss
    n = similarity.shape[0]
    loss = torch.nn.functional.cross_entropy(similarity / temperature, torch.arange(n))
    return math.log(n) - loss


def _mi_bound_reference(similarity, temperature):
    n = similarity.shape[0]
    return math.log(n) - F.cross_entropy(similarity / temperature, _arange_like(similarity))


mi_bound = FunctionExercise(
    "mi_bound",
    reference=_mi_bound_reference,
    cases=_similarity_cases,
    mistakes=[
        Mistake(
            "no_log_n",
            lambda s, t: -F.cross_entropy(s / t, _arange_like(s)),
            Text(
                "the bound is log N − L, not −L: an encoder that has learned nothing has L = log N "
                "and a bound of 0.",
                "下界是 log N − L，而不是 −L：什么都没学到的编码器 L = log N，下界为 0。",
            ),
        ),
        Mistake(
            "negatives_count",
            lambda s, t: math.log(max(s.shape[0] - 1, 1)) - F.cross_entropy(s / t, _arange_like(s)),
            Text(
                "N counts every candidate of a row, the positive included: log N, not log(N − 1).",
                "N 数的是一行中所有候选，包括正样本：是 log N，不是 log(N − 1)。",
            ),
        ),
        Mistake(
            "sign",
            lambda s, t: F.cross_entropy(s / t, _arange_like(s)) - math.log(s.shape[0]),
            Text(
                "the sign is reversed: the bound is log N − L, large when the loss is small.",
                "符号反了：下界是 log N − L，损失越小，下界越大。",
            ),
        ),
        Mistake(
            "log2",
            lambda s, t: (math.log(s.shape[0]) - F.cross_entropy(s / t, _arange_like(s))) / math.log(2),
            Text(
                "stay in nats, as the loss is: use the natural logarithm, math.log(N).",
                "和损失一样用奈特：用自然对数 math.log(N)。",
            ),
        ),
    ],
    unstable_hint=_UNSTABLE,
    hint=Text(
        "compute the InfoNCE loss L of the matrix (the previous exercise), then return log N − L "
        "with N the number of rows.",
        "先算出矩阵的 InfoNCE 损失 L（上一个练习），再返回 log N − L，N 是行数。",
    ),
    explanation=Text(
        "van den Oord et al. show I(x; c) ≥ log N − L. The loss is never negative, so the bound "
        "never exceeds log N: with perfect keys L → 0 and the estimate stops at log N, however "
        "much information the two views share. That is why the bound needs large batches: "
        "certifying 10 nats takes N ≥ e^10 ≈ 22,000 candidates.",
        "van den Oord 等人证明了 I(x; c) ≥ log N − L。损失永远不为负，所以下界永远不超过 log N："
        "键完美时 L → 0，估计值停在 log N，不管两个视图实际共享多少信息。这就是这个下界需要大批次的"
        "原因：要证明 10 奈特，需要 N ≥ e^10 ≈ 22,000 个候选。",
    ),
    solution=my_mi_bound,
    coverage=Text(
        "float32 and float64, N from 1 to 16, perfect keys, τ from 0.005 to 0.5, the gradient",
        "float32 与 float64、N 从 1 到 16、完美的键、τ 从 0.005 到 0.5、梯度",
    ),
)


# -- Exercise: the symmetric CLIP loss -------------------------------------------------------------


def my_clip_loss(image_embeddings, text_embeddings, temperature):
    # cosines between every image and every text, divided by the temperature
    images = torch.nn.functional.normalize(image_embeddings, dim=1)
    texts = torch.nn.functional.normalize(text_embeddings, dim=1)
    logits = images @ texts.T / temperature
    target = torch.arange(len(images))
    # image -> text along the rows, text -> image along the columns; their average
    return (
        torch.nn.functional.cross_entropy(logits, target)
        + torch.nn.functional.cross_entropy(logits.T, target)
    ) / 2


def _clip_reference(image_embeddings, text_embeddings, temperature):
    return lossbook.info_nce_loss(image_embeddings, text_embeddings, temperature, symmetric=True)


def _clip_parts(images, texts, temperature, normalize=True):
    if normalize:
        images, texts = F.normalize(images, dim=1), F.normalize(texts, dim=1)
    logits = images @ texts.T / temperature
    target = torch.arange(len(images))
    return F.cross_entropy(logits, target), F.cross_entropy(logits.T, target)


def _clip_cases(g):
    def emb(n, d, scale=1.0, dtype=torch.float64):
        return scale * torch.randn(n, d, generator=g, dtype=dtype)

    def case(images, texts, temperature, en, zh, **kwargs):
        return Case(
            (images, texts, temperature), label=Text(en, zh), grad=kwargs.pop("grad", (0, 1)), **kwargs
        )

    x = emb(6, 5)
    return [
        case(emb(4, 3), emb(4, 3), 0.1, "float64, N = 4", "float64，N = 4"),
        case(
            x, x + 0.3 * emb(6, 5), 0.07, "float64, matching pairs, τ = 0.07", "float64，匹配的对，τ = 0.07"
        ),
        case(emb(5, 4, 10.0), emb(5, 4, 0.1), 0.5, "float64, norms 10 and 0.1", "float64，范数 10 与 0.1"),
        case(
            emb(8, 6, dtype=torch.float32), emb(8, 6, dtype=torch.float32), 0.2, "float32", "float32", grad=()
        ),
    ]


clip = FunctionExercise(
    "clip",
    reference=_clip_reference,
    cases=_clip_cases,
    mistakes=[
        Mistake(
            "one_direction",
            lambda i, t, tau: _clip_parts(i, t, tau)[0],
            Text(
                "this is image → text only. CLIP also classifies each text among the images: "
                "add the cross-entropy of the transposed logits and average the two.",
                "这只是图像 → 文本一个方向。CLIP 还要在所有图像中为每段文本分类：加上转置后 logit 的交叉熵，"
                "再取两者的平均。",
            ),
        ),
        Mistake(
            "summed",
            lambda i, t, tau: sum(_clip_parts(i, t, tau)),
            Text(
                "the two directions are averaged, not added: divide their sum by 2.",
                "两个方向要取平均，而不是相加：把它们的和除以 2。",
            ),
        ),
        Mistake(
            "not_normalized",
            lambda i, t, tau: sum(_clip_parts(i, t, tau, normalize=False)) / 2,
            Text(
                "the logits are cosines: normalize both sets of embeddings to unit length first.",
                "logit 是余弦：先把两组嵌入都归一化为单位长度。",
            ),
        ),
    ],
    hint=Text(
        "build the (N, N) logits once, images @ texts.T / τ on normalized rows. Rows classify an "
        "image among the texts, columns a text among the images: average the two cross-entropies.",
        "先构造一次 (N, N) 的 logit：对归一化后的行计算 images @ texts.T / τ。每一行在所有文本中为一张图像"
        "分类，每一列在所有图像中为一段文本分类：取两个交叉熵的平均。",
    ),
    explanation=Text(
        "CLIP's loss is InfoNCE in both directions on one similarity matrix: the cross-entropy of "
        "the rows (image → text) and of the columns (text → image), averaged. "
        "lossbook.info_nce_loss(images, texts, τ, symmetric=True) computes it.",
        "CLIP 的损失是在同一个相似度矩阵上双向计算的 InfoNCE：行的交叉熵（图像 → 文本）与列的交叉熵"
        "（文本 → 图像）取平均。lossbook.info_nce_loss(images, texts, τ, symmetric=True) 计算的就是它。",
    ),
    solution=my_clip_loss,
    coverage=Text(
        "float32 and float64, embeddings of very different norms, the gradients of both inputs",
        "float32 与 float64、范数相差很大的嵌入、两个输入的梯度",
    ),
)


# -- Exercise: the gradient weight of a negative ---------------------------------------------------


def my_negative_weights(s_pos, s_neg, temperature):
    # the softmax over all candidates (the positive first), then p_j / τ for each negative
    logits = torch.cat([s_pos.reshape(1), s_neg]) / temperature
    p = torch.softmax(logits, dim=0)
    return p[1:] / temperature


def _weights_reference(s_pos, s_neg, temperature):
    s = torch.cat([s_pos.reshape(1), s_neg]).detach().double().requires_grad_()
    loss = F.cross_entropy((s / temperature).unsqueeze(0), torch.tensor([0]))
    (grad,) = torch.autograd.grad(loss, s)
    return grad[1:].to(s_neg.dtype)


def _weights_variant(s_pos, s_neg, temperature, *, tau=True, with_positive=True, sign=1.0):
    logits = torch.cat([s_pos.reshape(1), s_neg]) / temperature
    p = logits.softmax(0)[1:] if with_positive else logits[1:].softmax(0)
    return sign * (p / temperature if tau else p)


def _weights_cases(g):
    def case(s_pos, s_neg, temperature, en, zh, dtype=torch.float64):
        args = (torch.tensor(s_pos, dtype=dtype), torch.tensor(s_neg, dtype=dtype), temperature)
        return Case(args, label=Text(en, zh), grad=())

    return [
        case(0.8, [0.7, 0.3, -0.1], 0.1, "the chapter's worked example", "本章的算例"),
        case(0.9, [0.5, 0.4, 0.2, 0.0, -0.3], 0.5, "τ = 0.5", "τ = 0.5"),
        case(0.2, [0.6, 0.1], 0.05, "a negative closer than the positive", "一个负样本比正样本更近"),
        case(0.5, [0.5, 0.5, 0.5], 1.0, "τ = 1, equal similarities", "τ = 1，相似度都相等"),
        case(
            0.95,
            (torch.rand(20, generator=g) * 2 - 1).tolist(),
            0.07,
            "20 negatives, τ = 0.07",
            "20 个负样本，τ = 0.07",
        ),
        case(1.0, [0.9, -1.0], 0.01, "float32, τ = 0.01", "float32，τ = 0.01", dtype=torch.float32),
    ]


negative_weights = FunctionExercise(
    "negative_weights",
    reference=_weights_reference,
    cases=_weights_cases,
    mistakes=[
        Mistake(
            "no_temperature_factor",
            lambda a, b, t: _weights_variant(a, b, t, tau=False),
            Text(
                "the logits are s / τ, so the chain rule adds a factor 1 / τ: the weight is p_j / τ.",
                "logit 是 s / τ，链式法则还要乘上 1 / τ：权重是 p_j / τ。",
            ),
        ),
        Mistake(
            "negatives_only",
            lambda a, b, t: _weights_variant(a, b, t, with_positive=False),
            Text(
                "the softmax runs over every candidate, the positive included: p_j = "
                "e^(s_j/τ) / (e^(s_+/τ) + Σ_k e^(s_k/τ)).",
                "softmax 要在所有候选上计算，包括正样本：p_j = e^(s_j/τ) / (e^(s_+/τ) + Σ_k e^(s_k/τ))。",
            ),
        ),
        Mistake(
            "sign",
            lambda a, b, t: _weights_variant(a, b, t, sign=-1.0),
            Text(
                "the loss grows with a negative's similarity: ∂L/∂s_j is positive (gradient descent "
                "then lowers s_j).",
                "负样本的相似度越大，损失越大：∂L/∂s_j 是正的（梯度下降于是降低 s_j）。",
            ),
        ),
    ],
    unstable_hint=_UNSTABLE,
    hint=Text(
        "write L = −s_+/τ + log Σ_k e^(s_k/τ), with k over the positive and the negatives, and "
        "differentiate with respect to one negative's s_j.",
        "写出 L = −s_+/τ + log Σ_k e^(s_k/τ)，k 取遍正样本和所有负样本，再对某个负样本的 s_j 求导。",
    ),
    explanation=Text(
        "∂L/∂s_j = p_j / τ, where p_j is the softmax probability of negative j among all the "
        "candidates. A negative's weight grows exponentially with its similarity, at a rate 1/τ: a "
        "small temperature puts almost all of the push on the hardest negatives, a large one "
        "spreads it evenly (the chapter's plot).",
        "∂L/∂s_j = p_j / τ，其中 p_j 是负样本 j 在所有候选中的 softmax 概率。负样本的权重随相似度指数"
        "增长，速率为 1/τ：温度小时几乎全部推力都落在最难的负样本上，温度大时推力均匀分摊（本章的图）。",
    ),
    solution=my_negative_weights,
    coverage=Text(
        "float32 and float64, τ from 0.01 to 1, a negative closer than the positive, against autograd",
        "float32 与 float64、τ 从 0.01 到 1、比正样本更近的负样本，与 autograd 比较",
    ),
)


# -- Exercise: SupCon on a tiny batch --------------------------------------------------------------


def my_supcon(embeddings, labels, temperature):
    z = torch.nn.functional.normalize(embeddings, dim=1)
    self_mask = torch.eye(len(z), dtype=torch.bool)
    # an anchor is not its own candidate
    logits = (z @ z.T / temperature).masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positive = (labels[:, None] == labels[None, :]) & ~self_mask
    count = positive.sum(1)
    # L_out: average the log-probabilities of each anchor's positives, outside the log
    summed = torch.where(positive, log_prob, torch.zeros_like(log_prob)).sum(1)
    per_anchor = -summed[count > 0] / count[count > 0]
    return per_anchor.mean()


def _supcon_variant(
    embeddings, labels, temperature, *, inside=False, negatives_only=False, keep_self=False, all_anchors=False
):
    z = F.normalize(embeddings, dim=1)
    n = len(z)
    eye = torch.eye(n, dtype=torch.bool)
    logits = z @ z.T / temperature
    positive = (labels[:, None] == labels[None, :]) & ~eye
    excluded = eye.clone() if not keep_self else torch.zeros_like(eye)
    if negatives_only:
        excluded = excluded | positive
    lse = torch.logsumexp(logits.masked_fill(excluded, float("-inf")), 1)
    count = positive.sum(1)
    has = count > 0
    if inside:
        pos_lse = torch.logsumexp(logits.masked_fill(~positive, float("-inf")), 1)
        per_anchor = -(pos_lse - torch.log(count.clamp(min=1).to(z.dtype)) - lse)
    elif negatives_only:
        # each positive against the negatives plus itself
        per_pair = torch.logaddexp(logits, lse[:, None]) - logits
        per_anchor = torch.where(positive, per_pair, torch.zeros_like(per_pair)).sum(1) / count.clamp(min=1)
    else:
        per_pair = lse[:, None] - logits
        per_anchor = torch.where(positive, per_pair, torch.zeros_like(per_pair)).sum(1) / count.clamp(min=1)
    per_anchor = torch.where(has, per_anchor, torch.zeros_like(per_anchor))
    return per_anchor.mean() if all_anchors else per_anchor[has].mean()


def _supcon_cases(g):
    def emb(n, d=4, dtype=torch.float64):
        return torch.randn(n, d, generator=g, dtype=torch.float64).to(dtype)

    def case(embeddings, labels, temperature, en, zh, **kwargs):
        return Case((embeddings, torch.tensor(labels), temperature), label=Text(en, zh), **kwargs)

    return [
        case(emb(4), [0, 0, 1, 1], 0.5, "float64, two pairs", "float64，两对"),
        case(emb(5), [0, 0, 0, 1, 1], 0.1, "float64, a class of three", "float64，一个类有三个样本"),
        case(
            emb(5),
            [2, 2, 0, 1, 1],
            0.2,
            "float64, a singleton without a positive",
            "float64，一个没有正样本的单例",
        ),
        case(emb(6, 3), [3, 1, 3, 1, 3, 0], 0.07, "float64, τ = 0.07", "float64，τ = 0.07"),
        case(emb(8, 5, torch.float32), [0, 1, 2, 0, 1, 2, 0, 1], 0.1, "float32", "float32", grad=()),
    ]


supcon = FunctionExercise(
    "supcon",
    reference=lossbook.supcon_loss,
    cases=_supcon_cases,
    mistakes=[
        Mistake(
            "l_in",
            lambda e, y, t: _supcon_variant(e, y, t, inside=True),
            Text(
                "this averages the positives inside the log (Khosla et al.'s L_in). SupCon is L_out: "
                "average −log p(positive) over the positives, outside the log.",
                "这是在 log 里面对正样本取平均（Khosla 等人的 L_in）。"
                "SupCon 用的是 L_out：在 log 外面对各正样本的 −log p(正样本) 取平均。",
            ),
        ),
        Mistake(
            "negatives_only",
            lambda e, y, t: _supcon_variant(e, y, t, negatives_only=True),
            Text(
                "the denominator of SupCon holds every other sample of the batch, the other positives "
                "included; that is what distinguishes it from NT-Xent with labels.",
                "SupCon 的分母包含批次中所有其他样本，其他正样本也在内；这正是它与带标签的 NT-Xent 的区别。",
            ),
        ),
        Mistake(
            "self_in_denominator",
            lambda e, y, t: _supcon_variant(e, y, t, keep_self=True),
            Text(
                "leave the anchor out of its own denominator: its similarity to itself is always 1/τ, "
                "the largest logit, and teaches nothing.",
                "分母里不要包含锚点自己：它与自己的相似度永远是 1/τ，是最大的 logit，什么也学不到。",
            ),
        ),
        Mistake(
            "all_anchors",
            lambda e, y, t: _supcon_variant(e, y, t, all_anchors=True),
            Text(
                "an anchor without a positive has no term: average over the anchors that have one.",
                "没有正样本的锚点没有损失项：只对有正样本的锚点取平均。",
            ),
        ),
    ],
    unstable_hint=_UNSTABLE,
    hint=Text(
        "normalize, compute z @ z.T / τ, set the diagonal to −inf, take log_softmax along the rows; "
        "then for each anchor average −log p over its positives, and average over the anchors that "
        "have positives.",
        "先归一化，计算 z @ z.T / τ，把对角线设为 −inf，沿行取 log_softmax；然后对每个锚点在它的正样本上"
        "平均 −log p，再对有正样本的锚点取平均。",
    ),
    explanation=Text(
        "Khosla et al.'s L_out: for anchor i with positives P(i), ℓ_i = −(1/|P(i)|) Σ_{p∈P(i)} "
        "log(e^(s_ip/τ) / Σ_{a≠i} e^(s_ia/τ)). Every other sample is in the denominator; the "
        "anchor itself is not. The loss is the mean over the anchors with at least one positive, "
        "which is what pytorch-metric-learning and lossbook.supcon_loss return.",
        "Khosla 等人的 L_out：对有正样本集合 P(i) 的锚点 i，ℓ_i = −(1/|P(i)|) Σ_{p∈P(i)} "
        "log(e^(s_ip/τ) / Σ_{a≠i} e^(s_ia/τ))。分母包含所有其他样本，但不包含锚点自己。损失是至少有一个"
        "正样本的锚点上的平均，pytorch-metric-learning 与 lossbook.supcon_loss 返回的都是它。",
    ),
    solution=my_supcon,
    coverage=Text(
        "float32 and float64, classes of two and three, a singleton, τ from 0.07 to 0.5, the gradient",
        "float32 与 float64、两个和三个样本的类、单例、τ 从 0.07 到 0.5、梯度",
    ),
)
