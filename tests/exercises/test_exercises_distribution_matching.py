"""The distribution-matching checkers recognise typical wrong answers, written as a learner would."""

import math

import pytest
import torch
import torch.nn.functional as F

from lossbook.exercises import distribution_matching as ex

# -- the gradient of the distillation loss -------------------------------------------------------------


def grad_of_the_kl_alone(student_logits, teacher_logits, T):
    q = F.softmax(student_logits / T, dim=-1)
    p = F.softmax(teacher_logits / T, dim=-1)
    return (q - p) / T / len(student_logits)


def grad_with_t_squared(student_logits, teacher_logits, T):
    q = F.softmax(student_logits / T, dim=-1)
    p = F.softmax(teacher_logits / T, dim=-1)
    return T * T * (q - p) / len(student_logits)


def grad_teacher_minus_student(student_logits, teacher_logits, T):
    q = F.softmax(student_logits / T, dim=-1)
    p = F.softmax(teacher_logits / T, dim=-1)
    return T * (p - q) / len(student_logits)


def grad_summed_over_the_batch(student_logits, teacher_logits, T):
    return T * (F.softmax(student_logits / T, dim=-1) - F.softmax(teacher_logits / T, dim=-1))


def grad_softmax_without_temperature(student_logits, teacher_logits, T):
    return T * (F.softmax(student_logits, dim=-1) - F.softmax(teacher_logits, dim=-1)) / len(student_logits)


def grad_softmax_from_exp(student_logits, teacher_logits, T):
    q = torch.exp(student_logits / T) / torch.exp(student_logits / T).sum(1, keepdim=True)
    p = torch.exp(teacher_logits / T) / torch.exp(teacher_logits / T).sum(1, keepdim=True)
    return T * (q - p) / len(student_logits)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (grad_of_the_kl_alone, "kl_only"),
        (grad_with_t_squared, "no_chain_rule"),
        (grad_teacher_minus_student, "sign"),
        (grad_summed_over_the_batch, "no_batch"),
        (grad_softmax_without_temperature, "no_temperature"),
        (grad_softmax_from_exp, "not_finite"),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_distillation_grad_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.distillation_grad, answer, reason, language)


def test_distillation_grad_hints_say_what_is_wrong(assert_fails):
    assert_fails(ex.distillation_grad, grad_of_the_kl_alone, "kl_only", "T² times the KL")
    assert_fails(ex.distillation_grad, grad_with_t_squared, "no_chain_rule", "T² · (1/T) = T")
    assert_fails(ex.distillation_grad, grad_softmax_from_exp, "not_finite", "torch.softmax subtracts")


def test_distillation_grad_accepts_autograd_free_equivalents():
    def through_log_softmax(student_logits, teacher_logits, T):
        q = torch.log_softmax(student_logits / T, -1).exp()
        p = torch.log_softmax(teacher_logits / T, -1).exp()
        return (q - p) * (T / student_logits.shape[0])

    assert ex.distillation_grad.evaluate(through_log_softmax).passed


# -- forward and reverse KL between two Gaussians -------------------------------------------------------


def kl_q_from_p(mean_p, std_p, mean_q, std_q):
    return torch.log(std_p / std_q) + (std_q**2 + (mean_q - mean_p) ** 2) / (2 * std_p**2) - 0.5


def kl_with_the_stds_as_variances(mean_p, std_p, mean_q, std_q):
    return 0.5 * torch.log(std_q / std_p) + (std_p + (mean_p - mean_q) ** 2) / (2 * std_q) - 0.5


def kl_without_the_half(mean_p, std_p, mean_q, std_q):
    return torch.log(std_q / std_p) + (std_p**2 + (mean_p - mean_q) ** 2) / (2 * std_q**2)


def kl_with_the_log_upside_down(mean_p, std_p, mean_q, std_q):
    return torch.log(std_p) - torch.log(std_q) + (std_p**2 + (mean_p - mean_q) ** 2) / (2 * std_q**2) - 0.5


def kl_without_the_two(mean_p, std_p, mean_q, std_q):
    return torch.log(std_q / std_p) + (std_p**2 + (mean_p - mean_q) ** 2) / std_q**2 - 0.5


@pytest.mark.parametrize(
    "answer, reason",
    [
        (kl_q_from_p, "reversed"),
        (kl_with_the_stds_as_variances, "std_as_variance"),
        (kl_without_the_half, "without_half"),
        (kl_with_the_log_upside_down, "log_inverted"),
        (kl_without_the_two, "without_two"),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_gaussian_kl_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.gaussian_kl, answer, reason, language)


def test_gaussian_kl_reports_a_python_float_computation_and_accepts_the_variance_form(assert_fails):
    def through_math(mean_p, std_p, mean_q, std_q):
        values = [
            math.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5
            for mp, sp, mq, sq in zip(
                mean_p.flatten().tolist(),
                std_p.flatten().tolist(),
                mean_q.flatten().tolist(),
                std_q.flatten().tolist(),
                strict=True,
            )
        ]
        return torch.tensor(values, dtype=mean_p.dtype).reshape(mean_p.shape)

    def with_variances(mean_p, std_p, mean_q, std_q):
        var_p, var_q = std_p**2, std_q**2
        return 0.5 * (var_p / var_q + (mean_q - mean_p) ** 2 / var_q - 1 + torch.log(var_q / var_p))

    assert_fails(ex.gaussian_kl, through_math, "no_gradient", "not connected")
    assert ex.gaussian_kl.evaluate(with_variances).passed


def test_the_gaussian_kl_numbers_of_the_solution():
    one, two, zero = (torch.tensor([v], dtype=torch.float64) for v in (1.0, 2.0, 0.0))
    forward = ex.my_gaussian_kl(zero, one, zero, two).item()
    reverse = ex.my_gaussian_kl(zero, two, zero, one).item()
    assert math.isclose(forward, math.log(2) + 1 / 8 - 1 / 2) and round(forward, 3) == 0.318
    assert math.isclose(reverse, -math.log(2) + 2 - 1 / 2) and round(reverse, 3) == 0.807


# -- the DPO gradient -------------------------------------------------------------------------------------


def dpo_grad_with_sigmoid_of_the_margin(pc, pr, rc, rr, beta):
    margin = beta * ((pc - rc) - (pr - rr))
    return -beta * torch.sigmoid(margin) / len(pc)


def dpo_grad_without_beta_outside(pc, pr, rc, rr, beta):
    margin = beta * ((pc - rc) - (pr - rr))
    return -(1 - torch.sigmoid(margin)) / len(pc)


def dpo_grad_with_a_plus_sign(pc, pr, rc, rr, beta):
    margin = beta * ((pc - rc) - (pr - rr))
    return beta * torch.sigmoid(-margin) / len(pc)


def dpo_grad_per_pair_without_the_mean(pc, pr, rc, rr, beta):
    return -beta * torch.sigmoid(-beta * ((pc - rc) - (pr - rr)))


def dpo_grad_policy_only(pc, pr, rc, rr, beta):
    return -beta * torch.sigmoid(-beta * (pc - pr)) / len(pc)


def dpo_grad_with_exp(pc, pr, rc, rr, beta):
    t = beta * ((pc - rc) - (pr - rr))
    return -beta * torch.exp(-t) / (1 + torch.exp(-t)) / len(pc)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (dpo_grad_with_sigmoid_of_the_margin, "sigmoid_sign"),
        (dpo_grad_without_beta_outside, "without_beta"),
        (dpo_grad_with_a_plus_sign, "positive"),
        (dpo_grad_per_pair_without_the_mean, "without_mean"),
        (dpo_grad_policy_only, "without_reference"),
        (dpo_grad_with_exp, "not_finite"),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_dpo_grad_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.dpo_grad, answer, reason, language)


def test_dpo_grad_hints_say_what_is_wrong(assert_fails):
    assert_fails(ex.dpo_grad, dpo_grad_with_sigmoid_of_the_margin, "sigmoid_sign", "−σ(−t), not −σ(t)")
    assert_fails(ex.dpo_grad, dpo_grad_with_exp, "not_finite", "torch.sigmoid(−βh) does not")


def test_dpo_grad_accepts_one_minus_sigmoid():
    def one_minus(pc, pr, rc, rr, beta):
        return -beta * (1 - torch.sigmoid(beta * ((pc - rc) - (pr - rr)))) / pc.numel()

    assert ex.dpo_grad.evaluate(one_minus).passed


# -- the optimal policy -------------------------------------------------------------------------------


def policy_times_beta(reference_probs, rewards, beta):
    return torch.softmax(reference_probs.log() + rewards * beta, dim=-1)


def policy_unnormalized(reference_probs, rewards, beta):
    return reference_probs * torch.exp(rewards / beta)


def policy_without_reference(reference_probs, rewards, beta):
    return F.softmax(rewards / beta, dim=-1)


def policy_over_the_prompts(reference_probs, rewards, beta):
    return torch.softmax(torch.log(reference_probs) + rewards / beta, dim=0)


def policy_from_exp(reference_probs, rewards, beta):
    weights = reference_probs * torch.exp(rewards / beta)
    return weights / weights.sum(-1, keepdim=True)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (policy_times_beta, "times_beta"),
        (policy_unnormalized, "not_normalized"),
        (policy_without_reference, "no_reference"),
        (policy_over_the_prompts, "wrong_dim"),
        (policy_from_exp, "not_finite"),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_optimal_policy_names_the_mistake(answer, reason, language, assert_fails_with_its_hint):
    assert_fails_with_its_hint(ex.optimal_policy, answer, reason, language)


def test_optimal_policy_accepts_the_max_subtracted_product():
    def stable(reference_probs, rewards, beta):
        scaled = rewards / beta
        weights = reference_probs * torch.exp(scaled - scaled.max(-1, keepdim=True).values)
        return weights / weights.sum(-1, keepdim=True)

    assert ex.optimal_policy.evaluate(stable).passed


# -- answers ----------------------------------------------------------------------------------------------


def test_implicit_preference_answers(language, check_answer_exercise):
    check_answer_exercise(
        ex.implicit_preference, 0.8808, wrong=[0.7311, 0.982, 0.1192, 2.0], junk="0.88", language=language
    )
    assert ex.implicit_preference.evaluate(0.88).passed  # two decimals are close enough


def test_threes_at_t1_answers(language, check_answer_exercise, assert_fails):
    check_answer_exercise(ex.threes_at_t1, 0.043, wrong=[0.735, 0.865, 0.0], junk=[0.043], language=language)
    assert_fails(ex.threes_at_t1, 0.374, "wrong_answer")  # the row for T = 2 gets the general hint
