"""Exercises of the chapter "Matching distributions" (distillation, divergences, preference optimization).

>>> from lossbook.exercises import distribution_matching as ex
>>> result = ex.distillation_grad.check(None)  # prints the message
✗ Not yet: ex.distillation_grad(...) returned None. Write its body and run the cell again.
  ex.distillation_grad.hint() gives a hint and ex.distillation_grad.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import torch

import lossbook

from . import AnswerExercise, Case, FunctionExercise, Mistake, Text

__all__ = [
    "distillation_grad",
    "gaussian_kl",
    "dpo_grad",
    "optimal_policy",
    "implicit_preference",
    "threes_at_t1",
]


# -- Exercise: the gradient of the distillation loss (why T²) -----------------------------------------


def my_distillation_grad(student_logits, teacher_logits, T):
    n = student_logits.shape[0]
    q = torch.softmax(student_logits / T, dim=1)  # the student, softened
    p = torch.softmax(teacher_logits / T, dim=1)  # the teacher, softened
    # T² from the loss, 1/T from the chain rule through z / T, 1/N from "batchmean"
    return T * (q - p) / n


def _distillation_grad_reference(student_logits, teacher_logits, T):
    student = student_logits.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = lossbook.distillation_loss(student, teacher_logits, temperature=T)
        (grad,) = torch.autograd.grad(loss, student)
    return grad


def _logit_pairs(g, shape, scale, dtype):
    student = torch.randn(shape, generator=g, dtype=torch.float64) * scale
    teacher = torch.randn(shape, generator=g, dtype=torch.float64) * scale
    return student.to(dtype), teacher.to(dtype)


def _distillation_grad_cases(g):
    cases = []
    for shape, T, dtype, label in (
        ((4, 5), 2.0, torch.float64, Text("float64, T = 2", "float64，T = 2")),
        ((6, 10), 4.0, torch.float64, Text("float64, 10 classes, T = 4", "float64，10 个类别，T = 4")),
        ((3, 4), 0.5, torch.float64, Text("float64, T = 0.5", "float64，T = 0.5")),
        ((5, 10), 1.0, torch.float32, Text("float32, T = 1", "float32，T = 1")),
    ):
        student, teacher = _logit_pairs(g, shape, 3.0, dtype)
        cases.append(Case((student, teacher, T), label=label, grad=()))
    student = torch.tensor([[1e3, 0.0, -1e3], [-5e2, 5e2, 0.0]], dtype=torch.float32)
    teacher = torch.tensor([[0.0, 1e3, 0.0], [5e2, -5e2, 0.0]], dtype=torch.float32)
    cases.append(
        Case(
            (student, teacher, 2.0),
            label=Text("float32, logits of ±1000, T = 2", "float32，logit 为 ±1000，T = 2"),
            grad=(),
        )
    )
    return cases


def _grad_kl_only(student_logits, teacher_logits, T):
    q, p = torch.softmax(student_logits / T, 1), torch.softmax(teacher_logits / T, 1)
    return (q - p) / (T * student_logits.shape[0])


def _grad_without_chain_rule(student_logits, teacher_logits, T):
    q, p = torch.softmax(student_logits / T, 1), torch.softmax(teacher_logits / T, 1)
    return T**2 * (q - p) / student_logits.shape[0]


def _grad_sign(student_logits, teacher_logits, T):
    q, p = torch.softmax(student_logits / T, 1), torch.softmax(teacher_logits / T, 1)
    return T * (p - q) / student_logits.shape[0]


def _grad_without_batch(student_logits, teacher_logits, T):
    q, p = torch.softmax(student_logits / T, 1), torch.softmax(teacher_logits / T, 1)
    return T * (q - p)


def _grad_without_temperature(student_logits, teacher_logits, T):
    q, p = torch.softmax(student_logits, 1), torch.softmax(teacher_logits, 1)
    return T * (q - p) / student_logits.shape[0]


distillation_grad = FunctionExercise(
    "distillation_grad",
    reference=_distillation_grad_reference,
    cases=_distillation_grad_cases,
    mistakes=[
        Mistake(
            "kl_only",
            _grad_kl_only,
            Text(
                "this is the gradient of the KL alone, (q − p) / (T N); the loss is T² times the KL, "
                "so its gradient is T² times that.",
                "这是单独 KL 的梯度 (q − p) / (T N)；损失是 KL 的 T² 倍，梯度也要乘以 T²。",
            ),
        ),
        Mistake(
            "no_chain_rule",
            _grad_without_chain_rule,
            Text(
                "the softmax sees z / T, so the chain rule brings a factor 1/T: T² · (1/T) = T.",
                "softmax 的输入是 z / T，链式法则会带来因子 1/T：T² · (1/T) = T。",
            ),
        ),
        Mistake(
            "sign",
            _grad_sign,
            Text(
                "check the sign: where the student's q_c is above the teacher's p_c, raising z_c "
                "raises the loss, so the gradient there is positive.",
                "检查符号：学生的 q_c 高于教师的 p_c 时，增大 z_c 会使损失变大，所以那里的梯度为正。",
            ),
        ),
        Mistake(
            "no_batch",
            _grad_without_batch,
            Text(
                "reduction='batchmean' divides the sum over the batch by N, and so does the gradient.",
                "reduction='batchmean' 把整批的和除以 N，梯度也要除以 N。",
            ),
        ),
        Mistake(
            "no_temperature",
            _grad_without_temperature,
            Text(
                "both distributions are softened: q = softmax(z_s / T) and p = softmax(z_t / T).",
                "两个分布都要软化：q = softmax(z_s / T)，p = softmax(z_t / T)。",
            ),
        ),
    ],
    unstable_hint=Text(
        "e^z overflows for logits of ±1000; torch.softmax subtracts the largest logit first.",
        "logit 为 ±1000 时 e^z 会溢出；torch.softmax 会先减去最大的 logit。",
    ),
    hint=Text(
        "write ℓ = T²/N · Σ_i Σ_c p_ic (log p_ic − log q_ic) with q = softmax(z / T). The derivative "
        "of −Σ_c p_c log softmax(u)_c with respect to u is softmax(u) − p, and u = z / T.",
        "写出 ℓ = T²/N · Σ_i Σ_c p_ic (log p_ic − log q_ic)，其中 q = softmax(z / T)。"
        "−Σ_c p_c log softmax(u)_c 对 u 的导数是 softmax(u) − p，而 u = z / T。",
    ),
    explanation=Text(
        "Only −Σ p log q depends on the student. Its derivative with respect to u = z / T is q − p "
        "(the softmax gradient of the classification chapter, with the soft target p), and "
        "du/dz = 1/T. With the T² of the loss and the 1/N of 'batchmean': ∂ℓ/∂z = T (q − p) / N. "
        "For large T, q − p itself shrinks like 1/T, so without the T² the gradient would shrink "
        "like 1/T²; with it, it stays of the same size at every temperature.",
        "只有 −Σ p log q 与学生有关。它对 u = z / T 的导数是 q − p（分类一章中的 softmax 梯度，"
        "目标换成软目标 p），而 du/dz = 1/T。再乘上损失中的 T² 和 'batchmean' 的 1/N："
        "∂ℓ/∂z = T (q − p) / N。T 很大时 q − p 本身按 1/T 缩小，所以没有 T² 时梯度按 1/T² 缩小；"
        "有了 T²，各个温度下梯度的大小相当。",
    ),
    solution=my_distillation_grad,
    coverage=Text(
        "float32 and float64, T from 0.5 to 4, up to 10 classes, logits of ±1000",
        "float32 与 float64、T 从 0.5 到 4、最多 10 个类别、±1000 的 logit",
    ),
)


# -- Exercise: forward and reverse KL between two Gaussians -------------------------------------------


def my_gaussian_kl(mean_p, std_p, mean_q, std_q):
    # D(p || q) for p = N(mean_p, std_p²) and q = N(mean_q, std_q²), elementwise
    return torch.log(std_q / std_p) + (std_p**2 + (mean_p - mean_q) ** 2) / (2 * std_q**2) - 0.5


def _gaussian_kl_reference(mean_p, std_p, mean_q, std_q):
    p = torch.distributions.Normal(mean_p, std_p)
    q = torch.distributions.Normal(mean_q, std_q)
    return torch.distributions.kl_divergence(p, q)


def _gaussian_cases(g):
    def params(n, dtype):
        mean_p = torch.randn(n, generator=g, dtype=torch.float64) * 2
        mean_q = torch.randn(n, generator=g, dtype=torch.float64) * 2
        std_p = torch.rand(n, generator=g, dtype=torch.float64) * 2 + 0.2
        std_q = torch.rand(n, generator=g, dtype=torch.float64) * 2 + 0.2
        return tuple(t.to(dtype) for t in (mean_p, std_p, mean_q, std_q))

    grads = (0, 1, 2, 3)
    one, two, zero = (torch.tensor([v], dtype=torch.float64) for v in (1.0, 2.0, 0.0))
    return [
        Case(params(6, torch.float64), label=Text("float64", "float64"), grad=grads),
        Case(
            (zero, one, zero, two),
            label=Text("float64, p = N(0, 1), q = N(0, 2²)", "float64，p = N(0, 1)，q = N(0, 2²)"),
            grad=grads,
        ),
        Case(
            (zero, two, zero, one),
            label=Text("float64, p = N(0, 2²), q = N(0, 1)", "float64，p = N(0, 2²)，q = N(0, 1)"),
            grad=grads,
        ),
        Case(params(5, torch.float32), label=Text("float32", "float32")),
        Case(
            tuple(t.reshape(2, 3) for t in params(6, torch.float64)),
            label=Text("float64, a 2x3 batch", "float64，2x3 的批量"),
            grad=grads,
        ),
    ]


def _kl_reversed(mean_p, std_p, mean_q, std_q):
    return my_gaussian_kl(mean_q, std_q, mean_p, std_p)


def _kl_std_as_variance(mean_p, std_p, mean_q, std_q):
    return 0.5 * torch.log(std_q / std_p) + (std_p + (mean_p - mean_q) ** 2) / (2 * std_q) - 0.5


def _kl_without_half(mean_p, std_p, mean_q, std_q):
    return torch.log(std_q / std_p) + (std_p**2 + (mean_p - mean_q) ** 2) / (2 * std_q**2)


def _kl_log_inverted(mean_p, std_p, mean_q, std_q):
    return torch.log(std_p / std_q) + (std_p**2 + (mean_p - mean_q) ** 2) / (2 * std_q**2) - 0.5


def _kl_without_two(mean_p, std_p, mean_q, std_q):
    return torch.log(std_q / std_p) + (std_p**2 + (mean_p - mean_q) ** 2) / std_q**2 - 0.5


gaussian_kl = FunctionExercise(
    "gaussian_kl",
    reference=_gaussian_kl_reference,
    cases=_gaussian_cases,
    mistakes=[
        Mistake(
            "reversed",
            _kl_reversed,
            Text(
                "this is D(q‖p). D(p‖q) averages log(p/q) under p, the first distribution: the "
                "quadratic term divides by q's variance.",
                "这是 D(q‖p)。D(p‖q) 是在 p（第一个分布）下对 log(p/q) 求平均：二次项要除以 q 的方差。",
            ),
        ),
        Mistake(
            "std_as_variance",
            _kl_std_as_variance,
            Text(
                "std_p and std_q are standard deviations σ; the formula needs the variances σ².",
                "std_p 和 std_q 是标准差 σ；公式里要用方差 σ²。",
            ),
        ),
        Mistake(
            "without_half",
            _kl_without_half,
            Text(
                "D(p‖p) must be 0: with p = q your formula gives ½. Subtract ½.",
                "D(p‖p) 必须为 0：p = q 时你的公式给出 ½。请减去 ½。",
            ),
        ),
        Mistake(
            "log_inverted",
            _kl_log_inverted,
            Text(
                "the log term is log(σ_q / σ_p): it comes from −log q + log p, and a Gaussian's log "
                "density has −log σ.",
                "对数项是 log(σ_q / σ_p)：它来自 −log q + log p，而高斯对数密度中的是 −log σ。",
            ),
        ),
        Mistake(
            "without_two",
            _kl_without_two,
            Text(
                "the quadratic term is (σ_p² + (μ_p − μ_q)²) / (2σ_q²): keep the 2 of the Gaussian's "
                "exponent −(x − μ)² / (2σ²).",
                "二次项是 (σ_p² + (μ_p − μ_q)²) / (2σ_q²)：保留高斯指数 −(x − μ)² / (2σ²) 中的 2。",
            ),
        ),
    ],
    hint=Text(
        "D(p‖q) = E_p[log p(x) − log q(x)] with log N(x; μ, σ²) = −log σ − ½ log 2π − (x − μ)² / (2σ²). "
        "Under p, E[(x − μ_p)²] = σ_p² and E[(x − μ_q)²] = σ_p² + (μ_p − μ_q)².",
        "D(p‖q) = E_p[log p(x) − log q(x)]，其中 log N(x; μ, σ²) = −log σ − ½ log 2π − (x − μ)² / (2σ²)。"
        "在 p 下，E[(x − μ_p)²] = σ_p²，E[(x − μ_q)²] = σ_p² + (μ_p − μ_q)²。",
    ),
    explanation=Text(
        "Take the expectation of log p − log q under p term by term: the constants cancel, −log σ_p "
        "+ log σ_q gives log(σ_q/σ_p), −E(x − μ_p)²/(2σ_p²) = −½, and +E(x − μ_q)²/(2σ_q²) = "
        "(σ_p² + (μ_p − μ_q)²)/(2σ_q²). With p = N(0, 1) and q = N(0, 2²): D(p‖q) = log 2 + 1/8 − ½ "
        "≈ 0.318 but D(q‖p) = −log 2 + 2 − ½ ≈ 0.807. The reverse direction punishes the wide q "
        "more: q puts mass in p's tails, where p is small.",
        "在 p 下对 log p − log q 逐项求期望：常数抵消，−log σ_p + log σ_q 得到 log(σ_q/σ_p)，"
        "−E(x − μ_p)²/(2σ_p²) = −½，+E(x − μ_q)²/(2σ_q²) = (σ_p² + (μ_p − μ_q)²)/(2σ_q²)。"
        "取 p = N(0, 1)、q = N(0, 2²)：D(p‖q) = log 2 + 1/8 − ½ ≈ 0.318，而 D(q‖p) = −log 2 + 2 − ½ "
        "≈ 0.807。反向 KL 对更宽的 q 罚得更重：q 把质量放在了 p 的尾部，那里 p 很小。",
    ),
    solution=my_gaussian_kl,
    coverage=Text(
        "float32 and float64, the two directions of N(0, 1) and N(0, 2²), the gradients of all four "
        "parameters",
        "float32 与 float64、N(0, 1) 与 N(0, 2²) 的两个方向、对四个参数的梯度",
    ),
)


# -- Exercise: the DPO gradient and its weight σ(−βh) ---------------------------------------------------


def my_dpo_grad(
    policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps, beta
):
    n = policy_chosen_logps.shape[0]
    h = (policy_chosen_logps - reference_chosen_logps) - (policy_rejected_logps - reference_rejected_logps)
    # ℓ = −log σ(βh) per pair, so dℓ/dh = −β σ(−βh); dh/d(log π_c) = 1; "mean" divides by N
    return -beta * torch.sigmoid(-beta * h) / n


def _dpo_grad_reference(
    policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps, beta
):
    chosen = policy_chosen_logps.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss, _, _ = lossbook.dpo_loss(
            chosen, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps, beta=beta
        )
        (grad,) = torch.autograd.grad(loss, chosen)
    return grad


def _dpo_cases(g):
    def logps(n, dtype):
        return tuple((-20 + 5 * torch.randn(n, generator=g, dtype=torch.float64)).to(dtype) for _ in range(4))

    cases = [
        Case(logps(6, torch.float64) + (0.1,), label=Text("float64, β = 0.1", "float64，β = 0.1"), grad=()),
        Case(logps(5, torch.float64) + (0.5,), label=Text("float64, β = 0.5", "float64，β = 0.5"), grad=()),
        Case(logps(4, torch.float32) + (0.1,), label=Text("float32, β = 0.1", "float32，β = 0.1"), grad=()),
    ]
    zero = torch.zeros(4, dtype=torch.float64)
    chosen = torch.tensor([-1e4, 1e4, -3.0, 0.0], dtype=torch.float64)
    cases.append(
        Case(
            (chosen, zero, zero, zero, 1.0),
            label=Text("float64, margins of ±1e4, β = 1", "float64，间隔为 ±1e4，β = 1"),
            grad=(),
        )
    )
    return cases


def _dpo_grad_sigmoid_sign(pc, pr, rc, rr, beta):
    h = (pc - rc) - (pr - rr)
    return -beta * torch.sigmoid(beta * h) / pc.shape[0]


def _dpo_grad_without_beta(pc, pr, rc, rr, beta):
    h = (pc - rc) - (pr - rr)
    return -torch.sigmoid(-beta * h) / pc.shape[0]


def _dpo_grad_positive(pc, pr, rc, rr, beta):
    h = (pc - rc) - (pr - rr)
    return beta * torch.sigmoid(-beta * h) / pc.shape[0]


def _dpo_grad_without_mean(pc, pr, rc, rr, beta):
    h = (pc - rc) - (pr - rr)
    return -beta * torch.sigmoid(-beta * h)


def _dpo_grad_without_reference(pc, pr, rc, rr, beta):
    return -beta * torch.sigmoid(-beta * (pc - pr)) / pc.shape[0]


dpo_grad = FunctionExercise(
    "dpo_grad",
    reference=_dpo_grad_reference,
    cases=_dpo_cases,
    mistakes=[
        Mistake(
            "sigmoid_sign",
            _dpo_grad_sigmoid_sign,
            Text(
                "d/dt [−log σ(t)] = −σ(−t), not −σ(t): the weight is large for the pairs the "
                "implicit reward orders wrongly (h < 0).",
                "d/dt [−log σ(t)] = −σ(−t)，不是 −σ(t)：隐式奖励排错的样本对（h < 0）权重才大。",
            ),
        ),
        Mistake(
            "without_beta",
            _dpo_grad_without_beta,
            Text(
                "the loss is −log σ(βh): the chain rule through βh brings a factor β.",
                "损失是 −log σ(βh)：对 βh 用链式法则会多出一个因子 β。",
            ),
        ),
        Mistake(
            "positive",
            _dpo_grad_positive,
            Text(
                "raising the chosen answer's log-probability raises h and lowers the loss: the gradient "
                "is negative.",
                "提高选中回答的对数概率会增大 h、降低损失：梯度是负的。",
            ),
        ),
        Mistake(
            "without_mean",
            _dpo_grad_without_mean,
            Text(
                "dpo_loss averages over the N pairs (reduction='mean'): divide by N.",
                "dpo_loss 对 N 个样本对取平均（reduction='mean'）：要除以 N。",
            ),
        ),
        Mistake(
            "without_reference",
            _dpo_grad_without_reference,
            Text(
                "the margin subtracts the reference's log-ratio too: h = (log π_c − log π_ref,c) − "
                "(log π_r − log π_ref,r).",
                "间隔还要减去参考模型的对数比：h = (log π_c − log π_ref,c) − (log π_r − log π_ref,r)。",
            ),
        ),
    ],
    unstable_hint=Text(
        "e^(−βh) overflows for margins of −1e4 (inf / inf is nan); torch.sigmoid(−βh) does not.",
        "间隔为 −1e4 时 e^(−βh) 会溢出（inf / inf 得到 nan）；torch.sigmoid(−βh) 不会。",
    ),
    hint=Text(
        "with h = (log π_c − log π_ref,c) − (log π_r − log π_ref,r), the loss of a pair is −log σ(βh); "
        "differentiate with respect to log π_c, using d/dt log σ(t) = σ(−t), then average over N pairs.",
        "令 h = (log π_c − log π_ref,c) − (log π_r − log π_ref,r)，每对的损失为 −log σ(βh)；"
        "对 log π_c 求导，用到 d/dt log σ(t) = σ(−t)，最后对 N 个样本对取平均。",
    ),
    explanation=Text(
        "d/dt log σ(t) = 1 − σ(t) = σ(−t), so dℓ/dh = −β σ(−βh), and dh/d log π_c = 1: each pair's "
        "gradient is −β σ(−βh) / N. The weight σ(−βh) is near 1 when the implicit reward orders the "
        "pair wrongly (h ≪ 0) and near 0 when it already orders it right (h ≫ 0): DPO spends its "
        "updates on the pairs it still gets wrong. The gradient with respect to log π_r is the "
        "opposite, +β σ(−βh) / N.",
        "d/dt log σ(t) = 1 − σ(t) = σ(−t)，所以 dℓ/dh = −β σ(−βh)，而 dh/d log π_c = 1：每个样本对的梯度是 "
        "−β σ(−βh) / N。隐式奖励把样本对排错时（h ≪ 0）权重 σ(−βh) 接近 1，已经排对时（h ≫ 0）接近 0："
        "DPO 把更新花在仍然排错的样本对上。对 log π_r 的梯度正好相反，为 +β σ(−βh) / N。",
    ),
    solution=my_dpo_grad,
    coverage=Text(
        "float32 and float64, β = 0.1, 0.5 and 1, margins of ±1e4",
        "float32 与 float64、β = 0.1、0.5 和 1、±1e4 的间隔",
    ),
)


# -- Exercise: the optimal policy of the KL-regularized objective --------------------------------------


def my_optimal_policy(reference_probs, rewards, beta):
    # π* ∝ π_ref · e^(r / β); in logs a softmax, which subtracts the largest term first
    return torch.softmax(torch.log(reference_probs) + rewards / beta, dim=-1)


def _optimal_policy_reference(reference_probs, rewards, beta):
    scaled = rewards / beta
    weights = reference_probs * torch.exp(scaled - scaled.amax(-1, keepdim=True))
    return weights / weights.sum(-1, keepdim=True)


def _policy_cases(g):
    def case(shape, beta, dtype, label, reward_scale=1.0):
        logits = torch.randn(shape, generator=g, dtype=torch.float64)
        reference = torch.softmax(logits, -1).to(dtype)
        rewards = (torch.randn(shape, generator=g, dtype=torch.float64) * reward_scale).to(dtype)
        return Case((reference, rewards, beta), label=label, grad=(0, 1))

    return [
        case((4, 3), 1.0, torch.float64, Text("float64, β = 1", "float64，β = 1")),
        case((3, 5), 0.25, torch.float64, Text("float64, β = 0.25", "float64，β = 0.25")),
        case((2, 4), 10.0, torch.float64, Text("float64, β = 10", "float64，β = 10")),
        case((3, 4), 0.5, torch.float32, Text("float32, β = 0.5", "float32，β = 0.5")),
        case(
            (2, 3),
            0.5,
            torch.float64,
            Text("float64, rewards of about ±1000", "float64，奖励约为 ±1000"),
            1e3,
        ),
    ]


optimal_policy = FunctionExercise(
    "optimal_policy",
    reference=_optimal_policy_reference,
    cases=_policy_cases,
    mistakes=[
        Mistake(
            "times_beta",
            lambda reference_probs, rewards, beta: torch.softmax(
                torch.log(reference_probs) + rewards * beta, dim=-1
            ),
            Text(
                "divide the reward by β: a small β (a weak KL penalty) tilts the reference strongly.",
                "奖励要除以 β：β 小（KL 惩罚弱）时，对参考分布的倾斜才强。",
            ),
        ),
        Mistake(
            "not_normalized",
            lambda reference_probs, rewards, beta: reference_probs * torch.exp(rewards / beta),
            Text(
                "normalize: divide by Z = Σ_y π_ref(y) e^(r(y)/β), so that the probabilities sum to 1.",
                "要归一化：除以 Z = Σ_y π_ref(y) e^(r(y)/β)，使概率之和为 1。",
            ),
        ),
        Mistake(
            "no_reference",
            lambda reference_probs, rewards, beta: torch.softmax(rewards / beta, dim=-1),
            Text(
                "the reference stays in the answer: π* ∝ π_ref · e^(r/β), not e^(r/β) alone.",
                "结果里要保留参考分布：π* ∝ π_ref · e^(r/β)，而不只是 e^(r/β)。",
            ),
        ),
        Mistake(
            "wrong_dim",
            lambda reference_probs, rewards, beta: torch.softmax(
                torch.log(reference_probs) + rewards / beta, dim=0
            ),
            Text(
                "each row is one prompt's distribution over its answers: normalize over the last dimension.",
                "每一行是一个提示下各回答的分布：要沿最后一维归一化。",
            ),
        ),
    ],
    unstable_hint=Text(
        "e^(r/β) overflows for rewards of ±1000 with β = 0.5; work with logs, log π_ref + r/β, "
        "and let torch.softmax normalize.",
        "β = 0.5、奖励为 ±1000 时 e^(r/β) 会溢出；在对数空间里计算 log π_ref + r/β，"
        "再用 torch.softmax 归一化。",
    ),
    hint=Text(
        "π*(y) = π_ref(y) e^(r(y)/β) / Z with Z = Σ_y π_ref(y) e^(r(y)/β); in logs, log π*(y) = "
        "log π_ref(y) + r(y)/β − log Z, which is a log-softmax.",
        "π*(y) = π_ref(y) e^(r(y)/β) / Z，其中 Z = Σ_y π_ref(y) e^(r(y)/β)；取对数，log π*(y) = "
        "log π_ref(y) + r(y)/β − log Z，正是一个 log-softmax。",
    ),
    explanation=Text(
        "E_π[r] − β D(π‖π_ref) = −β D(π‖π*) + β log Z, largest (equal to β log Z) at π = π*. "
        "Computed as softmax(log π_ref + r/β) it never overflows. The chapter reads it backwards: "
        "β log(π*/π_ref) = r − β log Z, the reward up to a constant, which DPO's implicit reward uses.",
        "E_π[r] − β D(π‖π_ref) = −β D(π‖π*) + β log Z，在 π = π* 处最大（等于 β log Z）。"
        "写成 softmax(log π_ref + r/β) 计算时不会溢出。本章把它倒过来读：β log(π*/π_ref) = r − β log Z，"
        "即相差一个常数的奖励，DPO 的隐式奖励用的正是它。",
    ),
    solution=my_optimal_policy,
    coverage=Text(
        "float32 and float64, β from 0.25 to 10, rewards of ±1000, the gradients",
        "float32 与 float64、β 从 0.25 到 10、±1000 的奖励、梯度",
    ),
)


# -- Read the implicit reward, then measure --------------------------------------------------------------

implicit_preference = AnswerExercise(
    "implicit_preference",
    answer=0.8808,
    rel_tol=0.0,
    abs_tol=0.001,
    mistakes=[
        (
            0.7311,
            Text(
                "0.731 = σ(0.5 · 2) uses the policy's log-probabilities alone; the implicit reward is "
                "β log(π / π_ref): subtract the reference's log-probabilities first.",
                "0.731 = σ(0.5 · 2) 只用了策略的对数概率；隐式奖励是 β log(π / π_ref)："
                "先减去参考模型的对数概率。",
            ),
        ),
        (
            0.982,
            Text(
                "0.982 = σ(4) forgets β: the implicit rewards are β times the log-ratios.",
                "0.982 = σ(4) 忘了 β：隐式奖励是对数比的 β 倍。",
            ),
        ),
        (
            0.1192,
            Text(
                "0.119 is the probability that the rejected answer wins: the order is chosen minus rejected.",
                "0.119 是落选回答获胜的概率：应当用选中回答的奖励减去落选回答的。",
            ),
        ),
        (
            2.0,
            Text(
                "2 is the difference of the implicit rewards; Bradley-Terry turns it into a probability "
                "with σ.",
                "2 是两个隐式奖励之差；Bradley-Terry 模型用 σ 把它变成概率。",
            ),
        ),
    ],
    hint=Text(
        "implicit reward r̂ = β (log π − log π_ref) for each answer, then P = σ(r̂_c − r̂_r).",
        "对每个回答求隐式奖励 r̂ = β (log π − log π_ref)，再算 P = σ(r̂_c − r̂_r)。",
    ),
    why=Text(
        "The implicit rewards are 0.5 · 3 = 1.5 for the chosen answer and 0.5 · (−1) = −0.5 for the "
        "rejected one, and σ(2) = 0.881. The policy alone prefers the chosen answer by only 2 nats; "
        "the reference preferred the rejected one by 2, and the reward measures the change.",
        "隐式奖励：选中回答为 0.5 · 3 = 1.5，落选回答为 0.5 · (−1) = −0.5，σ(2) = 0.881。"
        "单看策略，选中回答只高 2 奈特；但参考模型原本偏向落选回答 2 奈特，奖励衡量的是这个变化。",
    ),
    explanation=Text(
        "Answer 0.881. r̂_c = β (log π(y_c) − log π_ref(y_c)) = 0.5 · (−12 + 15) = 1.5 and "
        "r̂_r = 0.5 · (−14 + 13) = −0.5, so P(y_c ≻ y_r) = σ(1.5 + 0.5) = σ(2) ≈ 0.881. "
        "lossbook.dpo_loss returns the same two rewards.",
        "答案是 0.881。r̂_c = β (log π(y_c) − log π_ref(y_c)) = 0.5 · (−12 + 15) = 1.5，"
        "r̂_r = 0.5 · (−14 + 13) = −0.5，所以 P(y_c ≻ y_r) = σ(1.5 + 0.5) = σ(2) ≈ 0.881。"
        "lossbook.dpo_loss 返回的正是这两个奖励。",
    ),
    solution="""_, reward_c, reward_r = lossbook.dpo_loss(torch.tensor([-12.0]), torch.tensor([-14.0]),
                                          torch.tensor([-15.0]), torch.tensor([-13.0]), beta=0.5)
print(torch.sigmoid(reward_c - reward_r))  # tensor([0.8808])""",
)


threes_at_t1 = AnswerExercise(
    "threes_at_t1",
    answer=0.043,
    rel_tol=0.0,
    abs_tol=0.006,
    mistakes=[
        (
            0.735,
            Text(
                "0.735 is the row for T = 4 in the chapter's table; run the cell with T = 1.",
                "0.735 是本章表格中 T = 4 那一行；请用 T = 1 运行这个单元格。",
            ),
        ),
        (
            0.865,
            Text(
                "0.865 is the row for T = 8 in the chapter's table; run the cell with T = 1.",
                "0.865 是本章表格中 T = 8 那一行；请用 T = 1 运行这个单元格。",
            ),
        ),
        (
            0.0,
            Text(
                "0 is the student trained on hard labels; distillation at T = 1 is not quite zero.",
                "0 是只用硬标签训练的学生；T = 1 的蒸馏并不完全是 0。",
            ),
        ),
    ],
    hint=Text(
        'in the cell that trains students without any 3, change ("hard", "T4", "T8") to ("T1",), run it '
        "and read the column of test 3s recognized.",
        '在训练“没见过 3”的学生的单元格中，把 ("hard", "T4", "T8") 改成 ("T1",)，'
        "运行后读出“识别出的测试集 3”一列。",
    ),
    why=Text(
        "At T = 1 the teacher's probability of '3' on the other digits is tiny (it is nearly one-hot), "
        "so the student learns almost nothing about 3s: about 4 % of them, against 74 % at T = 4.",
        "T = 1 时教师在其他数字上给 “3” 的概率极小（几乎是独热的），学生几乎学不到 3 的样子："
        "只认出约 4 %，而 T = 4 时是 74 %。",
    ),
    explanation=Text(
        "Answer about 0.043 (± 0.031 over the five seeds). The dark knowledge is in the teacher's small "
        "probabilities; the temperature is what makes them large enough to learn from.",
        "答案约为 0.043（五个种子之间 ± 0.031）。暗知识藏在教师的小概率里；温度让它们大到足以被学到。",
    ),
    solution="""for key in ("T1",):
    ...""",
)
