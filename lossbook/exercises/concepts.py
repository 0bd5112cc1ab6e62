"""Exercises of the chapter "What a loss function is".

>>> from lossbook.exercises import concepts as ex
>>> result = ex.mse.check(None)  # prints the message
✗ Not yet: ex.mse(...) returned None. Write its body and run the cell again.
  ex.mse.hint() gives a hint and ex.mse.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

import lossbook

from ..validation import reduce as _reduce
from ._exercise import AnswerExercise, Case, Mistake
from ._function import FunctionExercise
from ._messages import Text

__all__ = ["mse", "mse_grad", "centred_condition", "sum_learning_rate", "pos_weight", "smooth_asymmetric"]


def _pair(g: torch.Generator, shape, scale: float, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)
    y = (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)
    return x, y


def _loss_cases(g: torch.Generator, keyword: dict, scale: float = 2.0) -> list[Case]:
    """Random cases for a pointwise loss: every reduction, float64 with gradients, float32, extremes."""
    cases = []
    for reduction in ("none", "mean", "sum"):
        x, y = _pair(g, (6,), scale, torch.float64)
        cases.append(Case((x, y), {**keyword, "reduction": reduction}, Text("float64", "float64")))
    x, y = _pair(g, (3, 4), scale, torch.float64)
    cases.append(
        Case((x, y), {**keyword, "reduction": "mean"}, Text("float64, a 3x4 batch", "float64，3x4 的批量"))
    )
    x, y = _pair(g, (5,), scale, torch.float32)
    cases.append(Case((x, y), {**keyword, "reduction": "mean"}, Text("float32", "float32")))
    x = torch.tensor([1e4, -1e4, 0.5, -0.25], dtype=torch.float32)
    y = torch.zeros(4, dtype=torch.float32)
    cases.append(
        Case(
            (x, y), {**keyword, "reduction": "none"}, Text("float32, errors of ±1e4", "float32，±1e4 的误差")
        )
    )
    cases.append(
        Case(
            (x.double(), y.double()),
            {**keyword, "reduction": "sum"},
            Text("float64, errors of ±1e4", "float64，±1e4 的误差"),
        )
    )
    return cases


# -- Exercise: the mean squared error and the reduction argument ----------------------------------


def my_mse(input, target, reduction="mean"):
    loss = (input - target) ** 2  # one loss per sample
    if reduction == "mean":
        return loss.mean()  # the cost
    if reduction == "sum":
        return loss.sum()  # the total
    return loss


def _mse_abs(input, target, reduction="mean"):
    return _reduce((input - target).abs(), reduction)


def _mse_half(input, target, reduction="mean"):
    return _reduce(0.5 * (input - target) ** 2, reduction)


def _mse_root(input, target, reduction="mean"):
    loss = _reduce((input - target) ** 2, reduction)
    return loss if reduction == "none" else loss.sqrt()


mse = FunctionExercise(
    "mse",
    reference=lossbook.mse_loss,
    cases=lambda g: _loss_cases(g, {}),
    reductions=True,
    mistakes=[
        Mistake(
            "absolute_error",
            _mse_abs,
            Text(
                "this is the absolute error |d| (MAE); the squared error is d² = (input − target)².",
                "这是绝对误差 |d|（MAE）；平方误差是 d² = (input − target)²。",
            ),
        ),
        Mistake(
            "extra_half",
            _mse_half,
            Text(
                "this is ½d²: the ½ is a convention of some textbooks (it cancels the 2 of the derivative), "
                "but MSE as PyTorch and lossbook define it has no ½.",
                "这是 ½d²：有些教材为了约掉导数里的 2 而加上 ½，但 PyTorch 和 lossbook 定义的 MSE 没有 ½。",
            ),
        ),
        Mistake(
            "root",
            _mse_root,
            Text(
                "this is the square root of the result (RMSE); MSE stops at the mean of the squares.",
                "这是结果的平方根（RMSE）；MSE 只取平方的平均，不开方。",
            ),
        ),
    ],
    hint=Text(
        "the loss of each sample is (input − target)²; reduction='none' returns these losses, "
        "'mean' their average (the cost) and 'sum' their total.",
        "每个样本的损失是 (input − target)²；reduction='none' 返回这些损失，"
        "'mean' 返回它们的平均值（代价），'sum' 返回总和。",
    ),
    explanation=Text(
        "Square the error elementwise to get one loss per sample, then reduce: the mean is the "
        "cost of the chapter (the empirical risk), the sum is N times larger.",
        "逐元素把误差平方，得到每个样本的损失，再归约：平均值就是本章所说的代价（经验风险），"
        "总和是它的 N 倍。",
    ),
    solution=my_mse,
    coverage=Text(
        "float32 and float64, every reduction, errors of ±1e4, the gradient",
        "float32 与 float64、所有 reduction、±1e4 的误差、梯度",
    ),
)


# -- Exercise: the derivative of the cost with respect to the output ------------------------------


def my_mse_grad(input, target):
    n = input.numel()  # the mean runs over every element
    return 2 * (input - target) / n


def _mse_grad_reference(input, target):
    input = input.detach().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(lossbook.mse_loss(input, target), input)
    return grad


def _mse_grad_cases(g):
    cases = []
    x, y = _pair(g, (6,), 2.0, torch.float64)
    cases.append(Case((x, y), label=Text("float64", "float64"), grad=()))
    x, y = _pair(g, (8, 1), 1.0, torch.float64)
    cases.append(
        Case(
            (x, y),
            label=Text("float64, an 8x1 column as in the chapter", "float64，与本章相同的 8x1 列向量"),
            grad=(),
        )
    )
    x, y = _pair(g, (3, 4), 1.0, torch.float64)
    cases.append(Case((x, y), label=Text("float64, a 3x4 batch", "float64，3x4 的批量"), grad=()))
    x, y = _pair(g, (5,), 2.0, torch.float32)
    cases.append(Case((x, y), label=Text("float32", "float32"), grad=()))
    x = torch.tensor([1e4, -1e4, 0.5], dtype=torch.float32)
    cases.append(
        Case((x, torch.zeros(3)), label=Text("float32, errors of ±1e4", "float32，±1e4 的误差"), grad=())
    )
    return cases


mse_grad = FunctionExercise(
    "mse_grad",
    reference=_mse_grad_reference,
    cases=_mse_grad_cases,
    mistakes=[
        Mistake(
            "missing_n",
            lambda input, target: 2 * (input - target),
            Text(
                "this is the derivative of one sample's loss d²; the cost is the mean over N elements, "
                "so every component is also divided by N.",
                "这是单个样本的损失 d² 的导数；代价是 N 个元素的平均，所以每个分量还要除以 N。",
            ),
        ),
        Mistake(
            "missing_two",
            lambda input, target: (input - target) / input.numel(),
            Text("the derivative of d² is 2d: keep the factor 2.", "d² 的导数是 2d：不要丢掉因子 2。"),
        ),
        Mistake(
            "sign",
            lambda input, target: 2 * (target - input) / input.numel(),
            Text(
                "check the sign: the cost grows when the prediction moves away from the target, so "
                "∂L/∂ŷ is positive where ŷ > y. Differentiate with respect to ŷ, not y.",
                "检查符号：预测远离目标时代价增大，所以 ŷ > y 处 ∂L/∂ŷ 为正。是对 ŷ 求导，不是对 y。",
            ),
        ),
        Mistake(
            "rows_not_elements",
            lambda input, target: 2 * (input - target) / input.shape[0],
            Text(
                "with reduction='mean' the mean runs over every element, not over the rows: divide by "
                "input.numel(), not len(input) (they differ for a 3x4 batch).",
                "reduction='mean' 对所有元素求平均，而不是对行求平均：要除以 input.numel()，"
                "不是 len(input)（对 3x4 的批量两者不同）。",
            ),
        ),
    ],
    hint=Text(
        "L = (1/N) Σᵢ (ŷᵢ − yᵢ)² with N = input.numel(); differentiate with respect to one ŷᵢ: "
        "only one term of the sum depends on it.",
        "L = (1/N) Σᵢ (ŷᵢ − yᵢ)²，其中 N = input.numel()；对某一个 ŷᵢ 求导：和式中只有一项与它有关。",
    ),
    explanation=Text(
        "∂L/∂ŷᵢ = 2(ŷᵢ − yᵢ)/N, the formula the chapter checks with autograd. This is all a loss "
        "has to supply to backpropagation; autograd multiplies it by ∂ŷ/∂θ.",
        "∂L/∂ŷᵢ = 2(ŷᵢ − yᵢ)/N，正是本章用自动求导验证的公式。损失只需向反向传播提供这一项，"
        "乘以 ∂ŷ/∂θ 的工作由自动求导完成。",
    ),
    solution=my_mse_grad,
    coverage=Text(
        "float32 and float64, vectors, an 8x1 column and a 3x4 batch, errors of ±1e4",
        "float32 与 float64、向量、8x1 列向量和 3x4 批量、±1e4 的误差",
    ),
)


# -- Predict, then measure: centring the inputs ---------------------------------------------------

centred_condition = AnswerExercise(
    "centred_condition",
    answer="lower",
    choices=("higher", "lower", "unchanged"),
    mistakes=[
        (
            "higher",
            Text(
                "the Hessian is 2·[[mean x², mean x], [mean x, 1]]; what happens to the off-diagonal "
                "entries when the mean of x is 0?",
                "Hessian 是 2·[[mean x², mean x], [mean x, 1]]；x 的均值为 0 时非对角元会怎样？",
            ),
        ),
        (
            "unchanged",
            Text(
                "the spread of x is the same, but the Hessian also contains mean x: moving the data "
                "changes the coupling between w and b.",
                "x 的离散程度不变，但 Hessian 里还有 mean x：平移数据会改变 w 与 b 之间的耦合。",
            ),
        ),
    ],
    hint=Text(
        "write the Hessian of the MSE of ŷ = wx + b: H = 2·[[mean x², mean x], [mean x, 1]]. "
        "Its condition number is λ_max/λ_min; what are the eigenvalues when mean x = 0?",
        "写出 ŷ = wx + b 的 MSE 的 Hessian：H = 2·[[mean x², mean x], [mean x, 1]]。"
        "条件数是 λ_max/λ_min；mean x = 0 时特征值是多少？",
    ),
    why=Text(
        "With mean x ≈ 0 the Hessian is nearly diag(2·mean x², 2) ≈ diag(1.5, 2): the condition "
        "number falls from about 16 to under 2 and the contours become nearly circles.",
        "mean x ≈ 0 时 Hessian 近似为 diag(2·mean x², 2) ≈ diag(1.5, 2)：条件数从约 16 降到 2 以下，"
        "等高线接近圆。",
    ),
    explanation=Text(
        "Answer 'lower'. For x uniform on [0, 3], mean x = 1.5 couples w and b and the condition "
        "number is 15.7. Centring removes the coupling: in the limit H = diag(1.5, 2), condition "
        "number 4/3; the chapter's 50 samples, shifted by −1.5, give 1.60. That is why "
        "standardizing the inputs speeds up gradient descent.",
        "答案是 'lower'。x 在 [0, 3] 上均匀分布时 mean x = 1.5，使 w 与 b 耦合，条件数为 15.7。"
        "中心化消除了耦合：极限情形下 H = diag(1.5, 2)，条件数为 4/3；把本章的 50 个样本平移 −1.5，"
        "得到 1.60。这就是把输入标准化能加快梯度下降的原因。",
    ),
    solution="""
x_centred = x - 1.5
design_c = torch.cat([x_centred, torch.ones_like(x_centred)], 1).double()
eig = torch.linalg.eigvalsh(2 * design_c.T @ design_c / len(x))
print(f"condition number {eig[1] / eig[0]:.2f}")   # 1.60 (15.7 before)
""",
)


# -- Read the printed result, then predict: the learning rate with reduction='sum' ----------------

sum_learning_rate = AnswerExercise(
    "sum_learning_rate",
    answer=2 / (50 * 6.6627),
    rel_tol=0.02,
    mistakes=[
        (
            0.3002,
            Text(
                "0.30 is the threshold for the mean. The sum is N = 50 times the mean, so its Hessian "
                "and its largest eigenvalue are 50 times larger too.",
                "0.30 是 mean 时的阈值。sum 是 mean 的 N = 50 倍，所以它的 Hessian 和最大特征值也大 50 倍。",
            ),
        ),
        (
            0.3002 * 50,
            Text(
                "a larger curvature allows a smaller step, not a larger one: divide the threshold by N.",
                "曲率越大，允许的步长越小而不是越大：阈值要除以 N。",
            ),
        ),
        (
            1 / (50 * 6.6627),
            Text(
                "gradient descent on a quadratic converges for η < 2/λ_max, not 1/λ_max.",
                "二次函数上的梯度下降在 η < 2/λ_max 时收敛，不是 1/λ_max。",
            ),
        ),
    ],
    hint=Text(
        "the chapter prints λ_max = 6.6627 for the mean and the threshold 2/λ_max. With "
        "reduction='sum' the cost is N = 50 times larger: what happens to its Hessian?",
        "本章打印了 mean 时的 λ_max = 6.6627 与阈值 2/λ_max。reduction='sum' 时代价变为 N = 50 倍："
        "它的 Hessian 会怎样？",
    ),
    why=Text(
        "The sum multiplies the Hessian by N = 50, so the threshold 2/λ_max shrinks to "
        "2/(50 × 6.6627) ≈ 0.0060; a learning rate of 0.2 would diverge.",
        "sum 把 Hessian 放大 N = 50 倍，阈值 2/λ_max 缩小为 2/(50 × 6.6627) ≈ 0.0060；学习率 0.2 会发散。",
    ),
    explanation=Text(
        "Answer ≈ 0.0060. The sum of the per-sample losses is N times their mean, so its gradient "
        "and its Hessian are N times larger and λ_max becomes 50 × 6.6627 = 333.1. Gradient "
        "descent converges for η < 2/333.1 ≈ 0.0060. A change of reduction is a change of "
        "learning rate.",
        "答案 ≈ 0.0060。逐样本损失之和是其平均值的 N 倍，梯度和 Hessian 也都大 N 倍，"
        "λ_max 变为 50 × 6.6627 = 333.1。梯度下降在 η < 2/333.1 ≈ 0.0060 时收敛。"
        "改变 reduction 就是改变学习率。",
    ),
    solution="""
hessian_sum = 2 * design.T @ design   # no division by N
print(f"{2 / torch.linalg.eigvalsh(hessian_sum)[-1]:.4f}")   # 0.0060
""",
)


# -- Predict, then measure: a larger pos_weight ---------------------------------------------------

pos_weight = AnswerExercise(
    "pos_weight",
    answer="same",
    choices=("higher", "lower", "same"),
    mistakes=[
        (
            "higher",
            Text(
                "recall does rise, but precision falls faster: beyond n_neg/n_pos = 19 the weight mostly "
                "trades one for the other. Measure it: change 19.0 to 50.0 in the chapter's loop.",
                "召回率确实上升，但精确率下降得更快：超过 n_neg/n_pos = 19 之后，权重主要是在两者间交换。"
                "动手测一测：把本章循环中的 19.0 改成 50.0。",
            ),
        ),
        (
            "lower",
            Text(
                "balanced accuracy averages the recalls of the two classes; at 50 the minority recall "
                "gains about as much as the majority recall loses. Measure it before deciding.",
                "平衡准确率是两类召回率的平均；权重为 50 时，少数类召回率的增加与多数类召回率的下降大致相当。"
                "先测量再下结论。",
            ),
        ),
    ],
    hint=Text(
        "balanced accuracy = (recall of the positives + recall of the negatives) / 2. A weight "
        "equal to n_neg/n_pos = 19 already gives both classes the same total weight.",
        "平衡准确率 = (正类召回率 + 负类召回率) / 2。权重取 n_neg/n_pos = 19 时，"
        "两类在损失中的总权重已经相等。",
    ),
    why=Text(
        "The balanced accuracy stays at about 0.92 (0.9214 at 19, 0.9195 at 50) while recall "
        "rises from 0.908 to 0.954 and precision falls from 0.423 to 0.304.",
        "平衡准确率保持在约 0.92（19 时 0.9214，50 时 0.9195），而召回率从 0.908 升到 0.954，"
        "精确率从 0.423 降到 0.304。",
    ),
    explanation=Text(
        "Answer 'same'. A weight near the class ratio n_neg/n_pos = 19 makes the two classes weigh "
        "the same in the loss, as if the data were balanced; the balanced accuracy climbs up to "
        "there (0.79 at 1, 0.90 at 5, 0.92 at 19) and is flat beyond (0.92 at 50, 0.87 at 200). "
        "Past it, a larger weight trades precision for recall.",
        "答案是 'same'。权重接近类别比例 n_neg/n_pos = 19 时，两类在损失中的分量相同，"
        "相当于在平衡数据上训练；"
        "平衡准确率一直升到这里（1 时 0.79，5 时 0.90，19 时 0.92），之后持平（50 时 0.92，200 时 0.87）。"
        "再往上加权，就是在用精确率换召回率。",
    ),
    solution="""
truth = y_test.flatten().numpy()
for weight in (19.0, 50.0):
    training.set_seed(0)
    model = nn.Linear(2, 1)

    def loss_fn(logits, t):
        return lossbook.binary_cross_entropy_with_logits(logits, t, pos_weight=torch.tensor(weight))

    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    training.fit(model, loss_fn, optimizer, x_train, y_train, epochs=300)
    with torch.no_grad():
        predicted = (model(x_test) > 0).float().flatten().numpy()
    print(f"pos_weight = {weight:g}: recall {metrics.recall_score(truth, predicted):.4f}, "
          f"precision {metrics.precision_score(truth, predicted):.4f}, "
          f"balanced accuracy {metrics.balanced_accuracy_score(truth, predicted):.4f}")
# pos_weight = 19: recall 0.9080, precision 0.4231, balanced accuracy 0.9214
# pos_weight = 50: recall 0.9540, precision 0.3038, balanced accuracy 0.9195
""",
)


# -- Exercise: a smooth asymmetric squared loss ---------------------------------------------------


def my_smooth_asymmetric(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    # the weight goes smoothly from 1 (over-prediction, d > 0) to `under` (under-prediction, d < 0)
    weight = 1 + (under - 1) * torch.sigmoid(-k * d)
    loss = weight * d**2
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _smooth_asymmetric_reference(input, target, under=2.0, k=10.0, reduction="mean"):
    # the formula itself, twice differentiable (lossbook.mse_loss's backward is once differentiable)
    d = input - target
    weight = 1 + (under - 1) * torch.exp(F.logsigmoid(-k * d))
    return _reduce(torch.square(d) * weight, reduction)


def _smooth_asymmetric_wrong_side(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    return _reduce((1 + (under - 1) * torch.sigmoid(k * d)) * d**2, reduction)


def _smooth_asymmetric_no_base(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    return _reduce(under * torch.sigmoid(-k * d) * d**2, reduction)


def _smooth_asymmetric_under_not_minus_one(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    return _reduce((1 + under * torch.sigmoid(-k * d)) * d**2, reduction)


def _smooth_asymmetric_piecewise(input, target, under=2.0, k=10.0, reduction="mean"):
    d = input - target
    return _reduce(torch.where(d < 0, under, 1.0).to(d.dtype) * d**2, reduction)


def _smooth_asymmetric_cases(g):
    cases = _loss_cases(g, {"under": 2.0, "k": 10.0}, scale=0.3)
    d = torch.tensor([-1.0, -0.2, -0.05, 0.0, 0.05, 0.2, 1.0], dtype=torch.float64)
    for under, k in ((5.0, 2.0), (1.0, 10.0), (0.5, 4.0)):
        cases.append(
            Case(
                (d, torch.zeros_like(d)),
                {"under": under, "k": k, "reduction": "none"},
                Text(f"float64, under={under}, k={k}", f"float64，under={under}，k={k}"),
            )
        )
    return cases


smooth_asymmetric = FunctionExercise(
    "smooth_asymmetric",
    reference=_smooth_asymmetric_reference,
    cases=_smooth_asymmetric_cases,
    reductions=True,
    mistakes=[
        Mistake(
            "wrong_side",
            _smooth_asymmetric_wrong_side,
            Text(
                "the extra weight lands on over-prediction: σ(−kd) is close to 1 where d = input − target "
                "is negative (under-prediction), σ(kd) where it is positive.",
                "额外的权重落到了高估上：d = input − target 为负（低估）时 σ(−kd) 接近 1，为正时是 σ(kd) "
                "接近 1。",
            ),
        ),
        Mistake(
            "no_base_weight",
            _smooth_asymmetric_no_base,
            Text(
                "with weight under·σ(−kd), over-prediction costs almost nothing; the weight must go from 1 "
                "to under: 1 + (under − 1)·σ(−kd).",
                "权重写成 under·σ(−kd) 时，高估几乎不付代价；权重应当从 1 过渡到 under：1 + (under − "
                "1)·σ(−kd)。",
            ),
        ),
        Mistake(
            "under_not_minus_one",
            _smooth_asymmetric_under_not_minus_one,
            Text(
                "with 1 + under·σ(−kd) the weight of under-prediction is 1 + under, and under = 1 is not "
                "MSE; use 1 + (under − 1)·σ(−kd).",
                "写成 1 + under·σ(−kd) 时，低估的权重是 1 + under，under = 1 时也不等于 MSE；"
                "应为 1 + (under − 1)·σ(−kd)。",
            ),
        ),
        Mistake(
            "piecewise",
            _smooth_asymmetric_piecewise,
            Text(
                "this is the chapter's piecewise weight (under where d < 0, else 1); the exercise replaces "
                "it by the smooth weight 1 + (under − 1)·σ(−kd), which differs near d = 0.",
                "这是本章的分段权重（d < 0 时为 under，否则为 1）；本练习要把它换成平滑的权重 "
                "1 + (under − 1)·σ(−kd)，两者在 d = 0 附近不同。",
            ),
        ),
    ],
    unstable_hint=Text(
        "torch.exp(k * d) overflows to inf for large |kd|, which turns the sigmoid written by hand "
        "(1 / (1 + e^(kd)) or e^(−kd) / (1 + e^(−kd))) or its gradient into nan; torch.sigmoid(-k * d) "
        "computes the same function without overflow.",
        "|kd| 很大时 torch.exp(k * d) 会溢出成 inf，使手写的 sigmoid（1 / (1 + e^(kd)) 或 "
        "e^(−kd) / (1 + e^(−kd))）或它的梯度变成 nan；torch.sigmoid(-k * d) 计算同一个函数而不会溢出。",
    ),
    hint=Text(
        "with d = input − target, the loss is d²·(1 + (under − 1)·σ(−kd)): the weight is about "
        "`under` where d ≪ 0 and about 1 where d ≫ 0. Use torch.sigmoid, then apply the reduction.",
        "令 d = input − target，损失为 d²·(1 + (under − 1)·σ(−kd))：d ≪ 0 时权重约为 under，"
        "d ≫ 0 时约为 1。用 torch.sigmoid，最后按 reduction 归约。",
    ),
    explanation=Text(
        "ℓ(d) = d²·(1 + (under − 1)·σ(−kd)). σ(−kd) goes from 1 (d ≪ 0) to 0 (d ≫ 0), so the weight "
        "goes from under to 1; the larger k, the closer to the piecewise loss. It is infinitely "
        "differentiable, equals MSE when under = 1, and torch.sigmoid keeps it finite for any d.",
        "ℓ(d) = d²·(1 + (under − 1)·σ(−kd))。σ(−kd) 从 1（d ≪ 0）过渡到 0（d ≫ 0），权重随之从 under "
        "变到 1；k 越大越接近分段版本。它无穷次可导，under = 1 时等于 MSE，torch.sigmoid 使它对任何 d "
        "都保持有限。",
    ),
    solution=my_smooth_asymmetric,
    coverage=Text(
        "float32 and float64, under = 0.5, 1, 2, 5, every reduction, errors of ±1e4, the gradient",
        "float32 与 float64、under = 0.5、1、2、5、所有 reduction、±1e4 的误差、梯度",
    ),
)
