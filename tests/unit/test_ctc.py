"""lossbook.ctc against torch's native CTC, a brute-force enumeration of paths, and by hand."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import lossbook
from lossbook.ctc import _trellis as M
from lossbook.ctc._inputs import prepare_ctc_inputs
from lossbook.validation import mean_over_lengths

REDUCTIONS = ["mean", "sum", "none"]


def random_problem(gen, T, N, C, S, *, blank=0, min_target=0, min_input=0, scale=3.0, dtype=torch.float64):
    """Logits (T, N, C), padded targets (N, S) without the blank, per-sample lengths."""
    logits = torch.randn(T, N, C, generator=gen, dtype=torch.float64).mul(scale).to(dtype)
    labels = torch.randint(0, C - 1, (N, S), generator=gen)
    targets = labels + (labels >= blank).long()  # every label but the blank
    target_lengths = torch.randint(min(min_target, S), S + 1, (N,), generator=gen)
    input_lengths = torch.randint(min(min_input, T), T + 1, (N,), generator=gen)
    return logits, targets, input_lengths, target_lengths


def both(logits, targets, input_lengths, target_lengths, upstream=None, **kw):
    """Loss and gradient with respect to the logits (log_softmax inside the graph), ours and torch's."""
    out = []
    for fn in (lossbook.ctc_loss, F.ctc_loss):
        x = logits.clone().requires_grad_()
        loss = fn(x.log_softmax(-1), targets, input_lengths, target_lengths, **kw)
        weights = torch.ones_like(loss) if upstream is None else upstream
        (loss * weights).sum().backward()
        out.append((loss.detach(), x.grad))
    return out


def feasible(input_lengths, targets, target_lengths):
    """Samples with at least one alignment: T_n >= |l| + number of equal neighbours."""
    flags = []
    for n in range(len(target_lengths)):
        t = targets[n, : target_lengths[n]].tolist()
        repeats = sum(a == b for a, b in zip(t, t[1:], strict=False))
        flags.append(int(input_lengths[n]) >= len(t) + repeats)
    return torch.tensor(flags)


def tolerances(dtype):
    return dict(rtol=1e-7, atol=1e-9) if dtype == torch.float64 else dict(rtol=2e-5, atol=2e-5)


# --- agreement with torch ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_agrees_with_torch_on_random_shapes(seed, dtype, device):
    gen = torch.Generator().manual_seed(seed)
    T = int(torch.randint(1, 40, (1,), generator=gen))
    N = int(torch.randint(1, 7, (1,), generator=gen))
    C = int(torch.randint(2, 12, (1,), generator=gen))
    S = int(torch.randint(0, 12, (1,), generator=gen))
    blank = int(torch.randint(0, C, (1,), generator=gen))
    reduction = REDUCTIONS[seed % 3]
    logits, targets, il, tl = random_problem(gen, T, N, C, S, blank=blank, min_input=T // 2, dtype=dtype)
    args = [t.to(device) for t in (logits, targets, il, tl)]
    (a, ga), (b, gb) = both(*args, blank=blank, reduction=reduction, zero_infinity=True)
    assert a.dtype == b.dtype == dtype and a.shape == b.shape
    torch.testing.assert_close(a, b, **tolerances(dtype))
    torch.testing.assert_close(ga, gb, **tolerances(dtype))


@pytest.mark.parametrize("seed", range(20))
def test_beta_in_the_backward_pass_agrees_with_torch_on_random_shapes(seed, monkeypatch):
    monkeypatch.setattr(M, "_TOGETHER_ELEMENTS", 0)
    monkeypatch.setattr(M, "_BLOCK_ELEMENTS", 1 << (seed % 8))
    gen = torch.Generator().manual_seed(100 + seed)
    T = int(torch.randint(1, 30, (1,), generator=gen))
    N = int(torch.randint(1, 6, (1,), generator=gen))
    C = int(torch.randint(2, 9, (1,), generator=gen))
    S = int(torch.randint(0, 8, (1,), generator=gen))
    blank = int(torch.randint(0, C, (1,), generator=gen))
    logits, targets, il, tl = random_problem(gen, T, N, C, S, blank=blank)
    (a, ga), (b, gb) = both(
        logits, targets, il, tl, blank=blank, reduction=REDUCTIONS[seed % 3], zero_infinity=True
    )
    torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-9)
    torch.testing.assert_close(ga, gb, rtol=1e-7, atol=1e-9)


def test_large_trellises_run_beta_in_the_backward_pass():
    # above _TOGETHER_ELEMENTS the saved buffer holds alpha only: half the memory
    gen = torch.Generator().manual_seed(24)
    for T, N, expected_rows in [(20, 4, 8), (400, 32, 32)]:
        logits, targets, il, tl = full_length_problem(gen, T, N, 6, 10)
        lp = logits.log_softmax(2).float().requires_grad_()
        loss = lossbook.ctc_loss(lp, targets, il, tl)
        trellis = loss.grad_fn.saved_tensors[-1]
        assert trellis.shape == (T + 2, expected_rows, 2 * 10 + 3)


@pytest.mark.parametrize("T, N, C, S", [(50, 16, 28, 10), (150, 8, 40, 40), (120, 4, 80, 55)])
def test_agrees_with_torch_within_1e_6_in_float64_at_benchmark_like_sizes(T, N, C, S):
    gen = torch.Generator().manual_seed(T)
    logits, targets, il, tl = random_problem(gen, T, N, C, S, min_target=S // 2, min_input=T - 5)
    for reduction in REDUCTIONS:
        (a, ga), (b, gb) = both(logits, targets, il, tl, reduction=reduction)
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, rtol=1e-6, atol=0)
        torch.testing.assert_close(ga, gb, rtol=1e-6, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    T=st.integers(1, 25),
    N=st.integers(1, 5),
    C=st.integers(2, 8),
    S=st.integers(0, 9),
    seed=st.integers(0, 2**31 - 1),
    concatenated=st.booleans(),
    int32=st.booleans(),
)
def test_agrees_with_torch_property(T, N, C, S, seed, concatenated, int32):
    gen = torch.Generator().manual_seed(seed)
    logits, targets, il, tl = random_problem(gen, T, N, C, S)
    if concatenated:
        targets = torch.cat([targets[n, : tl[n]] for n in range(N)])
    if int32:
        targets, il, tl = targets.int(), il.int(), tl.int()
    for zero_infinity in (False, True):
        (a, ga), (b, gb) = both(logits, targets, il, tl, reduction="none", zero_infinity=zero_infinity)
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-9)
        # torch's gradient is NaN for infeasible samples; ours is 0: compare the others.
        ok = torch.isfinite(b)
        torch.testing.assert_close(ga[:, ok], gb[:, ok], rtol=1e-7, atol=1e-9)
        assert torch.isfinite(ga).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_concatenated_and_padded_targets_give_the_same_loss(reduction, dtype):
    gen = torch.Generator().manual_seed(3)
    logits, targets, il, tl = random_problem(gen, 20, 4, 6, 5, dtype=dtype)
    lp = logits.log_softmax(2)
    concatenated = torch.cat([targets[n, : tl[n]] for n in range(4)])
    a = lossbook.ctc_loss(lp, targets, il, tl, reduction=reduction)
    b = lossbook.ctc_loss(lp, concatenated.int(), il.int(), tl.int(), reduction=reduction)
    c = F.ctc_loss(lp, concatenated, il, tl, reduction=reduction)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a, c, **tolerances(dtype))


def test_unbatched_input_agrees_with_torch():
    gen = torch.Generator().manual_seed(4)
    logits = torch.randn(9, 5, generator=gen, dtype=torch.float64)
    target = torch.tensor([1, 3, 3])
    for reduction in REDUCTIONS:
        for lengths in [(torch.tensor(9), torch.tensor(3)), (torch.tensor([9]), torch.tensor([3]))]:
            (a, ga), (b, gb) = both(logits, target, *lengths, reduction=reduction)
            assert a.shape == b.shape
            torch.testing.assert_close(a, b)
            torch.testing.assert_close(ga, gb)


def test_lengths_as_lists_and_ints():
    gen = torch.Generator().manual_seed(5)
    logits, targets, il, tl = random_problem(gen, 10, 3, 5, 3)
    lp = logits.log_softmax(2)
    a = lossbook.ctc_loss(lp, targets, il.tolist(), tuple(tl.tolist()))
    b = lossbook.ctc_loss(lp, targets, il, tl)
    torch.testing.assert_close(a, b)
    single = lossbook.ctc_loss(lp[:, 0], targets[0], int(il[0]), int(tl[0]), reduction="sum")
    torch.testing.assert_close(
        single, lossbook.ctc_loss(lp[:, :1], targets[:1], il[:1], tl[:1], reduction="sum")
    )


def test_module_matches_function():
    gen = torch.Generator().manual_seed(6)
    logits, targets, il, tl = random_problem(gen, 12, 3, 6, 4)
    lp = logits.log_softmax(2)
    for reduction in REDUCTIONS:
        module = lossbook.CTCLoss(blank=0, reduction=reduction, zero_infinity=True)
        torch.testing.assert_close(
            module(lp, targets, il, tl),
            lossbook.ctc_loss(lp, targets, il, tl, reduction=reduction, zero_infinity=True),
        )
    assert "blank=0" in repr(lossbook.CTCLoss())


def test_half_precision_is_computed_in_float32():
    gen = torch.Generator().manual_seed(7)
    logits, targets, il, tl = random_problem(gen, 10, 2, 5, 3, min_input=10)
    lp = logits.float().log_softmax(2)
    a = lossbook.ctc_loss(lp.to(torch.bfloat16), targets, il, tl)
    assert a.dtype == torch.bfloat16
    b = lossbook.ctc_loss(lp.to(torch.bfloat16).float(), targets, il, tl)
    torch.testing.assert_close(a.float(), b, rtol=1e-2, atol=1e-2)


# --- the brute-force oracle and the textbook trellis ---------------------------------------


@pytest.mark.parametrize("target", [[], [1], [2, 1], [1, 1], [1, 2, 1], [2, 2, 2], [1, 2, 3]])
@pytest.mark.parametrize("T", [1, 3, 5, 7])
def test_forward_algorithm_equals_brute_force(target, T):
    gen = torch.Generator().manual_seed(T + len(target))
    C = 4
    lp = torch.randn(T, C, generator=gen, dtype=torch.float64).log_softmax(1)
    brute = lossbook.ctc_loss_bruteforce(lp, target)
    ours = lossbook.ctc_loss(lp, torch.tensor(target, dtype=torch.int64), T, len(target), reduction="sum")
    torch.testing.assert_close(ours, brute)
    if math.isfinite(brute):
        theirs = F.ctc_loss(
            lp, torch.tensor([target]), torch.tensor([T]), torch.tensor([len(target)]), reduction="sum"
        )
        torch.testing.assert_close(ours, theirs)


def test_brute_force_on_unnormalized_scores_and_another_blank():
    gen = torch.Generator().manual_seed(8)
    # not log-probabilities (each frame's probabilities sum to less than 1), but all <= 0
    lp = -torch.rand(6, 3, generator=gen, dtype=torch.float64) * 4
    for blank, target in [(2, [0, 1]), (1, [0, 0]), (0, [2])]:
        brute = lossbook.ctc_loss_bruteforce(lp, target, blank=blank)
        ours = lossbook.ctc_loss(lp, torch.tensor(target), 6, len(target), blank=blank, reduction="sum")
        torch.testing.assert_close(ours, brute)


def test_brute_force_refuses_too_many_paths():
    with pytest.raises(ValueError, match="paths"):
        lossbook.ctc_loss_bruteforce(torch.zeros(21, 2), [1])
    lossbook.ctc_loss_bruteforce(torch.zeros(20, 2), [1])  # 2**20 paths: allowed
    with pytest.raises(ValueError, match="blank"):
        lossbook.ctc_loss_bruteforce(torch.zeros(3, 3), [0, 1])


def test_alpha_beta_identity_and_agreement():
    gen = torch.Generator().manual_seed(9)
    lp = torch.randn(7, 4, generator=gen, dtype=torch.float64).log_softmax(1)
    target = [1, 2, 2]
    log_alpha, log_beta = lossbook.ctc_log_alpha_beta(lp, target)
    ext = [0, 1, 0, 2, 0, 2, 0]
    log_p = -lossbook.ctc_loss_bruteforce(lp, target)
    for t in range(7):
        per_time = torch.logsumexp(log_alpha[t] + log_beta[t] - lp[t, ext], 0)
        torch.testing.assert_close(per_time, log_p)
    torch.testing.assert_close(torch.logsumexp(log_alpha[-1, -2:], 0), log_p)
    torch.testing.assert_close(torch.logsumexp(log_beta[0, :2], 0), log_p)


# --- gradients ------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_on_raw_scores(reduction):
    # The hand-written gradient is the true derivative with respect to log_probs, even when
    # they are not normalized (torch's native one is only right through a log_softmax). The
    # scores stay below 0 (probabilities that sum to less than 1): above 0 they are refused.
    gen = torch.Generator().manual_seed(10)
    lp = (-0.1 - 3 * torch.rand(6, 3, 4, generator=gen, dtype=torch.float64)).requires_grad_()
    targets = torch.tensor([[1, 2, 2], [3, 1, 0], [2, 0, 0]])
    il, tl = torch.tensor([6, 5, 0]), torch.tensor([3, 2, 0])
    assert torch.autograd.gradcheck(
        lambda x: lossbook.ctc_loss(x, targets, il, tl, reduction=reduction), (lp,)
    )


def test_gradient_is_minus_the_posterior_occupancy():
    gen = torch.Generator().manual_seed(11)
    lp = torch.randn(5, 4, generator=gen, dtype=torch.float64).log_softmax(1).requires_grad_()
    target = [1, 2]
    loss = lossbook.ctc_loss(lp, torch.tensor(target), 5, 2, reduction="sum")
    (grad,) = torch.autograd.grad(loss, lp)
    log_alpha, log_beta = lossbook.ctc_log_alpha_beta(lp.detach(), target)
    ext = torch.tensor([0, 1, 0, 2, 0])
    gamma = (log_alpha + log_beta - lp.detach()[:, ext] + loss.detach()).exp()
    expected = torch.zeros(5, 4, dtype=torch.float64).index_add_(1, ext, -gamma)
    torch.testing.assert_close(grad, expected)


def test_no_nan_anywhere_in_degenerate_cases():
    T, N, C = 4, 5, 3
    lp = torch.full((T, N, C), -math.inf, dtype=torch.float64)
    lp[:, 3] = torch.tensor([0.0, -math.inf, -math.inf])  # only blanks possible
    lp[:, 4] = torch.randn(T, C, dtype=torch.float64).log_softmax(1)
    lp.requires_grad_()
    targets = torch.tensor([[1, 2], [1, 1], [0, 0], [0, 0], [1, 1]])
    il = torch.tensor([4, 4, 0, 4, 2])  # sample 4 cannot fit "1 1" in 2 frames
    tl = torch.tensor([2, 2, 0, 0, 2])
    for zero_infinity in (False, True):
        loss = lossbook.ctc_loss(lp, targets, il, tl, reduction="none", zero_infinity=zero_infinity)
        expected = [math.inf, math.inf, 0.0, 0.0, math.inf]
        if zero_infinity:
            expected = [0.0 if math.isinf(v) else v for v in expected]
        assert loss.tolist() == expected
        (grad,) = torch.autograd.grad(loss.sum(), lp)
        assert not torch.isnan(grad).any() and torch.isfinite(grad).all()
        assert (grad[:, [0, 1, 2, 4]] == 0).all()
    for reduction in ("mean", "sum"):
        (grad,) = torch.autograd.grad(lossbook.ctc_loss(lp, targets, il, tl, reduction=reduction), lp)
        assert torch.isfinite(grad).all()


def test_zero_infinity_zeroes_loss_and_gradient_like_torch():
    gen = torch.Generator().manual_seed(12)
    logits = torch.randn(3, 2, 4, generator=gen, dtype=torch.float64)
    targets = torch.tensor([[1, 1, 1], [1, 2, 3]])  # sample 0 needs 5 frames
    il, tl = torch.tensor([3, 3]), torch.tensor([3, 3])
    (a, ga), (b, gb) = both(logits, targets, il, tl, reduction="none", zero_infinity=True)
    assert a[0] == 0 and (ga[:, 0] == 0).all()
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(ga, gb)
    plain = lossbook.ctc_loss(logits.log_softmax(2), targets, il, tl, reduction="none")
    assert math.isinf(plain[0]) and math.isfinite(plain[1])


def test_input_length_zero_and_empty_targets_like_torch():
    lp = torch.randn(4, 3, 3, dtype=torch.float64).log_softmax(2)
    targets = torch.tensor([[1], [1], [2]])
    il, tl = torch.tensor([0, 0, 3]), torch.tensor([0, 1, 0])
    a = lossbook.ctc_loss(lp, targets, il, tl, reduction="none")
    b = F.ctc_loss(lp, targets, il, tl, reduction="none")
    assert a[0] == 0 and math.isinf(a[1])
    torch.testing.assert_close(a, b)
    # All targets empty, S = 0.
    no_labels = (
        torch.zeros(3, 0, dtype=torch.int64),
        torch.tensor([4, 2, 1]),
        torch.zeros(3, dtype=torch.int64),
    )
    empty = lossbook.ctc_loss(lp, *no_labels, reduction="none")
    torch.testing.assert_close(empty, F.ctc_loss(lp, *no_labels, reduction="none"))


def test_forward_without_grad_matches():
    gen = torch.Generator().manual_seed(13)
    logits, targets, il, tl = random_problem(gen, 15, 3, 5, 4)
    lp = logits.log_softmax(2)
    with torch.no_grad():
        a = lossbook.ctc_loss(lp, targets, il, tl, reduction="none")
    b = lossbook.ctc_loss(lp.requires_grad_(), targets, il, tl, reduction="none")
    torch.testing.assert_close(a, b.detach())


def full_length_problem(gen, T, N, C, S, dtype=torch.float64):
    """Every sample uses all T frames and S labels (the fast path), with repeated labels."""
    logits = torch.randn(T, N, C, generator=gen, dtype=torch.float64).mul(3).to(dtype)
    targets = torch.randint(1, C, (N, S), generator=gen)
    targets[0, 1:] = targets[0, 0]  # a run of equal labels: no skips in that row
    return logits, targets, torch.full((N,), T), torch.full((N,), S)


@pytest.mark.parametrize("together", [True, False])
@pytest.mark.parametrize("block", [None, 1, 50])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_full_length_path_and_blocks_agree_with_torch(together, block, reduction, dtype, monkeypatch):
    # The backward pass works a block of frames at a time; a block of 1 or 50 elements forces
    # one frame or a few frames per block, the default one block here. Beta runs with alpha
    # in the forward pass for small trellises, in the backward pass for large ones: both here.
    if block is not None:
        monkeypatch.setattr(M, "_BLOCK_ELEMENTS", block)
    monkeypatch.setattr(M, "_TOGETHER_ELEMENTS", 1 << 30 if together else 0)
    gen = torch.Generator().manual_seed(21)
    logits, targets, il, tl = full_length_problem(gen, 17, 4, 6, 5, dtype)
    assert prepare_ctc_inputs(logits.log_softmax(2), targets, il, tl, 0)[-1]  # the fast path
    (a, ga), (b, gb) = both(logits, targets, il, tl, reduction=reduction)
    torch.testing.assert_close(a, b, **tolerances(dtype))
    torch.testing.assert_close(ga, gb, **tolerances(dtype))
    # the general path on the same problem (one target padded by a column that is ignored)
    padded = torch.cat([targets, torch.ones(4, 1, dtype=torch.long)], 1)
    (c, gc), _ = both(logits, padded, il, tl, reduction=reduction)
    torch.testing.assert_close(c, a, **tolerances(dtype))
    torch.testing.assert_close(gc, ga, **tolerances(dtype))


@pytest.mark.parametrize("together", [True, False])
@pytest.mark.parametrize("block", [1, 50, 1 << 16])
def test_blocks_on_samples_of_any_lengths(together, block, monkeypatch):
    monkeypatch.setattr(M, "_BLOCK_ELEMENTS", block)
    monkeypatch.setattr(M, "_TOGETHER_ELEMENTS", 1 << 30 if together else 0)
    gen = torch.Generator().manual_seed(22)
    logits, targets, il, tl = random_problem(gen, 19, 5, 6, 6, min_input=3)
    (a, ga), (b, gb) = both(logits, targets, il, tl, reduction="none", zero_infinity=True)
    torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-9)
    torch.testing.assert_close(ga, gb, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("together", [True, False])
@pytest.mark.parametrize("fast", [True, False])
def test_trellis_is_freed_by_backward_unless_the_graph_is_retained(fast, together, monkeypatch):
    monkeypatch.setattr(M, "_TOGETHER_ELEMENTS", 1 << 30 if together else 0)
    # The buffers go through save_for_backward: autograd frees them after one backward pass
    # (a second one raises, as for torch's own functions) and keeps them with retain_graph.
    gen = torch.Generator().manual_seed(23)
    logits, targets, il, tl = full_length_problem(gen, 9, 3, 5, 3)
    if not fast:
        il = torch.tensor([9, 8, 9])
    lp = logits.log_softmax(2).detach().requires_grad_()
    loss = lossbook.ctc_loss(lp, targets, il, tl)
    loss.backward(retain_graph=True)
    once = lp.grad.clone()
    loss.backward()
    torch.testing.assert_close(lp.grad, 2 * once)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    # the buffers are built in inference mode, the gradient is an ordinary tensor
    assert not lp.grad.is_inference()
    lp.grad.mul_(0.5)  # in place, as optimizers and gradient clipping do


# --- bad input -------------------------------------------------------------------------------


def test_bad_inputs_raise_clear_errors():
    lp = torch.randn(5, 2, 4).log_softmax(2)
    tg = torch.tensor([[1, 2], [3, 1]])
    il, tl = torch.tensor([5, 5]), torch.tensor([2, 2])
    cases = [
        (dict(blank=4), ValueError, "blank must be in"),
        (dict(blank=-1), ValueError, "blank must be in"),
        (dict(targets=torch.tensor([[1, 0], [3, 1]])), ValueError, "the blank"),
        (dict(targets=torch.tensor([[1, 4], [3, 1]])), ValueError, "outside"),
        (dict(targets=torch.tensor([[1, -2], [3, 1]])), ValueError, "outside"),
        (dict(input_lengths=torch.tensor([6, 5])), ValueError, "input_lengths must be <= "),
        (dict(input_lengths=torch.tensor([-1, 5])), ValueError, "input_lengths must be >= 0"),
        (dict(target_lengths=torch.tensor([-1, 2])), ValueError, "target_lengths must be >= 0"),
        (dict(target_lengths=torch.tensor([3, 2])), ValueError, "target_lengths must be <="),
        (dict(input_lengths=torch.tensor([5, 5, 5])), ValueError, "one length per batch element"),
        (dict(target_lengths=torch.tensor([2])), ValueError, "one length per batch element"),
        (dict(targets=torch.tensor([[1, 2]])), ValueError, "one row per batch element"),
        (dict(targets=torch.tensor([1, 2, 3])), ValueError, "sum\\(target_lengths\\)"),
        (dict(targets=torch.ones(2, 2, 1, dtype=torch.int64)), ValueError, "padded"),
        (dict(log_probs=torch.randn(5, 2, 4, 1)), ValueError, "shape"),
        (dict(log_probs=torch.randn(0, 2, 4)), ValueError, "empty"),
        (dict(targets=tg.float()), TypeError, "integer"),
        (dict(input_lengths=il.float()), TypeError, "integer"),
        (dict(log_probs=lp.long()), TypeError, "floating"),
        (dict(reduction="avg"), ValueError, "reduction"),
    ]
    for change, error, message in cases:
        kw = dict(log_probs=lp, targets=tg, input_lengths=il, target_lengths=tl)
        kw.update(change)
        with pytest.raises(error, match=message):
            lossbook.ctc_loss(**kw)
    with pytest.raises(ValueError, match="blank"):
        lossbook.CTCLoss(blank=-1)
    with pytest.raises(ValueError, match="reduction"):
        lossbook.CTCLoss(reduction="avg")


def test_batch_first_log_probs_are_named_as_such():
    # (N, T, C) = (2, 5, 4) given where (T, N, C) belongs: 2 lengths for a "batch" of 5
    lp = torch.randn(2, 5, 4).log_softmax(2)
    targets, il, tl = torch.tensor([[1, 2], [3, 1]]), torch.tensor([5, 5]), torch.tensor([2, 2])
    with pytest.raises(ValueError, match=r"log_probs must have shape \(T, N, C\).*looks batch-first") as info:
        lossbook.ctc_loss(lp, targets, il, tl)
    assert "transpose(0, 1)" in str(info.value) and "(2, 5, 4)" in str(info.value)
    with pytest.raises(ValueError, match="batch-first"):
        lossbook.CTCLoss()(lp, targets, il, tl)
    with pytest.raises(ValueError, match="batch-first"):
        lossbook.ctc_greedy_decode(lp, input_lengths=il)
    # time first, the same call works
    lossbook.ctc_loss(lp.transpose(0, 1), targets, il, tl)
    # a count that matches neither dimension keeps the plain message, and so does an unbatched input
    with pytest.raises(ValueError, match="one length per batch element"):
        lossbook.ctc_loss(lp.transpose(0, 1), targets, torch.tensor([5, 5, 5]), tl)
    with pytest.raises(ValueError, match="one length per batch element"):
        lossbook.ctc_loss(lp[0], targets[0], torch.tensor([2] * 5), 2)


@pytest.mark.parametrize("kind", ["probabilities", "logits"])
def test_probabilities_and_logits_are_refused(kind):
    gen = torch.Generator().manual_seed(30)
    logits = torch.randn(6, 2, 4, generator=gen) * 3
    log_probs = logits.softmax(2) if kind == "probabilities" else logits
    targets, il, tl = torch.tensor([[1, 2], [3, 1]]), [6, 6], [2, 2]
    with pytest.raises(ValueError, match="log_probs must be log-probabilities.*apply log_softmax"):
        lossbook.ctc_loss(log_probs, targets, il, tl)
    with pytest.raises(ValueError, match="apply log_softmax"):
        lossbook.ctc_loss(log_probs[:, 0], targets[0], 6, 2)  # unbatched


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
def test_log_probabilities_within_rounding_of_zero_are_accepted(dtype):
    # log(softmax(x)) may exceed 0 by a few units in the last place; log_softmax never does
    targets, il, tl = torch.tensor([[1]]), [3], [1]
    lp = torch.full((3, 1, 2), -50.0, dtype=dtype)
    lp[:, :, 0] = 0.0
    lp[0, 0, 0] = 4 * torch.finfo(dtype).eps
    assert torch.isfinite(lossbook.ctc_loss(lp, targets, il, tl))
    lp[0, 0, 0] = 0.01 if dtype in (torch.float64, torch.float32) else 0.5
    with pytest.raises(ValueError, match="apply log_softmax"):
        lossbook.ctc_loss(lp, targets, il, tl)
    # probability exactly 1 (log 0), -inf and NaN are not refused by this check
    lp[0, 0, 0] = 0.0
    lp[1, 0, 1] = -math.inf
    assert torch.isfinite(lossbook.ctc_loss(lp, targets, il, tl))


def test_mean_is_the_mean_over_target_lengths():
    # reduction="mean" is validation.mean_over_lengths of the per-sample losses, on both paths
    gen = torch.Generator().manual_seed(31)
    for min_input, min_target in [(0, 0), (12, 4)]:
        logits, targets, il, tl = random_problem(gen, 12, 5, 6, 4, min_input=min_input, min_target=min_target)
        lp = logits.log_softmax(2)
        per_sample = lossbook.ctc_loss(lp, targets, il, tl, reduction="none", zero_infinity=True)
        torch.testing.assert_close(
            lossbook.ctc_loss(lp, targets, il, tl, zero_infinity=True), mean_over_lengths(per_sample, tl)
        )


def test_blank_is_checked_the_same_way_everywhere():
    lp = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
    calls = {
        "ctc_loss": lambda blank: lossbook.ctc_loss(lp, torch.tensor([1]), 2, 1, blank=blank),
        "CTCLoss": lambda blank: lossbook.CTCLoss(blank=blank),
        "ctc_loss_bruteforce": lambda blank: lossbook.ctc_loss_bruteforce(lp, [1], blank=blank),
        "ctc_log_alpha_beta": lambda blank: lossbook.ctc_log_alpha_beta(lp, [1], blank=blank),
        "ctc_greedy_decode": lambda blank: lossbook.ctc_greedy_decode(lp, blank=blank),
        "ctc_beam_search_decode": lambda blank: lossbook.ctc_beam_search_decode(lp, blank=blank),
        "ctc_collapse": lambda blank: lossbook.ctc_collapse([0, 1, 1], blank=blank),
    }
    for name, call in calls.items():
        for wrong_type in (1.0, "0", True, None):
            with pytest.raises(TypeError, match="blank must be an int"):
                call(wrong_type)
        with pytest.raises(ValueError, match="blank must be"):
            call(-1)
        if name not in ("CTCLoss", "ctc_collapse"):  # these know no C
            with pytest.raises(ValueError, match=r"blank must be in \[0, C\) = \[0, 2\)"):
                call(2)
    with pytest.raises(TypeError, match="one-character string"):
        lossbook.ctc_collapse("a-b", blank=0)
    with pytest.raises(ValueError, match="one-character string"):
        lossbook.ctc_collapse("a-b", blank="--")


def test_wrong_types_raise_type_errors_and_wrong_values_value_errors():
    lp = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
    with pytest.raises(TypeError, match="beam_width"):
        lossbook.ctc_beam_search_decode(lp, beam_width=2.0)
    with pytest.raises(ValueError, match="beam_width"):
        lossbook.ctc_beam_search_decode(lp, beam_width=0)
    with pytest.raises(TypeError, match="input_lengths"):
        lossbook.ctc_loss(lp, torch.tensor([1]), 2.0, 1)
    with pytest.raises(TypeError, match="target"):
        lossbook.ctc_loss_bruteforce(lp, torch.tensor([1.0]))
    with pytest.raises(TypeError, match="log_probs"):
        lossbook.ctc_greedy_decode(lp.tolist())
    with pytest.raises(ValueError, match="at least 1 frame"):
        lossbook.ctc_log_alpha_beta(lp[:0], [])
    with pytest.raises(ValueError, match="predictions and references"):
        lossbook.sequence_accuracy([[1]], [])
    with pytest.raises(ValueError, match="at least one sequence"):
        lossbook.sequence_accuracy([], [])


def test_padding_past_the_lengths_is_ignored():
    lp = torch.randn(6, 2, 4, dtype=torch.float64).log_softmax(2)
    il, tl = torch.tensor([6, 6]), torch.tensor([1, 2])
    a = lossbook.ctc_loss(lp, torch.tensor([[1, 0, 0], [2, 3, -1]]), il, tl, reduction="none")
    b = lossbook.ctc_loss(lp, torch.tensor([[1, 3, 3], [2, 3, 99]]), il, tl, reduction="none")
    torch.testing.assert_close(a, b)


# --- collapse, decoders, metrics ---------------------------------------------------------------


def test_collapse_on_the_sources_examples():
    # Source 003, T = 10.
    assert lossbook.ctc_collapse("-s-t-aatte", blank="-") == "state"
    assert lossbook.ctc_collapse("ss-t-a-t-e", blank="-") == "state"
    assert lossbook.ctc_collapse("sstt-aat-e", blank="-") == "state"
    assert lossbook.ctc_collapse("-s-t-tatte", blank="-") == "sttate"


def test_collapse_kinds_and_errors():
    assert lossbook.ctc_collapse([0, 1, 1, 0, 1, 2, 2, 0]) == [1, 1, 2]
    assert lossbook.ctc_collapse((3, 3, 3), blank=0) == [3]
    assert lossbook.ctc_collapse(torch.tensor([2, 2, 1, 0, 0, 2]), blank=1) == [2, 0, 2]
    assert lossbook.ctc_collapse([]) == [] and lossbook.ctc_collapse("", blank="-") == ""
    with pytest.raises(ValueError):
        lossbook.ctc_collapse("ab", blank="--")
    with pytest.raises(ValueError):
        lossbook.ctc_collapse(torch.zeros(2, 2, dtype=torch.int64))
    with pytest.raises(TypeError):
        lossbook.ctc_collapse(42)


def labelling_probabilities(lp, blank=0):
    """p(l | x) of every labelling, by enumerating the paths of one (T, C) example."""
    import itertools

    T, C = lp.shape
    totals = {}
    for path in itertools.product(range(C), repeat=T):
        label = tuple(lossbook.ctc_collapse(list(path), blank))
        totals[label] = totals.get(label, 0.0) + math.exp(sum(lp[t, k].item() for t, k in enumerate(path)))
    return totals


def test_greedy_and_beam_on_the_classic_example():
    lp = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
    assert lossbook.ctc_greedy_decode(lp) == []
    assert lossbook.ctc_beam_search_decode(lp, beam_width=2) == [1]
    assert lossbook.ctc_greedy_decode(lp.unsqueeze(1)) == [[]]


@pytest.mark.parametrize("seed", range(12))
def test_wide_beam_finds_the_most_probable_labelling(seed):
    gen = torch.Generator().manual_seed(seed)
    T, C = 5, 3
    lp = (torch.randn(T, C, generator=gen, dtype=torch.float64) * 1.5).log_softmax(1)
    totals = labelling_probabilities(lp)
    best = max(totals, key=totals.get)
    decoded = lossbook.ctc_beam_search_decode(lp, beam_width=len(totals))
    assert math.isclose(totals[tuple(decoded)], totals[best], rel_tol=1e-9)
    # the probability the beam search tracks is the brute-force one
    torch.testing.assert_close(
        lossbook.ctc_loss_bruteforce(lp, decoded),
        torch.tensor(-math.log(totals[tuple(decoded)]), dtype=torch.float64),
    )


def test_decoders_respect_input_lengths_and_batches():
    lp = torch.full((4, 2, 3), -5.0)
    lp[:, 0, 1] = 0.0  # sample 0: "1" every frame
    lp[0, 1, 2] = 0.0
    lp[1:, 1, 0] = 0.0  # sample 1: "2" then blanks
    assert lossbook.ctc_greedy_decode(lp) == [[1], [2]]
    assert lossbook.ctc_greedy_decode(lp, input_lengths=torch.tensor([0, 1])) == [[], [2]]
    assert lossbook.ctc_beam_search_decode(lp, input_lengths=[4, 1], beam_width=4) == [[1], [2]]
    with pytest.raises(ValueError):
        lossbook.ctc_beam_search_decode(lp, beam_width=0)
    with pytest.raises(ValueError):
        lossbook.ctc_greedy_decode(lp, input_lengths=[5, 1])
    with pytest.raises(ValueError):
        lossbook.ctc_greedy_decode(lp, blank=3)


def test_metrics():
    assert lossbook.edit_distance("kitten", "sitting") == 3
    assert lossbook.edit_distance([], [1, 2]) == 2
    assert lossbook.character_error_rate([[1, 2], [3]], [[1, 2, 2], [3]]) == 0.25
    assert lossbook.sequence_accuracy([[1, 2], [3]], [[1, 2, 2], [3]]) == 0.5
    with pytest.raises(ValueError):
        lossbook.character_error_rate([[1]], [[1], [2]])
    with pytest.raises(ValueError):
        lossbook.character_error_rate([[]], [[]])


@pytest.mark.parametrize("module", ["__init__", "loss", "_trellis", "reference", "decode", "metrics"])
def test_doctests_run_on_their_own_imports(module):
    # empty globals: every example imports what it uses
    import doctest
    import importlib

    name = "lossbook.ctc" if module == "__init__" else f"lossbook.ctc.{module}"
    failures, _ = doctest.testmod(importlib.import_module(name), globs={}, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_doctests_show_values_not_only_shapes():
    import doctest
    import importlib

    for module in ("loss", "reference", "decode", "metrics"):
        for test in doctest.DocTestFinder().find(importlib.import_module(f"lossbook.ctc.{module}")):
            for example in test.examples:
                shape_only = ".shape" in example.source or ".ndim" in example.source
                assert not shape_only and "torch.Size" not in example.want, (test.name, example.source)


def test_second_derivatives_are_refused_with_a_clear_error():
    log_probs = torch.randn(6, 2, 4, dtype=torch.float64).log_softmax(2).requires_grad_()
    targets = torch.tensor([[1, 2], [3, 3]])
    with pytest.raises(RuntimeError, match="lossbook.ctc_loss .*second derivatives"):
        torch.autograd.grad(
            lossbook.ctc_loss(log_probs, targets, [6, 6], [2, 2]), log_probs, create_graph=True
        )
