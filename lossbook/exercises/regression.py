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

__all__ = ["huber", "quantile", "gaussian_nll", "cauchy_grad", "quantile_shift", "outliers"]


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


# -- Exercise: the Gaussian negative log-likelihood, with its constant ------------------------------------


def my_gaussian_nll(input, target, var, reduction="mean"):
    # -log N(target; input, var) = ½ log(2π) + ½ log var + (target − input)² / (2 var)
    loss = 0.5 * (math.log(2 * math.pi) + torch.log(var) + (target - input) ** 2 / var)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _gaussian_nll_reference(input, target, var, reduction="mean"):
    return lossbook.gaussian_nll_loss(input, target, var, full=True, reduction=reduction)


def _gaussian_nll_cases(g):
    def triple(shape, dtype):
        x = torch.randn(shape, generator=g, dtype=torch.float64) * 2
        y = torch.randn(shape, generator=g, dtype=torch.float64) * 2
        var = torch.rand(shape, generator=g, dtype=torch.float64) * 3 + 0.05
        return x.to(dtype), y.to(dtype), var.to(dtype)

    cases = []
    for reduction in ("none", "mean", "sum"):
        cases.append(
            Case(
                triple((6,), torch.float64), {"reduction": reduction}, Text("float64", "float64"), grad=(0, 2)
            )
        )
    cases.append(
        Case(
            triple((3, 4), torch.float64),
            {"reduction": "mean"},
            Text("float64, a 3x4 batch", "float64，3x4 的批量"),
            grad=(0, 2),
        )
    )
    cases.append(Case(triple((5,), torch.float32), {"reduction": "mean"}, Text("float32", "float32")))
    x = torch.tensor([1e3, -1e3, 0.5, 0.0], dtype=torch.float64)
    var = torch.tensor([1e4, 1e-3, 1.0, 1.0], dtype=torch.float64)
    cases.append(
        Case(
            (x, torch.zeros_like(x), var),
            {"reduction": "none"},
            Text("float64, large errors and variances", "float64，很大的误差和方差"),
            grad=(0, 2),
        )
    )
    return cases


def _gaussian_nll_without_constant(input, target, var, reduction="mean"):
    return _reduce(0.5 * (torch.log(var) + (target - input) ** 2 / var), reduction)


def _gaussian_nll_without_half(input, target, var, reduction="mean"):
    return _reduce(0.5 * math.log(2 * math.pi) + torch.log(var) + (target - input) ** 2 / var, reduction)


def _gaussian_nll_log_std(input, target, var, reduction="mean"):
    return _reduce(
        0.5 * math.log(2 * math.pi) + 0.5 * torch.log(var) + (target - input) ** 2 / (2 * var.sqrt()),
        reduction,
    )


def _gaussian_nll_log_pi(input, target, var, reduction="mean"):
    return _reduce(0.5 * (math.log(math.pi) + torch.log(var) + (target - input) ** 2 / var), reduction)


gaussian_nll = FunctionExercise(
    "gaussian_nll",
    reference=_gaussian_nll_reference,
    cases=_gaussian_nll_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "no_constant",
            _gaussian_nll_without_constant,
            Text(
                "this is lossbook.gaussian_nll_loss with full=False: the exercise asks for the whole "
                "negative log-density, with its constant ½ log(2π).",
                "这是 full=False 的 lossbook.gaussian_nll_loss：题目要的是完整的负对数密度，"
                "包括常数 ½ log(2π)。",
            ),
        ),
        Mistake(
            "log_var_not_halved",
            _gaussian_nll_without_half,
            Text(
                "the density has 1/√(2π var): its log gives ½ log var and (y − μ)² / (2 var), both halved.",
                "密度里是 1/√(2π var)：取对数得到 ½ log var 和 (y − μ)² / (2 var)，两项都有 ½。",
            ),
        ),
        Mistake(
            "std_for_var",
            _gaussian_nll_log_std,
            Text(
                "the squared error is divided by 2·var (the variance), not by 2·σ: var is already σ².",
                "平方误差要除以 2·var（方差），而不是 2·σ：var 本身就是 σ²。",
            ),
        ),
        Mistake(
            "log_pi",
            _gaussian_nll_log_pi,
            Text("the constant is ½ log(2π), not ½ log π.", "常数是 ½ log(2π)，不是 ½ log π。"),
        ),
    ],
    hint=Text(
        "take −log of the normal density exp(−(y − μ)² / (2 var)) / √(2π var), term by term; "
        "then apply the reduction.",
        "对正态密度 exp(−(y − μ)² / (2 var)) / √(2π var) 逐项取 −log，再按 reduction 归约。",
    ),
    explanation=Text(
        "−log N(y; μ, var) = ½ log(2π) + ½ log var + (y − μ)² / (2 var). The constant changes no "
        "gradient, which is why torch and lossbook leave it out unless full=True; it matters when "
        "the value is read as a log-likelihood or compared across models.",
        "−log N(y; μ, var) = ½ log(2π) + ½ log var + (y − μ)² / (2 var)。常数不改变任何梯度，所以 torch 和 "
        "lossbook 只在 full=True 时才加上它；把数值当作对数似然解读、或在模型之间比较时，它才有意义。",
    ),
    solution=my_gaussian_nll,
    coverage=Text(
        "float32 and float64, every reduction, the gradients in input and var",
        "float32 与 float64、所有 reduction、对 input 和 var 的梯度",
    ),
)


# -- Exercise: the gradient of the Cauchy loss ------------------------------------------------------------


def my_cauchy_grad(d):
    return d / (1 + 0.5 * d**2)


def _cauchy_grad_reference(d):
    d = d.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = lossbook.cauchy_loss(d, torch.zeros_like(d), reduction="sum")
        (grad,) = torch.autograd.grad(loss, d)
    return grad


def _cauchy_grad_cases(g):
    return [
        Case(
            (torch.randn(7, generator=g, dtype=torch.float64) * 2,), label=Text("float64", "float64"), grad=()
        ),
        Case((torch.linspace(-3, 3, 7, dtype=torch.float32),), label=Text("float32", "float32"), grad=()),
        Case(
            (torch.tensor([-1e4, -30.0, 0.1, 30.0, 1e4], dtype=torch.float64),),
            label=Text("float64, large |d|", "float64，|d| 很大"),
            grad=(),
        ),
    ]


cauchy_grad = FunctionExercise(
    "cauchy_grad",
    reference=_cauchy_grad_reference,
    cases=_cauchy_grad_cases,
    mistakes=[
        Mistake(
            "no_inner_derivative",
            lambda d: 1 / (1 + 0.5 * d**2),
            Text(
                "d/dd log u = u'/u: the numerator is u' = d (the derivative of ½d² + 1), not 1.",
                "d/dd log u = u'/u：分子是 u' = d（½d² + 1 的导数），不是 1。",
            ),
        ),
        Mistake(
            "no_half_in_numerator",
            lambda d: 2 * d / (1 + 0.5 * d**2),
            Text(
                "the derivative of ½d² is d, not 2d.",
                "½d² 的导数是 d，不是 2d。",
            ),
        ),
        Mistake(
            "no_half_in_denominator",
            lambda d: d / (1 + d**2),
            Text(
                "the Cauchy loss here is log(½d² + 1): keep the ½ in the denominator.",
                "这里的 Cauchy 损失是 log(½d² + 1)：分母里的 ½ 要保留。",
            ),
        ),
        Mistake(
            "sign",
            lambda d: -d / (1 + 0.5 * d**2),
            Text(
                "check the sign: the loss grows with |d|, so the derivative is positive for d > 0.",
                "检查符号：损失随 |d| 增大而增大，d > 0 时导数为正。",
            ),
        ),
    ],
    hint=Text(
        "the Cauchy loss is log(½d² + 1); differentiate with (log u)' = u'/u.",
        "Cauchy 损失是 log(½d² + 1)；用 (log u)' = u'/u 求导。",
    ),
    explanation=Text(
        "d/dd log(½d² + 1) = d / (1 + ½d²). It grows like d near 0 (like MSE's gradient), peaks at "
        "|d| = √2 and then falls like 2/d: the farther a point lies from the fit, the less it pulls.",
        "d/dd log(½d² + 1) = d / (1 + ½d²)。它在 0 附近像 d 一样增长（与 MSE 的梯度一样），在 |d| = √2 "
        "处达到最大，之后像 2/d 一样下降：离拟合越远的点，拉力越小。",
    ),
    solution=my_cauchy_grad,
    coverage=Text("float32 and float64, |d| up to 1e4", "float32 与 float64、|d| 最大到 1e4"),
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
