"""lossbook.distribution_matching: divergences, distillation and preference losses.

Every value is compared with an independent reference: torch's ``kl_div``, a formula written
here from the paper (Lin 1991, Hinton et al. 2015, Rafailov et al. 2023, Azar et al. 2023,
Meng et al. 2024, Hong et al. 2024), a brute-force loop, or Hugging Face TRL's
``DPOTrainer.dpo_loss`` where TRL is installed; gradients with ``gradcheck`` in float64.
"""

import importlib.util
import inspect
import math
import types

import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook.distribution_matching import (
    DistillationLoss,
    DPOLoss,
    JSDivLoss,
    ORPOLoss,
    SimPOLoss,
    bradley_terry_loss,
    distillation_loss,
    dpo_loss,
    js_divergence,
    orpo_loss,
    sequence_log_probs,
    simpo_loss,
)

KL_REDUCTIONS = ["batchmean", "sum", "mean", "none"]
REDUCTIONS = ["mean", "sum", "none"]
LOW_PRECISION = [torch.float16, torch.bfloat16]


def reduce_like_kl(loss, reduction):
    if reduction == "batchmean":
        return loss.sum() / loss.shape[0]
    return {"sum": loss.sum, "mean": loss.mean, "none": lambda: loss}[reduction]()


def reduce_plain(loss, reduction):
    return {"sum": loss.sum, "mean": loss.mean, "none": lambda: loss}[reduction]()


def distributions(rows, classes, dtype=torch.float64, device="cpu", seed=0):
    gen = torch.Generator().manual_seed(seed)
    log_q = torch.log_softmax(2 * torch.randn(rows, classes, generator=gen, dtype=torch.float64), -1)
    p = torch.softmax(2 * torch.randn(rows, classes, generator=gen, dtype=torch.float64), -1)
    return log_q.to(device, dtype), p.to(device, dtype)


def log_probs(n, dtype=torch.float64, device="cpu", seed=0, scale=5.0):
    """Four tensors of sequence log-probabilities (negative), as a model would give them."""
    gen = torch.Generator().manual_seed(seed)
    return [
        (-scale * torch.rand(n, generator=gen, dtype=torch.float64) - 0.1).to(device, dtype) for _ in range(4)
    ]


def close(actual, expected, dtype=torch.float64):
    tol = {torch.float64: 1e-10, torch.float32: 1e-5}.get(dtype, 1e-5)
    torch.testing.assert_close(actual, expected.to(actual.dtype), rtol=tol, atol=tol)


# ---------------------------------------------------------------------------
# Divergences: js_divergence
# ---------------------------------------------------------------------------


def kl_terms(a, b):  # a log(a / b), with 0 log 0 = 0
    return torch.where(a > 0, a * (torch.log(a) - torch.log(b)), torch.zeros_like(a))


def jsd_reference(log_q, p, beta):
    """Lin's divergence generalized with the mixture m = beta p + (1 - beta) q, from the definition.

    At beta = 0 and 1, LigerJSD's endpoints: the forward KL(p || q) and the reverse KL(q || p).
    """
    q = log_q.exp()
    if beta == 0.0:
        return kl_terms(p, q)
    if beta == 1.0:
        return kl_terms(q, p)
    m = beta * p + (1 - beta) * q
    return beta * kl_terms(p, m) + (1 - beta) * kl_terms(q, m)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("beta", [0.1, 0.5, 0.77])
@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
def test_js_divergence_matches_the_definition(device, dtype, beta, reduction):
    log_q, p = distributions(5, 7, dtype, device)
    expected = reduce_like_kl(jsd_reference(log_q.double(), p.double(), beta), reduction)
    close(js_divergence(log_q, p, beta=beta, reduction=reduction), expected, dtype)


def test_js_divergence_matches_liger_kernels_elementwise_formula(device):
    """LigerJSD's kernel: beta P Y + (1 - beta) Q X - M log M, X = log Q (input), Y = log P (target)."""
    x, y = distributions(4, 9, device=device)
    y = y.log()
    for beta in (0.2, 0.5, 0.9):
        m = beta * y.exp() + (1 - beta) * x.exp()
        liger = beta * y.exp() * y + (1 - beta) * x.exp() * x - m * m.log()
        close(js_divergence(x, y, beta=beta, log_target=True, reduction="none"), liger)


def test_js_divergence_endpoints_are_the_two_kl_divergences(device):
    log_q, p = distributions(4, 6, device=device)
    for reduction in KL_REDUCTIONS:
        forward = F.kl_div(log_q, p, reduction=reduction) if reduction != "mean" else None
        if forward is not None:
            close(js_divergence(log_q, p, beta=0.0, reduction=reduction), forward)
            reverse = F.kl_div(p.log(), log_q, reduction=reduction, log_target=True)
            close(js_divergence(log_q, p, beta=1.0, reduction=reduction), reverse)
    # and they are the limits of the rescaled divergence
    small = 1e-6
    close(
        js_divergence(log_q, p, beta=small) / small,
        F.kl_div(log_q, p, reduction="batchmean"),
        torch.float32,
    )
    close(
        js_divergence(log_q, p, beta=1 - small) / small,
        F.kl_div(p.log(), log_q, reduction="batchmean", log_target=True),
        torch.float32,
    )


def test_js_divergence_is_symmetric_and_bounded_by_log_2(device):
    log_q, p = distributions(6, 5, device=device)
    close(js_divergence(log_q, p), js_divergence(p.log(), log_q.exp()))
    per_row = js_divergence(log_q, p, reduction="none").sum(-1)
    assert bool((per_row >= 0).all()) and bool((per_row <= math.log(2)).all())
    # disjoint supports: the KL is infinite, the JSD exactly log 2 with finite gradients
    q = torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64, device=device).log().requires_grad_()
    target = torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64, device=device)
    loss = js_divergence(q, target)
    assert loss.item() == pytest.approx(math.log(2), abs=1e-12)
    loss.backward()
    assert bool(torch.isfinite(q.grad).all())


def test_js_divergence_log_target_and_module_agree(device):
    log_q, p = distributions(3, 4, device=device)
    close(js_divergence(log_q, p.log(), log_target=True), js_divergence(log_q, p))
    module = JSDivLoss(beta=0.3, reduction="sum")
    close(module(log_q, p), js_divergence(log_q, p, beta=0.3, reduction="sum"))
    assert "beta=0.3" in repr(module)


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0])
def test_js_divergence_zero_probabilities_give_finite_values_and_gradients(device, beta):
    # a masked vocabulary: -inf in the input, zeros in the target, on the same classes
    logits = torch.tensor([[1.0, 2.0, -math.inf, 0.5]], dtype=torch.float64, device=device)
    log_q = torch.log_softmax(logits, -1).requires_grad_()
    target = torch.tensor([[0.2, 0.6, 0.0, 0.2]], dtype=torch.float64, device=device, requires_grad=True)
    loss = js_divergence(log_q, target, beta=beta)
    loss.backward()
    assert bool(torch.isfinite(loss))
    assert bool(torch.isfinite(log_q.grad).all()) and bool(torch.isfinite(target.grad).all())
    close(loss, reduce_like_kl(jsd_reference(log_q.detach(), target.detach(), beta), "batchmean"))
    # where only one of p and q is 0, one of the KL divergences is infinite (torch's too)
    one_sided = torch.tensor([[0.0, 0.0, 1.0, 0.0]], dtype=torch.float64, device=device)
    if beta == 0.0:  # q = 0 < p
        assert js_divergence(log_q.detach(), one_sided, beta=0.0).item() == math.inf
    elif beta == 1.0:  # p = 0 < q
        assert js_divergence(log_q.detach(), one_sided.roll(1, -1), beta=1.0).item() == math.inf
    else:
        assert math.isfinite(js_divergence(log_q.detach(), one_sided).item())


@pytest.mark.parametrize("beta", [0.0, 0.35, 1.0])
def test_js_divergence_gradcheck(beta):
    log_q, p = distributions(3, 4)
    log_q.requires_grad_()
    p.requires_grad_()
    assert torch.autograd.gradcheck(lambda x, t: js_divergence(x, t, beta=beta), (log_q, p))
    log_p = p.detach().log().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x, t: js_divergence(x, t, beta=beta, log_target=True, reduction="sum"), (log_q, log_p)
    )
    # the hand-written backward is made of differentiable operations: second derivatives too
    assert torch.autograd.gradgradcheck(lambda x, t: js_divergence(x, t, beta=beta), (log_q, p))
    assert torch.autograd.gradgradcheck(
        lambda x, t: js_divergence(x, t, beta=beta, log_target=True, reduction="none"), (log_q, log_p)
    )


@pytest.mark.parametrize("dtype", LOW_PRECISION)
def test_js_divergence_half_precision_computes_in_float32(device, dtype):
    log_q, p = distributions(4, 8, torch.float32, device)
    log_q, p = log_q.to(dtype), p.to(dtype)
    loss = js_divergence(log_q, p)
    assert loss.dtype == dtype
    expected = js_divergence(log_q.float(), p.float())
    torch.testing.assert_close(loss.float(), expected, rtol=1e-2, atol=1e-3)


def test_js_divergence_bad_inputs():
    log_q, p = distributions(2, 3)
    with pytest.raises(ValueError, match="beta must be in \\[0, 1\\]"):
        js_divergence(log_q, p, beta=1.5)
    with pytest.raises(TypeError, match="beta must be a real number"):
        js_divergence(log_q, p, beta="0.5")
    with pytest.raises(TypeError, match="log_target must be a bool"):
        js_divergence(log_q, p, log_target=1)
    with pytest.raises(ValueError, match="target must have every element in \\[0, 1\\]"):
        js_divergence(log_q, p * 3)
    with pytest.raises(ValueError, match="target must have every element <= 0"):
        js_divergence(log_q, p, log_target=True)
    with pytest.raises(ValueError, match="input and target must have the same shape"):
        js_divergence(log_q, p[:, :2])
    with pytest.raises(TypeError, match="target must have a floating-point dtype"):
        js_divergence(log_q, torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="reduction must be one of"):
        js_divergence(log_q, p, reduction="max")
    with pytest.raises(ValueError, match="beta must be in"):
        JSDivLoss(beta=-0.1)
    with pytest.raises(ValueError, match="reduction must be one of"):
        JSDivLoss(reduction="avg")


# ---------------------------------------------------------------------------
# Distillation
# ---------------------------------------------------------------------------


def logits_pair(shape, dtype=torch.float64, device="cpu", seed=0, scale=3.0):
    gen = torch.Generator().manual_seed(seed)
    s = scale * torch.randn(*shape, generator=gen, dtype=torch.float64)
    t = scale * torch.randn(*shape, generator=gen, dtype=torch.float64)
    return s.to(device, dtype), t.to(device, dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
def test_distillation_matches_torch_kl_div(device, dtype, temperature, reduction):
    s, t = logits_pair((6, 10), dtype, device)
    T = temperature
    expected = (
        T * T * F.kl_div(F.log_softmax(s.double() / T, -1), F.softmax(t.double() / T, -1), reduction="sum")
    )
    expected_none = (
        T * T * F.kl_div(F.log_softmax(s.double() / T, -1), F.softmax(t.double() / T, -1), reduction="none")
    )
    expected = reduce_like_kl(expected_none, reduction) if reduction != "sum" else expected
    close(distillation_loss(s, t, T, reduction), expected, dtype)


def test_distillation_of_sequences_divides_batchmean_by_the_batch_only(device):
    s, t = logits_pair((2, 5, 7), device=device)
    T = 2.0
    hinton = T * T * (F.softmax(t / T, -1) * (F.log_softmax(t / T, -1) - F.log_softmax(s / T, -1))).sum()
    close(distillation_loss(s, t, T), hinton / 2)
    close(distillation_loss(s.reshape(10, 7), t.reshape(10, 7), T), hinton / 10)


def test_distillation_gradient_is_temperature_times_q_minus_p(device):
    s, t = logits_pair((4, 6), device=device)
    s.requires_grad_()
    t.requires_grad_()
    for T in (1.0, 3.0):
        (grad,) = torch.autograd.grad(distillation_loss(s, t, T, "sum"), s)
        close(grad, T * (F.softmax(s.detach() / T, -1) - F.softmax(t.detach() / T, -1)))
    distillation_loss(s, t).backward()
    assert t.grad is None  # the teacher is not differentiated


def test_distillation_gradcheck_and_module():
    s, t = logits_pair((3, 5))
    s.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: distillation_loss(x, t, 2.5), (s,))
    assert torch.autograd.gradgradcheck(lambda x: distillation_loss(x, t, 2.5), (s,))
    module = DistillationLoss(temperature=3.0, reduction="sum")
    close(module(s, t), distillation_loss(s, t, 3.0, "sum"))
    assert "temperature=3.0" in repr(module) and "reduction='sum'" in repr(module)
    assert distillation_loss(t, t).item() == pytest.approx(0.0, abs=1e-14)


def test_distillation_extreme_logits_stay_finite(device):
    s = torch.tensor([[1e4, -1e4, 0.0], [0.0, 0.0, 0.0]], device=device, requires_grad=True)
    t = torch.tensor([[-1e4, 1e4, 0.0], [1e4, 0.0, -1e4]], device=device)
    loss = distillation_loss(s, t, temperature=1.0)
    loss.backward()
    assert bool(torch.isfinite(loss)) and bool(torch.isfinite(s.grad).all())
    # row 1: p is all on class 1, where log q = -2e4: KL 2e4; row 2: p is all on class 0, q uniform: log 3
    assert loss.item() == pytest.approx((2e4 + math.log(3)) / 2, rel=1e-6)


@pytest.mark.parametrize("dtype", LOW_PRECISION)
def test_distillation_half_precision_computes_in_float32(device, dtype):
    s, t = logits_pair((4, 8), torch.float32, device)
    s, t = s.to(dtype), t.to(dtype)
    loss = distillation_loss(s, t)
    assert loss.dtype == dtype
    torch.testing.assert_close(loss.float(), distillation_loss(s.float(), t.float()), rtol=1e-2, atol=1e-3)


def test_distillation_bad_inputs():
    s, t = logits_pair((2, 3))
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="temperature must be"):
            distillation_loss(s, t, temperature=bad)
    for bad in ("2", True, None):
        with pytest.raises(TypeError, match="temperature must be a real number"):
            distillation_loss(s, t, temperature=bad)
    with pytest.raises(ValueError, match="student_logits and teacher_logits must have the same shape"):
        distillation_loss(s, t[:, :2])
    with pytest.raises(ValueError, match="student_logits must be at least 2-D"):
        distillation_loss(s[0], t[0])
    with pytest.raises(TypeError, match="teacher_logits must have a floating-point dtype"):
        distillation_loss(s, torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="student_logits must be a torch.Tensor"):
        distillation_loss([[0.0, 1.0]], t)
    with pytest.raises(ValueError, match="reduction must be one of"):
        distillation_loss(s, t, reduction="max")
    with pytest.raises(ValueError, match="temperature must be"):
        DistillationLoss(temperature=0)


# ---------------------------------------------------------------------------
# Sequence log-probabilities
# ---------------------------------------------------------------------------


def brute_force_sequence_log_probs(logits, labels, ignore_index, average):
    out = []
    for b in range(logits.shape[0]):
        total, count = 0.0, 0
        for i in range(logits.shape[1]):
            label = int(labels[b, i])
            if label == ignore_index:
                continue
            total = total + torch.log_softmax(logits[b, i], -1)[label]
            count += 1
        out.append(total / max(count, 1) if average else total)
    return torch.stack([torch.as_tensor(v, dtype=logits.dtype, device=logits.device) for v in out])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 0])
def test_sequence_log_probs_matches_a_loop(device, dtype, average, ignore_index):
    gen = torch.Generator().manual_seed(3)
    logits = (2 * torch.randn(3, 6, 9, generator=gen, dtype=torch.float64)).to(device, dtype)
    labels = torch.randint(0, 9, (3, 6), generator=gen)
    labels[0, :2] = ignore_index  # a prompt
    labels[2, :] = ignore_index  # a sequence with nothing to score: 0, not 0 / 0
    labels = labels.to(device)
    actual = sequence_log_probs(logits, labels, ignore_index=ignore_index, average=average)
    expected = brute_force_sequence_log_probs(logits.double(), labels, ignore_index, average)
    assert actual.shape == (3,) and actual[2].item() == 0.0
    close(actual, expected, dtype)


def test_sequence_log_probs_of_a_causal_model_is_shifted_by_the_caller():
    """The docstring's recipe: logits[:, :-1] score labels[:, 1:], prompt tokens ignored."""
    gen = torch.Generator().manual_seed(0)
    vocabulary, ids = 5, torch.tensor([[1, 3, 2, 4]])
    table = torch.randn(vocabulary, vocabulary, generator=gen, dtype=torch.float64)  # a bigram model
    logits = table[ids]  # logits[0, i] predicts ids[0, i + 1]
    labels = ids.clone()
    labels[0, :2] = -100  # the prompt "1 3": only "2 4" is the answer
    logp = sequence_log_probs(logits[:, :-1], labels[:, 1:])
    expected = torch.log_softmax(table[3], -1)[2] + torch.log_softmax(table[2], -1)[4]
    close(logp, expected.reshape(1))


def test_sequence_log_probs_gradcheck_and_half_precision():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 3, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([[0, -100, 3], [2, 1, -100]])
    assert torch.autograd.gradcheck(lambda z: sequence_log_probs(z, labels, average=True), (logits,))
    for dtype in LOW_PRECISION:
        half = logits.detach().to(dtype)
        out = sequence_log_probs(half, labels)
        assert out.dtype == dtype
        torch.testing.assert_close(
            out.float(), sequence_log_probs(half.float(), labels), rtol=1e-2, atol=1e-2
        )
    extreme = torch.tensor([[[1e4, -1e4, 0.0]]], requires_grad=True)
    out = sequence_log_probs(extreme, torch.tensor([[1]]))
    out.sum().backward()
    assert out.item() == pytest.approx(-2e4) and bool(torch.isfinite(extreme.grad).all())


def test_sequence_log_probs_bad_inputs():
    logits, labels = torch.zeros(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="labels must have the shape of logits without its last"):
        sequence_log_probs(logits, labels[:, :2])
    with pytest.raises(ValueError, match="logits must be 3-D"):
        sequence_log_probs(logits[0], labels[0])
    with pytest.raises(TypeError, match="labels must have an integer dtype"):
        sequence_log_probs(logits, labels.float())
    with pytest.raises(ValueError, match="labels must hold class indices in \\[0, 4\\)"):
        sequence_log_probs(logits, labels + 4)
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        sequence_log_probs(logits, labels, ignore_index=True)
    with pytest.raises(TypeError, match="average must be a bool"):
        sequence_log_probs(logits, labels, average=1)
    with pytest.raises(TypeError, match="logits must have a floating-point dtype"):
        sequence_log_probs(labels.unsqueeze(-1), labels)


# ---------------------------------------------------------------------------
# Bradley-Terry
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bradley_terry_matches_the_model_and_bce(device, reduction):
    chosen, rejected, _, _ = log_probs(7, device=device, scale=8.0)
    expected = -torch.log(torch.sigmoid(chosen - rejected))  # moderate gaps: the naive form is exact
    close(bradley_terry_loss(chosen, rejected, reduction), reduce_plain(expected, reduction))
    bce = F.binary_cross_entropy_with_logits(chosen - rejected, torch.ones_like(chosen), reduction=reduction)
    close(bradley_terry_loss(chosen, rejected, reduction), bce)


def test_bradley_terry_extremes_gradcheck_and_half_precision(device):
    gaps = torch.tensor([-1e4, -100.0, 0.0, 100.0, 1e4], device=device, requires_grad=True)
    loss = bradley_terry_loss(gaps, torch.zeros(5, device=device), "none")
    loss.sum().backward()
    assert bool(torch.isfinite(loss).all()) and bool(torch.isfinite(gaps.grad).all())
    assert loss[0].item() == pytest.approx(1e4) and loss[-1].item() == 0.0
    torch.testing.assert_close(gaps.grad, -torch.sigmoid(-gaps.detach()))
    c, r, _, _ = log_probs(4)
    c.requires_grad_()
    r.requires_grad_()
    assert torch.autograd.gradcheck(bradley_terry_loss, (c, r))
    for dtype in LOW_PRECISION:
        out = bradley_terry_loss(c.detach().to(dtype), r.detach().to(dtype))
        assert out.dtype == dtype
        expected = bradley_terry_loss(c.detach().to(dtype).float(), r.detach().to(dtype).float())
        torch.testing.assert_close(out.float(), expected, rtol=1e-2, atol=1e-3)


def test_bradley_terry_bad_inputs():
    c = torch.zeros(3)
    with pytest.raises(ValueError, match="chosen_rewards and rejected_rewards must have the same shape"):
        bradley_terry_loss(c, torch.zeros(4))
    with pytest.raises(TypeError, match="rejected_rewards must have a floating-point dtype"):
        bradley_terry_loss(c, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="reduction must be one of"):
        bradley_terry_loss(c, c, reduction="batchmean")


# ---------------------------------------------------------------------------
# DPO (sigmoid, conservative, hinge, IPO)
# ---------------------------------------------------------------------------


def dpo_reference(pc, pr, rc, rr, beta, loss_type, label_smoothing=0.0):
    """From the papers: DPO eq. 7 (Rafailov et al.), cDPO (Mitchell), SLiC hinge, IPO eq. 17 (Azar et al.)."""
    h = (pc - rc) - (pr - rr)  # the margin of the log-ratios
    if loss_type == "sigmoid":
        preferred = -torch.log(torch.sigmoid(beta * h))
        flipped = -torch.log(torch.sigmoid(-beta * h))
        return (1 - label_smoothing) * preferred + label_smoothing * flipped
    if loss_type == "hinge":
        return torch.clamp(1 - beta * h, min=0)
    return (h - 1 / (2 * beta)) ** 2


CONFIGS = [("sigmoid", 0.0), ("sigmoid", 0.2), ("sigmoid", 0.5), ("hinge", 0.0), ("ipo", 0.0)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("loss_type", "label_smoothing"), CONFIGS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_dpo_matches_the_papers(device, dtype, loss_type, label_smoothing, reduction):
    pc, pr, rc, rr = log_probs(6, dtype, device, scale=20.0)
    beta = 0.3
    loss, chosen, rejected = dpo_loss(
        pc, pr, rc, rr, beta, label_smoothing=label_smoothing, loss_type=loss_type, reduction=reduction
    )
    expected = dpo_reference(*(x.double() for x in (pc, pr, rc, rr)), beta, loss_type, label_smoothing)
    close(loss, reduce_plain(expected, reduction), dtype)
    close(chosen, beta * (pc.double() - rc.double()), dtype)
    close(rejected, beta * (pr.double() - rr.double()), dtype)
    assert chosen.shape == rejected.shape == (6,)
    assert loss.dtype == chosen.dtype == dtype
    if reduction == "none":
        assert loss.shape == (6,)


def test_dpo_rewards_are_detached_and_the_reference_gets_no_gradient(device):
    pc, pr, rc, rr = (x.requires_grad_() for x in log_probs(4, device=device))
    loss, chosen, rejected = dpo_loss(pc, pr, rc, rr)
    assert not chosen.requires_grad and not rejected.requires_grad
    loss.backward()
    assert rc.grad is None and rr.grad is None
    assert pc.grad is not None and pr.grad is not None


def test_dpo_gradient_weighs_each_pair_by_sigmoid_of_minus_the_margin(device):
    """The exercise's weight: d loss / d log pi(y_c) = -beta sigma(-beta h) / n (and the opposite for y_r)."""
    pc, pr, rc, rr = log_probs(5, device=device, scale=10.0)
    pc.requires_grad_()
    pr.requires_grad_()
    beta = 0.5
    loss, _, _ = dpo_loss(pc, pr, rc, rr, beta)
    loss.backward()
    h = (pc.detach() - rc) - (pr.detach() - rr)
    weight = beta * torch.sigmoid(-beta * h) / 5
    close(pc.grad, -weight)
    close(pr.grad, weight)


def test_dpo_is_bradley_terry_on_the_implicit_rewards(device):
    pc, pr, rc, rr = log_probs(6, device=device)
    loss, chosen, rejected = dpo_loss(pc, pr, rc, rr, 0.7, reduction="none")
    close(loss, bradley_terry_loss(chosen, rejected, "none"))


@pytest.mark.parametrize(("loss_type", "label_smoothing"), CONFIGS)
def test_dpo_gradcheck(loss_type, label_smoothing):
    pc, pr, rc, rr = log_probs(4, seed=2)
    pc.requires_grad_()
    pr.requires_grad_()

    def f(a, b):
        return dpo_loss(a, b, rc, rr, 0.4, label_smoothing=label_smoothing, loss_type=loss_type)[0]

    assert torch.autograd.gradcheck(f, (pc, pr))


@pytest.mark.parametrize(("loss_type", "label_smoothing"), CONFIGS)
def test_dpo_extreme_log_probability_gaps_stay_finite(device, loss_type, label_smoothing):
    pc = torch.tensor([0.0, -1e4, -5.0], device=device, requires_grad=True)
    pr = torch.tensor([-1e4, 0.0, -5.0], device=device, requires_grad=True)
    rc = rr = torch.zeros(3, device=device)
    losses, _, _ = dpo_loss(
        pc, pr, rc, rr, 1.0, label_smoothing=label_smoothing, loss_type=loss_type, reduction="none"
    )
    losses.sum().backward()
    assert bool(torch.isfinite(losses).all()) and bool(torch.isfinite(pc.grad).all())
    if loss_type == "sigmoid" and label_smoothing == 0.0:
        assert losses[0].item() == 0.0 and losses[1].item() == pytest.approx(1e4)


@pytest.mark.parametrize("dtype", LOW_PRECISION)
def test_dpo_half_precision_computes_in_float32(device, dtype):
    xs = [x.to(dtype) for x in log_probs(5, torch.float32, device)]
    loss, chosen, rejected = dpo_loss(*xs)
    assert loss.dtype == chosen.dtype == rejected.dtype == dtype
    expected, _, _ = dpo_loss(*(x.float() for x in xs))
    torch.testing.assert_close(loss.float(), expected, rtol=1e-2, atol=1e-3)


def test_dpo_reference_in_another_precision_is_cast_to_the_policys(device):
    pc, pr, rc, rr = log_probs(4, device=device)
    loss, chosen, _ = dpo_loss(pc.float(), pr.float(), rc, rr)
    assert loss.dtype == chosen.dtype == torch.float32
    expected, _, _ = dpo_loss(pc.float().double(), pr.float().double(), rc, rr)
    close(loss, expected, torch.float32)


def test_dpo_module_holds_the_options(device):
    xs = log_probs(5, device=device)
    module = DPOLoss(beta=0.2, label_smoothing=0.1, reduction="sum")
    for a, b in zip(module(*xs), dpo_loss(*xs, 0.2, label_smoothing=0.1, reduction="sum"), strict=True):
        close(a, b)
    ipo = DPOLoss(beta=0.2, loss_type="ipo", reduction="none")
    close(ipo(*xs)[0], dpo_loss(*xs, 0.2, loss_type="ipo", reduction="none")[0])
    assert "loss_type='ipo'" in repr(ipo)


def test_dpo_bad_inputs():
    xs = log_probs(3)
    for bad in (0.0, -0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="beta must be"):
            dpo_loss(*xs, bad)
    with pytest.raises(TypeError, match="beta must be a real number"):
        dpo_loss(*xs, "0.1")
    with pytest.raises(ValueError, match="loss_type must be one of 'sigmoid', 'hinge', 'ipo'; got 'kto'"):
        dpo_loss(*xs, loss_type="kto")
    for bad in (-0.1, 0.6):
        with pytest.raises(ValueError, match="label_smoothing must be in \\[0, 0.5\\]"):
            dpo_loss(*xs, label_smoothing=bad)
    with pytest.raises(ValueError, match="label_smoothing applies to loss_type='sigmoid' only"):
        dpo_loss(*xs, label_smoothing=0.1, loss_type="ipo")
    with pytest.raises(
        ValueError, match="policy_chosen_logps and reference_rejected_logps must have the same shape"
    ):
        dpo_loss(xs[0], xs[1], xs[2], xs[3][:2])
    with pytest.raises(TypeError, match="policy_rejected_logps must have a floating-point dtype"):
        dpo_loss(xs[0], torch.zeros(3, dtype=torch.long), xs[2], xs[3])
    with pytest.raises(TypeError, match="reference_chosen_logps must be a torch.Tensor"):
        dpo_loss(xs[0], xs[1], [0.0, 0.0, 0.0], xs[3])
    with pytest.raises(ValueError, match="reduction must be one of"):
        dpo_loss(*xs, reduction="batchmean")
    with pytest.raises(ValueError, match="loss_type must be one of"):
        DPOLoss(loss_type="simpo")
    with pytest.raises(ValueError, match="beta must be"):
        DPOLoss(beta=0)


# TRL's DPOTrainer.dpo_loss exists up to TRL 0.28 (later versions fold it into _compute_loss).
# TRL is not in requirements.txt: its 0.28 release needs transformers < 5, whose dependencies
# move pins of the book's environment, so this test runs where TRL is installed by hand.
def trl_dpo_loss():
    if importlib.util.find_spec("trl") is None:
        pytest.skip("Hugging Face TRL is not installed (pip install 'trl==0.28.0' 'transformers<5')")
    trl_dpo = pytest.importorskip("trl.trainer.dpo_trainer", reason="TRL's DPO trainer does not import")
    trainer = trl_dpo.DPOTrainer
    if not hasattr(trainer, "dpo_loss"):
        pytest.skip("this TRL version has no DPOTrainer.dpo_loss (removed after TRL 0.28)")
    return trainer.dpo_loss, trl_dpo.FDivergenceType


@pytest.mark.parametrize(("loss_type", "label_smoothing"), CONFIGS)
def test_dpo_matches_trl(loss_type, label_smoothing):
    trl_loss, divergence = trl_dpo_loss()
    beta = 0.3
    # DPOTrainer.dpo_loss reads only these attributes of the trainer: no model, no data
    trainer = types.SimpleNamespace(
        beta=beta,
        label_smoothing=label_smoothing,
        reference_free=False,
        f_divergence_type=divergence.REVERSE_KL,
        f_divergence_params=None,
        accelerator=types.SimpleNamespace(device=torch.device("cpu")),
    )
    for dtype, scale in ((torch.float64, 20.0), (torch.float32, 1e4)):
        xs = log_probs(8, dtype, scale=scale, seed=4)
        expected = trl_loss(trainer, *xs, loss_type=loss_type)
        actual = dpo_loss(*xs, beta, label_smoothing=label_smoothing, loss_type=loss_type, reduction="none")
        for a, b in zip(actual, expected, strict=True):
            torch.testing.assert_close(a, b)


# ---------------------------------------------------------------------------
# SimPO and ORPO
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_simpo_matches_the_paper(device, reduction):
    c, r, _, _ = log_probs(6, device=device, scale=3.0)
    beta, gamma = 2.5, 0.8
    expected = -torch.log(torch.sigmoid(beta * c - beta * r - gamma))  # eq. 6 of Meng et al.
    close(simpo_loss(c, r, beta, gamma, reduction), reduce_plain(expected, reduction))
    close(SimPOLoss(beta, gamma, reduction)(c, r), reduce_plain(expected, reduction))


def test_simpo_gradcheck_extremes_and_half_precision(device):
    c, r, _, _ = log_probs(4)
    c.requires_grad_()
    assert torch.autograd.gradcheck(lambda a: simpo_loss(a, r), (c,))
    big = torch.tensor([-1e4, 0.0], device=device, requires_grad=True)
    out = simpo_loss(big, torch.tensor([0.0, -1e4], device=device), reduction="none")
    out.sum().backward()
    assert bool(torch.isfinite(out).all()) and bool(torch.isfinite(big.grad).all())
    assert out[0].item() == pytest.approx(2e4 + 0.5)
    for dtype in LOW_PRECISION:
        assert simpo_loss(c.detach().to(dtype), r.to(dtype)).dtype == dtype


def test_simpo_bad_inputs():
    c = torch.zeros(3)
    with pytest.raises(ValueError, match="beta must be"):
        simpo_loss(c, c, beta=0.0)
    with pytest.raises(ValueError, match="gamma must be"):
        simpo_loss(c, c, gamma=-0.5)
    with pytest.raises(ValueError, match="chosen_logps and rejected_logps must have the same shape"):
        simpo_loss(c, torch.zeros(2))
    with pytest.raises(ValueError, match="gamma must be"):
        SimPOLoss(gamma=-1.0)


def orpo_reference(c, r, beta):
    """Hong et al. eqs. 4-7 with probabilities: -log P(y_c) - beta log sigma(log(odds_c / odds_r))."""
    pc, pr = c.exp(), r.exp()
    ratio = (pc / (1 - pc)) / (pr / (1 - pr))
    return -c - beta * torch.log(torch.sigmoid(torch.log(ratio)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_orpo_matches_the_paper(device, reduction):
    c, r, _, _ = log_probs(6, device=device, scale=3.0)
    expected = orpo_reference(c, r, 0.25)
    close(orpo_loss(c, r, 0.25, reduction), reduce_plain(expected, reduction))
    close(ORPOLoss(0.25, reduction)(c, r), reduce_plain(expected, reduction))


def test_orpo_odds_keep_their_digits_near_probability_one():
    """log(1 - p) at p = exp(-1e-6): naive float32 loses every digit; the loss must not."""
    x64 = torch.tensor([-1e-6, -1e-3, -0.5, -5.0, -80.0], dtype=torch.float64)
    y64 = torch.tensor([-2e-6, -2.0, -0.6, -1e-7, -100.0], dtype=torch.float64)
    expected = orpo_reference(x64, y64, 1.0)
    actual = orpo_loss(x64.float(), y64.float(), 1.0, "none")
    torch.testing.assert_close(actual.double(), expected, rtol=1e-5, atol=1e-6)


def test_orpo_gradcheck_extremes_and_bad_inputs(device):
    c, r, _, _ = log_probs(4)
    c.requires_grad_()
    r.requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: orpo_loss(a, b, 0.5), (c, r))
    big = torch.tensor([-1e4, -1e-3], device=device, requires_grad=True)
    out = orpo_loss(big, torch.tensor([-1e-3, -1e4], device=device), reduction="none")
    out.sum().backward()
    assert bool(torch.isfinite(out).all()) and bool(torch.isfinite(big.grad).all())
    with pytest.raises(ValueError, match="chosen_logps must have every element < 0"):
        orpo_loss(torch.tensor([0.0]), torch.tensor([-1.0]))
    with pytest.raises(ValueError, match="rejected_logps must have every element < 0"):
        orpo_loss(torch.tensor([-1.0]), torch.tensor([0.5]))
    with pytest.raises(ValueError, match="rejected_logps must not contain NaN"):
        orpo_loss(torch.tensor([-1.0]), torch.tensor([math.nan]))
    with pytest.raises(ValueError, match="beta must be"):
        orpo_loss(torch.tensor([-1.0]), torch.tensor([-1.0]), beta=-1.0)
    for dtype in LOW_PRECISION:
        assert orpo_loss(c.detach().to(dtype), r.detach().to(dtype)).dtype == dtype


# ---------------------------------------------------------------------------
# The family as a whole
# ---------------------------------------------------------------------------


def test_every_public_name_is_exported_flat_and_names_its_chapter_section():
    import lossbook.distribution_matching as family

    for name in family.__all__:
        assert getattr(lossbook, name) is getattr(family, name), name
        if inspect.isfunction(getattr(family, name)):
            doc = inspect.getdoc(getattr(family, name))
            assert 'Chapter "Matching distributions"' in doc and "distribution-matching.ipynb" in doc, name
