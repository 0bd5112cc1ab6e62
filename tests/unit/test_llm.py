"""lossbook.llm: the chunked linear cross-entropy and the z-loss, against torch and formulas.

The references are independent of the chunked loop: ``F.cross_entropy(F.linear(...))`` of the
whole logits (plus the z-loss written out), and torch's own ``F.linear_cross_entropy`` on both
of its paths. The vocabulary-parallel cross-entropy has its own file (test_vocab_parallel.py),
as it spawns process groups.
"""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

import lossbook
from lossbook.llm import LinearCrossEntropyLoss, ZLoss, linear_cross_entropy, z_loss

HAS_TORCH_LCE = hasattr(F, "linear_cross_entropy")
needs_torch_lce = pytest.mark.skipif(not HAS_TORCH_LCE, reason="torch < 2.13 has no linear_cross_entropy")


def reference(x, W, y, b=None, *, weight=None, reduction="mean", ignore_index=-100, eps=0.0, lam=0.0):
    """Cross-entropy of the whole logits, the z-loss written out: what the chunked loop must equal."""
    C, out_features, H = W.shape[0], W.shape[1:-1], W.shape[-1]
    logits = F.linear(x, W.reshape(-1, H), None if b is None else b.reshape(-1))
    logits = logits.reshape(*x.shape[:-1], C, *out_features)
    ce = F.cross_entropy(
        logits, y, weight=weight, reduction="none" if lam else reduction, ignore_index=ignore_index,
        label_smoothing=eps,
    )  # fmt: skip
    if not lam:
        return ce
    lse = torch.logsumexp(logits, dim=0 if x.dim() == 1 else 1)
    if y.is_floating_point():
        per_row, denominator = ce + lam * lse.square(), ce.numel()
    else:
        row_weight = (y != ignore_index).to(x.dtype)
        if weight is not None:
            row_weight = row_weight * weight[y.clamp(min=0)]
        per_row, denominator = ce + lam * row_weight * lse.square(), row_weight.sum()
    if reduction == "none":
        return per_row
    return per_row.sum() if reduction == "sum" else per_row.sum() / denominator


def make(N, H, C, out=(), *, dtype=torch.float64, device="cpu", prob=False, bias=False, seed=0):
    """Hidden states, a head (C, *out, H), its bias and a target (indices, a few -100, or probabilities)."""
    gen = torch.Generator().manual_seed(seed)
    batch = () if N is None else (N,)
    x = torch.randn(*batch, H, generator=gen, dtype=dtype).to(device).requires_grad_()
    W = torch.randn(C, *out, H, generator=gen, dtype=dtype).to(device).requires_grad_()
    b = torch.randn(C, *out, generator=gen, dtype=dtype).to(device).requires_grad_() if bias else None
    if prob:
        shape = (*batch, C, *out)
        y = torch.softmax(torch.randn(shape, generator=gen, dtype=dtype), dim=0 if N is None else 1)
    else:
        y = torch.randint(0, C, (*batch, *out), generator=gen)
        if y.dim() > 0 and y.numel() > 2:
            y.view(-1)[::3] = -100
    return x, W, b, y.to(device)


def grads(loss, tensors, seed=1):
    """The gradients of ``loss`` (times a random upstream gradient when it is not a scalar)."""
    gen = torch.Generator().manual_seed(seed)
    upstream = torch.randn(loss.shape, generator=gen, dtype=loss.dtype).to(loss.device)
    tensors = [t for t in tensors if t is not None]
    return torch.autograd.grad(loss, tensors, upstream)


def assert_close_with_grads(ours, theirs, inputs, **tol):
    torch.testing.assert_close(ours, theirs, **tol)
    for a, b in zip(grads(ours, inputs), grads(theirs, inputs), strict=True):
        torch.testing.assert_close(a, b, **tol)


# ---------------------------------------------------------------------------------------------
# Against the whole logits: shapes, targets, options, reductions, gradients of x, W and b
# ---------------------------------------------------------------------------------------------

SHAPES = {
    "batched": (13, ()),
    "unbatched": (None, ()),
    "K=1": (7, (3,)),
    "K=2": (5, (2, 3)),
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("prob", [False, True], ids=["index", "prob"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
def test_equals_cross_entropy_of_the_whole_logits(device, shape, reduction, prob, bias):
    N, out = SHAPES[shape]
    x, W, b, y = make(N, 6, 11, out, device=device, prob=prob, bias=bias)
    for chunk_size in (1, 4, None):
        ours = linear_cross_entropy(x, W, y, linear_bias=b, reduction=reduction, chunk_size=chunk_size)
        assert_close_with_grads(ours, reference(x, W, y, b, reduction=reduction), [x, W, b])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", ["weight", "smoothing", "weight+smoothing", "ignore=3", "z", "all"])
@pytest.mark.parametrize("prob", [False, True], ids=["index", "prob"])
def test_options_against_the_whole_logits(device, reduction, options, prob):
    x, W, b, y = make(17, 5, 9, device=device, prob=prob, bias=True, seed=2)
    gen = torch.Generator().manual_seed(3)
    weight = (torch.rand(9, generator=gen, dtype=torch.float64) + 0.5).to(device)
    kwargs = {}
    if "weight" in options or options == "all":
        kwargs["weight"] = weight
    if "smoothing" in options or options == "all":
        kwargs["eps"] = 0.15
    if options in ("z", "all"):
        kwargs["lam"] = 0.01
    ignore_index = -100
    if options in ("ignore=3", "all") and not prob:
        ignore_index = 3
        y = y.masked_fill(y == -100, 3)
    ours = linear_cross_entropy(
        x, W, y, linear_bias=b, weight=kwargs.get("weight"), reduction=reduction,
        ignore_index=None if prob else ignore_index, label_smoothing=kwargs.get("eps", 0.0),
        z_loss_weight=kwargs.get("lam", 0.0), chunk_size=4,
    )  # fmt: skip
    theirs = reference(x, W, y, b, reduction=reduction, ignore_index=ignore_index, **kwargs)
    assert_close_with_grads(ours, theirs, [x, W, b])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_default_chunk_and_a_chunk_of_one_row_agree_to_rounding(device, dtype):
    x, W, b, y = make(64, 16, 300, device=device, dtype=dtype, bias=True)
    one = linear_cross_entropy(x, W, y, linear_bias=b, chunk_size=1, label_smoothing=0.1, z_loss_weight=1e-3)
    whole = linear_cross_entropy(
        x, W, y, linear_bias=b, chunk_size=64, label_smoothing=0.1, z_loss_weight=1e-3
    )
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    assert_close_with_grads(one, whole, [x, W, b], **tol)


def test_an_uneven_last_chunk_and_a_chunk_larger_than_the_batch():
    x, W, b, y = make(10, 4, 7, bias=True)
    for chunk_size in (3, 7, 10, 11, 1000):
        ours = linear_cross_entropy(x, W, y, linear_bias=b, chunk_size=chunk_size)
        assert_close_with_grads(ours, reference(x, W, y, b), [x, W, b])


def test_the_default_chunk_holds_32_mib_of_logits_and_at_least_256_rows():
    from lossbook.llm._inputs import default_chunk_size

    assert default_chunk_size(1000, torch.float32) == 8388
    assert default_chunk_size(32768, torch.float32) == 256
    assert default_chunk_size(16384, torch.float64) == 256
    # beyond 32k classes, 256 rows all the same: fewer would make the products memory-bound
    assert default_chunk_size(131072, torch.float32) == 256
    assert default_chunk_size(2**30, torch.float32) == 256


class LargestAllocation(TorchDispatchMode):
    """The number of elements of the largest tensor any operator creates under it."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self.largest = max(self.largest, t.untyped_storage().nbytes() // t.element_size())
        return out


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_the_whole_logits_never_exist(reduction):
    """Forward and backward allocate at most one chunk of logits, never (N, V)."""
    N, H, V, chunk = 64, 4, 500, 8
    x, W, b, y = make(N, H, V, dtype=torch.float32, bias=True)
    with LargestAllocation() as tracker:
        linear_cross_entropy(x, W, y, linear_bias=b, chunk_size=chunk, reduction=reduction).sum().backward()
    assert tracker.largest == chunk * V  # the chunk's logits; the gradient of W is V·H < chunk·V
    assert V * H < chunk * V < N * V


# ---------------------------------------------------------------------------------------------
# Against torch's linear_cross_entropy, both paths
# ---------------------------------------------------------------------------------------------


@needs_torch_lce
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("prob", [False, True], ids=["index", "prob"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_equals_torch_linear_cross_entropy_reference_path(device, shape, prob, reduction):
    N, out = SHAPES[shape]
    x, W, b, y = make(N, 6, 8, out, device=device, prob=prob, bias=True, seed=4)
    weight = torch.linspace(0.5, 2.0, 8, dtype=torch.float64, device=device)
    for ignore_index, eps in [(None, 0.0), (None, 0.2)] + ([] if prob else [(2, 0.1)]):
        if ignore_index is not None:
            y = y.masked_fill(y == -100, ignore_index)
        kwargs = dict(linear_bias=b, weight=weight, reduction=reduction, ignore_index=ignore_index)
        kwargs["label_smoothing"] = eps
        ours = linear_cross_entropy(x, W, y, chunk_size=2, **kwargs)
        assert_close_with_grads(ours, F.linear_cross_entropy(x, W, y, **kwargs), [x, W, b])


@needs_torch_lce
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("unbatched", [False, True])
def test_equals_torch_linear_cross_entropy_chunked_path(device, dtype, reduction, unbatched):
    """torch's chunked path: index targets, no smoothing, (C,) bias; the same options object."""
    x, W, b, y = make(None if unbatched else 40, 12, 50, dtype=dtype, device=device, bias=True, seed=5)
    weight = torch.linspace(0.5, 2.0, 50, dtype=dtype, device=device)
    options = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=8)
    kwargs = dict(linear_bias=b, weight=weight, reduction=reduction, options=options)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the chunked path, not a fallback with a warning
        theirs = F.linear_cross_entropy(x, W, y, **kwargs)
    tol = {"rtol": 2e-5, "atol": 2e-5} if dtype == torch.float32 else {}
    assert_close_with_grads(linear_cross_entropy(x, W, y, **kwargs), theirs, [x, W, b], **tol)


@needs_torch_lce
def test_code_written_for_torch_runs_unchanged():
    """The same call, torch's ``options`` included; its batch_chunk_size sets the chunk."""
    x, W, b, y = make(30, 2, 20, dtype=torch.float32)
    options = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=7)
    ours = linear_cross_entropy(x, W, y, reduction="sum", options=options)
    theirs = F.linear_cross_entropy(x, W, y, reduction="sum", options=options)
    torch.testing.assert_close(ours, theirs)
    with LargestAllocation() as tracker:
        linear_cross_entropy(x, W, y, options=options)
    assert tracker.largest == 7 * 20
    defaults = torch.nn.LinearCrossEntropyOptions()  # batch_chunk_size None: lossbook's default
    torch.testing.assert_close(linear_cross_entropy(x, W, y, options=defaults), F.cross_entropy(x @ W.T, y))


# ---------------------------------------------------------------------------------------------
# Precision: float16/bfloat16, large logits
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_accumulates_in_float32(device, dtype):
    x, W, b, y = make(48, 16, 200, dtype=dtype, device=device, bias=True)
    ours = linear_cross_entropy(x, W, y, linear_bias=b, chunk_size=5, z_loss_weight=1e-3)
    assert ours.dtype == dtype
    up = [t.detach().double().requires_grad_() for t in (x, W, b)]
    exact = reference(up[0], up[1], y, up[2], lam=1e-3)  # the same half-precision inputs, in float64
    # float32 accumulation: the loss to the output dtype's rounding, not to float16's sums
    torch.testing.assert_close(ours.double(), exact, rtol=4e-3, atol=0.0)
    for g, g_exact, t in zip(grads(ours, [x, W, b]), grads(exact, up), (x, W, b), strict=True):
        assert g.dtype == dtype and g.shape == t.shape
        torch.testing.assert_close(g.double(), g_exact, rtol=2e-2, atol=2e-2 * g_exact.abs().max().item())


def test_autocast_does_not_make_the_chunk_products_bfloat16():
    x, W, b, y = make(32, 8, 50, dtype=torch.float32, bias=True)
    expected = linear_cross_entropy(x, W, y, linear_bias=b, chunk_size=5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours = linear_cross_entropy(x, W, y, linear_bias=b, chunk_size=5)
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours, expected, rtol=1e-6, atol=0.0)
    for a, e in zip(grads(ours, [x, W, b]), grads(expected, [x, W, b]), strict=True):
        torch.testing.assert_close(a, e, rtol=1e-6, atol=1e-7)


def test_logits_of_ten_thousand_stay_finite():
    x, W, b, y = make(8, 4, 30, bias=True)
    x = (x.detach() * 2500.0).requires_grad_()  # logits of order 1e4
    for dtype in (torch.float32, torch.float64):
        xs, Ws, bs = (t.detach().to(dtype).requires_grad_() for t in (x, W, b))
        assert reference(xs, Ws, y, bs).abs().max() > 1e3
        ours = linear_cross_entropy(xs, Ws, y, linear_bias=bs, chunk_size=3, z_loss_weight=1e-4)
        assert torch.isfinite(ours)
        gs = grads(ours, [xs, Ws, bs])
        assert all(torch.isfinite(g).all() for g in gs)
        torch.testing.assert_close(ours, reference(xs, Ws, y, bs, lam=1e-4), rtol=1e-5, atol=0.0)


# ---------------------------------------------------------------------------------------------
# Autograd: gradcheck, both backward paths, first order only, no_grad
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])  # "none" takes the recomputing backward
@pytest.mark.parametrize("prob", [False, True], ids=["index", "prob"])
def test_gradcheck(reduction, prob):
    x, W, b, y = make(5, 3, 4, prob=prob, bias=True, seed=6)
    weight = None if prob else torch.tensor([0.5, 1.0, 2.0, 1.5], dtype=torch.float64)

    def f(x, W, b):
        return linear_cross_entropy(
            x, W, y, linear_bias=b, weight=weight, reduction=reduction, label_smoothing=0.1,
            z_loss_weight=0.05, chunk_size=2,
        )  # fmt: skip

    # nondet_tol: a scalar loss's second backward recomputes what the first had from the forward
    # pass, equal to rounding
    assert torch.autograd.gradcheck(f, (x, W, b), nondet_tol=1e-12)


def test_gradcheck_k_dimensional():
    x, W, b, y = make(4, 3, 3, (2,), bias=True, seed=7)

    def f(x, W, b):
        return linear_cross_entropy(x, W, y, linear_bias=b, chunk_size=3)

    assert torch.autograd.gradcheck(f, (x, W, b), nondet_tol=1e-12)


def test_gradients_only_of_what_requires_them():
    x, W, b, y = make(9, 4, 6, bias=True)
    x.requires_grad_(False)
    loss = linear_cross_entropy(x, W, y, linear_bias=b, chunk_size=2)
    gW, gb = torch.autograd.grad(loss, [W, b])
    torch.testing.assert_close(gW, torch.autograd.grad(reference(x, W, y, b), W)[0])
    torch.testing.assert_close(gb, torch.autograd.grad(reference(x, W, y, b), b)[0])


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_a_second_backward_with_retain_graph_recomputes(reduction):
    x, W, b, y = make(9, 4, 6, bias=True)
    loss = linear_cross_entropy(x, W, y, linear_bias=b, reduction=reduction, chunk_size=4).sum()
    first = torch.autograd.grad(loss, [x, W, b], retain_graph=True)
    second = torch.autograd.grad(loss, [x, W, b])
    expected = torch.autograd.grad(reference(x, W, y, b, reduction=reduction).sum(), [x, W, b])
    for a, c, e in zip(first, second, expected, strict=True):
        torch.testing.assert_close(a, e)
        torch.testing.assert_close(c, e)


def test_create_graph_raises_a_clear_error():
    x, W, b, y = make(6, 3, 5, bias=True)
    for reduction in ("mean", "none"):
        loss = linear_cross_entropy(x, W, y, linear_bias=b, reduction=reduction).sum()
        with pytest.raises(RuntimeError, match="first-order.*create_graph=True"):
            torch.autograd.grad(loss, [x], create_graph=True)


def test_under_no_grad_only_the_loss_is_computed():
    x, W, b, y = make(6, 3, 5, bias=True)
    with torch.no_grad():
        loss = linear_cross_entropy(x, W, y, linear_bias=b)
    assert not loss.requires_grad
    torch.testing.assert_close(loss, reference(x, W, y, b).detach())


def test_every_row_ignored_gives_nan_and_zero_gradients_as_torch():
    x, W, b, y = make(4, 3, 5)
    y = torch.full((4,), -100)
    ours, theirs = linear_cross_entropy(x, W, y), reference(x, W, y)
    assert torch.isnan(ours) and torch.isnan(theirs)
    gx, gW = torch.autograd.grad(ours, [x, W])
    assert not gx.any() and not gW.any()
    assert linear_cross_entropy(x, W, y, reduction="sum") == 0


def test_an_empty_batch():
    x, W, b, y = make(4, 3, 5)
    x0 = x.detach()[:0].requires_grad_()
    assert linear_cross_entropy(x0, W, y[:0], reduction="sum") == 0
    assert linear_cross_entropy(x0, W, y[:0], reduction="none").shape == (0,)
    assert torch.isnan(linear_cross_entropy(x0, W, y[:0]))


# ---------------------------------------------------------------------------------------------
# The Module, the flat names
# ---------------------------------------------------------------------------------------------


def test_module_holds_the_options_and_the_model_holds_the_head(device):
    x, W, b, y = make(12, 5, 7, bias=True, device=device)
    weight = torch.linspace(0.5, 1.5, 7, dtype=torch.float64)
    criterion = LinearCrossEntropyLoss(
        weight=weight,
        reduction="sum",
        ignore_index=-100,
        label_smoothing=0.1,
        chunk_size=5,
        z_loss_weight=1e-2,
    ).to(device)
    assert criterion.weight.device.type == device.type
    ours = criterion(x, W, y, b)
    theirs = reference(x, W, y, b, weight=weight.to(device), reduction="sum", eps=0.1, lam=1e-2)
    assert_close_with_grads(ours, theirs, [x, W, b])
    assert "z_loss_weight=0.01" in repr(criterion)
    assert lossbook.linear_cross_entropy is linear_cross_entropy
    assert lossbook.LinearCrossEntropyLoss is LinearCrossEntropyLoss
    assert lossbook.z_loss is z_loss and lossbook.ZLoss is ZLoss


def test_module_refuses_bad_options():
    with pytest.raises(ValueError, match="chunk_size"):
        LinearCrossEntropyLoss(chunk_size=0)
    with pytest.raises(ValueError, match="z_loss_weight"):
        LinearCrossEntropyLoss(z_loss_weight=-1.0)
    with pytest.raises(ValueError, match="label_smoothing"):
        LinearCrossEntropyLoss(label_smoothing=2.0)
    with pytest.raises(TypeError, match="ignore_index"):
        LinearCrossEntropyLoss(ignore_index=1.0)
    with pytest.raises(ValueError, match="reduction"):
        LinearCrossEntropyLoss(reduction="batchmean")


# ---------------------------------------------------------------------------------------------
# Bad inputs: the exception class and the argument named
# ---------------------------------------------------------------------------------------------


def _bad_calls():
    x, W, b, y = make(6, 4, 5, bias=True)
    p = torch.softmax(torch.randn(6, 5, dtype=torch.float64), 1)
    W3 = torch.randn(5, 2, 4, dtype=torch.float64)
    return [
        ("input list", TypeError, "input must be a torch.Tensor", (x.tolist(), W, y), {}),
        ("input int", TypeError, "input must have a floating", (x.long(), W, y), {}),
        ("input 3-D", ValueError, "input must have shape", (x.reshape(2, 3, 4), W, y), {}),
        ("weight 1-D", ValueError, "linear_weight must have shape", (x, W[0], y), {}),
        ("weight dtype", TypeError, "linear_weight must have input's dtype", (x, W.float(), y), {}),
        ("H differs", ValueError, "hidden size H", (x, W[:, :3], y), {}),
        ("K-dim unbatched", ValueError, "needs batched input", (x[0], W3, y[0]), {}),
        ("bias shape", ValueError, "linear_bias must have shape", (x, W, y), {"linear_bias": b[:4]}),
        (
            "bias dtype",
            TypeError,
            "linear_bias must have input's dtype",
            (x, W, y),
            {"linear_bias": b.float()},
        ),
        ("bias int", TypeError, "linear_bias must have a floating", (x, W, y), {"linear_bias": b.long()}),
        ("target list", TypeError, "target must be a torch.Tensor", (x, W, y.tolist()), {}),
        ("target float labels", TypeError, r"target.*\.long\(\)", (x, W, y.double()), {}),
        ("target bool", TypeError, "target must have an integer dtype", (x, W, y > 0), {}),
        ("target shape", ValueError, "target of class indices must have shape", (x, W, y[:5]), {}),
        (
            "target too large",
            ValueError,
            r"class indices in \[0, 5\).*equal to 5",
            (x, W, y.clamp(0) + 5),
            {},
        ),
        ("target negative", ValueError, "equal to -1", (x, W, y.clamp(0) - 1), {}),
        (
            "probabilities shape",
            ValueError,
            "class probabilities and must have the logits' shape",
            (x, W, p[:, :4]),
            {},
        ),
        ("probabilities > 1", ValueError, r"target must have every element in \[0, 1\]", (x, W, p * 3), {}),
        (
            "prob + ignore_index",
            ValueError,
            "ignore_index applies to class-index targets",
            (x, W, p),
            {"ignore_index": -100},
        ),
        (
            "prob requires grad",
            ValueError,
            "target must not require grad",
            (x, W, p.clone().requires_grad_()),
            {},
        ),
        ("ignore_index float", TypeError, "ignore_index must be an int", (x, W, y), {"ignore_index": -100.0}),
        ("ignore_index bool", TypeError, "ignore_index must be an int", (x, W, y), {"ignore_index": True}),
        (
            "class weight shape",
            ValueError,
            "weight must be a 1-D tensor with one entry per class",
            (x, W, y),
            {"weight": torch.ones(4, dtype=torch.float64)},
        ),
        (
            "class weight int",
            TypeError,
            "weight must have a floating",
            (x, W, y),
            {"weight": torch.ones(5, dtype=torch.long)},
        ),
        (
            "class weight grad",
            ValueError,
            "weight must not require grad",
            (x, W, y),
            {"weight": torch.ones(5, dtype=torch.float64, requires_grad=True)},
        ),
        (
            "label_smoothing > 1",
            ValueError,
            "label_smoothing must be in",
            (x, W, y),
            {"label_smoothing": 1.5},
        ),
        (
            "label_smoothing str",
            TypeError,
            "label_smoothing must be a real number",
            (x, W, y),
            {"label_smoothing": "0.1"},
        ),
        ("z_loss_weight < 0", ValueError, "z_loss_weight must be >= 0", (x, W, y), {"z_loss_weight": -1e-4}),
        (
            "z_loss_weight inf",
            ValueError,
            "z_loss_weight must be finite",
            (x, W, y),
            {"z_loss_weight": float("inf")},
        ),
        (
            "z_loss_weight nan",
            ValueError,
            "z_loss_weight must be a number",
            (x, W, y),
            {"z_loss_weight": float("nan")},
        ),
        ("chunk_size 0", ValueError, "chunk_size must be a positive integer", (x, W, y), {"chunk_size": 0}),
        ("chunk_size -3", ValueError, "chunk_size must be a positive integer", (x, W, y), {"chunk_size": -3}),
        (
            "chunk_size float",
            TypeError,
            "chunk_size must be a positive integer",
            (x, W, y),
            {"chunk_size": 2.0},
        ),
        (
            "chunk_size bool",
            TypeError,
            "chunk_size must be a positive integer",
            (x, W, y),
            {"chunk_size": True},
        ),
        (
            "options dict",
            TypeError,
            "options must be a torch.nn.LinearCrossEntropyOptions",
            (x, W, y),
            {"options": {"batch_chunk_size": 2}},
        ),
        ("reduction", ValueError, "reduction must be one of", (x, W, y), {"reduction": "batchmean"}),
    ]


@pytest.mark.parametrize("case", _bad_calls(), ids=lambda c: c[0] if isinstance(c, tuple) else None)
def test_bad_inputs_raise_naming_the_argument(case):
    _, error, message, args, kwargs = case
    with pytest.raises(error, match=message):
        linear_cross_entropy(*args, **kwargs)


@needs_torch_lce
def test_options_and_chunk_size_that_disagree():
    x, W, b, y = make(6, 4, 5)
    options = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    with pytest.raises(ValueError, match="chunk_size and options.batch_chunk_size disagree"):
        linear_cross_entropy(x, W, y, chunk_size=3, options=options)
    assert linear_cross_entropy(x, W, y, chunk_size=2, options=options) == linear_cross_entropy(
        x, W, y, chunk_size=2
    )


def test_devices_must_agree():
    x, W, b, y = make(6, 4, 5)
    with pytest.raises(ValueError, match="input and linear_weight must be on the same device"):
        linear_cross_entropy(x, W.to("meta"), y)
    with pytest.raises(ValueError, match="input and target must be on the same device"):
        linear_cross_entropy(x, W, y.to("meta"))


# ---------------------------------------------------------------------------------------------
# z_loss
# ---------------------------------------------------------------------------------------------


def z_reference(logits, target=None, ignore_index=-100, reduction="mean"):
    loss = torch.logsumexp(logits, -1).square()
    if target is None:
        kept = torch.ones_like(loss, dtype=torch.bool)
    else:
        kept = target != ignore_index
    loss = torch.where(kept, loss, torch.zeros_like(loss))
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / kept.sum()


@pytest.mark.parametrize("shape", [(7,), (5, 7), (2, 3, 7)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("with_target", [False, True])
def test_z_loss_against_its_formula(device, shape, reduction, with_target):
    gen = torch.Generator().manual_seed(0)
    logits = (3.0 * torch.randn(shape, generator=gen, dtype=torch.float64)).to(device).requires_grad_()
    target = None
    if with_target:
        target = torch.randint(0, shape[-1], shape[:-1], generator=gen)
        if target.dim() > 0:
            target.view(-1)[::2] = -100
        target = target.to(device)
    ours = z_loss(logits, target, reduction=reduction)
    assert_close_with_grads(ours, z_reference(logits, target, reduction=reduction), [logits])
    # its gradient, as the chapter derives it: 2 lse softmax
    if reduction == "sum" and not with_target:
        (g,) = torch.autograd.grad(z_loss(logits, reduction="sum"), logits)
        torch.testing.assert_close(
            g, 2 * torch.logsumexp(logits, -1, keepdim=True) * torch.softmax(logits, -1)
        )


def test_z_loss_options_gradcheck_and_module():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([1, 7, 7, 0])
    assert torch.autograd.gradcheck(lambda z: z_loss(z, target, ignore_index=7), (logits,))
    assert torch.autograd.gradgradcheck(lambda z: z_loss(z), (logits,))  # autograd: any order
    torch.testing.assert_close(ZLoss(ignore_index=7)(logits, target), z_reference(logits, target, 7))
    torch.testing.assert_close(ZLoss(reduction="none")(logits), z_reference(logits, reduction="none"))
    assert torch.isnan(z_loss(logits, torch.full((4,), -100)))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_z_loss_half_precision_and_large_logits(dtype):
    logits = torch.tensor([[1e4, 0.0, -1e4], [2.0, 1.0, 0.5]], dtype=dtype)
    ours = z_loss(logits, reduction="none")
    assert ours.dtype == dtype and torch.isfinite(ours[1])
    torch.testing.assert_close(ours.float(), z_reference(logits.float(), reduction="none").to(dtype).float())
    assert torch.isfinite(z_loss(logits.float(), reduction="none")).all()


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((torch.arange(6).reshape(2, 3),), {}, TypeError, "logits must have a floating"),
        (([[1.0, 2.0]],), {}, TypeError, "logits must be a torch.Tensor"),
        ((torch.tensor(1.0),), {}, ValueError, "logits must have a class dimension last"),
        ((torch.zeros(2, 3), torch.zeros(2)), {}, TypeError, "target must hold class indices"),
        ((torch.zeros(2, 3), [0, 1]), {}, TypeError, "target must be a torch.Tensor"),
        (
            (torch.zeros(2, 3), torch.zeros(3, dtype=torch.long)),
            {},
            ValueError,
            r"target must have logits's shape",
        ),
        ((torch.zeros(2, 3), torch.tensor([0, 3])), {}, ValueError, r"class indices in \[0, 3\)"),
        ((torch.zeros(2, 3),), {"ignore_index": None}, TypeError, "ignore_index must be an int"),
        ((torch.zeros(2, 3),), {"reduction": "max"}, ValueError, "reduction must be one of"),
    ],
)
def test_z_loss_bad_inputs(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        z_loss(*args, **kwargs)


def test_z_loss_weight_in_the_loop_equals_z_loss_of_the_whole_logits():
    """The two ways to add PaLM's term agree: inside the chunked loop, or on logits that exist."""
    x, W, b, y = make(20, 5, 9, bias=True)
    lam = 1e-4
    fused = linear_cross_entropy(x, W, y, linear_bias=b, z_loss_weight=lam, chunk_size=3)
    logits = F.linear(x, W, b)
    separate = F.cross_entropy(logits, y) + lam * z_loss(logits, y)
    assert_close_with_grads(fused, separate, [x, W, b])
