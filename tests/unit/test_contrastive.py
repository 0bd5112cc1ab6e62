"""lossbook.contrastive against pytorch-metric-learning, F.cross_entropy and loops written from the
papers' formulas: values and gradients on many batches, label patterns, temperatures and dtypes,
gradcheck, extreme inputs, and every bad input by type and value. The multi-process tests are in
test_contrastive_distributed.py."""

import math

import pytest
import torch
import torch.nn.functional as F

import lossbook

pml_losses = pytest.importorskip("pytorch_metric_learning.losses")

REDUCTIONS = ["mean", "sum", "none"]


def tolerances(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)


def randn(*shape, seed=0, dtype=torch.float64, device="cpu", scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=gen, dtype=torch.float64) * scale).to(dtype).to(device)


def labels(pattern, n, seed=0, device="cpu"):
    """The label patterns every labelled loss is tested on."""
    gen = torch.Generator().manual_seed(seed)
    if pattern == "random":  # a few classes, sizes from 1 up
        y = torch.randint(0, max(1, n // 3), (n,), generator=gen)
    elif pattern == "views":  # SimCLR: two views per image, each row has exactly one positive
        y = torch.arange(n) // 2
    elif pattern == "singletons":  # no positive pair at all
        y = torch.randperm(n, generator=gen) * 3
    elif pattern == "one class":
        y = torch.full((n,), 7)
    elif pattern == "some singletons":  # anchors with and without positives in one batch
        y = torch.cat([torch.zeros(3, dtype=torch.long), torch.arange(1, n - 2)])
        y = y[torch.randperm(n, generator=gen)]
    else:
        raise ValueError(pattern)
    return y.to(device)


PATTERNS = ["random", "views", "singletons", "one class", "some singletons"]
SIZES = [4, 9, 16]


def cosines(x):
    u = F.normalize(x.double(), dim=1)
    return u @ u.T


def grad_of(loss, x):
    (g,) = torch.autograd.grad(loss, x, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


# --- brute-force references written from the papers' formulas --------------------------------


def nt_xent_pairs(x, y, tau):
    s = cosines(x) / tau
    out = []
    for i in range(len(y)):
        negatives = [s[i, n] for n in range(len(y)) if y[n] != y[i]]
        for p in range(len(y)):
            if p != i and y[p] == y[i]:
                if not negatives:  # one class: pml's zero
                    out.append(s[i, p] * 0)
                    continue
                den = torch.logsumexp(torch.stack([s[i, p], *negatives]), 0)
                out.append(den - s[i, p])
    return torch.stack(out) if out else torch.zeros(0, dtype=torch.float64)


def supcon_anchors(x, y, tau):
    s = cosines(x) / tau
    n = len(y)
    one_class = bool((y == y[0]).all())
    out = []
    for i in range(n):
        positives = [p for p in range(n) if p != i and y[p] == y[i]]
        if not positives or one_class:
            out.append(s[i, i] * 0)
            continue
        den = torch.logsumexp(torch.stack([s[i, a] for a in range(n) if a != i]), 0)
        out.append(torch.stack([den - s[i, p] for p in positives]).mean())
    return torch.stack(out)


def ms_anchors(x, y, alpha, beta, base):
    s = cosines(x)
    out = []
    for i in range(len(y)):
        pos = [s[i, p] for p in range(len(y)) if p != i and y[p] == y[i]]
        neg = [s[i, q] for q in range(len(y)) if y[q] != y[i]]
        pull = torch.log1p(sum((torch.exp(-alpha * (v - base)) for v in pos), torch.zeros((), dtype=s.dtype)))
        push = torch.log1p(sum((torch.exp(beta * (v - base)) for v in neg), torch.zeros((), dtype=s.dtype)))
        out.append(pull / alpha + push / beta)
    return torch.stack(out)


def circle_anchors(x, y, m, gamma):
    s = cosines(x)
    out = []
    for i in range(len(y)):
        pos = [s[i, p] for p in range(len(y)) if p != i and y[p] == y[i]]
        neg = [s[i, q] for q in range(len(y)) if y[q] != y[i]]
        if not pos or not neg:
            out.append(s[i, i] * 0)
            continue
        lp = torch.stack([-gamma * (1 + m - v.detach()).clamp_min(0) * (v - (1 - m)) for v in pos])
        ln = torch.stack([gamma * (v.detach() + m).clamp_min(0) * (v - m) for v in neg])
        out.append(torch.log1p(torch.exp(torch.logsumexp(lp, 0) + torch.logsumexp(ln, 0))))
    return torch.stack(out)


def mean_nonzero(losses, x):
    kept = losses[losses > 0]
    return kept.mean() if kept.numel() else (x * 0).sum()


# --- InfoNCE against F.cross_entropy ---------------------------------------------------------


def info_nce_reference(q, k, tau, symmetric=False, normalize=True, reduction="mean"):
    if normalize:
        q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
    logits = q @ k.T / tau
    target = torch.arange(len(q), device=q.device)
    rows = F.cross_entropy(logits, target, reduction="none")
    if symmetric:
        rows = 0.5 * (rows + F.cross_entropy(logits.T, target, reduction="none"))
    return {"mean": rows.mean(), "sum": rows.sum(), "none": rows}[reduction]


@pytest.mark.parametrize("n", [1, 2, 7, 32])
@pytest.mark.parametrize("tau", [0.01, 0.07, 1.0])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_info_nce_matches_cross_entropy_on_the_similarity_matrix(n, tau, symmetric, reduction, dtype, device):
    q = randn(n, 5, seed=n, dtype=dtype, device=device).requires_grad_()
    k = randn(n, 5, seed=n + 1, dtype=dtype, device=device).requires_grad_()
    ours = lossbook.info_nce_loss(q, k, tau, symmetric=symmetric, reduction=reduction)
    ref = info_nce_reference(q, k, tau, symmetric, reduction=reduction)
    assert ours.dtype == dtype and ours.shape == ref.shape
    # logits are cosines / tau, and a gradient carries a factor 1 / tau: float32 rounding scales with it
    tol = tolerances(dtype) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-6 / tau)
    torch.testing.assert_close(ours, ref, **tol)
    up = torch.randn(ours.shape, dtype=dtype, device=device)
    g_ours = torch.autograd.grad((ours * up).sum(), (q, k))
    g_ref = torch.autograd.grad((ref * up).sum(), (q, k))
    for a, b in zip(g_ours, g_ref, strict=True):
        torch.testing.assert_close(a, b, **tol)


@pytest.mark.parametrize("symmetric", [False, True])
def test_info_nce_with_dot_products_and_a_learned_temperature(symmetric, device):
    q = randn(6, 4, seed=3, device=device).requires_grad_()
    k = randn(6, 4, seed=4, device=device).requires_grad_()
    log_scale = torch.tensor(math.log(1 / 0.07), dtype=torch.float64, device=device, requires_grad=True)
    ours = lossbook.info_nce_loss(q, k, 1 / log_scale.exp(), symmetric=symmetric, normalize=False)
    ref = info_nce_reference(q, k, 1 / log_scale.exp(), symmetric, normalize=False)
    torch.testing.assert_close(ours, ref, **tolerances(torch.float64))
    for a, b in zip(
        torch.autograd.grad(ours, (q, k, log_scale)), torch.autograd.grad(ref, (q, k, log_scale)), strict=True
    ):
        torch.testing.assert_close(a, b, **tolerances(torch.float64))


def test_info_nce_symmetric_is_the_average_of_both_directions():
    q, k = randn(8, 3, seed=1), randn(8, 3, seed=2)
    both = lossbook.info_nce_loss(q, k, 0.2, symmetric=True, reduction="none")
    forward = lossbook.info_nce_loss(q, k, 0.2, reduction="none")
    backward = lossbook.info_nce_loss(k, q, 0.2, reduction="none")
    torch.testing.assert_close(both, 0.5 * (forward + backward))
    total = lossbook.info_nce_loss(q, k, 0.2, symmetric=True, reduction="sum")
    torch.testing.assert_close(total, 0.5 * (forward.sum() + backward.sum()))


def test_info_nce_is_at_most_log_n_for_a_random_guess_and_near_zero_when_perfect():
    q = torch.eye(6, dtype=torch.float64)
    assert lossbook.info_nce_loss(q, q, 0.01) < 1e-6
    torch.testing.assert_close(
        lossbook.info_nce_loss(q, torch.ones(6, 6, dtype=torch.float64)),
        torch.tensor(math.log(6), dtype=torch.float64),
    )


# --- the labelled losses against pytorch-metric-learning -------------------------------------

LABELLED = {
    # name: (ours(x, y, reduction), pml loss, brute-force per element, mean of the elements)
    "nt_xent": (
        lambda x, y, r, tau=0.2: lossbook.nt_xent_loss(x, y, tau, reduction=r),
        lambda tau=0.2: pml_losses.NTXentLoss(tau),
        lambda x, y, tau=0.2: nt_xent_pairs(x, y, tau),
        "pairs",
    ),
    "supcon": (
        lambda x, y, r, tau=0.2: lossbook.supcon_loss(x, y, tau, reduction=r),
        lambda tau=0.2: pml_losses.SupConLoss(tau),
        lambda x, y, tau=0.2: supcon_anchors(x, y, tau),
        "nonzero",
    ),
    "multi_similarity": (
        lambda x, y, r: lossbook.multi_similarity_loss(x, y, reduction=r),
        lambda: pml_losses.MultiSimilarityLoss(),
        lambda x, y: ms_anchors(x, y, 2.0, 50.0, 0.5),
        "all",
    ),
    "circle": (
        lambda x, y, r: lossbook.circle_loss(x, y, reduction=r),
        lambda: pml_losses.CircleLoss(),
        lambda x, y: circle_anchors(x, y, 0.4, 80.0),
        "nonzero",
    ),
}


@pytest.mark.parametrize("name", list(LABELLED))
@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_labelled_losses_match_pytorch_metric_learning(name, pattern, n, dtype, device):
    ours, theirs, _, _ = LABELLED[name]
    x = randn(n, 6, seed=n, dtype=dtype, device=device).requires_grad_()
    y = labels(pattern, n, seed=n, device=device)
    value = ours(x, y, "mean")
    reference = theirs()(x, y)
    assert value.dtype == dtype and value.shape == ()
    tol = tolerances(dtype) if name != "circle" else dict(rtol=2e-5, atol=1e-5)  # circle: gamma 80 scales
    torch.testing.assert_close(value, reference, **tol)
    torch.testing.assert_close(grad_of(value, x), grad_of(reference, x), **tol)


@pytest.mark.parametrize("name", list(LABELLED))
@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_labelled_losses_match_the_formula_in_every_reduction(name, pattern, reduction):
    ours, _, brute, mean_kind = LABELLED[name]
    x = randn(9, 5, seed=2).requires_grad_()
    y = labels(pattern, 9, seed=3)
    elements = brute(x, y)
    if reduction == "none":
        ref = elements
    elif reduction == "sum":
        ref = elements.sum() if elements.numel() else (x * 0).sum()
    elif mean_kind == "nonzero":
        ref = mean_nonzero(elements, x)
    elif mean_kind == "pairs" and bool((y == y[0]).all()):
        ref = elements.sum()  # pml's zero for one class
    else:
        ref = elements.mean() if elements.numel() else (x * 0).sum()
    value = ours(x, y, reduction)
    assert value.shape == ref.shape
    torch.testing.assert_close(value, ref, rtol=1e-9, atol=1e-10)
    if value.numel():
        up = torch.rand(value.shape, dtype=torch.float64)
        torch.testing.assert_close(
            grad_of((value * up).sum(), x), grad_of((ref * up).sum(), x), rtol=1e-8, atol=1e-10
        )


@pytest.mark.parametrize("tau", [0.01, 0.05, 0.5, 2.0])
@pytest.mark.parametrize("name", ["nt_xent", "supcon"])
def test_temperatures_match_pytorch_metric_learning(tau, name):
    ours, theirs, _, _ = LABELLED[name]
    x = randn(12, 4, seed=5).requires_grad_()
    y = labels("random", 12, seed=6)
    value, reference = ours(x, y, "mean", tau), theirs(tau)(x, y)
    torch.testing.assert_close(value, reference, rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(grad_of(value, x), grad_of(reference, x), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "kwargs", [{}, {"alpha": 0.5, "beta": 10.0, "base": 0.2}, {"alpha": 5.0, "beta": 80.0, "base": 0.8}]
)
def test_multi_similarity_options_match_pytorch_metric_learning(kwargs):
    x = randn(10, 4, seed=7).requires_grad_()
    y = labels("random", 10, seed=8)
    value = lossbook.multi_similarity_loss(x, y, **kwargs)
    reference = pml_losses.MultiSimilarityLoss(**kwargs)(x, y)
    torch.testing.assert_close(value, reference, rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(grad_of(value, x), grad_of(reference, x), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("m, gamma", [(0.25, 256.0), (0.25, 8.0), (0.4, 80.0), (0.0, 32.0)])
def test_circle_options_match_pytorch_metric_learning(m, gamma):
    x = randn(10, 4, seed=9).requires_grad_()
    y = labels("random", 10, seed=10)
    value = lossbook.circle_loss(x, y, m=m, gamma=gamma)
    reference = pml_losses.CircleLoss(m=m, gamma=gamma)(x, y)
    # pml's softplus returns x above 20: a relative difference below e^-20
    torch.testing.assert_close(value, reference, rtol=1e-8, atol=1e-9)
    torch.testing.assert_close(grad_of(value, x), grad_of(reference, x), rtol=1e-7, atol=1e-9)


def test_circle_loss_treats_its_pair_weights_as_constants():
    """The gradient of one positive pair's logit is -gamma * alpha_p, alpha_p detached."""
    x = randn(2, 3, seed=11).requires_grad_()
    s = cosines(x)[0, 1]
    loss = lossbook.circle_loss(x, torch.tensor([0, 0]), m=0.25, gamma=8.0)
    assert loss == 0  # no negatives: every anchor's loss is zero
    x3 = randn(3, 3, seed=12).requires_grad_()
    y3 = torch.tensor([0, 0, 1])
    s = cosines(x3)
    value = lossbook.circle_loss(x3, y3, m=0.25, gamma=8.0, reduction="none")[0]
    sp, sn = s[0, 1], s[0, 2]
    ap, an = (1.25 - sp).clamp_min(0).detach(), (sn + 0.25).clamp_min(0).detach()
    ref = F.softplus(8.0 * an * (sn - 0.25) - 8.0 * ap * (sp - 0.75))
    torch.testing.assert_close(value, ref)
    torch.testing.assert_close(grad_of(value, x3), grad_of(ref, x3))


# --- proxy-anchor ----------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["random", "views", "singletons", "one class"])
@pytest.mark.parametrize("n, classes", [(1, 3), (8, 4), (16, 20)])
@pytest.mark.parametrize("kwargs", [{}, {"margin": 0.3, "alpha": 8.0}])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_proxy_anchor_matches_pytorch_metric_learning(pattern, n, classes, kwargs, dtype, device):
    x = randn(n, 5, seed=n, dtype=dtype, device=device).requires_grad_()
    y = labels(pattern, n, seed=n) % classes
    y = y.to(device)
    proxies = randn(classes, 5, seed=99, dtype=dtype, device=device).requires_grad_()
    value = lossbook.proxy_anchor_loss(x, y, proxies, **kwargs)
    reference_loss = pml_losses.ProxyAnchorLoss(classes, 5, **kwargs).to(device)
    reference_loss.proxies.data = proxies.detach().clone()
    reference = reference_loss(x, y)
    assert value.dtype == dtype and value.shape == ()
    torch.testing.assert_close(value, reference, **tolerances(dtype))
    gx, gp = torch.autograd.grad(value, (x, proxies))
    rx, rp = torch.autograd.grad(reference, (x, reference_loss.proxies))
    torch.testing.assert_close(gx, rx, **tolerances(dtype))
    torch.testing.assert_close(gp, rp, **tolerances(dtype))


def test_proxy_anchor_module_initialises_its_proxies_as_pytorch_metric_learning():
    torch.manual_seed(3)
    ours = lossbook.ProxyAnchorLoss(7, 5)
    torch.manual_seed(3)
    theirs = pml_losses.ProxyAnchorLoss(7, 5)
    torch.testing.assert_close(ours.proxies.data, theirs.proxies.data)
    assert isinstance(ours.proxies, torch.nn.Parameter)
    x, y = randn(6, 5, seed=1, dtype=torch.float32), torch.tensor([0, 1, 1, 3, 6, 6])
    torch.testing.assert_close(ours(x, y), theirs(x, y))
    ours.double()
    assert ours(x.double(), y).dtype == torch.float64


# --- alignment and uniformity ----------------------------------------------------------------


def test_alignment_and_uniformity_match_wang_and_isola_code():
    x, y = randn(10, 4, seed=1), randn(10, 4, seed=2)
    xn, yn = F.normalize(x, dim=1), F.normalize(y, dim=1)
    # the paper's reference implementation (Wang and Isola 2020, Figure 5)
    align = (xn - yn).norm(p=2, dim=1).pow(2).mean()
    uniform = torch.pdist(xn, p=2).pow(2).mul(-2).exp().mean().log()
    torch.testing.assert_close(lossbook.alignment_loss(x, y), align)
    torch.testing.assert_close(lossbook.uniformity_loss(x), uniform)
    torch.testing.assert_close(lossbook.alignment_loss(x, y, alpha=1.0), (xn - yn).norm(p=2, dim=1).mean())
    torch.testing.assert_close(
        lossbook.uniformity_loss(x, t=0.5), torch.pdist(xn, p=2).pow(2).mul(-0.5).exp().mean().log()
    )
    both = torch.cat([x, y])
    views = torch.arange(10).repeat(2)
    a, u = lossbook.alignment_uniformity(both, views)
    torch.testing.assert_close(a, align)
    torch.testing.assert_close(u, lossbook.uniformity_loss(both))


def test_alignment_is_finite_with_identical_pairs_and_alpha_below_two():
    x = randn(4, 3, seed=1).requires_grad_()
    value = lossbook.alignment_loss(x, x.detach().clone(), alpha=1.0)
    assert value == 0
    assert torch.isfinite(grad_of(value, x)).all()


def test_uniformity_stays_finite_for_a_large_scale():
    x = randn(6, 3, seed=1)
    assert torch.isfinite(lossbook.uniformity_loss(x, t=1e4))


# --- dtypes, gradcheck, extreme inputs, zeros ------------------------------------------------

ALL = {
    "info_nce": lambda x, y: lossbook.info_nce_loss(x, x.flip(0), 0.1),
    "info_nce symmetric": lambda x, y: lossbook.info_nce_loss(x, x.roll(1, 0), 0.1, symmetric=True),
    "nt_xent": lambda x, y: lossbook.nt_xent_loss(x, y, 0.1),
    "supcon": lambda x, y: lossbook.supcon_loss(x, y, 0.1),
    "multi_similarity": lambda x, y: lossbook.multi_similarity_loss(x, y),
    "circle": lambda x, y: lossbook.circle_loss(x, y),
    "proxy_anchor": lambda x, y: lossbook.proxy_anchor_loss(
        x, y, randn(4, x.shape[1], seed=42, dtype=x.dtype)
    ),
    "alignment": lambda x, y: lossbook.alignment_loss(x, x.roll(1, 0)),
    "uniformity": lambda x, y: lossbook.uniformity_loss(x),
}


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_computed_in_float32(name, dtype):
    x = randn(8, 4, seed=1, scale=2.0).to(dtype)
    y = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    value = ALL[name](x, y)
    assert value.dtype == dtype
    expected = ALL[name](x.float(), y)
    torch.testing.assert_close(value.float(), expected.to(dtype).float())


@pytest.mark.parametrize("name", [n for n in ALL if n != "circle"])
def test_gradcheck(name):
    x = randn(6, 3, seed=2).requires_grad_()
    y = torch.tensor([0, 0, 1, 1, 2, 0])
    assert torch.autograd.gradcheck(lambda t: ALL[name](t, y), (x,))


def test_gradcheck_of_the_learned_temperature():
    q, k = randn(5, 3, seed=1).requires_grad_(), randn(5, 3, seed=2).requires_grad_()
    tau = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b, t: lossbook.info_nce_loss(a, b, t, symmetric=True), (q, k, tau)
    )
    y = torch.tensor([0, 0, 1, 1, 2])
    assert torch.autograd.gradcheck(lambda a, t: lossbook.supcon_loss(a, y, t), (q, tau))
    assert torch.autograd.gradcheck(lambda a, t: lossbook.nt_xent_loss(a, y, t), (q, tau))


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("scale", [0.0, 1e-30, 1e4])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_extreme_norms_stay_finite(name, scale, dtype):
    x = randn(8, 4, seed=3, dtype=dtype)
    x[:3] *= scale  # zero, tiny and huge rows next to ordinary ones
    x.requires_grad_()
    y = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    value = ALL[name](x, y)
    assert torch.isfinite(value).all()
    assert torch.isfinite(grad_of(value, x)).all()


@pytest.mark.parametrize("tau", [0.01, 0.001])
def test_a_low_temperature_stays_finite(tau):
    x = randn(16, 8, seed=4, dtype=torch.float32).requires_grad_()
    y = labels("random", 16, seed=4)
    for value in (
        lossbook.info_nce_loss(x, x.flip(0), tau, symmetric=True),
        lossbook.nt_xent_loss(x, y, tau),
        lossbook.supcon_loss(x, y, tau),
    ):
        assert torch.isfinite(value)
        assert torch.isfinite(grad_of(value, x)).all()


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("nt_xent", "singletons"),
        ("nt_xent", "one class"),
        ("supcon", "singletons"),
        ("supcon", "one class"),
        ("circle", "singletons"),
        ("circle", "one class"),
    ],
)
def test_batches_without_a_usable_pair_give_a_zero_that_backpropagates(name, pattern):
    ours = LABELLED[name][0]
    x = randn(6, 3, seed=5).requires_grad_()
    value = ours(x, labels(pattern, 6), "mean")
    assert value.item() == 0.0 and value.requires_grad
    value.backward()
    assert torch.equal(x.grad, torch.zeros_like(x))
    single = ours(randn(1, 3, seed=6).requires_grad_(), torch.tensor([4]), "sum")
    assert single.item() == 0.0 and single.requires_grad


# --- modules ---------------------------------------------------------------------------------


def test_modules_call_their_functions():
    x, y = randn(8, 4, seed=1), labels("random", 8)
    k = randn(8, 4, seed=2)
    pairs = [
        (
            lossbook.InfoNCELoss(0.2, symmetric=True),
            lossbook.info_nce_loss(x, k, 0.2, symmetric=True),
            (x, k),
        ),
        (lossbook.InfoNCELoss(reduction="none"), lossbook.info_nce_loss(x, k, reduction="none"), (x, k)),
        (
            lossbook.NTXentLoss(0.3, reduction="sum"),
            lossbook.nt_xent_loss(x, y, 0.3, reduction="sum"),
            (x, y),
        ),
        (lossbook.SupConLoss(0.3), lossbook.supcon_loss(x, y, 0.3), (x, y)),
        (
            lossbook.MultiSimilarityLoss(1.0, 20.0, 0.4),
            lossbook.multi_similarity_loss(x, y, 1.0, 20.0, 0.4),
            (x, y),
        ),
        (lossbook.CircleLoss(0.25, 64.0), lossbook.circle_loss(x, y, 0.25, 64.0), (x, y)),
    ]
    for module, expected, args in pairs:
        torch.testing.assert_close(module(*args), expected)
    assert lossbook.NTXentLoss().temperature == 0.07 and lossbook.SupConLoss().temperature == 0.1


def test_a_learned_temperature_in_a_module_receives_its_gradient():
    tau = torch.nn.Parameter(torch.tensor(0.5))
    loss = lossbook.InfoNCELoss(tau)(
        randn(4, 3, dtype=torch.float32), randn(4, 3, seed=1, dtype=torch.float32)
    )
    loss.backward()
    assert tau.grad is not None and tau.grad != 0


def test_functions_run_on_the_device(device):
    x = randn(8, 4, seed=1, device=device).requires_grad_()
    y = labels("random", 8, device=device)
    p = randn(5, 4, seed=2, device=device)
    for value in (
        lossbook.info_nce_loss(x, x.flip(0), symmetric=True),
        lossbook.nt_xent_loss(x, y),
        lossbook.supcon_loss(x, y),
        lossbook.multi_similarity_loss(x, y),
        lossbook.circle_loss(x, y),
        lossbook.proxy_anchor_loss(x, y % 5, p),
        lossbook.alignment_loss(x, x.flip(0)),
        lossbook.uniformity_loss(x),
        lossbook.alignment_uniformity(x, y)[0],
    ):
        assert value.device.type == device.type and torch.isfinite(value)
        assert torch.isfinite(grad_of(value, x)).all()
    module = lossbook.ProxyAnchorLoss(5, 4).double().to(device)
    assert module(x, y % 5).device.type == device.type


# --- bad input -------------------------------------------------------------------------------

X, Y, K = randn(4, 3), torch.tensor([0, 0, 1, 1]), randn(4, 3, seed=1)

BAD_VALUES = [
    ("temperature", lambda: lossbook.info_nce_loss(X, K, 0.0)),
    ("temperature", lambda: lossbook.info_nce_loss(X, K, torch.tensor(-1.0))),
    ("temperature", lambda: lossbook.info_nce_loss(X, K, torch.tensor([0.1, 0.2]))),
    ("temperature", lambda: lossbook.nt_xent_loss(X, Y, -0.5)),
    ("temperature", lambda: lossbook.supcon_loss(X, Y, float("inf"))),
    ("temperature", lambda: lossbook.NTXentLoss(0.0)),
    ("query and key", lambda: lossbook.info_nce_loss(X, K[:3])),
    ("query and key", lambda: lossbook.info_nce_loss(X, randn(4, 2))),
    ("query and key", lambda: lossbook.info_nce_loss(X[:0], K[:0])),
    ("query", lambda: lossbook.info_nce_loss(X[0], K[0])),
    ("labels", lambda: lossbook.nt_xent_loss(X, Y[:3])),
    ("labels", lambda: lossbook.supcon_loss(X, Y.view(2, 2))),
    ("embeddings", lambda: lossbook.circle_loss(X.view(-1), Y)),
    ("embeddings", lambda: lossbook.multi_similarity_loss(X[:0], Y[:0])),
    ("labels", lambda: lossbook.proxy_anchor_loss(X, torch.tensor([0, 1, 2, 3]), randn(3, 3))),
    ("labels", lambda: lossbook.proxy_anchor_loss(X, torch.tensor([0, -1, 2, 0]), randn(3, 3))),
    ("proxies", lambda: lossbook.proxy_anchor_loss(X, Y, randn(3, 2))),
    ("proxies", lambda: lossbook.proxy_anchor_loss(X, Y, randn(0, 3))),
    ("alpha", lambda: lossbook.multi_similarity_loss(X, Y, alpha=0.0)),
    ("beta", lambda: lossbook.multi_similarity_loss(X, Y, beta=-1.0)),
    ("gamma", lambda: lossbook.circle_loss(X, Y, gamma=0.0)),
    ("m", lambda: lossbook.circle_loss(X, Y, m=-0.1)),
    ("alpha", lambda: lossbook.proxy_anchor_loss(X, Y, randn(2, 3), alpha=0.0)),
    ("num_classes", lambda: lossbook.ProxyAnchorLoss(0, 3)),
    ("reduction", lambda: lossbook.info_nce_loss(X, K, reduction="batchmean")),
    ("reduction", lambda: lossbook.supcon_loss(X, Y, reduction="avg")),
    ("reduction", lambda: lossbook.circle_loss(X, Y, reduction="max")),
    ("x and y", lambda: lossbook.alignment_loss(X, K[:2])),
    ("x", lambda: lossbook.uniformity_loss(X[:1])),
    ("labels", lambda: lossbook.alignment_uniformity(X, torch.arange(4))),
    ("t", lambda: lossbook.uniformity_loss(X, t=0.0)),
]

BAD_TYPES = [
    ("query", lambda: lossbook.info_nce_loss(X.tolist(), K)),
    ("key", lambda: lossbook.info_nce_loss(X, K.long())),
    ("temperature", lambda: lossbook.info_nce_loss(X, K, "0.1")),
    ("temperature", lambda: lossbook.supcon_loss(X, Y, torch.tensor(1))),
    ("symmetric", lambda: lossbook.info_nce_loss(X, K, symmetric="yes")),
    ("gather", lambda: lossbook.nt_xent_loss(X, Y, gather=1)),
    ("labels", lambda: lossbook.nt_xent_loss(X, Y.float())),
    ("labels", lambda: lossbook.supcon_loss(X, Y.bool())),
    ("embeddings", lambda: lossbook.multi_similarity_loss(X.int(), Y)),
    ("embeddings", lambda: lossbook.circle_loss(None, Y)),
    ("proxies", lambda: lossbook.proxy_anchor_loss(X, Y, randn(2, 3).long())),
    ("reduction", lambda: lossbook.nt_xent_loss(X, Y, reduction=None)),
    ("alpha", lambda: lossbook.multi_similarity_loss(X, Y, alpha="2")),
]


@pytest.mark.parametrize("needle, call", BAD_VALUES)
def test_bad_values_raise_a_value_error_naming_the_argument(needle, call):
    with pytest.raises(ValueError) as info:
        call()
    assert needle in str(info.value)


@pytest.mark.parametrize("needle, call", BAD_TYPES)
def test_bad_types_raise_a_type_error_naming_the_argument(needle, call):
    with pytest.raises(TypeError) as info:
        call()
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: lossbook.info_nce_loss(X, K, gather=True),
        lambda: lossbook.nt_xent_loss(X, Y, gather=True),
        lambda: lossbook.supcon_loss(X, Y, gather=True),
        lambda: lossbook.SupConLoss(gather=True)(X, Y),
        lambda: lossbook.all_gather_with_grad(X),
    ],
)
def test_gather_without_a_process_group_is_a_clear_error(call):
    assert not torch.distributed.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        call()


@pytest.mark.parametrize("name", ["info_nce", "info_nce symmetric", "nt_xent", "supcon"])
def test_second_derivatives_are_refused_not_silently_wrong(name):
    x = randn(6, 3, seed=2).requires_grad_()
    y = torch.tensor([0, 0, 1, 1, 2, 0])
    with pytest.raises(RuntimeError, match="first-order"):
        torch.autograd.grad(ALL[name](x, y), x, create_graph=True)
