"""lossbook.transducer against brute force, a dynamic program written here, and by hand.

rnnt_loss: the enumeration of every alignment (values and gradients), a plain-loop float64
forward algorithm, gradcheck, the options (blank conventions, clamp, fused_log_softmax,
reductions), low precision, padding, every bad input. ctc_forced_align: the path collapses to
the target, is the best of all valid paths (enumerated) and scores what a Viterbi recursion
written here finds. merge_tokens, rnnt_greedy_decode against a per-sample loop.
"""

import itertools
import math

import pytest
import torch

import lossbook
from lossbook.transducer import TokenSpan
from lossbook.transducer.reference import MAX_ALIGNMENTS

REDUCTIONS = ["mean", "sum", "none"]


def random_problem(gen, N, T, U, V, *, blank=-1, variable=True, dtype=torch.float64, scale=2.0):
    """Logits (N, T, U+1, V), targets (N, U) without the blank, lengths; the maxima are T and U."""
    b = blank % V
    logits = torch.randn(N, T, U + 1, V, generator=gen, dtype=torch.float64).mul(scale).to(dtype)
    labels = torch.randint(0, V - 1, (N, U), generator=gen)
    targets = labels + (labels >= b).long()
    if variable:
        logit_lengths = torch.randint(1, T + 1, (N,), generator=gen)
        target_lengths = torch.randint(0, U + 1, (N,), generator=gen)
        logit_lengths[torch.randint(0, N, (1,), generator=gen)] = T
        target_lengths[torch.randint(0, N, (1,), generator=gen)] = U
    else:
        logit_lengths = torch.full((N,), T)
        target_lengths = torch.full((N,), U)
    return logits, targets, logit_lengths, target_lengths


def loss_and_grad(fn, logits, *args, upstream=None, **kw):
    x = logits.detach().clone().requires_grad_()
    loss = fn(x, *args, **kw)
    weights = torch.ones_like(loss) if upstream is None else upstream
    (loss * weights).sum().backward()
    return loss.detach(), x.grad


def per_sample_reference(fn, logits, targets, logit_lengths, target_lengths, blank=-1, fused=True):
    """(N,) losses of a one-example reference applied to each sample's own lattice, differentiable."""
    losses = []
    for n in range(logits.shape[0]):
        T_n, U_n = int(logit_lengths[n]), int(target_lengths[n])
        scores = logits[n, :T_n, : U_n + 1]
        losses.append(fn(scores.log_softmax(-1) if fused else scores, targets[n, :U_n].tolist(), blank))
    return torch.stack(losses)


def dynamic_program(log_probs, target, blank=-1):
    """The forward algorithm in float64 with plain loops over t and u (0-d tensors: differentiable)."""
    T, U1, V = log_probs.shape
    blank %= V
    alpha = [[None] * U1 for _ in range(T)]
    for t in range(T):
        for u in range(U1):
            terms = []
            if t == 0 and u == 0:
                terms.append(log_probs.new_zeros(()))
            if t > 0:
                terms.append(alpha[t - 1][u] + log_probs[t - 1, u, blank])
            if u > 0:
                terms.append(alpha[t][u - 1] + log_probs[t, u - 1, target[u - 1]])
            alpha[t][u] = torch.logsumexp(torch.stack(terms), 0)
    return -(alpha[T - 1][U1 - 1] + log_probs[T - 1, U1 - 1, blank])


# --- agreement with the references -----------------------------------------------------------


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("fused", [True, False])
def test_agrees_with_bruteforce_values_and_gradients(seed, fused):
    gen = torch.Generator().manual_seed(seed)
    T, U, V = int(torch.randint(1, 6, (1,), generator=gen)), int(torch.randint(0, 4, (1,), generator=gen)), 4
    blank = [-1, 0, 2, -3][seed % 4]
    logits, targets, logit_lengths, target_lengths = random_problem(gen, 3, T, U, V, blank=blank)
    if not fused:
        logits = logits.log_softmax(-1)
    ours = loss_and_grad(
        lossbook.rnnt_loss,
        logits,
        targets,
        logit_lengths,
        target_lengths,
        blank=blank,
        reduction="none",
        fused_log_softmax=fused,
    )
    theirs = loss_and_grad(
        lambda x: per_sample_reference(
            lossbook.rnnt_loss_bruteforce, x, targets, logit_lengths, target_lengths, blank, fused
        ),
        logits,
    )
    torch.testing.assert_close(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours[1], theirs[1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_a_plain_loop_dynamic_program_in_float64(seed):
    gen = torch.Generator().manual_seed(100 + seed)
    problem = random_problem(gen, 3, 9, 6, 7, blank=seed % 2 - 1)
    blank = seed % 2 - 1
    upstream = torch.rand(3, generator=gen, dtype=torch.float64)
    ours = loss_and_grad(lossbook.rnnt_loss, *problem, blank=blank, reduction="none", upstream=upstream)
    theirs = loss_and_grad(
        lambda x: per_sample_reference(dynamic_program, x, *problem[1:], blank), problem[0], upstream=upstream
    )
    torch.testing.assert_close(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours[1], theirs[1], rtol=1e-9, atol=1e-12)


def test_unnormalized_scores_without_fused_log_softmax_agree_with_the_dynamic_program():
    """fused_log_softmax=False takes the scores as given (no normalization), gradient included."""
    gen = torch.Generator().manual_seed(7)
    problem = random_problem(gen, 2, 5, 3, 6)
    ours = loss_and_grad(lossbook.rnnt_loss, *problem, reduction="none", fused_log_softmax=False)
    theirs = loss_and_grad(
        lambda x: per_sample_reference(dynamic_program, x, *problem[1:], -1, fused=False), problem[0]
    )
    torch.testing.assert_close(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours[1], theirs[1], rtol=1e-9, atol=1e-12)
    fused = lossbook.rnnt_loss(*problem, reduction="none")
    given = lossbook.rnnt_loss(
        problem[0].log_softmax(-1), *problem[1:], reduction="none", fused_log_softmax=False
    )
    torch.testing.assert_close(fused, given)


@pytest.mark.parametrize("fused", [True, False])
def test_gradcheck(fused):
    gen = torch.Generator().manual_seed(3)
    logits, targets, logit_lengths, target_lengths = random_problem(gen, 2, 4, 2, 4, scale=1.0)
    logits.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x: lossbook.rnnt_loss(
            x, targets, logit_lengths, target_lengths, reduction="none", fused_log_softmax=fused
        ),
        (logits,),
    )


def test_full_lengths_and_the_issue_shapes_agree_with_the_dynamic_program():
    gen = torch.Generator().manual_seed(11)
    problem = random_problem(gen, 2, 6, 4, 5, variable=False)
    ours = loss_and_grad(lossbook.rnnt_loss, *problem, reduction="sum")
    theirs = loss_and_grad(lambda x: per_sample_reference(dynamic_program, x, *problem[1:]).sum(), problem[0])
    torch.testing.assert_close(ours[0], theirs[0])
    torch.testing.assert_close(ours[1], theirs[1])


# --- the edges of the lattice --------------------------------------------------------------------


def test_no_labels_is_a_blank_on_every_frame():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 5, 1, 4, generator=gen, dtype=torch.float64)
    targets = torch.zeros(2, 0, dtype=torch.int64)
    loss = lossbook.rnnt_loss(logits, targets, torch.tensor([5, 3]), torch.tensor([0, 0]), reduction="none")
    log_probs = logits.log_softmax(-1)[..., -1, -1]  # (N, T): the blank at u = 0
    torch.testing.assert_close(loss, -torch.stack([log_probs[0].sum(), log_probs[1, :3].sum()]))


def test_one_frame_emits_every_label_then_the_blank():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(1, 1, 4, 5, generator=gen, dtype=torch.float64)
    target = [2, 0, 2]
    loss = lossbook.rnnt_loss(logits, torch.tensor([target]), torch.tensor([1]), torch.tensor([3]), blank=1)
    lp = logits[0, 0].log_softmax(-1)
    expected = -(lp[0, 2] + lp[1, 0] + lp[2, 2] + lp[3, 1])
    torch.testing.assert_close(loss, expected)


def test_uniform_probabilities_count_the_alignments():
    """With every class equally likely, p(y|x) = C(T-1+U, U) / V**(T+U)."""
    T, U, V = 6, 3, 4
    loss = lossbook.rnnt_loss(
        torch.zeros(1, T, U + 1, V, dtype=torch.float64),
        torch.tensor([[0, 1, 2]]),
        torch.tensor([T]),
        torch.tensor([U]),
    )
    assert loss.item() == pytest.approx(-(math.log(math.comb(T - 1 + U, U)) - (T + U) * math.log(V)))


def test_padding_is_ignored_and_gets_no_gradient():
    gen = torch.Generator().manual_seed(5)
    logits, targets, logit_lengths, target_lengths = random_problem(gen, 3, 6, 4, 5)
    logit_lengths[:] = torch.tensor([6, 3, 1])
    target_lengths[:] = torch.tensor([2, 4, 0])
    dirty, dirty_targets = logits.clone(), targets.clone()
    for n in range(3):
        dirty[n, logit_lengths[n] :] = math.nan
        dirty[n, :, target_lengths[n] + 1 :] = math.inf
        dirty_targets[n, target_lengths[n] :] = 99  # padding: any value, even out of range
    clean = loss_and_grad(
        lossbook.rnnt_loss, logits, targets, logit_lengths, target_lengths, reduction="none"
    )
    noisy = loss_and_grad(
        lossbook.rnnt_loss, dirty, dirty_targets, logit_lengths, target_lengths, reduction="none"
    )
    torch.testing.assert_close(clean[0], noisy[0])
    torch.testing.assert_close(clean[1], noisy[1])
    for n in range(3):
        assert not noisy[1][n, logit_lengths[n] :].any()
        assert not noisy[1][n, :, target_lengths[n] + 1 :].any()


# --- options -------------------------------------------------------------------------------------


def test_blank_minus_one_is_the_last_class_and_an_index_moves_it():
    gen = torch.Generator().manual_seed(2)
    logits, targets, logit_lengths, target_lengths = random_problem(gen, 3, 5, 3, 6, blank=-1)
    last = lossbook.rnnt_loss(logits, targets, logit_lengths, target_lengths, reduction="none")
    explicit = lossbook.rnnt_loss(logits, targets, logit_lengths, target_lengths, blank=5, reduction="none")
    torch.testing.assert_close(last, explicit)
    # The same problem with the classes rotated: blank 0, labels shifted up by one.
    rotated = logits.roll(1, dims=-1)
    first = lossbook.rnnt_loss(rotated, targets + 1, logit_lengths, target_lengths, blank=0, reduction="none")
    torch.testing.assert_close(last, first)
    minus_six = lossbook.rnnt_loss(
        rotated, targets + 1, logit_lengths, target_lengths, blank=-6, reduction="none"
    )
    torch.testing.assert_close(last, minus_six)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_clamp_clips_each_samples_gradient_before_the_reduction(reduction):
    gen = torch.Generator().manual_seed(4)
    problem = random_problem(gen, 3, 5, 3, 4, scale=4.0)
    _, free = loss_and_grad(lossbook.rnnt_loss, *problem, reduction="none")
    clamp = 0.1
    assert free.abs().max() > clamp
    loss, clipped = loss_and_grad(lossbook.rnnt_loss, *problem, clamp=clamp, reduction=reduction)
    per_sample = free.clamp(-clamp, clamp)
    expected = per_sample / 3 if reduction == "mean" else per_sample
    torch.testing.assert_close(clipped, expected)
    torch.testing.assert_close(loss, lossbook.rnnt_loss(*problem, reduction=reduction))  # values unchanged


@pytest.mark.parametrize("clamp", [0.0, -1.0, -5])
def test_clamp_at_most_zero_does_nothing(clamp):
    gen = torch.Generator().manual_seed(4)
    problem = random_problem(gen, 2, 4, 2, 4, scale=4.0)
    torch.testing.assert_close(
        loss_and_grad(lossbook.rnnt_loss, *problem, clamp=clamp)[1],
        loss_and_grad(lossbook.rnnt_loss, *problem)[1],
    )


@pytest.mark.parametrize("fused", [True, False])
def test_clamp_applies_with_the_scores_as_given(fused):
    gen = torch.Generator().manual_seed(6)
    logits, *rest = random_problem(gen, 2, 5, 3, 4, scale=3.0)
    if not fused:
        logits = logits.log_softmax(-1)
    _, free = loss_and_grad(lossbook.rnnt_loss, logits, *rest, reduction="sum", fused_log_softmax=fused)
    _, clipped = loss_and_grad(
        lossbook.rnnt_loss, logits, *rest, reduction="sum", fused_log_softmax=fused, clamp=0.2
    )
    torch.testing.assert_close(clipped, free.clamp(-0.2, 0.2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_reductions_are_the_mean_and_sum_over_the_batch(reduction):
    gen = torch.Generator().manual_seed(8)
    problem = random_problem(gen, 4, 5, 3, 5)
    per_sample, per_grad = loss_and_grad(lossbook.rnnt_loss, *problem, reduction="none")
    loss, grad = loss_and_grad(lossbook.rnnt_loss, *problem, reduction=reduction)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(grad, per_grad / 4 if reduction == "mean" else per_grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_module_matches_the_function(reduction):
    gen = torch.Generator().manual_seed(9)
    problem = random_problem(gen, 3, 4, 2, 5)
    module = lossbook.RNNTLoss(blank=-1, clamp=0.5, reduction=reduction, fused_log_softmax=True)
    torch.testing.assert_close(module(*problem), lossbook.rnnt_loss(*problem, clamp=0.5, reduction=reduction))
    assert "clamp=0.5" in repr(module) and "blank=-1" in repr(module)


def test_int32_targets_and_lengths_as_torchaudio_takes_them():
    gen = torch.Generator().manual_seed(10)
    logits, targets, logit_lengths, target_lengths = random_problem(gen, 3, 4, 2, 5)
    torch.testing.assert_close(
        lossbook.rnnt_loss(logits, targets.int(), logit_lengths.int(), target_lengths.int()),
        lossbook.rnnt_loss(logits, targets, logit_lengths, target_lengths),
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_low_precision_is_computed_in_float32(dtype):
    gen = torch.Generator().manual_seed(12)
    logits, *rest = random_problem(gen, 3, 6, 3, 5, scale=1.0)
    low = logits.to(dtype)
    loss, grad = loss_and_grad(lossbook.rnnt_loss, low, *rest, reduction="none")
    ref_loss, ref_grad = loss_and_grad(lossbook.rnnt_loss, low.float(), *rest, reduction="none")
    assert loss.dtype == dtype and grad.dtype == dtype
    torch.testing.assert_close(loss.float(), ref_loss.to(dtype).float())
    torch.testing.assert_close(grad.float(), ref_grad.to(dtype).float())


def test_float32_agrees_with_float64():
    gen = torch.Generator().manual_seed(13)
    problem = random_problem(gen, 4, 12, 5, 8)
    loss64, grad64 = loss_and_grad(lossbook.rnnt_loss, *problem)
    loss32, grad32 = loss_and_grad(lossbook.rnnt_loss, problem[0].float(), *problem[1:])
    assert loss32.dtype == torch.float32
    torch.testing.assert_close(loss32.double(), loss64, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad32.double(), grad64, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_blocks_of_one_frame_agree_with_one_block(monkeypatch, dtype):
    """The logits are read and the gradient written a block of frames at a time."""
    from lossbook.transducer import loss as module

    gen = torch.Generator().manual_seed(14)
    for fused in (True, False):
        logits, *rest = random_problem(gen, 2, 5, 3, 4, dtype=dtype, scale=1.0)
        whole = loss_and_grad(lossbook.rnnt_loss, logits, *rest, fused_log_softmax=fused, clamp=0.3)
        monkeypatch.setattr(module, "_BLOCK_ELEMENTS", 1)
        blocks = loss_and_grad(lossbook.rnnt_loss, logits, *rest, fused_log_softmax=fused, clamp=0.3)
        monkeypatch.undo()
        torch.testing.assert_close(whole[0], blocks[0])
        torch.testing.assert_close(whole[1], blocks[1])


def test_runs_on_the_device(device):
    gen = torch.Generator().manual_seed(15)
    problem = random_problem(gen, 3, 7, 4, 6)
    expected = loss_and_grad(lossbook.rnnt_loss, *problem, reduction="none")
    moved = [t.to(device) for t in problem]
    loss, grad = loss_and_grad(lossbook.rnnt_loss, *moved, reduction="none")
    assert loss.device.type == device.type and grad.device.type == device.type
    torch.testing.assert_close(loss.cpu(), expected[0])
    torch.testing.assert_close(grad.cpu(), expected[1])


def test_the_backward_pass_is_first_order_only():
    gen = torch.Generator().manual_seed(16)
    logits, *rest = random_problem(gen, 2, 3, 2, 4)
    logits.requires_grad_()
    loss = lossbook.rnnt_loss(logits, *rest)
    with pytest.raises(RuntimeError, match="first-order"):
        torch.autograd.grad(loss, logits, create_graph=True)


def test_non_contiguous_logits():
    gen = torch.Generator().manual_seed(17)
    logits, *rest = random_problem(gen, 2, 4, 3, 5)
    strided = logits.transpose(1, 2).contiguous().transpose(1, 2)
    assert not strided.is_contiguous()
    torch.testing.assert_close(
        loss_and_grad(lossbook.rnnt_loss, strided, *rest)[1],
        loss_and_grad(lossbook.rnnt_loss, logits, *rest)[1],
    )


# --- the brute-force oracle ----------------------------------------------------------------------


def test_bruteforce_counts_alignments():
    T, U, V = 4, 2, 3
    loss = lossbook.rnnt_loss_bruteforce(torch.full((T, U + 1, V), -math.log(V), dtype=torch.float64), [0, 1])
    assert loss.item() == pytest.approx(-math.log(math.comb(T - 1 + U, U)) + (T + U) * math.log(V))


def test_bruteforce_refuses_large_problems_with_the_limit():
    with pytest.raises(ValueError, match=f"more than its limit of {MAX_ALIGNMENTS:,}"):
        lossbook.rnnt_loss_bruteforce(torch.zeros(60, 31, 3), [0] * 30)


def test_bruteforce_accepts_a_tensor_target_and_no_labels():
    log_probs = torch.randn(3, 1, 4, dtype=torch.float64).log_softmax(-1)
    loss = lossbook.rnnt_loss_bruteforce(log_probs, torch.tensor([], dtype=torch.int64), blank=2)
    torch.testing.assert_close(loss, -log_probs[:, 0, 2].sum())


@pytest.mark.parametrize(
    "log_probs, target, blank, error, match",
    [
        ([[[0.0]]], [], -1, TypeError, "log_probs must be a torch.Tensor"),
        (torch.zeros(3, 2), [0], -1, ValueError, "shape \\(T, U\\+1, V\\)"),
        (torch.zeros(3, 2, 4), [0, 1], -1, ValueError, "len\\(target\\) \\+ 1 = 3"),
        (torch.zeros(3, 2, 4), [3], -1, ValueError, "other than the blank \\(3\\); got 3"),
        (torch.zeros(3, 2, 4), [4], 0, ValueError, "got 4"),
        (torch.zeros(3, 2, 4), [0], 4, ValueError, "blank must be in \\[-V, V\\)"),
        (torch.zeros(3, 2, 4), [0.5], -1, TypeError, "target must hold ints"),
        (torch.zeros(3, 2, 4), torch.tensor([0.0]), -1, TypeError, "target must have an integer dtype"),
        (torch.zeros(3, 2, 4), "a", -1, TypeError, "target must be a list"),
    ],
)
def test_bruteforce_bad_inputs(log_probs, target, blank, error, match):
    with pytest.raises(error, match=match):
        lossbook.rnnt_loss_bruteforce(log_probs, target, blank=blank)


# --- bad inputs of rnnt_loss ---------------------------------------------------------------------


def good_inputs():
    return dict(
        logits=torch.zeros(2, 4, 3, 5),
        targets=torch.tensor([[0, 1], [2, 0]]),
        logit_lengths=torch.tensor([4, 2]),
        target_lengths=torch.tensor([2, 1]),
    )


BAD_LOSS_INPUTS = [
    ("logits", [[0.0]], TypeError, "logits must be a torch.Tensor"),
    (
        "logits",
        torch.zeros(2, 4, 3, 5, dtype=torch.int64),
        TypeError,
        "logits must have a floating-point dtype",
    ),
    ("logits", torch.zeros(4, 3, 5), ValueError, "logits must have shape \\(N, T, U\\+1, V\\)"),
    ("logits", torch.zeros(2, 4, 3, 0), ValueError, "logits must not be empty"),
    ("logits", torch.zeros(2, 5, 3, 5), ValueError, "T = max\\(logit_lengths\\) = 4"),
    ("logits", torch.zeros(2, 4, 4, 5), ValueError, "U\\+1 = targets.size\\(1\\) \\+ 1 = 3"),
    (
        "logits",
        torch.zeros(3, 4, 3, 5),
        ValueError,
        "targets must have one row per batch element of logits \\(3\\)",
    ),
    ("targets", torch.tensor([[0.0, 1.0], [2.0, 0.0]]), TypeError, "targets must have an integer dtype"),
    ("targets", torch.tensor([0, 1]), ValueError, "targets must have shape \\(N, U\\)"),
    ("targets", torch.tensor([[0, 5], [2, 0]]), ValueError, "position 1 is 5, outside \\[0, V\\)"),
    ("targets", torch.tensor([[0, 4], [2, 0]]), ValueError, "position 1 is the blank \\(4\\)"),
    ("targets", torch.tensor([[0, -1], [2, 0]]), ValueError, "position 1 is -1"),
    ("logit_lengths", torch.tensor([4.0, 2.0]), TypeError, "logit_lengths must have an integer dtype"),
    ("logit_lengths", [4, 2], TypeError, "logit_lengths must be a torch.Tensor"),
    (
        "logit_lengths",
        torch.tensor([4, 2, 1]),
        ValueError,
        "logit_lengths must be a 1-D tensor with one length",
    ),
    ("logit_lengths", torch.tensor([5, 2]), ValueError, "logit_lengths must be <= the number of frames T"),
    ("logit_lengths", torch.tensor([4, 0]), ValueError, "logit_lengths must be >= 1"),
    ("logit_lengths", torch.tensor([4, -1]), ValueError, "logit_lengths must be >= 1"),
    ("logit_lengths", torch.tensor([3, 2]), ValueError, "T = max\\(logit_lengths\\) = 3"),
    ("target_lengths", torch.tensor([3, 1]), ValueError, "target_lengths must be <= the width U of targets"),
    ("target_lengths", torch.tensor([2, -1]), ValueError, "target_lengths must be >= 0"),
    ("target_lengths", torch.tensor([1, 1]), ValueError, "max\\(target_lengths\\) \\+ 1 = 2"),
    ("target_lengths", torch.tensor([[2, 1]]), ValueError, "target_lengths must be a 1-D tensor"),
]


@pytest.mark.parametrize("name, value, error, match", BAD_LOSS_INPUTS)
def test_bad_inputs_name_the_argument(name, value, error, match):
    inputs = good_inputs()
    inputs[name] = value
    with pytest.raises(error, match=match):
        lossbook.rnnt_loss(**inputs)


@pytest.mark.parametrize(
    "options, error, match",
    [
        (dict(blank=5), ValueError, "blank must be in \\[-V, V\\) = \\[-5, 5\\)"),
        (dict(blank=-6), ValueError, "blank must be in \\[-V, V\\)"),
        (dict(blank=1.0), TypeError, "blank must be an int"),
        (dict(blank=True), TypeError, "blank must be an int"),
        (dict(blank=0), ValueError, "is the blank \\(0\\)"),
        (dict(clamp="1"), TypeError, "clamp must be a real number"),
        (dict(clamp=math.nan), ValueError, "clamp must be a number"),
        (dict(reduction="batchmean"), ValueError, "reduction must be one of"),
        (dict(fused_log_softmax=1), TypeError, "fused_log_softmax must be a bool"),
    ],
)
def test_bad_options(options, error, match):
    with pytest.raises(error, match=match):
        lossbook.rnnt_loss(**good_inputs(), **options)


@pytest.mark.parametrize(
    "options, error",
    [
        (dict(blank="last"), TypeError),
        (dict(clamp=None), TypeError),
        (dict(reduction="avg"), ValueError),
        (dict(fused_log_softmax="yes"), TypeError),
    ],
)
def test_module_refuses_bad_options(options, error):
    with pytest.raises(error):
        lossbook.RNNTLoss(**options)


# --- forced alignment ----------------------------------------------------------------------------


def collapse(path, blank):
    return [k for k, _ in itertools.groupby(path) if k != blank]


def viterbi_score(log_probs, target, blank):
    """The best path's log-probability by the Viterbi recursion over the extended label, plain loops."""
    ext = [blank]
    for k in target:
        ext += [k, blank]
    T, S = log_probs.shape[0], len(ext)
    delta = [-math.inf] * S
    delta[0] = float(log_probs[0, ext[0]])
    if S > 1:
        delta[1] = float(log_probs[0, ext[1]])
    for t in range(1, T):
        new = []
        for s in range(S):
            best = delta[s]
            if s >= 1:
                best = max(best, delta[s - 1])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                best = max(best, delta[s - 2])
            new.append(best + float(log_probs[t, ext[s]]))
        delta = new
    return max(delta[-1], delta[-2]) if S > 1 else delta[-1]


def best_path_by_enumeration(log_probs, target, blank):
    """Among all C**T paths, those that collapse to the target: the best score."""
    T, C = log_probs.shape
    best = -math.inf
    for path in itertools.product(range(C), repeat=T):
        if collapse(path, blank) == target:
            best = max(best, sum(float(log_probs[t, k]) for t, k in enumerate(path)))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_forced_alignment_is_the_best_valid_path(seed):
    gen = torch.Generator().manual_seed(seed)
    T, C = int(torch.randint(3, 7, (1,), generator=gen)), 3
    blank = seed % C
    L = int(torch.randint(0, 3, (1,), generator=gen))
    labels = [k for k in range(C) if k != blank]
    target = [labels[int(i)] for i in torch.randint(0, C - 1, (L,), generator=gen)]
    repeats = sum(a == b for a, b in zip(target, target[1:], strict=False))
    if T < L + repeats:
        target = target[:1]
    log_probs = torch.randn(1, T, C, generator=gen, dtype=torch.float64).log_softmax(-1)
    path, scores = lossbook.ctc_forced_align(
        log_probs, torch.tensor([target], dtype=torch.int64), blank=blank
    )
    assert path.shape == (1, T) and scores.shape == (1, T)
    assert collapse(path[0].tolist(), blank) == target
    torch.testing.assert_close(scores[0], log_probs[0, torch.arange(T), path[0]])
    assert scores.sum().item() == pytest.approx(
        best_path_by_enumeration(log_probs[0], target, blank), abs=1e-12
    )
    assert scores.sum().item() == pytest.approx(viterbi_score(log_probs[0], target, blank), abs=1e-12)


def test_forced_alignment_on_a_longer_example_scores_the_viterbi_recursion(device):
    gen = torch.Generator().manual_seed(21)
    log_probs = torch.randn(1, 40, 6, generator=gen).log_softmax(-1)
    target = [1, 1, 3, 5, 2, 2, 2, 4]
    path, scores = lossbook.ctc_forced_align(log_probs.to(device), torch.tensor([target], device=device))
    assert path.device.type == device.type
    assert collapse(path[0].tolist(), 0) == target
    assert scores.sum().item() == pytest.approx(viterbi_score(log_probs[0], target, 0), abs=1e-4)


def test_forced_alignment_with_exactly_enough_frames_and_without_labels():
    log_probs = torch.randn(1, 4, 3).log_softmax(-1)
    path, _ = lossbook.ctc_forced_align(log_probs, torch.tensor([[1, 1, 2]]))  # L + repeats = 4
    assert path.tolist() == [[1, 0, 1, 2]]
    path, scores = lossbook.ctc_forced_align(log_probs, torch.zeros(1, 0, dtype=torch.int64))
    assert path.tolist() == [[0, 0, 0, 0]]
    torch.testing.assert_close(scores, log_probs[..., 0])


def test_forced_alignment_ties_keep_the_earlier_state_as_torchaudio():
    """Equal scores: the stay beats the step and the step beats the skip unless strictly better."""
    path, _ = lossbook.ctc_forced_align(torch.zeros(1, 3, 2), torch.tensor([[1]]))
    assert path.tolist() == [[1, 1, 1]]


def test_forced_alignment_dtypes_and_lengths():
    log_probs = torch.randn(1, 5, 4).log_softmax(-1)
    targets = torch.tensor([[1, 2]], dtype=torch.int32)
    path, scores = lossbook.ctc_forced_align(
        log_probs.half(), targets, torch.tensor([5]), torch.tensor([2], dtype=torch.int32)
    )
    assert path.dtype == torch.int32 and scores.dtype == torch.float16
    assert path.tolist() == lossbook.ctc_forced_align(log_probs, targets.long())[0].tolist()


@pytest.mark.parametrize(
    "change, error, match",
    [
        (dict(log_probs=torch.zeros(2, 5, 4)), ValueError, "log_probs must have shape \\(1, T, C\\)"),
        (dict(log_probs=torch.zeros(5, 4)), ValueError, "log_probs must have shape \\(1, T, C\\)"),
        (dict(log_probs=torch.zeros(1, 5, 4, dtype=torch.int64)), TypeError, "floating-point"),
        (dict(targets=torch.tensor([[1.0, 2.0]])), TypeError, "targets must have an integer dtype"),
        (dict(targets=torch.tensor([[1, 2], [1, 2]])), ValueError, "targets must have shape \\(1, L\\)"),
        (dict(targets=torch.tensor([[1, 0]])), ValueError, "other than the blank \\(0\\); got 0"),
        (dict(targets=torch.tensor([[1, 4]])), ValueError, "got 4"),
        (dict(targets=torch.tensor([[1, 1, 1, 1]])), ValueError, "needs T >= L \\+ repeats = 7"),
        (dict(targets=torch.tensor([[1, 2, 3, 1, 2, 3]])), ValueError, "needs T >= L \\+ repeats = 6"),
        (dict(blank=4), ValueError, "blank must be in \\[0, C\\) = \\[0, 4\\)"),
        (dict(blank=-1), ValueError, "blank must be in \\[0, C\\)"),
        (dict(blank=None), TypeError, "blank must be an int"),
        (
            dict(input_lengths=torch.tensor([4])),
            ValueError,
            "input_lengths must equal the number of frames T",
        ),
        (dict(input_lengths=torch.tensor([6])), ValueError, "input_lengths must be <= the number of frames"),
        (dict(input_lengths=torch.tensor([-1])), ValueError, "input_lengths must be >= 0"),
        (dict(input_lengths=torch.tensor([5, 5])), ValueError, "one length per batch element"),
        (dict(input_lengths=torch.tensor([5.0])), TypeError, "input_lengths must have an integer dtype"),
        (dict(target_lengths=torch.tensor([1])), ValueError, "target_lengths must equal the width L"),
        (dict(target_lengths=torch.tensor([3])), ValueError, "target_lengths must be <= the width L"),
    ],
)
def test_forced_alignment_bad_inputs(change, error, match):
    inputs = dict(log_probs=torch.zeros(1, 5, 4), targets=torch.tensor([[1, 2]]))
    inputs.update(change)
    with pytest.raises(error, match=match):
        lossbook.ctc_forced_align(**inputs)


# --- spans ---------------------------------------------------------------------------------------


def test_merge_tokens_spans():
    tokens = torch.tensor([2, 2, 0, 1, 1, 1, 0, 0, 1, 3])
    scores = torch.arange(10, dtype=torch.float64).neg()
    spans = lossbook.merge_tokens(tokens, scores)
    assert [(s.token, s.start, s.end) for s in spans] == [(2, 0, 2), (1, 3, 6), (1, 8, 9), (3, 9, 10)]
    assert [s.score for s in spans] == [-0.5, -4.0, -8.0, -9.0]
    assert [len(s) for s in spans] == [2, 3, 1, 1]
    assert all(isinstance(s, TokenSpan) for s in spans)
    assert [s.token for s in spans] == collapse(tokens.tolist(), 0)
    assert [(s.token, s.start, s.end) for s in lossbook.merge_tokens(tokens, scores, blank=1)] == [
        (2, 0, 2),
        (0, 2, 3),
        (0, 6, 8),
        (3, 9, 10),
    ]
    assert lossbook.merge_tokens(torch.zeros(3, dtype=torch.int64), torch.zeros(3)) == []
    assert lossbook.merge_tokens(torch.zeros(0, dtype=torch.int64), torch.zeros(0)) == []


def test_merge_tokens_of_a_forced_alignment_cover_the_labels_in_order():
    gen = torch.Generator().manual_seed(3)
    log_probs = torch.randn(1, 20, 5, generator=gen).log_softmax(-1)
    target = [3, 3, 1, 4]
    labels, scores = lossbook.ctc_forced_align(log_probs, torch.tensor([target]))
    spans = lossbook.merge_tokens(labels[0], scores[0])
    assert [s.token for s in spans] == target
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    for span in spans:
        assert span.score == pytest.approx(scores[0, span.start : span.end].mean().item())


@pytest.mark.parametrize(
    "tokens, scores, blank, error, match",
    [
        (torch.tensor([[0, 1]]), torch.zeros(1, 2), 0, ValueError, "must be 1-D"),
        (torch.tensor([0, 1]), torch.zeros(3), 0, ValueError, "the same length; got 2 and 3"),
        (torch.tensor([0.0, 1.0]), torch.zeros(2), 0, TypeError, "tokens must have an integer dtype"),
        (
            torch.tensor([0, 1]),
            torch.zeros(2, dtype=torch.int64),
            0,
            TypeError,
            "scores must have a floating",
        ),
        ([0, 1], torch.zeros(2), 0, TypeError, "tokens must be a torch.Tensor"),
        (torch.tensor([0, 1]), torch.zeros(2), "0", TypeError, "blank must be an int"),
    ],
)
def test_merge_tokens_bad_inputs(tokens, scores, blank, error, match):
    with pytest.raises(error, match=match):
        lossbook.merge_tokens(tokens, scores, blank=blank)


# --- greedy decoding -----------------------------------------------------------------------------


class TinyTransducer(torch.nn.Module):
    """A random predictor (embedding + GRU) and joiner (tanh of the sum, then a linear layer)."""

    def __init__(self, V=5, H=8, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.embed = torch.nn.Embedding(V, H)
        self.rnn = torch.nn.GRU(H, H, batch_first=True)
        self.out = torch.nn.Linear(H, V)

    def predictor(self, history):
        return self.rnn(self.embed(history))[0]

    def joiner(self, f, g):
        return self.out(torch.tanh(f + g))


def greedy_one_example(model, frames, blank, max_symbols):
    """Greedy decoding of one example, written independently: a loop per frame, the predictor
    re-run on the history after each label."""
    history = [blank]
    for f in frames:
        for _ in range(max_symbols):
            g = model.predictor(torch.tensor([history]))[0, -1]
            k = int(model.joiner(f.unsqueeze(0), g.unsqueeze(0)).argmax(-1))
            if k == blank:
                break
            history.append(k)
    return history[1:]


@pytest.mark.parametrize("blank", [-1, 0])
@pytest.mark.parametrize("max_symbols", [1, 3])
def test_greedy_decoding_matches_a_per_example_loop(blank, max_symbols):
    model = TinyTransducer(seed=1)
    gen = torch.Generator().manual_seed(2)
    encoder_out = torch.randn(4, 7, 8, generator=gen) * 2
    lengths = torch.tensor([7, 3, 0, 5])
    with torch.no_grad():
        decoded = lossbook.rnnt_greedy_decode(
            encoder_out,
            model.predictor,
            model.joiner,
            lengths,
            blank=blank,
            max_symbols_per_frame=max_symbols,
        )
        expected = [
            greedy_one_example(model, encoder_out[n, : lengths[n]], blank % 5, max_symbols) for n in range(4)
        ]
    assert decoded == expected
    assert decoded[2] == []
    assert any(len(d) > 1 for d in decoded)
    assert all(len(d) <= max_symbols * int(n) for d, n in zip(decoded, lengths, strict=True))


def test_greedy_decoding_of_one_example_and_on_the_device(device):
    model = TinyTransducer(seed=3).to(device)
    encoder_out = torch.randn(6, 8, generator=torch.Generator().manual_seed(4)).to(device)
    one = lossbook.rnnt_greedy_decode(encoder_out, model.predictor, model.joiner)
    batch = lossbook.rnnt_greedy_decode(encoder_out.unsqueeze(0), model.predictor, model.joiner)
    assert isinstance(one, list) and batch == [one]
    assert all(isinstance(k, int) and 0 <= k < 4 for k in one)


def test_greedy_decoding_stops_after_max_symbols_per_frame():
    always_label = lambda f, g: torch.tensor([[1.0, 0.0]]).expand(f.shape[0], 2)  # noqa: E731
    count = lambda history: history.float().unsqueeze(2)  # noqa: E731
    decoded = lossbook.rnnt_greedy_decode(torch.zeros(3, 1), count, always_label, max_symbols_per_frame=2)
    assert decoded == [0] * 6
    assert lossbook.rnnt_greedy_decode(torch.zeros(2, 0, 1), count, always_label) == [[], []]


@pytest.mark.parametrize(
    "change, error, match",
    [
        (dict(encoder_out=torch.zeros(2, 3, 4, 5)), ValueError, "encoder_out must have shape \\(N, T, H\\)"),
        (dict(encoder_out=[[0.0]]), TypeError, "encoder_out must be a torch.Tensor"),
        (dict(predictor=None), TypeError, "predictor must be callable"),
        (dict(joiner="linear"), TypeError, "joiner must be callable"),
        (dict(encoder_lengths=torch.tensor([4, 1])), ValueError, "encoder_lengths must be <= the number"),
        (dict(encoder_lengths=torch.tensor([2])), ValueError, "one length per batch element \\(2\\)"),
        (dict(encoder_lengths=[3, 3]), TypeError, "encoder_lengths must be a torch.Tensor"),
        (dict(blank=5), ValueError, "blank must be in \\[-V, V\\)"),
        (dict(blank=1.5), TypeError, "blank must be an int"),
        (dict(max_symbols_per_frame=0), ValueError, "max_symbols_per_frame must be a positive integer"),
        (
            dict(joiner=lambda f, g: torch.zeros(5)),
            ValueError,
            "joiner must return logits of shape \\(N, V\\)",
        ),
    ],
)
def test_greedy_decoding_bad_inputs(change, error, match):
    model = TinyTransducer()
    inputs = dict(encoder_out=torch.zeros(2, 3, 8), predictor=model.predictor, joiner=model.joiner)
    inputs.update(change)
    with pytest.raises(error, match=match):
        lossbook.rnnt_greedy_decode(**inputs)
