"""Exercises of the chapter "A short history of loss functions".

>>> from lossbook.exercises import history as ex
>>> result = ex.least_squares_line.check(None)  # prints the message
✗ Not yet: ex.least_squares_line(...) returned None. Write its body and run the cell again.
  ex.least_squares_line.hint() gives a hint and ex.least_squares_line.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..validation import reduce as _reduce
from ._exercise import AnswerExercise, Case, Mistake
from ._function import FunctionExercise
from ._messages import Text

__all__ = [
    "busiest_decade",
    "least_squares_line",
    "gaussian_nll",
    "pinball_half",
    "cem_step",
    "elite_fraction",
]


# -- Read the timeline ----------------------------------------------------------------------------

busiest_decade = AnswerExercise(
    "busiest_decade",
    answer=14,
    rel_tol=0.0,
    abs_tol=0.1,
    mistakes=[
        (
            16,
            Text(
                "16 counts 2021 and 2023 as well; the 2010s are the years 2010 to 2019.",
                "16 把 2021 年和 2023 年也算进去了；2010 年代是 2010 年到 2019 年。",
            ),
        ),
        (
            3,
            Text(
                "3 is the count of the 2000s (2005 and twice 2006); the question asks for the 2010s.",
                "3 是 2000 年代的条数（2005 年一条、2006 年两条）；题目问的是 2010 年代。",
            ),
        ),
    ],
    hint=Text(
        "each row of EVENTS starts with its year: count the rows with 2010 <= year <= 2019, "
        "for example with sum(...) over a generator expression.",
        "EVENTS 的每一行以年份开头：数出 2010 <= year <= 2019 的行，例如对生成器表达式求 sum(...)。",
    ),
    why=Text(
        "14 of the 30 events fall in the 2010s, most of them metric-learning losses; the whole "
        "19th century has two.",
        "30 条记录中有 14 条在 2010 年代，大部分是度量学习的损失；整个 19 世纪只有两条。",
    ),
    explanation=Text(
        "Answer 14: two in 2014, three each in 2015, 2016 and 2017, two in 2018 and one in 2019. "
        "Counting by decade and family shows that 9 of the 14 are metric-learning losses.",
        "答案是 14：2014 年两条，2015、2016、2017 年各三条，2018 年两条，2019 年一条。"
        "按年代和类别统计可以看到，这 14 条中有 9 条是度量学习的损失。",
    ),
    solution="""
print(sum(2010 <= year <= 2019 for year, *rest in EVENTS))   # 14

from collections import Counter
print(sorted(Counter(year // 10 * 10 for year, *rest in EVENTS).items()))   # per decade
""",
)


# -- Exercise: Legendre's least-squares line -------------------------------------------------------


def my_least_squares_line(x, y):
    x_mean, y_mean = x.mean(), y.mean()
    dx, dy = x - x_mean, y - y_mean  # centre first: no cancellation when x is far from 0
    w = (dx * dy).sum() / (dx * dx).sum()
    b = y_mean - w * x_mean
    return torch.stack([w, b])


def _least_squares_reference(x, y):
    design = torch.stack([x.double(), torch.ones_like(x, dtype=torch.float64)], dim=1)
    solution = torch.linalg.lstsq(design, y.double()[:, None]).solution.flatten()
    return solution.to(x.dtype)


def _ls_parts(x, y):
    dx, dy = x - x.mean(), y - y.mean()
    return dx, dy, (dx * dy).sum() / (dx * dx).sum()


def _ls_swapped(x, y):
    w, b = _least_squares_reference(x, y)
    return torch.stack([b, w])


def _ls_no_intercept(x, y):
    return torch.stack([(x * y).sum() / (x * x).sum(), torch.zeros((), dtype=x.dtype)])


def _ls_intercept_is_mean(x, y):
    w = _ls_parts(x, y)[2]
    return torch.stack([w, y.mean()])


def _ls_x_on_y(x, y):
    dx, dy, _ = _ls_parts(x, y)
    w = (dx * dy).sum() / (dy * dy).sum()
    return torch.stack([w, y.mean() - w * x.mean()])


def _ls_ddof(factor):
    def model(x, y):
        n = x.numel()
        w = _ls_parts(x, y)[2] * (factor(n))
        return torch.stack([w, y.mean() - w * x.mean()])

    return model


_CANCELLATION_HINT = Text(
    "with x near 10⁴, Σx² and (Σx)²/N agree in their first 7 or 8 digits, so their difference "
    "(float32 keeps about 7) is mostly rounding error. Centre first: with dx = x − x̄ and dy = y − ȳ, "
    "w = Σ dx·dy / Σ dx².",
    "x 在 10⁴ 附近时，Σx² 与 (Σx)²/N 的前 7、8 位数字相同，而 float32 只有约 7 位有效数字，"
    "两者之差几乎全是舍入误差。先中心化：令 dx = x − x̄、dy = y − ȳ，则 w = Σ dx·dy / Σ dx²。",
)


#: the least-squares case far from 0: a wrong value there is the cancellation of the uncentred formula
_CANCELLATION = Mistake("cancellation", None, _CANCELLATION_HINT)


def _least_squares_cases(g):
    def line(n, offset, dtype, slope=1.5, intercept=-1.0):
        x = offset + 3 * torch.rand(n, generator=g, dtype=torch.float64)
        y = slope * (x - offset) + intercept + 0.3 * torch.randn(n, generator=g, dtype=torch.float64)
        return x.to(dtype), y.to(dtype)

    cases = [
        Case(line(12, 0.0, torch.float64), label=Text("float64", "float64"), grad=(0, 1)),
        Case(
            line(50, 0.0, torch.float64, slope=-0.5, intercept=2.0),
            label=Text("float64, 50 points, negative slope", "float64，50 个点，斜率为负"),
            grad=(0, 1),
        ),
        Case(
            line(20, -5.0, torch.float64, intercept=3.0),
            label=Text("float64, x in [−5, −2]", "float64，x 在 [−5, −2] 内"),
            grad=(0, 1),
        ),
        Case(line(20, 0.0, torch.float32), label=Text("float32", "float32")),
        Case(
            line(20, 1e4, torch.float32),
            label=Text("float32, x between 10⁴ and 10⁴ + 3", "float32，x 在 10⁴ 与 10⁴ + 3 之间"),
            mistake=_CANCELLATION,
        ),
    ]
    return cases


least_squares_line = FunctionExercise(
    "least_squares_line",
    reference=_least_squares_reference,
    cases=_least_squares_cases,
    mistakes=[
        Mistake(
            "swapped",
            _ls_swapped,
            Text(
                "the two numbers are in the wrong order: return torch.stack([w, b]), slope first.",
                "两个数的顺序反了：返回 torch.stack([w, b])，斜率在前。",
            ),
        ),
        Mistake(
            "no_intercept",
            _ls_no_intercept,
            Text(
                "w = Σxy / Σx² with b = 0 is the best line through the origin; the line ŷ = wx + b has an "
                "intercept, so centre x and y first.",
                "w = Σxy / Σx²、b = 0 是过原点的最优直线；ŷ = wx + b 有截距，要先把 x 和 y 中心化。",
            ),
        ),
        Mistake(
            "intercept_is_mean",
            _ls_intercept_is_mean,
            Text(
                "the slope is right, but b = ȳ − w·x̄, not ȳ: the line passes through the point (x̄, ȳ).",
                "斜率是对的，但 b = ȳ − w·x̄，不是 ȳ：直线经过点 (x̄, ȳ)。",
            ),
        ),
        Mistake(
            "x_on_y",
            _ls_x_on_y,
            Text(
                "Σ dx·dy / Σ dy² regresses x on y; least squares in y divides by Σ dx² (the residuals are "
                "vertical distances).",
                "Σ dx·dy / Σ dy² 是用 y 回归 x；关于 y 的最小二乘要除以 Σ dx²（残差是竖直方向的距离）。",
            ),
        ),
        Mistake(
            "mixed_ddof",
            _ls_ddof(lambda n: n / (n - 1)),
            Text(
                "the covariance and the variance use different denominators (N and N − 1, for example "
                "x.var() is unbiased by default): use the same for both, or the plain sums.",
                "协方差和方差用了不同的分母（N 与 N − 1，例如 x.var() 默认是无偏的）：两者要用同一个分母，"
                "或者直接用求和。",
            ),
        ),
        Mistake(
            "mixed_ddof",
            _ls_ddof(lambda n: (n - 1) / n),
            Text(
                "the covariance and the variance use different denominators (N − 1 and N, for example "
                "torch.cov is unbiased by default): use the same for both, or the plain sums.",
                "协方差和方差用了不同的分母（N − 1 与 N，例如 torch.cov 默认是无偏的）：两者要用同一个分母，"
                "或者直接用求和。",
            ),
        ),
    ],
    unstable_hint=_CANCELLATION_HINT,
    hint=Text(
        "set the derivatives of Σᵢ (yᵢ − w·xᵢ − b)² with respect to b and w to zero: the first gives "
        "b = ȳ − w·x̄, the second w = Σ (xᵢ − x̄)(yᵢ − ȳ) / Σ (xᵢ − x̄)². Return torch.stack([w, b]).",
        "令 Σᵢ (yᵢ − w·xᵢ − b)² 对 b 和 w 的导数为零：前者给出 b = ȳ − w·x̄，后者给出 "
        "w = Σ (xᵢ − x̄)(yᵢ − ȳ) / Σ (xᵢ − x̄)²。返回 torch.stack([w, b])。",
    ),
    explanation=Text(
        "Legendre's normal equations for ŷ = wx + b: ∂/∂b gives b = ȳ − w·x̄, and substituting into "
        "∂/∂w gives w = Σ dx·dy / Σ dx² with dx = x − x̄, dy = y − ȳ. Centring before multiplying "
        "avoids the cancellation of Σx² − N·x̄² when x is far from 0.",
        "对 ŷ = wx + b 写出勒让德的正规方程：对 b 求导得 b = ȳ − w·x̄，代入对 w 的方程得 "
        "w = Σ dx·dy / Σ dx²，其中 dx = x − x̄，dy = y − ȳ。先中心化再相乘，可以避免 x 远离 0 时 "
        "Σx² − N·x̄² 的相消。",
    ),
    solution=my_least_squares_line,
    coverage=Text(
        "float32 and float64, positive and negative slopes, x far from 0, the gradient "
        "with respect to x and y",
        "float32 与 float64、正负斜率、x 远离 0、对 x 和 y 的梯度",
    ),
)


# -- Exercise: Gauss's negative log-likelihood -----------------------------------------------------


def my_gaussian_nll(input, target, sigma=1.0, reduction="mean"):
    # −log N(y | ŷ, σ²) = (y − ŷ)² / (2σ²) + ½ log(2πσ²)
    loss = (target - input) ** 2 / (2 * sigma**2) + 0.5 * math.log(2 * math.pi * sigma**2)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _gaussian_nll_reference(input, target, sigma=1.0, reduction="mean"):
    variance = torch.full_like(input, sigma**2)
    return F.gaussian_nll_loss(input, target, variance, full=True, eps=0.0, reduction=reduction)


def _nll(quadratic, constant):
    def model(input, target, sigma=1.0, reduction="mean"):
        d2 = (target - input) ** 2
        return _reduce(quadratic(d2, sigma) + constant(sigma), reduction)

    return model


_LOG_2PI = math.log(2 * math.pi)
_log = math.log


def _gaussian_nll_cases(g):
    cases = []
    for reduction, sigma in (("none", 0.3), ("mean", 2.0), ("sum", 0.3)):
        x = torch.randn(6, generator=g, dtype=torch.float64)
        y = torch.randn(6, generator=g, dtype=torch.float64)
        cases.append(Case((x, y), {"sigma": sigma, "reduction": reduction}, Text("float64", "float64")))
    x = torch.randn(3, 4, generator=g, dtype=torch.float64)
    y = torch.randn(3, 4, generator=g, dtype=torch.float64)
    cases.append(
        Case((x, y), {"sigma": 0.5, "reduction": "mean"}, Text("float64, a 3x4 batch", "float64，3x4 的批量"))
    )
    x = torch.randn(5, generator=g, dtype=torch.float64).float()
    y = torch.randn(5, generator=g, dtype=torch.float64).float()
    cases.append(Case((x, y), {"sigma": 1.5, "reduction": "mean"}, Text("float32", "float32")))
    x = torch.tensor([1e4, -1e4, 0.5, -0.25], dtype=torch.float32)
    cases.append(
        Case(
            (x, torch.zeros(4)),
            {"sigma": 0.3, "reduction": "none"},
            Text("float32, errors of ±1e4", "float32，±1e4 的误差"),
        )
    )
    cases.append(
        Case(
            (x.double(), torch.zeros(4, dtype=torch.float64)),
            {"sigma": 1.0, "reduction": "sum"},
            Text("float64, σ = 1, errors of ±1e4", "float64，σ = 1，±1e4 的误差"),
        )
    )
    return cases


gaussian_nll = FunctionExercise(
    "gaussian_nll",
    reference=_gaussian_nll_reference,
    cases=_gaussian_nll_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "missing_constant",
            _nll(lambda d2, s: d2 / (2 * s**2), lambda s: 0.0),
            Text(
                "this is MSE/(2σ²) alone: the negative log-likelihood also has the normalizing term "
                "½·log(2πσ²), which does not depend on ŷ (so it does not change the minimizer) but is "
                "part of the value.",
                "这里只有 MSE/(2σ²)：负对数似然还包含归一化项 ½·log(2πσ²)，它与 ŷ 无关（不改变最小点），"
                "但属于损失值的一部分。",
            ),
        ),
        Mistake(
            "missing_2pi",
            _nll(lambda d2, s: d2 / (2 * s**2), lambda s: 0.5 * _log(s**2)),
            Text(
                "the normalizing constant of N(ŷ, σ²) is 1/√(2πσ²): its negative log is ½·log(2πσ²), "
                "with the 2π.",
                "N(ŷ, σ²) 的归一化常数是 1/√(2πσ²)：取负对数得 ½·log(2πσ²)，其中有 2π。",
            ),
        ),
        Mistake(
            "missing_half_log",
            _nll(lambda d2, s: d2 / (2 * s**2), lambda s: _LOG_2PI + _log(s**2)),
            Text(
                "−log(1/√(2πσ²)) = ½·log(2πσ²): the square root becomes a factor ½.",
                "−log(1/√(2πσ²)) = ½·log(2πσ²)：平方根变成因子 ½。",
            ),
        ),
        Mistake(
            "missing_half",
            _nll(lambda d2, s: d2 / s**2, lambda s: 0.5 * (_LOG_2PI + _log(s**2))),
            Text(
                "the exponent of the normal density is −(y − ŷ)²/(2σ²): keep the 2 in the denominator.",
                "正态密度的指数是 −(y − ŷ)²/(2σ²)：分母里的 2 不能丢。",
            ),
        ),
        Mistake(
            "variance_for_sigma",
            _nll(lambda d2, s: d2 / (2 * s), lambda s: 0.5 * (_LOG_2PI + _log(s))),
            Text(
                "sigma is the standard deviation: the variance is sigma², in the quadratic term and in the "
                "log.",
                "sigma 是标准差：二次项和对数项里用的方差都是 sigma²。",
            ),
        ),
    ],
    hint=Text(
        "the density of N(ŷ, σ²) at y is exp(−(y − ŷ)²/(2σ²)) / √(2πσ²); take −log of it per "
        "element, then apply the reduction.",
        "N(ŷ, σ²) 在 y 处的密度是 exp(−(y − ŷ)²/(2σ²)) / √(2πσ²)；逐元素取 −log，再按 reduction 归约。",
    ),
    explanation=Text(
        "−log p(y | ŷ) = (y − ŷ)²/(2σ²) + ½·log(2πσ²). Averaged over the samples this is "
        "MSE/(2σ²) + ½·log(2πσ²), the identity of the chapter: with σ fixed, minimizing it is "
        "minimizing MSE, which is Gauss's argument for least squares.",
        "−log p(y | ŷ) = (y − ŷ)²/(2σ²) + ½·log(2πσ²)。对样本求平均得 MSE/(2σ²) + ½·log(2πσ²)，"
        "即本章的恒等式：σ 固定时，最小化它就是最小化 MSE，这正是高斯为最小二乘给出的论证。",
    ),
    solution=my_gaussian_nll,
    coverage=Text(
        "float32 and float64, σ from 0.3 to 2, every reduction, errors of ±1e4, the gradient",
        "float32 与 float64、σ 从 0.3 到 2、所有 reduction、±1e4 的误差、梯度",
    ),
)


# -- Laplace: the pinball loss at q = 0.5 ---------------------------------------------------------

pinball_half = AnswerExercise(
    "pinball_half",
    answer=0.5,
    mistakes=[
        (
            1.0,
            Text(
                "at q = 0.5 the pinball loss is max(0.5·r, −0.5·r): both slopes are 0.5, not 1.",
                "q = 0.5 时 pinball 损失是 max(0.5·r, −0.5·r)：两侧的斜率都是 0.5，不是 1。",
            ),
        ),
        (
            2.0,
            Text(
                "the pinball loss is the smaller of the two: each unit of error costs q = 0.5 on either "
                "side.",
                "pinball 损失是两者中较小的那个：两侧每单位误差都只付 q = 0.5。",
            ),
        ),
    ],
    hint=Text(
        "the pinball loss is ρ_q(r) = max(q·r, (q − 1)·r) with r = y − ŷ; put q = 0.5 and compare "
        "with |r|. Then check it with lossbook.quantile_loss and lossbook.mae_loss.",
        "pinball 损失是 ρ_q(r) = max(q·r, (q − 1)·r)，其中 r = y − ŷ；代入 q = 0.5 并与 |r| 比较。"
        "再用 lossbook.quantile_loss 和 lossbook.mae_loss 验证。",
    ),
    why=Text(
        "ρ_0.5(r) = max(0.5·r, −0.5·r) = 0.5·|r|, so the pinball loss at q = 0.5 is half the MAE "
        "and has the same minimizer: the median, the maximum-likelihood estimate under Laplace noise.",
        "ρ_0.5(r) = max(0.5·r, −0.5·r) = 0.5·|r|，所以 q = 0.5 的 pinball 损失是 MAE 的一半，"
        "最小点相同：中位数，即拉普拉斯噪声下的最大似然估计。",
    ),
    explanation=Text(
        "Answer 0.5. max(0.5·r, −0.5·r) = 0.5·|r| for every r. A constant factor does not move the "
        "minimizer, so quantile regression at q = 0.5 is median regression, and by the chapter's "
        "identity NLL = MAE/b + log 2b it is also maximum likelihood under Laplace noise.",
        "答案是 0.5。对任意 r 都有 max(0.5·r, −0.5·r) = 0.5·|r|。常数因子不改变最小点，所以 q = 0.5 的"
        "分位数回归就是中位数回归；由本章的恒等式 NLL = MAE/b + log 2b，它也是拉普拉斯噪声下的最大似然。",
    ),
    solution="""
y = torch.randn(100, dtype=torch.float64)
y_hat = torch.zeros_like(y)
print(lossbook.quantile_loss(y_hat, y, q=0.5) / lossbook.mae_loss(y_hat, y))   # 0.5
""",
)


# -- Exercise: one round of the cross-entropy method -----------------------------------------------


def my_cem_step(x, fx, elite_fraction=0.1):
    n_elite = round(elite_fraction * len(x))
    elite = x[fx.argsort()[:n_elite]]  # the smallest values of f: we minimize
    return elite.mean(), elite.std()


def _cem_step_reference(x, fx, elite_fraction=0.1):
    k = round(elite_fraction * len(x))
    _, index = torch.topk(fx, k, largest=False)
    elite = x[index]
    mean = elite.sum() / k
    std = (((elite - mean) ** 2).sum() / (k - 1)).sqrt()
    return mean, std


def _cem_elite(x, fx, elite_fraction, largest=False):
    k = round(elite_fraction * len(x))
    return x[torch.topk(fx, k, largest=largest).indices]


def _cem_maximized(x, fx, elite_fraction=0.1):
    elite = _cem_elite(x, fx, elite_fraction, largest=True)
    return elite.mean(), elite.std()


def _cem_biased_std(x, fx, elite_fraction=0.1):
    elite = _cem_elite(x, fx, elite_fraction)
    return elite.mean(), elite.std(correction=0)


def _cem_all_samples(x, fx, elite_fraction=0.1):
    return x.mean(), x.std()


def _cem_f_values(x, fx, elite_fraction=0.1):
    k = round(elite_fraction * len(x))
    elite_f = torch.topk(fx, k, largest=False).values
    return elite_f.mean(), elite_f.std()


def _cem_variance(x, fx, elite_fraction=0.1):
    elite = _cem_elite(x, fx, elite_fraction)
    return elite.mean(), elite.var()


def _cem_cases(g):
    def objective(x):
        return (x - 2.0) ** 2 + 2.0 * torch.sin(5.0 * x)

    cases = []
    for n, fraction, mean, std, dtype, label in (
        (
            200,
            0.1,
            -3.0,
            3.0,
            torch.float64,
            Text("float64, the chapter's first round", "float64，本章的第一轮"),
        ),
        (200, 0.02, 1.6, 0.8, torch.float64, Text("float64, elite fraction 2 %", "float64，精英比例 2 %")),
        (
            40,
            0.25,
            0.0,
            2.0,
            torch.float32,
            Text("float32, 40 samples, elite fraction 25 %", "float32，40 个样本，精英比例 25 %"),
        ),
        (
            10,
            0.5,
            2.0,
            0.1,
            torch.float64,
            Text("float64, 10 samples, elite fraction 50 %", "float64，10 个样本，精英比例 50 %"),
        ),
    ):
        x = (mean + std * torch.randn(n, generator=g, dtype=torch.float64)).to(dtype)
        cases.append(Case((x, objective(x)), {"elite_fraction": fraction}, label, grad=()))
    return cases


cem_step = FunctionExercise(
    "cem_step",
    reference=_cem_step_reference,
    cases=_cem_cases,
    mistakes=[
        Mistake(
            "maximized",
            _cem_maximized,
            Text(
                "these are the samples with the largest f; the chapter minimizes f, so the elites are the "
                "smallest values: fx.argsort() is ascending, keep its first n_elite.",
                "这些是 f 最大的样本；本章是最小化 f，精英是 f 最小的那些：fx.argsort() 是升序，取前 n_elite "
                "个。",
            ),
        ),
        Mistake(
            "biased_std",
            _cem_biased_std,
            Text(
                "this standard deviation divides by n_elite; the chapter uses elite.std(), which divides "
                "by n_elite − 1.",
                "这个标准差除以的是 n_elite；本章用的是 elite.std()，除以 n_elite − 1。",
            ),
        ),
        Mistake(
            "variance",
            _cem_variance,
            Text(
                "the second number should be the standard deviation (elite.std()), not the variance.",
                "第二个数应当是标准差（elite.std()），不是方差。",
            ),
        ),
        Mistake(
            "f_values",
            _cem_f_values,
            Text(
                "these are the mean and spread of the elites' f values; the new sampling distribution is "
                "fitted to the elite points x themselves.",
                "这是精英的 f 值的均值和标准差；新的采样分布要拟合的是精英点 x 本身。",
            ),
        ),
        Mistake(
            "all_samples",
            _cem_all_samples,
            Text(
                "this refits the distribution to all the samples; keep only the best n_elite first.",
                "这是用全部样本重新拟合分布；应当只保留最好的 n_elite 个。",
            ),
        ),
    ],
    hint=Text(
        "n_elite = round(elite_fraction · len(x)); the elites are the n_elite samples with the "
        "smallest fx (fx.argsort() or torch.topk(..., largest=False)); return their mean and std.",
        "n_elite = round(elite_fraction · len(x))；精英是 fx 最小的 n_elite 个样本（用 fx.argsort() "
        "或 torch.topk(..., largest=False)）；返回它们的均值和标准差。",
    ),
    explanation=Text(
        "One round of the cross-entropy method keeps the best samples and refits the normal "
        "sampling distribution to them by maximum likelihood: the mean and the standard deviation "
        "of the elites (with the chapter's elite.std(), which divides by n_elite − 1).",
        "交叉熵方法的一轮：保留最好的样本，用最大似然把正态采样分布重新拟合到它们上："
        "即精英的均值和标准差（与本章一样用 elite.std()，除以 n_elite − 1）。",
    ),
    solution=my_cem_step,
    coverage=Text(
        "float32 and float64, 10 to 200 samples, elite fractions from 2 % to 50 %",
        "float32 与 float64、10 到 200 个样本、精英比例从 2 % 到 50 %",
    ),
)


# -- Predict, then measure: the elite fraction -----------------------------------------------------

elite_fraction = AnswerExercise(
    "elite_fraction",
    answer="more",
    choices=("more", "fewer", "same"),
    mistakes=[
        (
            "fewer",
            Text(
                "more elites include worse samples, so the refitted σ stays wide: with half the samples "
                "kept, the spread shrinks slowly. Run the chapter's loop with 100 elites and count.",
                "精英越多，就包含越差的样本，重新拟合的 σ 也就越宽：保留一半样本时，分布收缩得很慢。"
                "把本章循环改成保留 100 个精英，数一数。",
            ),
        ),
        (
            "same",
            Text(
                "the elite fraction decides how much of the distribution survives each round, so it sets "
                "how fast σ shrinks. Measure it.",
                "精英比例决定每一轮保留分布的多大部分，也就决定了 σ 收缩的速度。动手测一测。",
            ),
        ),
    ],
    hint=Text(
        "keeping the best 50 % of a normal sample cuts its spread much less than keeping the best "
        "10 %: how many rounds does σ then need to shrink from 3 to 10⁻³?",
        "保留正态样本中最好的 50 % 比保留最好的 10 % 对离散程度的削减小得多：σ 从 3 缩到 10⁻³ 需要多少轮？",
    ),
    why=Text(
        "With 50 % elites σ falls below 10⁻³ after 11 to 26 rounds (over 20 seeds) instead of 4 or 5 "
        "with 10 %, and 3 of the 20 runs stop away from the global minimum.",
        "精英比例为 50 % 时（20 个种子），σ 要 11 到 26 轮才降到 10⁻³ 以下，而 10 % 时只要 4 到 5 轮；"
        "并且 20 次中有 3 次停在了全局最小值之外。",
    ),
    explanation=Text(
        "Answer 'more'. Over 20 seeds, σ falls below 10⁻³ after 4 or 5 rounds with 10 % elites, "
        "after 2 to 4 with 2 % and after 11 to 26 with 50 %. The global minimum x = 2.1915 is found "
        "in 20 of 20 runs with 10 %, 19 with 2 % and 17 with 50 %: a larger fraction is slower and "
        "here not even safer, because the wide, slowly shrinking distribution can still settle in a "
        "neighbouring valley. Conclusions like this need several seeds.",
        "答案是 'more'。在 20 个种子上，精英比例 10 % 时 σ 经 4 到 5 轮降到 10⁻³ 以下，2 % 时 2 到 4 轮，"
        "50 % 时 11 到 26 轮。找到全局最小值 x = 2.1915 的次数：10 % 为 20/20，2 % 为 19/20，50 % 为 17/20："
        "比例越大越慢，在这里也并不更可靠，因为宽而收缩缓慢的分布仍可能落进相邻的谷。这类结论需要多个种子。",
    ),
    solution="""
def run(fraction, seed, n=200, rounds=30):
    gen = torch.Generator().manual_seed(seed)
    mean, std = torch.tensor(-3.0, dtype=torch.float64), torch.tensor(3.0, dtype=torch.float64)
    first = None  # the first round with σ < 1e-3
    for it in range(1, rounds + 1):
        x = mean + std * torch.randn(n, generator=gen, dtype=torch.float64)
        elite = x[f(x).argsort()[: round(fraction * n)]]
        mean, std = elite.mean(), elite.std()
        if first is None and std < 1e-3:
            first = it
    return first, abs(mean.item() - 2.1915) < 1e-3


for fraction in (0.02, 0.1, 0.5):
    runs = [run(fraction, seed) for seed in range(20)]
    print(f"elite fraction {fraction}: rounds {[r for r, _ in runs]}, "
          f"global minimum found {sum(found for _, found in runs)}/20")
""",
)
