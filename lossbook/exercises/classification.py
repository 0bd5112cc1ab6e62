"""Exercises of the classification chapter.

>>> from lossbook.exercises import classification as ex
>>> result = ex.bce_with_logits.check(None)  # prints the message
✗ Not yet: ex.bce_with_logits(...) returned None. Write its body and run the cell again.
  ex.bce_with_logits.hint() gives a hint and ex.bce_with_logits.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import torch

import lossbook

from ..validation import reduce as _reduce
from ._exercise import AnswerExercise, Case, Mistake
from ._function import FunctionExercise
from ._messages import Text

__all__ = [
    "bce_with_logits",
    "cross_entropy",
    "ce_grad",
    "sigmoid_focal",
    "multilabel_soft_margin",
    "weight_scale",
    "imbalance",
]


def _capped(case: Case, got, expected) -> bool:
    """A loss capped on extreme logits: learners keep ``log`` finite by clamping a probability
    or adding a small epsilon to it, each with a constant of their own (1e-7, 1e-8, 1e-12, ...),
    so no single mistake model matches them all. Both lower the loss: a little everywhere (an
    epsilon inside the log), and down to about -log(epsilon) on a confident mistake. A result
    that is finite, has the reference's shape and is below the reference wherever the two
    differ, by less than 0.1 % or on a case with logits of at least 1e3, is taken as capped.
    """
    extreme = any(
        isinstance(a, torch.Tensor) and a.is_floating_point() and bool(a.abs().max() >= 1e3)
        for a in case.args
    )
    if not isinstance(got, torch.Tensor) or not isinstance(expected, torch.Tensor):
        return False
    if got.shape != expected.shape or not bool(torch.isfinite(got.detach()).all()):
        return False
    g, e = got.detach().double(), expected.detach().double()
    rtol, atol = (1e-7, 1e-9) if expected.dtype == torch.float64 else (1e-4, 1e-6)
    differ = ~torch.isclose(g, e, rtol=rtol, atol=atol)
    if not bool(differ.any()) or not bool((g[differ] < e[differ]).all()):
        return False
    return extreme or bool(torch.isclose(g, e, rtol=1e-3, atol=1e-6).all())


def _labels(shape, g: torch.Generator, dtype) -> torch.Tensor:
    return torch.randint(0, 2, shape, generator=g).to(dtype)


def _binary_cases(g: torch.Generator, keyword: dict) -> list[Case]:
    """Logits and 0/1 labels: every reduction, float64 with gradients, float32, logits of ±1e4.

    No logit is exactly 0: there the learner's |x| and max(x, 0) have a kink, and autograd's
    choice of subgradient would make a right formula fail the gradient comparison.
    """
    cases = []
    x = torch.randn(8, generator=g, dtype=torch.float64) * 3
    y = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    for reduction in ("none", "mean", "sum"):
        cases.append(Case((x, y), {**keyword, "reduction": reduction}, Text("float64", "float64")))
    x = torch.randn(3, 4, generator=g, dtype=torch.float64) * 2
    cases.append(
        Case(
            (x, _labels((3, 4), g, torch.float64)),
            {**keyword, "reduction": "mean"},
            Text("float64, 3 samples x 4 labels", "float64，3 个样本 x 4 个标签"),
        )
    )
    x = torch.randn(6, generator=g, dtype=torch.float64).mul(2).float()
    cases.append(
        Case(
            (x, _labels((6,), g, torch.float32)), {**keyword, "reduction": "mean"}, Text("float32", "float32")
        )
    )
    x = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.5, -0.25], dtype=torch.float32)
    y = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.0, 0.0], dtype=torch.float32)
    cases.append(
        Case(
            (x, y),
            {**keyword, "reduction": "none"},
            Text("float32, logits of ±1e4", "float32，±1e4 的 logit"),
        )
    )
    cases.append(
        Case(
            (x.double(), y.double()),
            {**keyword, "reduction": "sum"},
            Text("float64, logits of ±1e4", "float64，±1e4 的 logit"),
        )
    )
    return cases


# -- Exercise: BCE-with-logits ---------------------------------------------------------------------


def my_bce_with_logits(input, target, reduction="mean"):
    # -log sigmoid(x) = softplus(-x) = log(1 + e^(-x)), computed without overflow;
    # with log(1 - sigmoid(x)) = log sigmoid(x) - x the loss is (1 - y) x - log sigmoid(x)
    loss = (1 - target) * input + torch.nn.functional.softplus(-input)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _bce_sigmoid_then_bce(input, target, reduction="mean"):
    # a sigmoid of one's own, then BCE on probabilities: torch and lossbook clamp each log at -100
    return lossbook.binary_cross_entropy(torch.sigmoid(input), target, reduction=reduction)


def _bce_clamped_probability(input, target, reduction="mean"):
    p = torch.sigmoid(input).clamp(1e-7, 1 - 1e-7)
    return _reduce(-(target * torch.log(p) + (1 - target) * torch.log(1 - p)), reduction)


def _bce_labels_swapped(input, target, reduction="mean"):
    return lossbook.binary_cross_entropy_with_logits(input, 1 - target, reduction=reduction)


def _bce_sign(input, target, reduction="mean"):
    return -lossbook.binary_cross_entropy_with_logits(input, target, reduction=reduction)


_CLAMPED = Text(
    "clamping the probability, or adding a small ε inside the log, lowers the loss: a little "
    "everywhere, and on a confident mistake it caps it (at a logit of 1e4 the loss is 1e4, not "
    "16 or 100, and it gets no gradient). Work with the logit: "
    "log σ(x) = min(x, 0) − log(1 + e^(−|x|)).",
    "截断概率或在对数里加一个小 ε 都会让损失偏低：处处低一点，而在自信的错误上则给它封了顶"
    "（logit 为 1e4 时损失应是 1e4，而不是 16 或 100，而且截断后得不到梯度）。请直接用 logit 计算："
    "log σ(x) = min(x, 0) − log(1 + e^(−|x|))。",
)


bce_with_logits = FunctionExercise(
    "bce_with_logits",
    reference=lossbook.binary_cross_entropy_with_logits,
    cases=lambda g: _binary_cases(g, {}),
    reductions=True,
    mistakes=[
        Mistake("clamped", _bce_sigmoid_then_bce, _CLAMPED),
        Mistake("clamped", _bce_clamped_probability, _CLAMPED),
        Mistake(
            "labels_swapped",
            _bce_labels_swapped,
            Text(
                "the two terms are swapped: y = 1 goes with log σ(x) and y = 0 with log(1 − σ(x)).",
                "两项对调了：y = 1 对应 log σ(x)，y = 0 对应 log(1 − σ(x))。",
            ),
        ),
        Mistake(
            "sign",
            _bce_sign,
            Text(
                "the loss is the negative log-likelihood, −[y log p + (1 − y) log(1 − p)]: it is never "
                "negative.",
                "损失是负对数似然 −[y log p + (1 − y) log(1 − p)]：它永远不为负。",
            ),
        ),
        Mistake("clamped", None, _CLAMPED, matches=_capped),
    ],
    unstable_hint=Text(
        "log(sigmoid(x)) is −inf once sigmoid(x) rounds to 0 (x below about −88 in float32, "
        "−745 in float64), and log(1 − sigmoid(x)) once it rounds to 1 (x above about 17 in "
        "float32). Rewrite with log σ(x) = min(x, 0) − log1p(e^(−|x|)) = −softplus(−x) and "
        "log(1 − σ(x)) = log σ(x) − x: no exponent is ever positive.",
        "sigmoid(x) 舍入为 0 时（float32 中 x 约小于 −88，float64 中约小于 −745）log(sigmoid(x)) 为 −inf，"
        "舍入为 1 时（float32 中 x 约大于 17）log(1 − sigmoid(x)) 为 −inf。请改写为 "
        "log σ(x) = min(x, 0) − log1p(e^(−|x|)) = −softplus(−x) 和 log(1 − σ(x)) = log σ(x) − x："
        "这样指数永远不为正。",
    ),
    hint=Text(
        "start from −[y log σ(x) + (1 − y) log(1 − σ(x))], replace log(1 − σ(x)) by log σ(x) − x, "
        "and compute log σ(x) from x directly (torch.nn.functional.softplus(-x) is −log σ(x)).",
        "从 −[y log σ(x) + (1 − y) log(1 − σ(x))] 出发，把 log(1 − σ(x)) 换成 log σ(x) − x，"
        "再直接由 x 计算 log σ(x)（torch.nn.functional.softplus(-x) 就是 −log σ(x)）。",
    ),
    explanation=Text(
        "1 − σ(x) = σ(−x) = σ(x) e^(−x), so log(1 − σ(x)) = log σ(x) − x and the loss is "
        "(1 − y) x − log σ(x). And −log σ(x) = log(1 + e^(−x)) = softplus(−x) = max(−x, 0) + "
        "log1p(e^(−|x|)): the exponent is never positive, so nothing overflows, and the gradient "
        "is σ(x) − y everywhere, even at x = ±1e4.",
        "1 − σ(x) = σ(−x) = σ(x) e^(−x)，所以 log(1 − σ(x)) = log σ(x) − x，损失为 "
        "(1 − y) x − log σ(x)。而 −log σ(x) = log(1 + e^(−x)) = softplus(−x) = max(−x, 0) + "
        "log1p(e^(−|x|))：指数永远不为正，不会溢出，梯度处处是 σ(x) − y，x = ±1e4 时也一样。",
    ),
    solution=my_bce_with_logits,
    coverage=Text(
        "float32 and float64, every reduction, logits of ±1e4, the gradient",
        "float32 与 float64、所有 reduction、±1e4 的 logit、梯度",
    ),
)


# -- Exercise: cross-entropy from logits and class indices ------------------------------------------


def my_cross_entropy(input, target, reduction="mean"):
    # log softmax(x) = x - logsumexp(x); torch.logsumexp subtracts the row's maximum first
    log_p = input - torch.logsumexp(input, dim=1, keepdim=True)
    loss = -log_p[torch.arange(input.shape[0]), target]  # the true class of each row
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _ce_cases(g: torch.Generator) -> list[Case]:
    def batch(n, c, scale, dtype):
        x = (torch.randn(n, c, generator=g, dtype=torch.float64) * scale).to(dtype)
        return x, torch.randint(0, c, (n,), generator=g)

    cases = []
    x, y = batch(5, 4, 2.0, torch.float64)
    for reduction in ("none", "mean", "sum"):
        cases.append(
            Case(
                (x, y),
                {"reduction": reduction},
                Text("float64, 5 samples, 4 classes", "float64，5 个样本、4 个类别"),
            )
        )
    x, y = batch(8, 10, 3.0, torch.float64)
    cases.append(
        Case(
            (x, y),
            {"reduction": "mean"},
            Text("float64, 8 samples, 10 classes", "float64，8 个样本、10 个类别"),
        )
    )
    x, y = batch(6, 3, 2.0, torch.float32)
    cases.append(Case((x, y), {"reduction": "mean"}, Text("float32", "float32")))
    x = torch.tensor([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, 1e4, 0.5]], dtype=torch.float32)
    y = torch.tensor([0, 1, 2])
    cases.append(
        Case((x, y), {"reduction": "none"}, Text("float32, logits of ±1e4", "float32，±1e4 的 logit"))
    )
    cases.append(
        Case((x.double(), y), {"reduction": "sum"}, Text("float64, logits of ±1e4", "float64，±1e4 的 logit"))
    )
    return cases


def _log_softmax(x, dim=1):
    return x - torch.logsumexp(x, dim=dim, keepdim=True)


def _pick(log_p, target):
    return log_p[torch.arange(log_p.shape[0]), target]


def _ce_epsilon(input, target, reduction="mean"):
    p = torch.softmax(input, dim=1)
    return _reduce(-torch.log(_pick(p, target) + 1e-8), reduction)


def _ce_sign(input, target, reduction="mean"):
    return -lossbook.cross_entropy(input, target, reduction=reduction)


def _ce_one_hot_elementwise(input, target, reduction="mean"):
    # -(one_hot * log_p) reduced as a whole: 'none' keeps (N, C), 'mean' divides by N * C
    loss = -(torch.nn.functional.one_hot(target, input.shape[1]).to(input.dtype) * _log_softmax(input))
    return _reduce(loss, reduction)


def _ce_mean_over_classes(input, target, reduction="mean"):
    loss = lossbook.cross_entropy(input, target, reduction="sum" if reduction == "mean" else reduction)
    return loss / input.numel() if reduction == "mean" else loss


def _ce_wrong_index(input, target, reduction="mean"):
    return _reduce(-_log_softmax(input)[:, target], reduction)


def _ce_softmax_dim(input, target, reduction="mean"):
    return _reduce(-_pick(_log_softmax(input, dim=0), target), reduction)


def _ce_no_log_softmax(input, target, reduction="mean"):
    return _reduce(-_pick(input, target), reduction)


_MEAN_OVER_CLASSES = Text(
    "−one_hot(y) · log p has one entry per class, all zero but one: sum over the classes "
    "(dim=1) first, which gives one loss per sample, then reduce over the N samples. Averaging "
    "all N × C entries makes the loss C times too small.",
    "−one_hot(y) · log p 每个类别一项，只有一项不为零：先在类别维（dim=1）上求和，"
    "得到每个样本一个损失，再对 N 个样本归约。对全部 N × C 项求平均，损失会小 C 倍。",
)

cross_entropy = FunctionExercise(
    "cross_entropy",
    reference=lossbook.cross_entropy,
    cases=_ce_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "sign",
            _ce_sign,
            Text(
                "cross-entropy is −log p_y, the negative log-probability of the true class: it is never "
                "negative.",
                "交叉熵是 −log p_y，即真实类别对数概率的相反数：它永远不为负。",
            ),
        ),
        Mistake("mean_over_classes", _ce_one_hot_elementwise, _MEAN_OVER_CLASSES),
        Mistake("mean_over_classes", _ce_mean_over_classes, _MEAN_OVER_CLASSES),
        Mistake(
            "wrong_index",
            _ce_wrong_index,
            Text(
                "log_p[:, target] takes every row's entries at all N targets (an N × N matrix); "
                "pair row i with its own target: log_p[torch.arange(N), target], or "
                "log_p.gather(1, target.unsqueeze(1)).squeeze(1).",
                "log_p[:, target] 会在每一行取出全部 N 个目标位置的值（得到 N × N 矩阵）；"
                "应当让第 i 行只取自己的目标：log_p[torch.arange(N), target]，或 "
                "log_p.gather(1, target.unsqueeze(1)).squeeze(1)。",
            ),
        ),
        Mistake(
            "softmax_dim",
            _ce_softmax_dim,
            Text(
                "the softmax runs over the classes of each sample, dim=1 of an (N, C) input; dim=0 "
                "normalizes each class over the batch.",
                "softmax 应在每个样本的各类别上进行，即 (N, C) 输入的 dim=1；dim=0 "
                "是在批量上对每个类别归一化。",
            ),
        ),
        Mistake(
            "no_log_softmax",
            _ce_no_log_softmax,
            Text(
                "this picks the raw logit of the true class; cross-entropy picks its log-probability, "
                "x_y − log Σ_k e^(x_k) (what nll_loss expects as input is log-probabilities, not logits).",
                "这里取的是真实类别的原始 logit；交叉熵取的是它的对数概率 x_y − log Σ_k e^(x_k)"
                "（nll_loss 的输入应是对数概率，而不是 logit）。",
            ),
        ),
        Mistake(
            "clamped",
            _ce_epsilon,
            Text(
                "adding a small ε to the probabilities (or clamping them) lowers the loss: a little "
                "everywhere, and it caps it at −log ε: a true class 2e4 below the best logit costs 2e4, "
                "not 18 or 28. Stay in log space: log softmax(x) = x − logsumexp(x).",
                "给概率加一个小 ε（或截断概率）会让损失偏低：处处低一点，并把它封顶在 −log ε：真实类别的 "
                "logit 比最大值低 2e4 时损失就是 2e4，而不是 18 或 28。请在对数空间中计算：log softmax(x) = "
                "x − logsumexp(x)。",
            ),
            matches=_capped,
        ),
    ],
    unstable_hint=Text(
        "exp(x) overflows to inf for logits above about 88 in float32, and log(softmax(x)) is "
        "−inf where a probability rounds to 0. Compute log softmax(x) = x − logsumexp(x) with "
        "torch.logsumexp(x, dim=1, keepdim=True), which subtracts the row's maximum before "
        "exponentiating.",
        "float32 中 logit 大于约 88 时 exp(x) 溢出为 inf；概率舍入为 0 时 log(softmax(x)) 为 −inf。"
        "请用 torch.logsumexp(x, dim=1, keepdim=True) 计算 log softmax(x) = x − logsumexp(x)，"
        "它会先减去每行的最大值再取指数。",
    ),
    hint=Text(
        "the loss of row i is −log softmax(x_i)[y_i] = logsumexp(x_i) − x_{i, y_i}; pick each "
        "row's own class with log_p[torch.arange(N), target], then apply the reduction.",
        "第 i 行的损失是 −log softmax(x_i)[y_i] = logsumexp(x_i) − x_{i, y_i}；用 "
        "log_p[torch.arange(N), target] 取出每行自己的类别，再按 reduction 归约。",
    ),
    explanation=Text(
        "log softmax(x)_c = x_c − log Σ_k e^(x_k), and torch.logsumexp computes the second term as "
        "m + log Σ_k e^(x_k − m) with m the row's maximum: every exponent is ≤ 0, so nothing "
        "overflows, and the largest term is e^0 = 1, so the log never sees 0. Index with "
        "(torch.arange(N), target) to pick one entry per row.",
        "log softmax(x)_c = x_c − log Σ_k e^(x_k)，torch.logsumexp 把第二项算成 "
        "m + log Σ_k e^(x_k − m)，m 为该行最大值：所有指数都 ≤ 0，不会溢出；最大的一项是 e^0 = 1，"
        "对数的参数不会是 0。用 (torch.arange(N), target) 索引，每行取出一个值。",
    ),
    solution=my_cross_entropy,
    coverage=Text(
        "float32 and float64, 3 to 10 classes, every reduction, logits of ±1e4, the gradient",
        "float32 与 float64、3 到 10 个类别、所有 reduction、±1e4 的 logit、梯度",
    ),
)


# -- Exercise: the gradient of softmax + cross-entropy ----------------------------------------------


def my_ce_grad(logits, target):
    n, c = logits.shape
    p = torch.softmax(logits, dim=1)
    one_hot = torch.nn.functional.one_hot(target, c).to(logits.dtype)
    return (p - one_hot) / n  # reduction="mean" divides the loss, so also its gradient, by N


def _ce_grad_reference(logits, target):
    logits = logits.detach().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(lossbook.cross_entropy(logits, target), logits)
    return grad


def _ce_grad_cases(g: torch.Generator) -> list[Case]:
    def batch(n, c, scale, dtype):
        x = (torch.randn(n, c, generator=g, dtype=torch.float64) * scale).to(dtype)
        return x, torch.randint(0, c, (n,), generator=g)

    x = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, 1e4]], dtype=torch.float32)
    y = torch.tensor([0, 0, 1])
    return [
        Case(
            batch(4, 3, 2.0, torch.float64),
            label=Text("float64, 4 samples, 3 classes", "float64，4 个样本、3 个类别"),
            grad=(),
        ),
        Case(
            batch(6, 5, 3.0, torch.float64),
            label=Text("float64, 6 samples, 5 classes", "float64，6 个样本、5 个类别"),
            grad=(),
        ),
        Case(batch(5, 4, 2.0, torch.float32), label=Text("float32", "float32"), grad=()),
        Case(
            batch(1, 3, 1.0, torch.float64),
            label=Text("float64, a single sample", "float64，单个样本"),
            grad=(),
        ),
        Case((x, y), label=Text("float32, logits of ±1e4", "float32，±1e4 的 logit"), grad=()),
        Case((x.double(), y), label=Text("float64, logits of ±1e4", "float64，±1e4 的 logit"), grad=()),
    ]


def _one_hot(logits, target):
    return torch.nn.functional.one_hot(target, logits.shape[1]).to(logits.dtype)


def _grad_missing_mean(logits, target):
    return torch.softmax(logits, 1) - _one_hot(logits, target)


def _grad_sign(logits, target):
    return (_one_hot(logits, target) - torch.softmax(logits, 1)) / logits.shape[0]


def _grad_missing_one_hot(logits, target):
    return torch.softmax(logits, 1) / logits.shape[0]


def _grad_true_class_only(logits, target):
    y = _one_hot(logits, target)
    return y * (torch.softmax(logits, 1) - 1) / logits.shape[0]


def _grad_sigmoid(logits, target):
    return (torch.sigmoid(logits) - _one_hot(logits, target)) / logits.shape[0]


ce_grad = FunctionExercise(
    "ce_grad",
    reference=_ce_grad_reference,
    cases=_ce_grad_cases,
    mistakes=[
        Mistake(
            "missing_mean",
            _grad_missing_mean,
            Text(
                "p − y is the gradient of one sample's loss; reduction='mean' divides the loss, and "
                "so its gradient, by the number of samples N.",
                "p − y 是单个样本损失的梯度；reduction='mean' 把损失除以样本数 N，梯度也要除以 N。",
            ),
        ),
        Mistake(
            "sign",
            _grad_sign,
            Text(
                "check the sign: raising the true class's logit lowers the loss, so that component "
                "of the gradient is negative: p_y − 1 < 0.",
                "检查符号：提高真实类别的 logit 会降低损失，所以梯度的这一分量为负：p_y − 1 < 0。",
            ),
        ),
        Mistake(
            "missing_one_hot",
            _grad_missing_one_hot,
            Text(
                "the derivative of −log p_y has two parts: −1 from the true class's own logit, and "
                "+p_j from the log Σ e^(x_k) term; subtract the one-hot vector.",
                "−log p_y 的导数有两部分：真实类别自身的 logit 贡献 −1，log Σ e^(x_k) 一项贡献 +p_j；"
                "要减去 one-hot 向量。",
            ),
        ),
        Mistake(
            "true_class_only",
            _grad_true_class_only,
            Text(
                "every logit enters the softmax's denominator, so the wrong classes get a gradient too: "
                "p_j for j ≠ y, not 0.",
                "每个 logit 都出现在 softmax 的分母里，所以错误类别也有梯度：j ≠ y 时是 p_j，而不是 0。",
            ),
        ),
        Mistake(
            "sigmoid",
            _grad_sigmoid,
            Text(
                "σ(x) − y is BCE's gradient; with a softmax over the classes it is softmax(x) − y.",
                "σ(x) − y 是 BCE 的梯度；对各类别做 softmax 时应为 softmax(x) − y。",
            ),
        ),
    ],
    unstable_hint=Text(
        "torch.exp(x) / torch.exp(x).sum(...) is inf / inf = nan for large logits; use "
        "torch.softmax(x, dim=1), or subtract each row's maximum before exponentiating.",
        "logit 很大时 torch.exp(x) / torch.exp(x).sum(...) 会得到 inf / inf = nan；请用 "
        "torch.softmax(x, dim=1)，或者先减去每行的最大值再取指数。",
    ),
    hint=Text(
        "differentiate L_i = −x_{i,y_i} + log Σ_k e^(x_{i,k}) with respect to x_{i,j}, then "
        "remember that the mean over the N rows divides everything by N.",
        "对 L_i = −x_{i,y_i} + log Σ_k e^(x_{i,k}) 求关于 x_{i,j} 的导数，再记得对 N 行取平均会把一切除以 "
        "N。",
    ),
    explanation=Text(
        "∂/∂x_j of log Σ_k e^(x_k) is e^(x_j) / Σ_k e^(x_k) = p_j, and ∂/∂x_j of −x_y is −1 "
        "if j = y, else 0. So one sample's gradient is p − onehot(y), and the mean over N "
        "samples divides it by N. Each component lies in [−1/N, 1/N]: the gradient never "
        "explodes, however wrong the model.",
        "log Σ_k e^(x_k) 对 x_j 的导数是 e^(x_j) / Σ_k e^(x_k) = p_j；−x_y 对 x_j 的导数在 j = y "
        "时为 −1，否则为 0。所以单个样本的梯度是 p − onehot(y)，对 N 个样本取平均再除以 N。"
        "每个分量都在 [−1/N, 1/N] 内：无论模型错得多离谱，梯度都不会爆炸。",
    ),
    solution=my_ce_grad,
    coverage=Text(
        "float32 and float64, 1 to 6 samples, 3 to 5 classes, logits of ±1e4; "
        "compared with autograd through lossbook.cross_entropy",
        "float32 与 float64、1 到 6 个样本、3 到 5 个类别、±1e4 的 logit；"
        "与经 lossbook.cross_entropy 的 autograd 结果比较",
    ),
)


# -- Exercise: the sigmoid focal loss ---------------------------------------------------------------


def my_sigmoid_focal(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce = (1 - target) * input + torch.nn.functional.softplus(-input)  # BCE-with-logits
    p = torch.sigmoid(input)
    p_t = p * target + (1 - p) * (1 - target)  # the probability of the true class
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    loss = alpha_t * (1 - p_t) ** gamma * bce
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _focal_cases(g: torch.Generator) -> list[Case]:
    cases = _binary_cases(g, {"alpha": 0.25, "gamma": 2.0})
    x = torch.randn(3, 4, generator=g, dtype=torch.float64) * 2
    cases.insert(
        3,
        Case(
            (x, _labels((3, 4), g, torch.float64)),
            {"alpha": 0.75, "gamma": 1.0, "reduction": "none"},
            Text("float64, alpha=0.75, gamma=1", "float64，alpha=0.75，gamma=1"),
        ),
    )
    x = torch.tensor([-2.5, -0.7, 0.3, 1.2, 3.0, -4.0], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
    cases.insert(
        4,
        Case(
            (x, y),
            {"alpha": 0.5, "gamma": 0.0, "reduction": "none"},
            Text("float64, alpha=0.5, gamma=0 (half of BCE)", "float64，alpha=0.5，gamma=0（BCE 的一半）"),
        ),
    )
    cases.insert(
        5,
        Case(
            (x, y),
            {"alpha": 0.25, "gamma": 0.5, "reduction": "none"},
            Text("float64, gamma=0.5", "float64，gamma=0.5"),
        ),
    )
    return cases


def _focal_parts(input, target, alpha):
    bce = lossbook.binary_cross_entropy_with_logits(input, target, reduction="none")
    p = torch.sigmoid(input)
    p_t = p * target + (1 - p) * (1 - target)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return bce, p, p_t, alpha_t


def _focal_clamped(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    p = torch.sigmoid(input).clamp(1e-9, 1 - 1e-9)
    p_t = p * target + (1 - p) * (1 - target)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return _reduce(-alpha_t * (1 - p_t) ** gamma * torch.log(p_t), reduction)


def _focal_one_minus_p(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t, alpha_t = _focal_parts(input, target, alpha)
    return _reduce(alpha_t * (1 - p) ** gamma * bce, reduction)


def _focal_alpha_everywhere(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t, alpha_t = _focal_parts(input, target, alpha)
    return _reduce(alpha * (1 - p_t) ** gamma * bce, reduction)


def _focal_alpha_swapped(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t, alpha_t = _focal_parts(input, target, alpha)
    return _reduce((1 - alpha_t) * (1 - p_t) ** gamma * bce, reduction)


def _focal_p_t_power(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t, alpha_t = _focal_parts(input, target, alpha)
    return _reduce(alpha_t * p_t**gamma * bce, reduction)


def _focal_no_alpha(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t, alpha_t = _focal_parts(input, target, alpha)
    return _reduce((1 - p_t) ** gamma * bce, reduction)


sigmoid_focal = FunctionExercise(
    "sigmoid_focal",
    reference=lossbook.sigmoid_focal_loss,
    cases=_focal_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "one_minus_p",
            _focal_one_minus_p,
            Text(
                "the factor is (1 − p_t)^γ, not (1 − p)^γ: for a negative sample p_t = 1 − p, so (1 − p)^γ "
                "keeps easy negatives and silences hard ones (the error of the article 'Losses for "
                "Classification Tasks').",
                "调制因子是 (1 − p_t)^γ，不是 (1 − p)^γ：负样本的 p_t = 1 − p，用 (1 − p)^γ "
                "会保留容易的负样本、压制困难的负样本（《分类任务损失》一文的错误）。",
            ),
        ),
        Mistake(
            "alpha_everywhere",
            _focal_alpha_everywhere,
            Text(
                "α weights the positives and 1 − α the negatives: α_t = α y + (1 − α)(1 − y). Multiplying "
                "every sample by α only rescales the loss (the error of the article 'Losses for "
                "Classification Tasks').",
                "α 加权正样本，1 − α 加权负样本：α_t = α y + (1 − α)(1 − y)。每个样本都乘 α "
                "只是把损失整体缩放（《分类任务损失》一文的错误）。",
            ),
        ),
        Mistake(
            "alpha_swapped",
            _focal_alpha_swapped,
            Text(
                "α and 1 − α are swapped: α goes with the positives (y = 1), 1 − α with the negatives.",
                "α 与 1 − α 对调了：α 对应正样本（y = 1），1 − α 对应负样本。",
            ),
        ),
        Mistake(
            "p_t_power",
            _focal_p_t_power,
            Text(
                "p_t^γ grows as the sample gets easier; the modulating factor (1 − p_t)^γ shrinks instead, "
                "which is the point of the focal loss.",
                "p_t^γ 随样本变容易而增大；调制因子 (1 − p_t)^γ 则相反，会缩小，这正是焦点损失的用意。",
            ),
        ),
        Mistake(
            "no_alpha",
            _focal_no_alpha,
            Text(
                "the class weight α_t = α y + (1 − α)(1 − y) is missing.",
                "缺少类别权重 α_t = α y + (1 − α)(1 − y)。",
            ),
        ),
        Mistake(
            "clamped",
            _focal_clamped,
            Text(
                "clamping p (as 'Losses for Classification Tasks' does with eps) or adding ε inside the log "
                "lowers the loss, and caps the BCE factor at −log ε: a hard sample at a logit of ±1e4 "
                "should cost α_t · 1e4. Compute the BCE factor from the logit, as in the first exercise.",
                "截断 p（《分类任务损失》用 eps 这样做）或在对数里加 ε 会让损失偏低，并把 BCE 因子封顶在 "
                "−log ε：logit 为 ±1e4 的困难样本的损失应是 α_t · 1e4。请像第一道练习那样直接由 logit 计算 "
                "BCE 因子。",
            ),
            matches=_capped,
        ),
    ],
    unstable_hint=Text(
        "do not take log(sigmoid(x)): compute the BCE factor from the logit, as in the first "
        "exercise, (1 − y) x + softplus(−x); the modulating factor (1 − p_t)^γ is safe to compute "
        "from torch.sigmoid.",
        "不要对 sigmoid(x) 取对数：像第一道练习那样直接由 logit 计算 BCE 因子 (1 − y) x + softplus(−x)；"
        "调制因子 (1 − p_t)^γ 可以放心地用 torch.sigmoid 计算。",
    ),
    hint=Text(
        "three factors, each elementwise: α_t = α y + (1 − α)(1 − y), (1 − p_t)^γ with "
        "p_t = p y + (1 − p)(1 − y) and p = σ(x), and BCE-with-logits; multiply them, then reduce.",
        "三个逐元素的因子：α_t = α y + (1 − α)(1 − y)；(1 − p_t)^γ，其中 p_t = p y + (1 − p)(1 − y)，"
        "p = σ(x)；以及 BCE-with-logits。相乘后再归约。",
    ),
    explanation=Text(
        "FL = α_t (1 − p_t)^γ · BCE(x, y). p_t is the probability of the true class (p for a "
        "positive, 1 − p for a negative), so the factor silences easy samples of both classes; "
        "α_t balances positives against negatives. The BCE factor comes from the logit, so the "
        "loss is exact at x = ±1e4. (lossbook also computes 1 − p_t as y σ(−x) + (1 − y) σ(x), "
        "which keeps the gradient finite for γ < 1 when p_t rounds to 1.)",
        "FL = α_t (1 − p_t)^γ · BCE(x, y)。p_t 是真实类别的概率（正样本为 p，负样本为 1 − p），"
        "所以调制因子对两类中容易的样本都会压低；α_t 平衡正负样本。BCE 因子直接由 logit 计算，"
        "x = ±1e4 时损失也是精确的。（lossbook 还把 1 − p_t 算成 y σ(−x) + (1 − y) σ(x)，"
        "这样 γ < 1 且 p_t 舍入为 1 时梯度仍然有限。）",
    ),
    solution=my_sigmoid_focal,
    coverage=Text(
        "float32 and float64, alpha 0.25 to 0.75, gamma 0 to 2, every reduction, logits of ±1e4, the "
        "gradient",
        "float32 与 float64、alpha 从 0.25 到 0.75、gamma 从 0 到 2、所有 reduction、±1e4 的 logit、梯度",
    ),
)


# -- Exercise: the multilabel soft margin loss -----------------------------------------------------


def my_multilabel_soft_margin(input, target, reduction="mean"):
    # one BCE-with-logits per label, -[y log σ(x) + (1 - y) log σ(-x)], with log σ(x) = -softplus(-x)
    per_label = target * torch.nn.functional.softplus(-input) + (1 - target) * torch.nn.functional.softplus(
        input
    )
    loss = per_label.mean(dim=1)  # one loss per sample: the mean over its C labels
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _multilabel_cases(g: torch.Generator) -> list[Case]:
    """(N, C) logits and 0/1 labels: every reduction, float64 with gradients, float32, ±1e4.

    No logit is exactly 0, where softplus-based and max-based forms pick different subgradients.
    """

    def batch(n, c, scale, dtype):
        x = (torch.randn(n, c, generator=g, dtype=torch.float64) * scale).to(dtype)
        return x, _labels((n, c), g, dtype)

    cases = []
    x, y = batch(5, 4, 2.0, torch.float64)
    for reduction in ("none", "mean", "sum"):
        cases.append(
            Case(
                (x, y),
                {"reduction": reduction},
                Text("float64, 5 samples x 4 labels", "float64，5 个样本 x 4 个标签"),
            )
        )
    x, y = batch(8, 10, 3.0, torch.float64)
    cases.append(
        Case(
            (x, y),
            {"reduction": "sum"},
            Text("float64, 8 samples x 10 labels", "float64，8 个样本 x 10 个标签"),
        )
    )
    x, y = batch(6, 3, 2.0, torch.float32)
    cases.append(Case((x, y), {"reduction": "mean"}, Text("float32", "float32")))
    x = torch.tensor([[1e4, -1e4, 0.5], [-1e4, 1e4, -0.25]], dtype=torch.float32)
    y = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]], dtype=torch.float32)
    cases.append(
        Case((x, y), {"reduction": "none"}, Text("float32, logits of ±1e4", "float32，±1e4 的 logit"))
    )
    cases.append(
        Case(
            (x.double(), y.double()),
            {"reduction": "sum"},
            Text("float64, logits of ±1e4", "float64，±1e4 的 logit"),
        )
    )
    return cases


def _per_label_bce(input, target):
    return lossbook.binary_cross_entropy_with_logits(input, target, reduction="none")


def _mlsm_sum_over_labels(input, target, reduction="mean"):
    return _reduce(_per_label_bce(input, target).sum(dim=1), reduction)


def _mlsm_no_mean_over_labels(input, target, reduction="mean"):
    return _reduce(_per_label_bce(input, target), reduction)


def _mlsm_softmax(input, target, reduction="mean"):
    # a softmax over the labels, computed stably (log(1 - p_c) from the other labels' logits), so
    # that this model does not also match every formula that overflows at logits of ±1e4
    log_p = torch.log_softmax(input, dim=1)
    mask = torch.eye(input.shape[1], dtype=torch.bool, device=input.device)
    others = input.unsqueeze(1).masked_fill(mask, float("-inf"))
    log_not_p = torch.logsumexp(others, dim=2) - torch.logsumexp(input, dim=1, keepdim=True)
    return _reduce(-(target * log_p + (1 - target) * log_not_p).mean(dim=1), reduction)


def _mlsm_labels_swapped(input, target, reduction="mean"):
    return _reduce(_per_label_bce(input, 1 - target).mean(dim=1), reduction)


def _mlsm_sign(input, target, reduction="mean"):
    return -_reduce(_per_label_bce(input, target).mean(dim=1), reduction)


def _mlsm_clamped_probability(input, target, reduction="mean"):
    p = torch.sigmoid(input).clamp(1e-7, 1 - 1e-7)
    return _reduce(-(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean(dim=1), reduction)


_MLSM_CLAMPED = Text(
    "clamping the probability, or adding a small ε inside the log, lowers the loss: a little "
    "everywhere, and on a confident mistake it caps it (a logit of 1e4 on the wrong side costs "
    "1e4, not 16). Work with the logits: −log σ(x) = softplus(−x) and −log(1 − σ(x)) = softplus(x).",
    "截断概率或在对数里加一个小 ε 都会让损失偏低：处处低一点，而在自信的错误上则给它封了顶"
    "（错误一侧 1e4 的 logit 损失应是 1e4，而不是 16）。请直接用 logit 计算："
    "−log σ(x) = softplus(−x)，−log(1 − σ(x)) = softplus(x)。",
)

multilabel_soft_margin = FunctionExercise(
    "multilabel_soft_margin",
    reference=lossbook.multilabel_soft_margin_loss,
    cases=_multilabel_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "sum_over_labels",
            _mlsm_sum_over_labels,
            Text(
                "the loss of a sample is the mean of its C label losses, not their sum: divide by C "
                "(.mean(dim=1)), so that the loss does not grow with the number of labels.",
                "一个样本的损失是它 C 个标签损失的平均，而不是总和：要除以 C（.mean(dim=1)），"
                "这样损失才不会随标签数增大。",
            ),
        ),
        Mistake(
            "no_mean_over_labels",
            _mlsm_no_mean_over_labels,
            Text(
                "this loss keeps one value per sample: average the C label losses of each row "
                "(dim=1) first, then apply the reduction over the N samples. Only 'mean' gives the "
                "same number either way.",
                "这个损失每个样本保留一个值：先在每行的 C 个标签上（dim=1）取平均，再对 N 个样本归约。"
                "只有 'mean' 两种算法得数相同。",
            ),
        ),
        Mistake(
            "softmax",
            _mlsm_softmax,
            Text(
                "the labels do not compete: each logit gets its own sigmoid. A softmax makes the C "
                "probabilities sum to 1, which is right for one class per sample, not for several labels.",
                "各标签之间不竞争：每个 logit 各自经过 sigmoid。softmax 让 C 个概率之和为 1，"
                "适合每个样本只有一个类别的情形，而不适合多个标签。",
            ),
        ),
        Mistake(
            "labels_swapped",
            _mlsm_labels_swapped,
            Text(
                "the two terms are swapped: y = 1 goes with log σ(x) and y = 0 with log(1 − σ(x)).",
                "两项对调了：y = 1 对应 log σ(x)，y = 0 对应 log(1 − σ(x))。",
            ),
        ),
        Mistake(
            "sign",
            _mlsm_sign,
            Text(
                "the loss is a negative log-likelihood, −[y log σ(x) + (1 − y) log(1 − σ(x))]: it is "
                "never negative.",
                "损失是负对数似然 −[y log σ(x) + (1 − y) log(1 − σ(x))]：它永远不为负。",
            ),
        ),
        Mistake("clamped", _mlsm_clamped_probability, _MLSM_CLAMPED),
        Mistake("clamped", None, _MLSM_CLAMPED, matches=_capped),
    ],
    unstable_hint=Text(
        "log(sigmoid(x)) is −inf once sigmoid(x) rounds to 0, and log(1 − sigmoid(x)) once it rounds "
        "to 1 (x above about 17 in float32). Use −log σ(x) = softplus(−x) and −log(1 − σ(x)) = "
        "softplus(x): torch.nn.functional.softplus never overflows.",
        "sigmoid(x) 舍入为 0 时 log(sigmoid(x)) 为 −inf，舍入为 1 时（float32 中 x 约大于 17）"
        "log(1 − sigmoid(x)) 为 −inf。请用 −log σ(x) = softplus(−x) 和 −log(1 − σ(x)) = softplus(x)："
        "torch.nn.functional.softplus 不会溢出。",
    ),
    hint=Text(
        "compute BCE-with-logits for every entry of the (N, C) input, average over the labels "
        "(dim=1) to get one loss per sample, then apply the reduction over the samples.",
        "对 (N, C) 输入的每个元素计算 BCE-with-logits，在标签维（dim=1）上取平均，得到每个样本一个损失，"
        "再对样本归约。",
    ),
    explanation=Text(
        "The multilabel soft margin loss is BCE-with-logits label by label, averaged over the C "
        "labels of each sample: ℓ = −(1/C) Σ_c [y_c log σ(x_c) + (1 − y_c) log σ(−x_c)]. With "
        "−log σ(x) = softplus(−x) nothing overflows. Its 'mean' is the mean of BCE over all N × C "
        "entries, so it equals binary_cross_entropy_with_logits; 'none' and 'sum' keep one loss per "
        "sample, C times smaller than BCE's sum.",
        "多标签软间隔损失就是逐标签的 BCE-with-logits，在每个样本的 C 个标签上取平均："
        "ℓ = −(1/C) Σ_c [y_c log σ(x_c) + (1 − y_c) log σ(−x_c)]。用 −log σ(x) = softplus(−x) "
        "计算不会溢出。它的 'mean' 是 BCE 在全部 N × C 个元素上的平均，所以与 "
        "binary_cross_entropy_with_logits 相等；'none' 和 'sum' 每个样本保留一个损失，"
        "'sum' 比 BCE 的总和小 C 倍。",
    ),
    solution=my_multilabel_soft_margin,
    coverage=Text(
        "float32 and float64, 3 to 10 labels, every reduction, logits of ±1e4, the gradient",
        "float32 与 float64、3 到 10 个标签、所有 reduction、±1e4 的 logit、梯度",
    ),
)


# -- Predict, then measure: class weights under "mean" -----------------------------------------------

weight_scale = AnswerExercise(
    "weight_scale",
    answer="unchanged",
    choices=("larger", "smaller", "unchanged"),
    mistakes=[
        (
            "larger",
            Text(
                "with class weights, reduction='mean' divides the weighted sum by the sum of the weights "
                "it used, Σ_i w_{y_i}, not by the number of samples N. What happens to that ratio when "
                "every weight is multiplied by 10?",
                "有类别权重时，reduction='mean' 用加权和除以所用权重之和 Σ_i w_{y_i}，而不是除以样本数 N。"
                "所有权重都乘以 10 时，这个比值会怎样？",
            ),
        ),
        (
            "smaller",
            Text(
                "each sample's loss is multiplied by its weight, and 'mean' divides by the sum of those "
                "weights: numerator and denominator both change.",
                "每个样本的损失乘以自己的权重，'mean' 再除以这些权重之和：分子和分母都变了。",
            ),
        ),
    ],
    hint=Text(
        "cross-entropy's weighted mean is Σ_i w_{y_i} L_i / Σ_i w_{y_i}.",
        "交叉熵的加权平均是 Σ_i w_{y_i} L_i / Σ_i w_{y_i}。",
    ),
    why=Text(
        "The weighted mean divides by the sum of the weights, so a common factor cancels: only the "
        "ratios between the class weights matter, for the loss and for its gradient.",
        "加权平均除以权重之和，公共因子被约掉：无论损失还是梯度，起作用的只是各类权重之间的比值。",
    ),
    explanation=Text(
        "Answer 'unchanged'. lossbook, like torch, computes Σ_i w_{y_i} L_i / Σ_i w_{y_i} "
        "(a weighted average, not a sum divided by N), so 10 w gives the same loss and gradient "
        "as w. Multiplying one class's weight by 10 does change it: the average moves toward "
        "that class's mean loss. With reduction='sum' the loss would be 10 times larger.",
        "答案是 'unchanged'。lossbook 与 torch 一样计算 Σ_i w_{y_i} L_i / Σ_i w_{y_i}"
        "（加权平均，而不是总和除以 N），所以 10 w 与 w 的损失和梯度相同。只把某一类的权重乘以 10 "
        "则会改变结果：平均值向这一类的平均损失靠拢。若用 reduction='sum'，损失会变为 10 倍。",
    ),
    solution="""
x = torch.randn(8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 0])
w = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
for weight in (w, 10 * w):
    print(f"{lossbook.cross_entropy(x, y, weight=weight).item():.4f}")  # 1.4898 both times
""",
)


# -- Read a result of the chapter: the imbalanced digits ---------------------------------------------

imbalance = AnswerExercise(
    "imbalance",
    answer="weights",
    choices=("gamma", "weights", "both"),
    mistakes=[
        (
            "gamma",
            Text(
                "compare the rows 'cross-entropy' and 'focal, γ = 2': is the minority recall different?",
                "比较 “交叉熵” 和 “Focal，γ = 2” 两行：少数类召回率有差别吗？",
            ),
        ),
        (
            "both",
            Text(
                "the focal loss with γ = 2 and no α has the same minority recall as cross-entropy, and "
                "adding γ to the class weights (the last row) does not beat class-weighted "
                "cross-entropy.",
                "γ = 2、不带 α 的焦点损失与交叉熵的少数类召回率相同；"
                "在类别权重之上再加 γ（最后一行）也没有超过类别加权的交叉熵。",
            ),
        ),
    ],
    hint=Text(
        "read the 'minority recall' column of the imbalanced-digits table row by row, starting "
        "from plain cross-entropy.",
        "从普通交叉熵开始，逐行读不平衡数字实验表格中的 “少数类召回率” 一列。",
    ),
    why=Text(
        "The class weights raise minority recall by about 0.1, while γ = 2 alone leaves it where "
        "cross-entropy has it: the modulating factor targets easy samples, not skewed class priors.",
        "类别权重把少数类召回率提高了约 0.1，单独的 γ = 2 则让它停留在交叉熵的水平："
        "调制因子针对的是容易样本，而不是类别先验的偏斜。",
    ),
    explanation=Text(
        "Answer 'weights'. Cross-entropy and the focal loss with γ = 2 and no α both reach a "
        "minority recall of about 0.69; class-weighted cross-entropy about 0.79, and the focal "
        "loss with the class weights as α about 0.77. The minority digits are soon fitted well on "
        "the training set (p_t close to 1), so (1 − p_t)^γ down-weights them just like the "
        "majority; only a per-class weight moves the decision boundary toward them.",
        "答案是 'weights'。交叉熵与不带 α、γ = 2 的焦点损失，少数类召回率都约为 0.69；"
        "类别加权的交叉熵约为 0.79，以类别权重作 α 的焦点损失约为 0.77。少数类数字在训练集上很快被拟合好"
        "（p_t 接近 1），(1 − p_t)^γ 像对多数类一样压低它们的权重；只有按类别的权重才会把决策边界推向它们。",
    ),
    solution="""
for key, r in results.items():
    print(f"{key:<12} minority recall {r[:, 0].mean():.3f}")
""",
)
