"""The classification chapter's checkers recognise typical wrong answers, written here as a learner would."""

import pytest
import torch
import torch.nn.functional as F

from lossbook.exercises import classification as ex
from lossbook.validation import reduce


def pick(language, hint):
    return hint[0] if language == "en" else hint[1]


# -- BCE-with-logits ---------------------------------------------------------------------------------


def bce_naive(input, target, reduction="mean"):
    p = torch.sigmoid(input)
    return reduce(-(target * torch.log(p) + (1 - target) * torch.log(1 - p)), reduction)


def bce_via_softplus_of_x(input, target, reduction="mean"):
    # log(1 + e^x) written out: e^x overflows for large positive logits
    return reduce(torch.log(1 + torch.exp(input)) - target * input, reduction)


def bce_torch_on_probabilities(input, target, reduction="mean"):
    return F.binary_cross_entropy(torch.sigmoid(input), target, reduction=reduction)


def bce_eps_clamp(input, target, reduction="mean"):
    eps = 1e-7
    p = torch.sigmoid(input).clamp(eps, 1 - eps)
    return reduce(-(target * p.log() + (1 - target) * (1 - p).log()), reduction)


def bce_epsilon_in_log(input, target, reduction="mean"):
    p = torch.sigmoid(input)
    return reduce(-(target * torch.log(p + 1e-8) + (1 - target) * torch.log(1 - p + 1e-8)), reduction)


def bce_labels_swapped(input, target, reduction="mean"):
    log_sig = -F.softplus(-input)
    return reduce(-((1 - target) * log_sig + target * (log_sig - input)), reduction)


def bce_no_minus(input, target, reduction="mean"):
    log_sig = torch.clamp(input, max=0) - torch.log1p(torch.exp(-input.abs()))
    return reduce(target * log_sig + (1 - target) * (log_sig - input), reduction)


def bce_always_mean(input, target, reduction="mean"):
    return (torch.clamp(input, min=0) - input * target + torch.log1p(torch.exp(-input.abs()))).mean()


def bce_sum_for_mean(input, target, reduction="mean"):
    loss = torch.clamp(input, min=0) - input * target + torch.log1p(torch.exp(-input.abs()))
    return loss if reduction == "none" else loss.sum()


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (bce_naive, "not_finite", ("log(1 − σ(x)) = log σ(x) − x", "log(1 − σ(x)) = log σ(x) − x")),
        (bce_via_softplus_of_x, "not_finite", ("no exponent is ever positive", "指数永远不为正")),
        (bce_torch_on_probabilities, "clamped", ("not 16 or 100", "而不是 16 或 100")),
        (bce_eps_clamp, "clamped", ("not 16 or 100", "封了顶")),
        (bce_epsilon_in_log, "clamped", ("a little everywhere", "处处低一点")),
        (bce_labels_swapped, "labels_swapped", ("two terms are swapped", "两项对调了")),
        (bce_no_minus, "sign", ("never negative", "永远不为负")),
        (bce_always_mean, "reduction_ignored", ("'none' keeps every element", "'none' 保留每个元素")),
        (bce_sum_for_mean, "reduction_sum_for_mean", ("divide by the number of elements", "要除以元素个数")),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_bce_with_logits_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.bce_with_logits, answer, reason, pick(language, hint))


def test_bce_with_logits_accepts_the_max_abs_form_and_logsigmoid():
    def max_abs(input, target, reduction="mean"):
        return reduce(
            torch.clamp(input, min=0) - input * target + torch.log1p(torch.exp(-input.abs())), reduction
        )

    def with_logsigmoid(input, target, reduction="mean"):
        return reduce(-(target * F.logsigmoid(input) + (1 - target) * F.logsigmoid(-input)), reduction)

    assert ex.bce_with_logits.evaluate(max_abs).passed
    assert ex.bce_with_logits.evaluate(with_logsigmoid).passed


def test_bce_with_logits_reports_a_detached_result_and_a_dtype_change(assert_fails):
    def through_item(input, target, reduction="mean"):
        loss = F.softplus(-input) + (1 - target) * input
        return torch.tensor(reduce(loss, reduction).tolist(), dtype=input.dtype)

    def with_float_labels(input, target, reduction="mean"):
        loss = F.softplus(-input.double()) + (1 - target.double()) * input.double()
        return reduce(loss, reduction)

    assert_fails(ex.bce_with_logits, through_item, "no_gradient", "not connected to input's graph")
    assert_fails(ex.bce_with_logits, with_float_labels, "wrong_dtype", "torch.float64", "torch.float32")


# -- cross-entropy ------------------------------------------------------------------------------------


def ce_log_of_softmax(input, target, reduction="mean"):
    p = torch.softmax(input, dim=1)
    return reduce(-torch.log(p[range(len(target)), target]), reduction)


def ce_exp_by_hand(input, target, reduction="mean"):
    e = torch.exp(input)
    p = e / e.sum(dim=1, keepdim=True)
    return reduce(-torch.log(p.gather(1, target.unsqueeze(1)).squeeze(1)), reduction)


def ce_softmax_plus_epsilon(input, target, reduction="mean"):
    p = torch.softmax(input, dim=1)
    return reduce(-torch.log(p[torch.arange(len(target)), target] + 1e-12), reduction)


def ce_clamped_softmax(input, target, reduction="mean"):
    p = torch.softmax(input, dim=1).clamp(min=1e-7)
    return reduce(-(F.one_hot(target, input.shape[1]) * p.log()).sum(1), reduction)


def ce_plus_sign(input, target, reduction="mean"):
    log_p = input - input.logsumexp(1, keepdim=True)
    return reduce(log_p[torch.arange(len(target)), target], reduction)


def ce_one_hot_mean(input, target, reduction="mean"):
    log_p = input - input.logsumexp(1, keepdim=True)
    y = F.one_hot(target, input.shape[1])
    loss = -(y * log_p)
    if reduction == "none":
        return loss.sum(1)
    return loss.mean() if reduction == "mean" else loss.sum()


def ce_one_hot_never_summed(input, target, reduction="mean"):
    log_p = input - input.logsumexp(1, keepdim=True)
    return reduce(-(F.one_hot(target, input.shape[1]) * log_p), reduction)


def ce_all_columns(input, target, reduction="mean"):
    log_p = input - input.logsumexp(1, keepdim=True)
    return reduce(-log_p[:, target], reduction)


def ce_softmax_over_batch(input, target, reduction="mean"):
    log_p = input - input.logsumexp(0, keepdim=True)
    return reduce(-log_p[torch.arange(len(target)), target], reduction)


def ce_on_raw_logits(input, target, reduction="mean"):
    return reduce(-input[torch.arange(len(target)), target], reduction)


def ce_swapped_reductions(input, target, reduction="mean"):
    loss = input.logsumexp(1) - input[torch.arange(len(target)), target]
    return {"mean": loss.sum, "sum": loss.mean}.get(reduction, lambda: loss)()


def ce_keepdim_gather(input, target, reduction="mean"):
    log_p = input - input.logsumexp(1, keepdim=True)
    return reduce(-log_p.gather(1, target.unsqueeze(1)), reduction)  # (N, 1) for 'none'


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (
            ce_log_of_softmax,
            "not_finite",
            ("torch.logsumexp(x, dim=1, keepdim=True)", "torch.logsumexp(x, dim=1, keepdim=True)"),
        ),
        (ce_exp_by_hand, "not_finite", ("exp(x) overflows", "exp(x) 溢出")),
        (ce_softmax_plus_epsilon, "clamped", ("caps it at −log ε", "封顶在 −log ε")),
        (ce_clamped_softmax, "clamped", ("Stay in log space", "请在对数空间中计算")),
        (ce_plus_sign, "sign", ("never negative", "永远不为负")),
        (ce_one_hot_mean, "mean_over_classes", ("C times too small", "损失会小 C 倍")),
        (ce_one_hot_never_summed, "mean_over_classes", ("sum over the classes", "先在类别维")),
        (ce_all_columns, "wrong_index", ("N × N matrix", "N × N 矩阵")),
        (ce_softmax_over_batch, "softmax_dim", ("dim=0", "dim=0")),
        (ce_on_raw_logits, "no_log_softmax", ("raw logit", "原始 logit")),
        (
            ce_swapped_reductions,
            "reduction_sum_for_mean",
            ("divide by the number of elements", "要除以元素个数"),
        ),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_cross_entropy_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.cross_entropy, answer, reason, pick(language, hint))


def test_cross_entropy_reports_a_kept_dimension_and_accepts_log_softmax_with_gather(assert_fails):
    assert_fails(ex.cross_entropy, ce_keepdim_gather, "wrong_shape", "(5, 1)", "(5,)")

    def with_log_softmax(input, target, reduction="mean"):
        log_p = torch.log_softmax(input, dim=1)
        return reduce(-log_p.gather(1, target.unsqueeze(1)).squeeze(1), reduction)

    def max_subtracted_by_hand(input, target, reduction="mean"):
        z = input - input.max(dim=1, keepdim=True).values
        log_p = z - torch.log(torch.exp(z).sum(dim=1, keepdim=True))
        return reduce(-log_p.gather(1, target[:, None])[:, 0], reduction)

    assert ex.cross_entropy.evaluate(with_log_softmax).passed
    assert ex.cross_entropy.evaluate(max_subtracted_by_hand).passed


# -- the gradient of cross-entropy ---------------------------------------------------------------------


def grad_per_sample(logits, target):
    return torch.softmax(logits, 1) - F.one_hot(target, logits.shape[1])


def grad_y_minus_p(logits, target):
    return (F.one_hot(target, logits.shape[1]) - torch.softmax(logits, 1)) / len(target)


def grad_softmax_only(logits, target):
    return torch.softmax(logits, 1) / len(target)


def grad_true_class_only(logits, target):
    grad = torch.zeros_like(logits)
    rows = torch.arange(len(target))
    grad[rows, target] = torch.softmax(logits, 1)[rows, target] - 1
    return grad / len(target)


def grad_sigmoid(logits, target):
    return (torch.sigmoid(logits) - F.one_hot(target, logits.shape[1])) / len(target)


def grad_naive_softmax(logits, target):
    e = logits.exp()
    return (e / e.sum(1, keepdim=True) - F.one_hot(target, logits.shape[1])) / len(target)


def grad_divided_by_classes(logits, target):
    return (torch.softmax(logits, 1) - F.one_hot(target, logits.shape[1])) / logits.shape[1]


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (grad_per_sample, "missing_mean", ("by the number of samples N", "梯度也要除以 N")),
        (grad_y_minus_p, "sign", ("p_y − 1 < 0", "p_y − 1 < 0")),
        (grad_softmax_only, "missing_one_hot", ("subtract the one-hot vector", "要减去 one-hot 向量")),
        (grad_true_class_only, "true_class_only", ("p_j for j ≠ y, not 0", "j ≠ y 时是 p_j")),
        (grad_sigmoid, "sigmoid", ("BCE's gradient", "BCE 的梯度")),
        (grad_naive_softmax, "not_finite", ("inf / inf = nan", "inf / inf = nan")),
        (grad_divided_by_classes, "wrong_value", ("expected", "应当是")),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_ce_grad_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.ce_grad, answer, reason, pick(language, hint))


def test_ce_grad_accepts_a_scatter_form():
    def with_scatter(logits, target):
        grad = torch.softmax(logits, 1).clone()
        grad[torch.arange(len(target)), target] -= 1
        return grad / len(target)

    assert ex.ce_grad.evaluate(with_scatter).passed


# -- sigmoid focal loss -----------------------------------------------------------------------------------


def focal_parts(input, target):
    bce = F.binary_cross_entropy_with_logits(input, target, reduction="none")
    p = torch.sigmoid(input)
    p_t = torch.where(target == 1, p, 1 - p)
    return bce, p, p_t


def focal_source_004(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t = focal_parts(input, target)
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return reduce(alpha_t * (1 - p) ** gamma * bce, reduction)


def focal_alpha_constant(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t = focal_parts(input, target)
    return reduce(alpha * (1 - p_t) ** gamma * bce, reduction)


def focal_alpha_for_negatives(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t = focal_parts(input, target)
    alpha_t = torch.where(target == 1, 1 - alpha, alpha)
    return reduce(alpha_t * (1 - p_t) ** gamma * bce, reduction)


def focal_p_t_to_the_gamma(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t = focal_parts(input, target)
    alpha_t = torch.where(target == 1, alpha, 1 - alpha)
    return reduce(alpha_t * p_t**gamma * bce, reduction)


def focal_without_alpha(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t = focal_parts(input, target)
    return reduce((1 - p_t) ** gamma * bce, reduction)


def focal_log_of_p_t(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    p = torch.sigmoid(input)
    p_t = p * target + (1 - p) * (1 - target)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return reduce(-alpha_t * (1 - p_t) ** gamma * torch.log(p_t), reduction)


def focal_source_004_fixed_but_clamped(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    # source 004's clamp of the probabilities, with its two formula errors corrected
    eps = 1e-6  # source 004's 1e-9 does nothing in float32 (1 - 1e-9 rounds to 1): see below
    p = torch.clamp(torch.sigmoid(input), eps, 1.0 - eps)
    bce = -(target * torch.log(p) + (1 - target) * torch.log(1 - p))
    p_t = p * target + (1 - p) * (1 - target)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return reduce(alpha_t * (1 - p_t) ** gamma * bce, reduction)


def focal_sum_always(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    bce, p, p_t = focal_parts(input, target)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    loss = alpha_t * (1 - p_t) ** gamma * bce
    return loss if reduction == "none" else loss.sum()


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (focal_source_004, "one_minus_p", ("not (1 − p)^γ", "不是 (1 − p)^γ")),
        (focal_alpha_constant, "alpha_everywhere", ("only rescales the loss", "只是把损失整体缩放")),
        (focal_alpha_for_negatives, "alpha_swapped", ("α and 1 − α are swapped", "α 与 1 − α 对调了")),
        (focal_p_t_to_the_gamma, "p_t_power", ("p_t^γ grows", "p_t^γ 随样本变容易而增大")),
        (focal_without_alpha, "no_alpha", ("class weight α_t", "缺少类别权重")),
        (focal_log_of_p_t, "not_finite", ("do not take log(sigmoid(x))", "不要对 sigmoid(x) 取对数")),
        (focal_source_004_fixed_but_clamped, "clamped", ("caps the BCE factor", "封顶在 −log ε")),
        (focal_sum_always, "reduction_sum_for_mean", ("divide by the number of elements", "要除以元素个数")),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_sigmoid_focal_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.sigmoid_focal, answer, reason, pick(language, hint))


def test_sigmoid_focal_reports_source_004s_float32_clamp_as_not_finite(assert_fails):
    # with eps = 1e-9, 1 - eps rounds to 1 in float32: the clamp lets log(0) through
    def clamped_1e9(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
        p = torch.clamp(torch.sigmoid(input), 1e-9, 1.0 - 1e-9)
        bce = -(target * torch.log(p) + (1 - target) * torch.log(1 - p))
        p_t = p * target + (1 - p) * (1 - target)
        return reduce((alpha * target + (1 - alpha) * (1 - target)) * (1 - p_t) ** gamma * bce, reduction)

    assert_fails(ex.sigmoid_focal, clamped_1e9, "not_finite", "float32", "do not take log(sigmoid(x))")


def test_a_wrong_answer_that_is_merely_smaller_is_not_called_clamped(assert_fails):
    def half_the_loss(input, target, reduction="mean"):
        return reduce(0.5 * (F.softplus(-input) + (1 - target) * input), reduction)

    assert_fails(ex.bce_with_logits, half_the_loss, "wrong_value", "expected")


def test_sigmoid_focal_accepts_torchvisions_formula():
    def torchvision_style(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
        p = torch.sigmoid(input)
        ce = F.binary_cross_entropy_with_logits(input, target, reduction="none")
        p_t = p * target + (1 - p) * (1 - target)
        loss = ce * ((1 - p_t) ** gamma)
        loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
        return reduce(loss, reduction)

    assert ex.sigmoid_focal.evaluate(torchvision_style).passed


# -- multilabel soft margin loss -----------------------------------------------------------------------------


def mlsm_sum_over_labels(input, target, reduction="mean"):
    loss = F.binary_cross_entropy_with_logits(input, target, reduction="none").sum(dim=1)
    return reduce(loss, reduction)


def mlsm_bce_elementwise(input, target, reduction="mean"):
    # BCE-with-logits as it is: right for "mean", one value per label for "none" and "sum"
    return F.binary_cross_entropy_with_logits(input, target, reduction=reduction)


def mlsm_softmax(input, target, reduction="mean"):
    log_p = torch.log_softmax(input, dim=1)
    log_not_p = torch.log1p(-torch.softmax(input, dim=1))
    return reduce(-(target * log_p + (1 - target) * log_not_p).mean(dim=1), reduction)


def mlsm_labels_swapped(input, target, reduction="mean"):
    loss = (1 - target) * F.softplus(-input) + target * F.softplus(input)
    return reduce(loss.mean(dim=1), reduction)


def mlsm_no_minus(input, target, reduction="mean"):
    loss = target * F.logsigmoid(input) + (1 - target) * F.logsigmoid(-input)
    return reduce(loss.mean(dim=1), reduction)


def mlsm_naive_sigmoid(input, target, reduction="mean"):
    p = torch.sigmoid(input)
    loss = -(target * torch.log(p) + (1 - target) * torch.log(1 - p))
    return reduce(loss.mean(dim=1), reduction)


def mlsm_eps_in_log(input, target, reduction="mean"):
    p = torch.sigmoid(input)
    loss = -(target * torch.log(p + 1e-8) + (1 - target) * torch.log(1 - p + 1e-8))
    return reduce(loss.mean(dim=1), reduction)


def mlsm_mean_over_everything(input, target, reduction="mean"):
    loss = target * F.softplus(-input) + (1 - target) * F.softplus(input)
    return loss.mean(dim=1) if reduction == "none" else loss.mean()


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (mlsm_sum_over_labels, "sum_over_labels", ("not their sum", "而不是总和")),
        (mlsm_bce_elementwise, "no_mean_over_labels", ("one value per sample", "每个样本保留一个值")),
        (mlsm_softmax, "softmax", ("the labels do not compete", "各标签之间不竞争")),
        (mlsm_labels_swapped, "labels_swapped", ("two terms are swapped", "两项对调了")),
        (mlsm_no_minus, "sign", ("never negative", "永远不为负")),
        (mlsm_naive_sigmoid, "not_finite", ("softplus never overflows", "softplus 不会溢出")),
        (mlsm_eps_in_log, "clamped", ("a little everywhere", "处处低一点")),
        (mlsm_mean_over_everything, "reduction_mean_for_sum", ("this is their mean", "这里算的是平均值")),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_multilabel_soft_margin_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.multilabel_soft_margin, answer, reason, pick(language, hint))


def test_multilabel_soft_margin_accepts_bce_averaged_over_the_labels():
    def via_bce(input, target, reduction="mean"):
        per_sample = F.binary_cross_entropy_with_logits(input, target, reduction="none").mean(dim=1)
        return reduce(per_sample, reduction)

    assert ex.multilabel_soft_margin.evaluate(via_bce).passed


# -- answers ----------------------------------------------------------------------------------------------


def test_weight_scale_answers(language, assert_fails):
    assert ex.weight_scale.evaluate(" Unchanged ").passed
    assert_fails(ex.weight_scale, "larger", "mistake:larger", pick(language, ("Σ_i w_{y_i}", "Σ_i w_{y_i}")))
    assert_fails(
        ex.weight_scale, "smaller", "mistake:smaller", pick(language, ("both change", "分子和分母都变了"))
    )
    assert_fails(ex.weight_scale, "10 times", "not_a_choice", "'larger', 'smaller', 'unchanged'")
    assert_fails(ex.weight_scale, 10, "not_a_choice")


def test_imbalance_answers(language, assert_fails):
    assert ex.imbalance.evaluate("WEIGHTS").passed
    assert_fails(ex.imbalance, "gamma", "mistake:gamma", pick(language, ("focal, γ = 2", "γ = 2")))
    assert_fails(ex.imbalance, "both", "mistake:both", pick(language, ("does not beat", "也没有超过")))
    assert_fails(ex.imbalance, "alpha", "not_a_choice", "'gamma', 'weights', 'both'")
    assert_fails(ex.imbalance, None, "not_yet")
