"""Exercises of the regression chapter.

>>> from lossbook.exercises import regression as ex
>>> result = ex.huber.check(None)  # prints the message
✗ Not yet: ex.huber(...) returned None. Write its body and run the cell again.
  ex.huber.hint() gives a hint and ex.huber.solution() a worked solution.
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

__all__ = ["huber", "log_cosh_grad", "log_cosh", "quantile", "quantile_shift", "outliers"]


def _loss_cases(g: torch.Generator, keyword: dict, extreme: float) -> list[Case]:
    """Random cases for a pointwise loss: every reduction, float64 with gradients, float32, extremes."""

    def pair(shape, scale, dtype):
        x = (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)
        y = (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)
        return x, y

    cases = []
    for reduction in ("none", "mean", "sum"):
        x, y = pair((6,), 2.0, torch.float64)
        cases.append(Case((x, y), {**keyword, "reduction": reduction}, Text("float64", "float64")))
    x, y = pair((3, 4), 1.5, torch.float64)
    cases.append(
        Case((x, y), {**keyword, "reduction": "mean"}, Text("float64, a 3x4 batch", "float64，3x4 的批量"))
    )
    x, y = pair((5,), 2.0, torch.float32)
    cases.append(Case((x, y), {**keyword, "reduction": "mean"}, Text("float32", "float32")))
    x = torch.tensor([extreme, -extreme, 0.5, -0.25], dtype=torch.float32)
    y = torch.zeros(4, dtype=torch.float32)
    cases.append(
        Case((x, y), {**keyword, "reduction": "none"}, Text("float32, extreme errors", "float32，极端误差"))
    )
    cases.append(
        Case(
            (x.double(), y.double()),
            {**keyword, "reduction": "sum"},
            Text("float64, extreme errors", "float64，极端误差"),
        )
    )
    return cases


# -- Exercise: the Huber loss --------------------------------------------------------------------


def my_huber(input, target, delta=1.0, reduction="mean"):
    d = input - target
    quadratic = 0.5 * d**2
    linear = delta * (d.abs() - 0.5 * delta)
    loss = torch.where(d.abs() < delta, quadratic, linear)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _huber_cases(g):
    cases = _loss_cases(g, {"delta": 1.0}, extreme=1e4)
    for delta in (0.5, 2.0):
        d = torch.tensor([-3.0, -delta, -0.3, 0.0, 0.2, delta, 2.5], dtype=torch.float64)
        cases.append(
            Case(
                (d, torch.zeros_like(d)),
                {"delta": delta, "reduction": "none"},
                Text(
                    f"float64, delta={delta}, errors around ±delta",
                    f"float64，delta={delta}，误差在 ±delta 附近",
                ),
            )
        )
    return cases


def _huber_without_half(input, target, delta=1.0, reduction="mean"):
    d = input - target
    return _reduce(torch.where(d.abs() < delta, d**2, delta * (2 * d.abs() - delta)), reduction)


def _huber_quadratic_half_only(input, target, delta=1.0, reduction="mean"):
    d = input - target
    return _reduce(torch.where(d.abs() < delta, 0.5 * d**2, delta * (d.abs() - delta)), reduction)


def _huber_linear_unshifted(input, target, delta=1.0, reduction="mean"):
    d = input - target
    return _reduce(torch.where(d.abs() < delta, 0.5 * d**2, delta * d.abs()), reduction)


def _huber_squares_everywhere(input, target, delta=1.0, reduction="mean"):
    return _reduce(0.5 * (input - target) ** 2, reduction)


def _huber_no_abs(input, target, delta=1.0, reduction="mean"):
    d = input - target
    return _reduce(torch.where(d < delta, 0.5 * d**2, delta * (d - 0.5 * delta)), reduction)


huber = FunctionExercise(
    "huber",
    reference=lossbook.huber_loss,
    cases=_huber_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "missing_half",
            _huber_without_half,
            Text(
                "this is twice the Huber loss: the quadratic part is ½d², and the linear part δ(|d| − ½δ).",
                "这是 Huber 损失的两倍：二次部分是 ½d²，线性部分是 δ(|d| − ½δ)。",
            ),
        ),
        Mistake(
            "linear_shift",
            _huber_quadratic_half_only,
            Text(
                "the linear part should be δ(|d| − ½δ); with δ(|d| − δ) the two pieces do not meet at |d| = "
                "δ.",
                "线性部分应为 δ(|d| − ½δ)；写成 δ(|d| − δ) 时两段在 |d| = δ 处接不上。",
            ),
        ),
        Mistake(
            "linear_unshifted",
            _huber_linear_unshifted,
            Text(
                "the linear part is δ|d| − ½δ², not δ|d|: subtract ½δ² so that the two pieces meet at |d| = "
                "δ.",
                "线性部分是 δ|d| − ½δ²，不是 δ|d|：减去 ½δ²，两段才能在 |d| = δ 处相接。",
            ),
        ),
        Mistake(
            "no_linear_part",
            _huber_squares_everywhere,
            Text(
                "this is ½d² everywhere: beyond |d| = δ the Huber loss grows linearly.",
                "这里处处都是 ½d²：在 |d| = δ 之外，Huber 损失应线性增长。",
            ),
        ),
        Mistake(
            "missing_abs",
            _huber_no_abs,
            Text(
                "compare |d| with δ, not d: a large negative error belongs to the linear part too.",
                "要用 |d| 和 δ 比较，而不是 d：很大的负误差同样属于线性部分。",
            ),
        ),
    ],
    hint=Text(
        "with d = input − target, the loss is ½d² where |d| < δ and δ(|d| − ½δ) elsewhere; "
        "torch.where(condition, a, b) picks between the two, then apply the reduction.",
        "令 d = input − target，|d| < δ 时损失为 ½d²，否则为 δ(|d| − ½δ)；"
        "用 torch.where(condition, a, b) 在两者间选择，最后按 reduction 归约。",
    ),
    explanation=Text(
        "Compute both pieces for every element and let torch.where choose. The linear piece "
        "δ(|d| − ½δ) equals ½δ² at |d| = δ, so the loss and its derivative are continuous there.",
        "对每个元素算出两段，再用 torch.where 选择。线性段 δ(|d| − ½δ) 在 |d| = δ 处等于 ½δ²，"
        "因此损失和导数在那里都连续。",
    ),
    solution=my_huber,
    coverage=Text(
        "float32 and float64, every reduction, errors of ±1e4, the gradient",
        "float32 与 float64、所有 reduction、±1e4 的误差、梯度",
    ),
)


# -- Exercise: the derivative of log-cosh ---------------------------------------------------------


def my_log_cosh_grad(d):
    return torch.tanh(d)


def _log_cosh_grad_reference(d):
    d = d.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = lossbook.log_cosh_loss(d, torch.zeros_like(d), reduction="sum")
        (grad,) = torch.autograd.grad(loss, d)
    return grad


def _log_cosh_grad_cases(g):
    cases = [
        Case(
            (torch.randn(7, generator=g, dtype=torch.float64) * 2,), label=Text("float64", "float64"), grad=()
        ),
        Case((torch.linspace(-3, 3, 7, dtype=torch.float32),), label=Text("float32", "float32"), grad=()),
        Case(
            (torch.tensor([-1e4, -100.0, 100.0, 1e4], dtype=torch.float32),),
            label=Text("float32, large |d|", "float32，|d| 很大"),
            grad=(),
        ),
    ]
    return cases


def _naive_tanh(d):
    return (torch.exp(d) - torch.exp(-d)) / (torch.exp(d) + torch.exp(-d))


log_cosh_grad = FunctionExercise(
    "log_cosh_grad",
    reference=_log_cosh_grad_reference,
    cases=_log_cosh_grad_cases,
    mistakes=[
        Mistake(
            "sinh",
            lambda d: torch.sinh(d),
            Text(
                "sinh d is the derivative of cosh d; the chain rule divides it by cosh d.",
                "sinh d 是 cosh d 的导数；按链式法则还要除以 cosh d。",
            ),
        ),
        Mistake(
            "sign",
            lambda d: -torch.tanh(d),
            Text(
                "check the sign: log cosh grows with |d|, so the derivative is positive for d > 0.",
                "检查符号：log cosh 随 |d| 增大而增大，d > 0 时导数为正。",
            ),
        ),
        Mistake(
            "reciprocal",
            lambda d: 1 / torch.cosh(d),
            Text(
                "d/dd log u = u'/u with u = cosh d and u' = sinh d.",
                "d/dd log u = u'/u，其中 u = cosh d，u' = sinh d。",
            ),
        ),
    ],
    unstable_hint=Text(
        "e^d overflows for large |d| (inf/inf is nan); torch.tanh computes sinh d / cosh d without overflow.",
        "|d| 很大时 e^d 会溢出（inf/inf 得到 nan）；torch.tanh 计算 sinh d / cosh d 时不会溢出。",
    ),
    hint=Text(
        "differentiate log(cosh d) with the chain rule: (log u)' = u'/u and (cosh d)' = sinh d.",
        "用链式法则对 log(cosh d) 求导：(log u)' = u'/u，(cosh d)' = sinh d。",
    ),
    explanation=Text(
        "d/dd log cosh d = sinh d / cosh d = tanh d. tanh is bounded by 1, which is why "
        "log-cosh behaves like MAE for large errors and like ½d² for small ones.",
        "d/dd log cosh d = sinh d / cosh d = tanh d。tanh 的绝对值不超过 1，所以误差大时 "
        "log-cosh 像 MAE，误差小时像 ½d²。",
    ),
    solution=my_log_cosh_grad,
    coverage=Text("float32 and float64, |d| up to 1e4", "float32 与 float64、|d| 最大到 1e4"),
)


# -- Exercise: a log-cosh loss that does not overflow ----------------------------------------------


def my_log_cosh(input, target, reduction="mean"):
    d = (input - target).abs()
    # log cosh d = log((e^d + e^-d) / 2) = |d| + log(1 + e^(-2|d|)) - log 2, with no overflow
    loss = d + torch.log1p(torch.exp(-2 * d)) - math.log(2.0)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _log_cosh_without_log2(input, target, reduction="mean"):
    d = (input - target).abs()
    return _reduce(d + torch.log1p(torch.exp(-2 * d)), reduction)


def _log_cosh_plus_log2(input, target, reduction="mean"):
    d = (input - target).abs()
    return _reduce(d + torch.log1p(torch.exp(-2 * d)) + math.log(2.0), reduction)


def _log_cosh_signed(input, target, reduction="mean"):
    d = input - target
    return _reduce(d + torch.log1p(torch.exp(-2 * d)) - math.log(2.0), reduction)


log_cosh = FunctionExercise(
    "log_cosh",
    reference=lossbook.log_cosh_loss,
    cases=lambda g: _loss_cases(g, {}, extreme=1e4),
    reductions=True,
    mistakes=[
        Mistake(
            "missing_log2",
            _log_cosh_without_log2,
            Text(
                "cosh d = (e^d + e^-d) / 2: the 1/2 becomes − log 2 (without it, log cosh 0 is log 2, not "
                "0).",
                "cosh d = (e^d + e^-d) / 2：其中的 1/2 变成 − log 2（少了它，log cosh 0 等于 log 2 而不是 "
                "0）。",
            ),
        ),
        Mistake(
            "plus_log2",
            _log_cosh_plus_log2,
            Text(
                "log(x / 2) = log x − log 2: subtract log 2, do not add it.",
                "log(x / 2) = log x − log 2：应当减去 log 2，而不是加上。",
            ),
        ),
        Mistake(
            "missing_abs",
            _log_cosh_signed,
            Text(
                "the identity log cosh d = |d| + log(1 + e^(−2|d|)) − log 2 needs |d|: for d < 0 use −d.",
                "恒等式 log cosh d = |d| + log(1 + e^(−2|d|)) − log 2 里是 |d|：d < 0 时要用 −d。",
            ),
        ),
    ],
    unstable_hint=Text(
        "cosh d overflows for |d| > 89 in float32 (and > 710 in float64). Factor e^|d| out: "
        "log cosh d = |d| + log(1 + e^(−2|d|)) − log 2, and use torch.log1p.",
        "float32 中 |d| > 89（float64 中 > 710）时 cosh d 会溢出。把 e^|d| 提出来："
        "log cosh d = |d| + log(1 + e^(−2|d|)) − log 2，并使用 torch.log1p。",
    ),
    hint=Text(
        "torch.log(torch.cosh(d)) is right in exact arithmetic but overflows; rewrite cosh d = "
        "e^|d| (1 + e^(−2|d|)) / 2 and take the log of each factor.",
        "torch.log(torch.cosh(d)) 在数学上正确但会溢出；把 cosh d 改写成 "
        "e^|d| (1 + e^(−2|d|)) / 2，再对每个因子分别取对数。",
    ),
    explanation=Text(
        "cosh d = e^|d| (1 + e^(−2|d|)) / 2, so log cosh d = |d| + log1p(e^(−2|d|)) − log 2. "
        "e^(−2|d|) lies in (0, 1], so nothing overflows, and log1p keeps small values accurate.",
        "cosh d = e^|d| (1 + e^(−2|d|)) / 2，所以 log cosh d = |d| + log1p(e^(−2|d|)) − log 2。"
        "e^(−2|d|) 在 (0, 1] 内，不会溢出；log1p 让很小的值保持精确。",
    ),
    solution=my_log_cosh,
    coverage=Text(
        "float32 and float64, every reduction, errors of ±1e4, the gradient",
        "float32 与 float64、所有 reduction、±1e4 的误差、梯度",
    ),
)


# -- Exercise: the quantile (pinball) loss ----------------------------------------------------------


def my_quantile(input, target, q=0.5, reduction="mean"):
    r = target - input  # positive when the model under-predicts
    loss = torch.maximum(q * r, (q - 1) * r)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _quantile_swapped(input, target, q=0.5, reduction="mean"):
    r = input - target
    return _reduce(torch.maximum(q * r, (q - 1) * r), reduction)


def _quantile_no_max(input, target, q=0.5, reduction="mean"):
    return _reduce(q * (target - input), reduction)


def _quantile_cases(g):
    cases = _loss_cases(g, {"q": 0.9}, extreme=1e4)
    d = torch.tensor([-2.0, -0.5, 0.1, 0.5, 2.0], dtype=torch.float64)
    for q in (0.1, 0.5):
        cases.append(
            Case(
                (d, torch.zeros_like(d)),
                {"q": q, "reduction": "none"},
                Text(f"float64, q={q}", f"float64，q={q}"),
            )
        )
    return cases


quantile = FunctionExercise(
    "quantile",
    reference=lossbook.quantile_loss,
    cases=_quantile_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "swapped",
            _quantile_swapped,
            Text(
                "the weights are swapped: under-prediction (target > input) costs q per unit and "
                "over-prediction costs 1 − q. Use r = target − input.",
                "权重反了：低估（target > input）每单位代价为 q，高估为 1 − q。请用 r = target − input。",
            ),
        ),
        Mistake(
            "no_max",
            _quantile_no_max,
            Text(
                "q·(target − input) is negative when the model over-predicts; take the larger of "
                "q·r and (q − 1)·r, which is never negative.",
                "模型高估时 q·(target − input) 是负数；应取 q·r 与 (q − 1)·r 中较大的一个，它永远不为负。",
            ),
        ),
    ],
    hint=Text(
        "with r = target − input, the loss is q·r when r ≥ 0 and (q − 1)·r when r < 0; "
        "torch.maximum(q * r, (q - 1) * r) covers both.",
        "令 r = target − input，r ≥ 0 时损失为 q·r，r < 0 时为 (q − 1)·r；"
        "torch.maximum(q * r, (q - 1) * r) 同时涵盖两种情况。",
    ),
    explanation=Text(
        "For r ≥ 0, q·r ≥ 0 ≥ (q − 1)·r, and for r < 0 the reverse, so the maximum picks the right "
        "branch. With q = 0.9 an under-prediction costs nine times as much as an over-prediction.",
        "r ≥ 0 时 q·r ≥ 0 ≥ (q − 1)·r，r < 0 时反过来，所以取最大值正好选中正确的分支。"
        "q = 0.9 时，低估的代价是高估的九倍。",
    ),
    solution=my_quantile,
    coverage=Text(
        "float32 and float64, q = 0.1, 0.5, 0.9, every reduction, the gradient",
        "float32 与 float64、q = 0.1、0.5、0.9、所有 reduction、梯度",
    ),
)


# -- Predict, then measure ------------------------------------------------------------------------

quantile_shift = AnswerExercise(
    "quantile_shift",
    answer="lower",
    choices=("higher", "lower", "unchanged"),
    mistakes=[
        (
            "higher",
            Text(
                "with q = 0.1 an under-prediction costs 0.1 per unit and an over-prediction 0.9: "
                "which way does that push the best constant?",
                "q = 0.1 时低估每单位代价 0.1，高估代价 0.9：最优常数会被推向哪边？",
            ),
        ),
        (
            "unchanged",
            Text(
                "the best constant of the pinball loss is the q-quantile of the sample, and q changed.",
                "pinball 损失的最优常数是样本的 q 分位数，而 q 变了。",
            ),
        ),
    ],
    hint=Text(
        "the best constant c makes the two costs balance: q × (share of samples above c) = "
        "(1 − q) × (share below c).",
        "最优常数 c 使两种代价平衡：q ×（高于 c 的样本比例）=（1 − q）×（低于 c 的样本比例）。",
    ),
    why=Text(
        "The best constant is the 0.1-quantile of the sample, below its median: over-predicting "
        "now costs nine times as much as under-predicting.",
        "最优常数是样本的 0.1 分位数，低于中位数：现在高估的代价是低估的九倍。",
    ),
    explanation=Text(
        "Answer 'lower'. The best constant c satisfies q·P(y > c) = (1 − q)·P(y < c), i.e. "
        "P(y < c) = q: it is the q-quantile. In the chapter, best_constant with q = 0.1 lands "
        "next to np.quantile(sample, 0.1).",
        "答案是 'lower'。最优常数 c 满足 q·P(y > c) = (1 − q)·P(y < c)，即 P(y < c) = q：它就是 "
        "q 分位数。在本章中，q = 0.1 时 best_constant 落在 np.quantile(sample, 0.1) 旁边。",
    ),
    solution="""
print(
    best_constant(lambda p, t: lossbook.quantile_loss(p, t, q=0.1)),
    np.quantile(sample.numpy(), 0.1),
)
""",
)


outliers = AnswerExercise(
    "outliers",
    answer=1.825,
    rel_tol=0.0,
    abs_tol=0.008,
    mistakes=[
        (
            1.964,
            Text(
                "1.964 is MAE's slope with 10 % outliers: change n // 10 to 2 * n // 5 in the data cell "
                "and run the fitting cell again.",
                "1.964 是 10 % 离群点时 MAE 的斜率：把数据单元格里的 n // 10 改成 2 * n // 5，"
                "再重新运行拟合单元格。",
            ),
        ),
        (
            1.063,
            Text(
                "1.063 is MSE's slope; the question asks for MAE's.",
                "1.063 是 MSE 的斜率；题目问的是 MAE 的。",
            ),
        ),
        (
            1.807,
            Text(
                "1.807 is Huber's slope; the question asks for MAE's.",
                "1.807 是 Huber 的斜率；题目问的是 MAE 的。",
            ),
        ),
    ],
    hint=Text(
        "in the cell that makes the data, [: n // 10] picks the outliers; make it [: 2 * n // 5], "
        "run that cell and the fitting cell, and read the 'mae' row.",
        "生成数据的单元格中 [: n // 10] 选出离群点；改成 [: 2 * n // 5]，依次运行该单元格和拟合单元格，读出 "
        "'mae' 那一行。",
    ),
    why=Text(
        "With 40 % outliers MAE's slope drops from 1.964 to about 1.825 (Huber: 1.807), while MSE's "
        "collapses to 1.063: the median resists far longer than the mean, but not forever.",
        "离群点占 40 % 时，MAE 的斜率从 1.964 降到约 1.825（Huber 为 1.807），而 MSE 跌到 1.063："
        "中位数比均值稳健得多，但并非无限稳健。",
    ),
    explanation=Text(
        "MAE estimates the conditional median, which ignores outliers only while they are a "
        "minority that does not shift it. All outliers here lie below the line, so each one moves "
        "the median of the residuals a little; at 40 % the fitted slope is 1.825 instead of 2.",
        "MAE 估计条件中位数；只有当离群点是少数、不足以移动中位数时，它才不受影响。这里的离群点全在直线下方，"
        "每多一个就把残差的中位数往下推一点；到 40 % 时拟合斜率是 1.825，而不是 2。",
    ),
    solution="""
# in the data cell, then re-run the fitting cell:
outlier[torch.randperm(n, generator=generator)[: 2 * n // 5]] = True
print(fits["mae"][0])  # 1.825
""",
)
