"""lossbook.metric_learning against torch, brute-force loops, the papers' formulas and
pytorch-metric-learning; every bad input, by type, value and device."""

import importlib
import inspect
import itertools
import json
import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook import metric_learning as M

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [torch.float32, torch.float64]


def tolerances(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)


def randn(*shape, generator, dtype=torch.float64, device="cpu", scale=1.0):
    return (torch.randn(*shape, generator=generator, dtype=torch.float64) * scale).to(dtype).to(device)


def labels_for(n, classes, generator, device="cpu"):
    # every class at least twice, then random; shuffled
    base = torch.arange(classes).repeat(2)
    rest = torch.randint(0, classes, (n - len(base),), generator=generator)
    y = torch.cat([base, rest])[torch.randperm(n, generator=generator)]
    return y.to(device)


def reduce_ref(values, reduction):
    t = torch.stack(values) if values else torch.zeros(0, dtype=torch.float64)
    return {"mean": t.mean(), "sum": t.sum(), "none": t}[reduction]


def all_finite_grad(loss, *tensors):
    grads = torch.autograd.grad(loss, tensors, allow_unused=True)
    return all(g is None or torch.isfinite(g).all() for g in grads)


# --- distances -------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", M.DISTANCE_METRICS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_pairwise_distances_match_a_loop(metric, dtype, device, generator):
    x = randn(6, 4, generator=generator, dtype=dtype, device=device)
    y = randn(5, 4, generator=generator, dtype=dtype, device=device)
    d = lossbook.pairwise_distances(x, y, metric=metric)
    assert d.shape == (6, 5) and d.dtype == dtype
    for i, j in itertools.product(range(6), range(5)):
        a, b = x[i].double(), y[j].double()
        expected = {
            "euclidean": (a - b).norm(),
            "squared_euclidean": (a - b).square().sum(),
            "cosine": 1 - a.dot(b) / (a.norm() * b.norm()),
        }[metric]
        torch.testing.assert_close(d[i, j].double(), expected, **tolerances(dtype))
    paired = lossbook.paired_distances(x[:5], y, metric=metric)
    torch.testing.assert_close(paired, d[:5].diagonal(), **tolerances(dtype))


def test_pairwise_distances_default_to_x_with_an_exact_zero_diagonal(generator):
    x = randn(7, 3, generator=generator, dtype=torch.float32, scale=100.0)
    d = lossbook.pairwise_distances(x)
    assert torch.equal(d.diagonal(), torch.zeros(7))
    torch.testing.assert_close(d, d.T)


@pytest.mark.parametrize("metric", M.DISTANCE_METRICS)
def test_duplicate_embeddings_give_finite_gradients(metric, device):
    x = torch.tensor(
        [[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]], dtype=torch.float64, device=device, requires_grad=True
    )
    d = lossbook.pairwise_distances(x, metric=metric)
    assert all_finite_grad(d.sum(), x)
    d2 = lossbook.paired_distances(x[:2], x[[1, 0]], metric=metric)
    assert all_finite_grad(d2.sum(), x)


def test_torch_norm_would_give_nan_where_lossbook_does_not():
    x = torch.tensor([[1.0, 2.0], [1.0, 2.0]], requires_grad=True)
    naive = (x.unsqueeze(1) - x.unsqueeze(0)).square().sum(-1).sqrt().sum()
    (g,) = torch.autograd.grad(naive, x)
    assert torch.isnan(g).any()
    (g,) = torch.autograd.grad(lossbook.pairwise_distances(x).sum(), x)
    assert torch.equal(g, torch.zeros_like(g))


@pytest.mark.parametrize("metric", M.DISTANCE_METRICS)
def test_distances_gradcheck(metric, generator):
    x = randn(4, 3, generator=generator).requires_grad_()
    y = randn(5, 3, generator=generator).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: lossbook.pairwise_distances(a, b, metric=metric), (x, y))
    assert torch.autograd.gradcheck(lambda a, b: lossbook.paired_distances(a, b[:4], metric=metric), (x, y))


def test_cosine_similarity_matrix_matches_torch(generator):
    x, w = randn(6, 4, generator=generator), randn(3, 4, generator=generator)
    expected = F.cosine_similarity(x.unsqueeze(1), w.unsqueeze(0), dim=-1)
    torch.testing.assert_close(lossbook.cosine_similarity_matrix(x, w), expected)


def test_recall_and_nearest_neighbor_accuracy_match_loops(generator):
    e = randn(30, 2, generator=generator)
    y = torch.randint(0, 3, (30,), generator=generator)
    d = torch.cdist(e, e)
    for k in (1, 3):
        hits = 0
        for i in range(30):
            order = [j for j in d[i].argsort().tolist() if j != i][:k]
            hits += any(y[j] == y[i] for j in order)
        assert lossbook.recall_at_k(e, y, k=k) == pytest.approx(hits / 30)
    q, qy = randn(10, 2, generator=generator), torch.randint(0, 3, (10,), generator=generator)
    correct = sum(int(y[torch.cdist(q[i : i + 1], e).argmin()] == qy[i]) for i in range(10))
    assert lossbook.nearest_neighbor_accuracy(q, qy, e, y) == pytest.approx(correct / 10)


# --- contrastive -----------------------------------------------------------------------------


def contrastive_reference(x1, x2, target, margin):
    out = []
    for a, b, t in zip(x1.double(), x2.double(), target.double(), strict=True):
        d = (a - b).norm()
        out.append(0.5 * t * d**2 + 0.5 * (1 - t) * torch.clamp(margin - d, min=0) ** 2)
    return out


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("margin", [0.5, 1.0, 3.0])
def test_contrastive_matches_the_2006_formula(reduction, dtype, margin, device, generator):
    x1 = randn(12, 5, generator=generator, dtype=dtype, device=device, scale=0.5)
    x2 = randn(12, 5, generator=generator, dtype=dtype, device=device, scale=0.5)
    target = torch.randint(0, 2, (12,), generator=generator).to(device)
    got = lossbook.contrastive_loss(x1, x2, target, margin=margin, reduction=reduction)
    expected = reduce_ref(contrastive_reference(x1.cpu(), x2.cpu(), target.cpu(), margin), reduction)
    assert got.dtype == dtype and got.device == x1.device
    torch.testing.assert_close(got.cpu().double(), expected, **tolerances(dtype))
    module = lossbook.ContrastiveLoss(margin=margin, reduction=reduction)
    torch.testing.assert_close(module(x1, x2, target), got)


def test_contrastive_accepts_bool_int_and_float_targets(generator):
    x1, x2 = randn(6, 3, generator=generator), randn(6, 3, generator=generator)
    t = torch.tensor([1, 0, 1, 1, 0, 0])
    a = lossbook.contrastive_loss(x1, x2, t)
    torch.testing.assert_close(lossbook.contrastive_loss(x1, x2, t.bool()), a)
    torch.testing.assert_close(lossbook.contrastive_loss(x1, x2, t.double()), a)


def test_contrastive_gradcheck_and_duplicates(generator):
    x1 = randn(6, 3, generator=generator).requires_grad_()
    x2 = randn(6, 3, generator=generator).requires_grad_()
    t = torch.tensor([1, 0, 1, 0, 1, 0])
    for reduction in REDUCTIONS:
        assert torch.autograd.gradcheck(
            lambda a, b, reduction=reduction: lossbook.contrastive_loss(a, b, t, 2.0, reduction), (x1, x2)
        )
    same = x1.detach().clone().requires_grad_()
    loss = lossbook.contrastive_loss(same, same.detach().clone(), torch.tensor([1, 0, 1, 0, 1, 0]))
    assert torch.isfinite(loss) and all_finite_grad(loss, same)


def test_all_pairs_lists_every_pair_once():
    y = torch.tensor([0, 1, 0, 2, 1])
    first, second, target = lossbook.all_pairs(y)
    pairs = [(i, j, float(y[i] == y[j])) for i in range(5) for j in range(i + 1, 5)]
    assert list(zip(first.tolist(), second.tolist(), target.tolist(), strict=True)) == pairs


# --- triplet -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "margin, p, eps, swap",
    [(1.0, 2.0, 1e-6, False), (0.3, 1.0, 1e-6, True), (2.0, 3.0, 0.0, False), (0.05, 2.0, 1e-3, True)],
)
def test_triplet_agrees_with_torch(reduction, dtype, margin, p, eps, swap, device, generator):
    a, pos, neg = (randn(9, 4, generator=generator, dtype=dtype, device=device) for _ in range(3))
    ours_in = [t.clone().requires_grad_() for t in (a, pos, neg)]
    torch_in = [t.clone().requires_grad_() for t in (a, pos, neg)]
    ours = lossbook.triplet_margin_loss(*ours_in, margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)
    theirs = F.triplet_margin_loss(*torch_in, margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)
    assert ours.dtype == theirs.dtype == dtype and ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, **tolerances(dtype))
    upstream = torch.rand(ours.shape, generator=generator, dtype=torch.float64).to(dtype).to(device)
    for g_ours, g_theirs in zip(
        torch.autograd.grad((ours * upstream).sum(), ours_in),
        torch.autograd.grad((theirs * upstream).sum(), torch_in),
        strict=True,
    ):
        torch.testing.assert_close(g_ours, g_theirs, **tolerances(dtype))
    module = lossbook.TripletMarginLoss(margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)
    torch.testing.assert_close(module(a, pos, neg), theirs.detach(), **tolerances(dtype))


class SourceTripletLoss(torch.nn.Module):
    """Source 000's module, verbatim apart from the class name."""

    def __init__(self, margin):
        super().__init__()
        self.margin = margin

    def forward(self, anchor, positive, negative, size_average=True):
        distance_positive = (anchor - positive).pow(2).sum(1)
        distance_negative = (anchor - negative).pow(2).sum(1)
        losses = F.relu(distance_positive - distance_negative + self.margin)
        return losses.mean() if size_average else losses.sum()


@pytest.mark.parametrize("dtype", DTYPES)
def test_squared_triplet_is_source_000s_module(dtype, generator):
    a, p, n = (randn(16, 128, generator=generator, dtype=dtype, scale=0.1) for _ in range(3))
    source = SourceTripletLoss(margin=1.0)
    torch.testing.assert_close(
        lossbook.triplet_margin_loss(a, p, n, squared=True), source(a, p, n), **tolerances(dtype)
    )
    torch.testing.assert_close(
        lossbook.triplet_margin_loss(a, p, n, squared=True, reduction="sum"),
        source(a, p, n, size_average=False),
        **tolerances(dtype),
    )


def test_triplet_gradcheck_squared_and_plain(generator):
    a, p, n = (randn(5, 3, generator=generator).requires_grad_() for _ in range(3))
    for squared, swap in itertools.product((False, True), (False, True)):
        for reduction in REDUCTIONS:

            def f(x, y, z, swap=swap, squared=squared, reduction=reduction):
                return lossbook.triplet_margin_loss(
                    x, y, z, margin=3.0, swap=swap, squared=squared, reduction=reduction
                )

            assert torch.autograd.gradcheck(f, (a, p, n))


def test_triplet_with_identical_embeddings_has_finite_gradients():
    a = torch.ones(3, 4, requires_grad=True)
    loss = lossbook.triplet_margin_loss(a, a, a, eps=0.0)
    assert loss.item() == pytest.approx(1.0) and all_finite_grad(loss, a)


# --- mining ------------------------------------------------------------------------------------


def brute_force_triplets(e, y, strategy, margin, squared):
    e = e.double()
    out = []
    n = len(y)
    for a, p, q in itertools.product(range(n), repeat=3):
        if a == p or y[a] != y[p] or y[q] == y[a]:
            continue
        dap = ((e[a] - e[p]) ** 2).sum()
        dan = ((e[a] - e[q]) ** 2).sum()
        if not squared:
            dap, dan = dap.sqrt(), dan.sqrt()
        keep = {"all": True, "hard": dan < dap, "semihard": dap < dan < dap + margin}[strategy]
        if keep:
            out.append((a, p, q))
    return out


@pytest.mark.parametrize("strategy", M.MINING_STRATEGIES)
@pytest.mark.parametrize("squared", [False, True])
def test_mine_triplets_matches_a_brute_force_loop(strategy, squared, device, generator):
    e = randn(14, 3, generator=generator, device=device)
    y = labels_for(14, 4, generator, device)
    a, p, n = lossbook.mine_triplets(e, y, strategy=strategy, margin=0.8, squared=squared)
    assert a.dtype == torch.int64 and a.device == e.device
    got = list(zip(a.tolist(), p.tolist(), n.tolist(), strict=True))
    expected = brute_force_triplets(e.cpu(), y.cpu().tolist(), strategy, 0.8, squared)
    assert got == expected
    assert strategy == "all" or 0 < len(got) < len(
        brute_force_triplets(e.cpu(), y.cpu().tolist(), "all", 0.8, squared)
    )


def test_semihard_triplets_have_positive_loss_below_the_margin(generator):
    e = randn(20, 2, generator=generator)
    y = labels_for(20, 3, generator)
    a, p, n = lossbook.mine_triplets(e, y, "semihard", margin=0.5)
    loss = lossbook.triplet_margin_loss(e[a], e[p], e[n], margin=0.5, eps=0.0, reduction="none")
    assert len(a) > 0 and (loss > 0).all() and (loss < 0.5).all()


# --- batch hard --------------------------------------------------------------------------------


def batch_hard_reference(e, y, margin, soft, squared):
    e = e.double()
    out = []
    for a in range(len(y)):

        def dist(b, a=a):
            return ((e[a] - e[b]) ** 2).sum() if squared else (e[a] - e[b]).norm()

        pos = [dist(b) for b in range(len(y)) if b != a and y[b] == y[a]]
        neg = [dist(b) for b in range(len(y)) if y[b] != y[a]]
        if not pos or not neg:
            continue
        gap = max(pos) - min(neg)
        out.append(F.softplus(gap) if soft else torch.clamp(gap + margin, min=0))
    return out


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_hard_matches_a_brute_force_loop(reduction, soft, squared, dtype, device, generator):
    e = randn(16, 3, generator=generator, dtype=dtype, device=device)
    y = torch.tensor(
        [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 4, 4, 1, 0, 3, 5], device=device
    )  # class 5 is a singleton
    got = lossbook.batch_hard_triplet_loss(e, y, margin=0.7, soft=soft, squared=squared, reduction=reduction)
    expected = reduce_ref(batch_hard_reference(e.cpu(), y.cpu().tolist(), 0.7, soft, squared), reduction)
    assert got.dtype == dtype
    if reduction == "none":
        assert got.shape == (15,)  # the singleton anchor is skipped
    torch.testing.assert_close(got.cpu().double(), expected, **tolerances(dtype))
    module = lossbook.BatchHardTripletLoss(margin=0.7, soft=soft, squared=squared, reduction=reduction)
    torch.testing.assert_close(module(e, y), got)


def test_batch_hard_gradcheck(generator):
    e = randn(10, 3, generator=generator).requires_grad_()
    y = torch.tensor([0, 0, 1, 1, 1, 2, 2, 0, 3, 3])
    for soft, squared in itertools.product((False, True), (False, True)):
        assert torch.autograd.gradcheck(
            lambda x, soft=soft, squared=squared: lossbook.batch_hard_triplet_loss(x, y, 2.0, soft, squared),
            (e,),
        )


def test_batch_hard_with_no_valid_anchor_is_a_connected_zero():
    e = torch.randn(4, 2, requires_grad=True)
    loss = lossbook.batch_hard_triplet_loss(e, torch.zeros(4, dtype=torch.long))  # no negatives
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert torch.equal(e.grad, torch.zeros(4, 2))
    assert lossbook.batch_hard_triplet_loss(e, torch.arange(4), reduction="none").shape == (
        0,
    )  # no positives


def test_batch_hard_with_duplicates_has_finite_gradients():
    e = torch.tensor([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [2.0, 0.0]], requires_grad=True)
    loss = lossbook.batch_hard_triplet_loss(e, torch.tensor([0, 0, 1, 1]))
    assert torch.isfinite(loss) and all_finite_grad(loss, e)


# --- center loss -------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_center_loss_matches_the_formula(reduction, dtype, device, generator):
    x = randn(10, 3, generator=generator, dtype=dtype, device=device)
    c = randn(4, 3, generator=generator, dtype=dtype, device=device)
    y = labels_for(10, 4, generator, device)
    expected = reduce_ref([0.5 * ((x[i] - c[y[i]]) ** 2).sum().cpu().double() for i in range(10)], reduction)
    got = lossbook.center_loss(x, y, c, reduction=reduction)
    assert got.dtype == dtype
    torch.testing.assert_close(got.cpu().double(), expected, **tolerances(dtype))


def test_center_loss_gradcheck(generator):
    x, c = (
        randn(6, 2, generator=generator).requires_grad_(),
        randn(3, 2, generator=generator).requires_grad_(),
    )
    y = torch.tensor([0, 1, 2, 0, 1, 1])
    for reduction in REDUCTIONS:
        assert torch.autograd.gradcheck(
            lambda a, b, reduction=reduction: lossbook.center_loss(a, y, b, reduction), (x, c)
        )


def test_center_loss_module_with_gradient_centers():
    torch.manual_seed(0)
    module = lossbook.CenterLoss(5, 3)
    assert [name for name, _ in module.named_parameters()] == ["centers"] and module.centers.shape == (5, 3)
    x, y = torch.randn(8, 3), torch.randint(0, 5, (8,))
    torch.testing.assert_close(module(x, y), lossbook.center_loss(x, y, module.centers))


def test_center_loss_module_with_the_papers_update(generator):
    torch.manual_seed(0)
    module = lossbook.CenterLoss(4, 2, alpha=0.5)
    assert list(module.parameters()) == [] and "centers" in dict(module.named_buffers())
    x, y = randn(9, 2, generator=generator, dtype=torch.float32), torch.tensor([0, 0, 1, 1, 1, 3, 0, 1, 3])
    before = module.centers.clone()
    loss = module(x, y)
    torch.testing.assert_close(loss, lossbook.center_loss(x, y, before))  # loss uses the old centers
    expected = before.clone()
    for j in range(4):
        members = [i for i in range(9) if y[i] == j]
        delta = sum((before[j] - x[i] for i in members), torch.zeros(2)) / (1 + len(members))
        expected[j] = before[j] - 0.5 * delta
    torch.testing.assert_close(module.centers, expected)
    assert torch.equal(module.centers[2], before[2])  # a class absent from the batch does not move
    module.eval()
    after = module.centers.clone()
    module(x, y)
    assert torch.equal(module.centers, after)


# --- margin softmax ----------------------------------------------------------------------------


def psi_reference(theta, m):
    k = min(int(m * theta / math.pi), m - 1)
    return (-1) ** k * math.cos(m * theta) - 2 * k


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_angular_psi_matches_the_definition_and_decreases(m):
    theta = torch.linspace(0, math.pi, 721, dtype=torch.float64)
    got = lossbook.angular_psi(torch.cos(theta), m)
    expected = torch.tensor([psi_reference(t, m) for t in theta.tolist()], dtype=torch.float64)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-9)
    assert (got.diff() < 1e-9).all()  # monotonically decreasing in theta
    assert got[0] == 1.0 and got[-1] == pytest.approx(1 - 2 * m)


def test_angular_psi_has_finite_gradient_at_plus_minus_one():
    c = torch.tensor([1.0, -1.0, 0.999999, -0.999999], dtype=torch.float64, requires_grad=True)
    assert all_finite_grad(lossbook.angular_psi(c, 4).sum(), c)
    naive = torch.cos(4 * torch.acos(c)).sum()
    assert not all_finite_grad(naive, c)  # what acos alone would do


def head_case(generator, n=8, d=3, c=4, dtype=torch.float64):
    x = randn(n, d, generator=generator, dtype=dtype)
    w = randn(c, d, generator=generator, dtype=dtype)
    y = labels_for(n, c, generator)
    return x, w, y


@pytest.mark.parametrize("lam", [0.0, 0.5, 100.0])
@pytest.mark.parametrize("m", [1, 2, 4])
def test_lsoftmax_and_sphereface_logits_match_the_formulas(lam, m, generator):
    x, w, y = head_case(generator)
    ls = lossbook.lsoftmax_logits(x, w, y, margin=m, lam=lam)
    sf = lossbook.sphereface_logits(x, w, y, margin=m, lam=lam)
    for i, j in itertools.product(range(8), range(4)):
        cos = (x[i] @ w[j] / (x[i].norm() * w[j].norm())).item()
        target = cos if j != y[i] else (lam * cos + psi_reference(math.acos(cos), m)) / (1 + lam)
        assert ls[i, j].item() == pytest.approx(
            x[i].norm().item() * w[j].norm().item() * target, rel=1e-9, abs=1e-12
        )
        assert sf[i, j].item() == pytest.approx(x[i].norm().item() * target, rel=1e-9, abs=1e-12)
    if m == 1:  # no margin: plain (bias-free) logits
        torch.testing.assert_close(ls, x @ w.T)


@pytest.mark.parametrize("easy_margin", [False, True])
def test_cosface_and_arcface_logits_match_the_formulas(easy_margin, generator):
    cosine = torch.rand(50, 3, generator=generator, dtype=torch.float64) * 2 - 1
    y = torch.randint(0, 3, (50,), generator=generator)
    cf = lossbook.cosface_logits(cosine, y, scale=10.0, margin=0.3)
    af = lossbook.arcface_logits(cosine, y, scale=10.0, margin=0.5, easy_margin=easy_margin)
    for i, j in itertools.product(range(50), range(3)):
        c = cosine[i, j].item()
        assert cf[i, j].item() == pytest.approx(10 * (c - 0.3 * (j == y[i])))
        if j != y[i]:
            expected = c
        elif easy_margin:
            expected = math.cos(math.acos(c) + 0.5) if c > 0 else c
        else:
            expected = (
                math.cos(math.acos(c) + 0.5) if math.acos(c) <= math.pi - 0.5 else c - 0.5 * math.sin(0.5)
            )
        assert af[i, j].item() == pytest.approx(10 * expected, abs=1e-9)


def test_margin_logits_have_no_nan_at_cos_plus_minus_one():
    cosine = torch.tensor([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 0, 1])
    for f in (
        lambda c: lossbook.arcface_logits(c, y),
        lambda c: lossbook.arcface_logits(c, y, easy_margin=True),
        lambda c: lossbook.cosface_logits(c, y),
    ):
        out = f(cosine)
        assert torch.isfinite(out).all() and all_finite_grad(F.cross_entropy(out, y), cosine)
    # embeddings exactly along (and against) their class weight: cos = +-1 inside the heads
    w = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([[2.0, 0.0], [-3.0, 0.0], [0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    for f in (lossbook.lsoftmax_logits, lossbook.sphereface_logits):
        out = f(x, w, y, margin=4)
        assert torch.isfinite(out).all() and all_finite_grad(F.cross_entropy(out, y), x, w)
    for module in (
        lossbook.CosFaceLoss(2, 2),
        lossbook.ArcFaceLoss(2, 2),
        lossbook.SphereFaceLoss(2, 2, anneal=False),
    ):
        with torch.no_grad():
            module.weight.copy_(w.detach().float())
        xf = x.detach().float().requires_grad_()
        loss = module(xf, y)
        assert torch.isfinite(loss) and all_finite_grad(loss, xf, module.weight)


def test_margin_logits_gradcheck(generator):
    x, w, y = head_case(generator)
    x.requires_grad_()
    w.requires_grad_()
    for m, lam in ((2, 0.0), (4, 0.0), (4, 3.0)):
        for logits in (lossbook.lsoftmax_logits, lossbook.sphereface_logits):
            assert torch.autograd.gradcheck(lambda a, b, f=logits, m=m, lam=lam: f(a, b, y, m, lam), (x, w))
    cosine = (torch.rand(8, 4, generator=generator, dtype=torch.float64) * 1.8 - 0.9).requires_grad_()
    assert torch.autograd.gradcheck(lambda c: lossbook.cosface_logits(c, y), (cosine,))
    for easy in (False, True):
        assert torch.autograd.gradcheck(
            lambda c, easy=easy: lossbook.arcface_logits(c, y, 4.0, 0.5, easy), (cosine,)
        )
    for module in (
        lossbook.LSoftmaxLoss(3, 4, anneal=False),
        lossbook.SphereFaceLoss(3, 4),
        lossbook.CosFaceLoss(3, 4),
        lossbook.ArcFaceLoss(3, 4),
    ):
        module.double().eval()
        assert torch.autograd.gradcheck(lambda a, module=module: module(a, y), (x,))


# --- against pytorch-metric-learning ------------------------------------------------------------

PML_CASES = [
    # (lossbook module, pml class name, pml kwargs)
    (
        lambda: lossbook.LSoftmaxLoss(5, 4, margin=4, anneal=False),
        "LargeMarginSoftmaxLoss",
        {"margin": 4, "scale": 1},
    ),
    (
        lambda: lossbook.LSoftmaxLoss(5, 4, margin=2, anneal=False),
        "LargeMarginSoftmaxLoss",
        {"margin": 2, "scale": 1},
    ),
    (
        lambda: lossbook.SphereFaceLoss(5, 4, margin=4, anneal=False),
        "SphereFaceLoss",
        {"margin": 4, "scale": 1},
    ),
    (
        lambda: lossbook.SphereFaceLoss(5, 4, margin=3, anneal=False),
        "SphereFaceLoss",
        {"margin": 3, "scale": 1},
    ),
    (
        lambda: lossbook.CosFaceLoss(5, 4, scale=30.0, margin=0.35),
        "CosFaceLoss",
        {"margin": 0.35, "scale": 30},
    ),
    (
        lambda: lossbook.ArcFaceLoss(5, 4, scale=64.0, margin=0.5),
        "ArcFaceLoss",
        {"margin": math.degrees(0.5), "scale": 64},
    ),
    (
        lambda: lossbook.ArcFaceLoss(5, 4, scale=8.0, margin=1.2),
        "ArcFaceLoss",
        {"margin": math.degrees(1.2), "scale": 8},
    ),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pml's own numpy 2 deprecation, not lossbook's
@pytest.mark.parametrize("make, pml_name, pml_kwargs", PML_CASES, ids=[f"{c[1]}-{c[2]}" for c in PML_CASES])
@pytest.mark.parametrize("dtype", DTYPES)
def test_margin_losses_agree_with_pytorch_metric_learning(make, pml_name, pml_kwargs, dtype, generator):
    pml_losses = pytest.importorskip("pytorch_metric_learning.losses")
    ours = make().to(dtype)
    theirs = getattr(pml_losses, pml_name)(num_classes=4, embedding_size=5, **pml_kwargs).to(dtype)
    with torch.no_grad():
        theirs.W.copy_(ours.weight.T)  # pml stores (embedding_size, num_classes)
    x = randn(32, 5, generator=generator, dtype=dtype)
    y = labels_for(32, 4, generator)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    a, b = ours(x1, y), theirs(x2, y)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(a, b, **tol)
    a.backward()
    b.backward()
    torch.testing.assert_close(x1.grad, x2.grad, **tol)
    torch.testing.assert_close(ours.weight.grad, theirs.W.grad.T, **tol)
    # plain class scores: the same argmax as pml's get_logits
    assert torch.equal(ours.logits(x).argmax(1), theirs.get_logits(x).argmax(1))


# --- modules -----------------------------------------------------------------------------------


def test_margin_modules_are_the_cross_entropy_of_their_logits(generator):
    x = randn(12, 3, generator=generator, dtype=torch.float32)
    y = labels_for(12, 5, generator)
    for module, logits in (
        (
            lossbook.CosFaceLoss(3, 5),
            lambda mod: lossbook.cosface_logits(
                lossbook.cosine_similarity_matrix(x, mod.weight), y, 30.0, 0.35
            ),
        ),
        (
            lossbook.ArcFaceLoss(3, 5, easy_margin=True),
            lambda mod: lossbook.arcface_logits(
                lossbook.cosine_similarity_matrix(x, mod.weight), y, 64.0, 0.5, True
            ),
        ),
        (
            lossbook.LSoftmaxLoss(3, 5, anneal=False),
            lambda mod: lossbook.lsoftmax_logits(x, mod.weight, y, 4, 0.0),
        ),
        (
            lossbook.SphereFaceLoss(3, 5).eval(),
            lambda mod: lossbook.sphereface_logits(x, mod.weight, y, 4, 1000.0),
        ),
    ):
        assert module.weight.shape == (5, 3)
        torch.testing.assert_close(module(x, y), F.cross_entropy(logits(module), y))
        assert module.logits(x).shape == (12, 5)


def test_sphereface_lambda_anneals_per_training_step_and_can_be_turned_off():
    module = lossbook.SphereFaceLoss(2, 3)
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 0])
    assert module.lam == 1000.0
    for _ in range(3):
        module(x, y)
    assert int(module.iteration) == 3 and module.lam == pytest.approx(1000.0 / 1.36)
    module.eval()
    module(x, y)
    assert int(module.iteration) == 3
    assert "iteration" in module.state_dict()
    assert lossbook.sphereface_lambda(10**6) == 5.0
    assert lossbook.sphereface_lambda(10, base=100, gamma=1.0, power=2.0, lambda_min=0.0) == pytest.approx(
        100 / 121
    )
    off = lossbook.SphereFaceLoss(2, 3, anneal=False)
    off(x, y)
    assert off.lam == 0.0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs_give_finite_losses(dtype, generator):
    x = randn(8, 4, generator=generator, dtype=dtype)
    x2 = randn(8, 4, generator=generator, dtype=dtype)
    y = labels_for(8, 3, generator)
    outs = [
        lossbook.contrastive_loss(x, x2, (y == 0).long()),
        lossbook.triplet_margin_loss(x, x2, x.flip(0)),
        lossbook.batch_hard_triplet_loss(x, y),
        lossbook.center_loss(x, y, torch.zeros(3, 4, dtype=dtype)),
        lossbook.arcface_logits(lossbook.cosine_similarity_matrix(x, x2[:3]), y),
    ]
    for out in outs:
        assert out.dtype == dtype and torch.isfinite(out).all()


# --- bad input ---------------------------------------------------------------------------------


def bad_values():
    """Calls with a wrong value or shape: each must raise ValueError naming the argument."""
    e, y = torch.randn(4, 3), torch.tensor([0, 1, 0, 1])
    w = torch.randn(2, 3)
    cos = torch.rand(4, 2)
    return [
        ("x must be a 2-D", lambda: lossbook.pairwise_distances(torch.randn(4))),
        ("x1 must be a 2-D", lambda: lossbook.contrastive_loss(torch.randn(4), torch.randn(4), y)),
        ("anchor must be (N, D) or (D,)", lambda: lossbook.triplet_margin_loss(*(torch.randn(2, 3, 4),) * 3)),
        ("embeddings must be a 2-D", lambda: lossbook.batch_hard_triplet_loss(torch.randn(2, 2, 3), y)),
        ("embeddings must be a 2-D", lambda: lossbook.mine_triplets(torch.randn(4, 3, 1), y)),
        ("features must be a 2-D", lambda: lossbook.center_loss(torch.randn(4), y, torch.randn(2, 3))),
        ("labels must be a 1-D tensor", lambda: lossbook.all_pairs(torch.tensor([[0, 1], [1, 0]]))),
        (
            "labels must be a 1-D tensor with one label per sample",
            lambda: lossbook.batch_hard_triplet_loss(e, y[:3]),
        ),
        (
            "labels must be a 1-D tensor with one label per sample",
            lambda: lossbook.mine_triplets(e, y.repeat(2)),
        ),
        ("labels must be a 1-D tensor with one label per sample", lambda: lossbook.center_loss(e, y[:2], w)),
        (
            "labels must be a 1-D tensor with one label per sample",
            lambda: lossbook.cosface_logits(cos, y[:2]),
        ),
        ("labels must be a 1-D tensor with one label per sample", lambda: lossbook.recall_at_k(e, y[:3])),
        ("query_labels must be a 1-D", lambda: lossbook.nearest_neighbor_accuracy(e, y[:3], e, y)),
        (
            "gallery must have 3 columns",
            lambda: lossbook.nearest_neighbor_accuracy(e, y, torch.randn(4, 2), y),
        ),
        (
            "target must be a 1-D tensor with one entry per pair",
            lambda: lossbook.contrastive_loss(e, e, y[:2]),
        ),
        (
            "anchor and positive must have the same shape",
            lambda: lossbook.triplet_margin_loss(e, e[:, :2], e),
        ),
        ("anchor and negative must have the same shape", lambda: lossbook.triplet_margin_loss(e, e, e[:3])),
        ("x1 and x2 must have the same shape", lambda: lossbook.contrastive_loss(e, e[:3], y)),
        ("x1 and x2 must have the same shape", lambda: lossbook.paired_distances(e, e[:3])),
        (
            "target must contain only 0 and 1",
            lambda: lossbook.contrastive_loss(e, e, torch.tensor([0, 1, 2, 1])),
        ),
        (
            "target must contain only 0 and 1",
            lambda: lossbook.contrastive_loss(e, e, torch.tensor([0, 1, 0.5, 1])),
        ),
        (
            "target must contain only 0 and 1",
            lambda: lossbook.contrastive_loss(e, e, torch.tensor([0, 1, -1, 1])),
        ),
        ("margin must be a positive integer", lambda: lossbook.lsoftmax_logits(e, w, y, margin=0)),
        ("margin must be a positive integer", lambda: lossbook.sphereface_logits(e, w, y, margin=-4)),
        ("margin must be a positive integer", lambda: lossbook.angular_psi(cos, margin=0)),
        ("margin must be a positive integer", lambda: lossbook.SphereFaceLoss(3, 2, margin=0)),
        ("in_features must be a positive integer", lambda: lossbook.CosFaceLoss(0, 2)),
        ("num_classes must be a positive integer", lambda: lossbook.CenterLoss(0, 2)),
        ("lam must be >= 0", lambda: lossbook.sphereface_logits(e, w, y, lam=-1.0)),
        ("labels must lie in [0, 2)", lambda: lossbook.lsoftmax_logits(e, w, torch.tensor([0, 1, 2, 1]))),
        ("labels must lie in [0, 2)", lambda: lossbook.sphereface_logits(e, w, torch.tensor([0, -1, 0, 1]))),
        ("labels must lie in [0, 2)", lambda: lossbook.cosface_logits(cos, torch.tensor([0, 1, 2, 1]))),
        ("labels must lie in [0, 2)", lambda: lossbook.arcface_logits(cos, torch.tensor([0, 1, 5, 1]))),
        ("labels must lie in [0, 2)", lambda: lossbook.center_loss(e, torch.tensor([0, 1, 2, 1]), w)),
        ("labels must lie in [0, 2)", lambda: lossbook.ArcFaceLoss(3, 2)(e, torch.tensor([0, 1, 2, 1]))),
        ("labels must lie in [0, 2)", lambda: lossbook.CenterLoss(2, 3)(e, torch.tensor([0, 1, 2, 1]))),
        ("labels must lie in [0, 2)", lambda: lossbook.CenterLoss(2, 3, alpha=0.5).update_centers(e, y + 1)),
        ("strategy must be one of", lambda: lossbook.mine_triplets(e, y, strategy="hardest")),
        ("metric must be one of", lambda: lossbook.pairwise_distances(e, metric="manhattan")),
        ("metric must be one of", lambda: lossbook.recall_at_k(e, y, metric="manhattan")),
        ("reduction must be one of", lambda: lossbook.batch_hard_triplet_loss(e, y, reduction="avg")),
        ("reduction must be one of", lambda: lossbook.ContrastiveLoss(reduction="avg")),
        (
            "squared=True is the squared Euclidean distance and needs p=2",
            lambda: lossbook.triplet_margin_loss(e, e, e, p=1.0, squared=True),
        ),
        ("p must be > 0", lambda: lossbook.triplet_margin_loss(e, e, e, p=0.0)),
        ("eps must be >= 0", lambda: lossbook.TripletMarginLoss(eps=-1.0)),
        ("margin must be >= 0", lambda: lossbook.contrastive_loss(e, e, y, margin=-1.0)),
        ("margin must be >= 0", lambda: lossbook.BatchHardTripletLoss(margin=-0.1)),
        ("margin must be an angle in [0, pi) radians", lambda: lossbook.arcface_logits(cos, y, margin=4.0)),
        ("margin must be an angle in [0, pi) radians", lambda: lossbook.ArcFaceLoss(3, 2, margin=math.pi)),
        ("scale must be > 0", lambda: lossbook.cosface_logits(cos, y, scale=0.0)),
        ("scale must be > 0", lambda: lossbook.ArcFaceLoss(3, 2, scale=-1.0)),
        ("weight must have 3 columns", lambda: lossbook.lsoftmax_logits(e, torch.randn(2, 4), y)),
        ("centers must have 3 columns", lambda: lossbook.center_loss(e, y, torch.randn(2, 4))),
        ("embeddings must have 3 columns", lambda: lossbook.ArcFaceLoss(3, 2)(e[:, :2], y)),
        ("embeddings must have 3 columns", lambda: lossbook.LSoftmaxLoss(3, 2).logits(e[:, :2])),
        ("features must have 3 columns", lambda: lossbook.CenterLoss(2, 3)(e[:, :2], y)),
        ("alpha must be in (0, 1]", lambda: lossbook.CenterLoss(2, 3, alpha=1.5)),
        ("update_centers needs alpha", lambda: lossbook.CenterLoss(2, 3).update_centers(e, y)),
        ("k must be smaller than the number of samples (4)", lambda: lossbook.recall_at_k(e, y, k=4)),
        ("k must be a positive integer", lambda: lossbook.recall_at_k(e, y, k=0)),
        ("iteration must be a non-negative integer", lambda: lossbook.sphereface_lambda(-1)),
        ("gamma must be >= 0", lambda: lossbook.sphereface_lambda(3, gamma=-0.1)),
        ("lambda_gamma must be >= 0", lambda: lossbook.SphereFaceLoss(3, 2, lambda_gamma=-1.0)),
        ("lambda_min must be >= 0", lambda: lossbook.LSoftmaxLoss(3, 2, lambda_min=-1.0)),
    ]


def bad_types():
    """Calls with a wrong type or dtype: each must raise TypeError naming the argument."""
    e, y = torch.randn(4, 3), torch.tensor([0, 1, 0, 1])
    w = torch.randn(2, 3)
    return [
        (
            "margin must be a positive integer; got float 2.5",
            lambda: lossbook.lsoftmax_logits(e, w, y, margin=2.5),
        ),
        (
            "margin must be a positive integer; got float 1.5",
            lambda: lossbook.SphereFaceLoss(3, 2, margin=1.5),
        ),
        (
            "margin must be a positive integer; got bool True",
            lambda: lossbook.LSoftmaxLoss(3, 2, margin=True),
        ),
        ("k must be a positive integer; got float", lambda: lossbook.recall_at_k(e, y, k=1.0)),
        ("iteration must be a non-negative integer; got float", lambda: lossbook.sphereface_lambda(2.0)),
        ("iteration must be a non-negative integer; got bool", lambda: lossbook.sphereface_lambda(True)),
        ("labels must have an integer dtype", lambda: lossbook.batch_hard_triplet_loss(e, y.float())),
        ("labels must have an integer dtype", lambda: lossbook.all_pairs(y.float())),
        ("labels must be a torch.Tensor", lambda: lossbook.center_loss(e, [0, 1, 0, 1], w)),
        (
            "anchor must have a floating-point dtype",
            lambda: lossbook.triplet_margin_loss(*(y.view(2, 2),) * 3),
        ),
        ("embeddings must be a torch.Tensor", lambda: lossbook.recall_at_k(e.tolist(), y)),
        ("cosine must have a floating-point dtype", lambda: lossbook.angular_psi(torch.tensor([1, 0]))),
        ("target must be a torch.Tensor", lambda: lossbook.contrastive_loss(e, e, [0, 1, 0, 1])),
        ("margin must be a real number", lambda: lossbook.contrastive_loss(e, e, y, margin="1")),
        ("scale must be a real number", lambda: lossbook.CosFaceLoss(3, 2, scale=None)),
        ("metric must be one of", lambda: lossbook.pairwise_distances(e, metric=None)),
        ("strategy must be one of", lambda: lossbook.mine_triplets(e, y, strategy=1)),
    ]


@pytest.mark.parametrize(
    "needle, call", bad_values(), ids=[f"{i}-{c[0]}" for i, c in enumerate(bad_values())]
)
def test_bad_values_raise_a_value_error_naming_the_argument(needle, call):
    with pytest.raises(ValueError) as info:
        call()
    assert needle in str(info.value), str(info.value)


@pytest.mark.parametrize("needle, call", bad_types(), ids=[f"{i}-{c[0]}" for i, c in enumerate(bad_types())])
def test_bad_types_raise_a_type_error_naming_the_argument(needle, call):
    with pytest.raises(TypeError) as info:
        call()
    assert needle in str(info.value), str(info.value)


def device_mismatches():
    """Calls with tensors on two devices ("meta" stands in for a GPU): ValueError, user-facing names."""
    e, y, w = torch.randn(4, 3), torch.tensor([0, 1, 0, 1]), torch.randn(2, 3)
    m = torch.empty(4, 3, device="meta")
    return [
        ("embeddings and the loss's weight", lambda: lossbook.ArcFaceLoss(3, 2)(m, y)),
        ("embeddings and the loss's weight", lambda: lossbook.CosFaceLoss(3, 2)(m, y)),
        ("embeddings and the loss's weight", lambda: lossbook.LSoftmaxLoss(3, 2)(m, y)),
        ("embeddings and the loss's weight", lambda: lossbook.SphereFaceLoss(3, 2)(m, y)),
        ("embeddings and the loss's weight", lambda: lossbook.ArcFaceLoss(3, 2).logits(m)),
        ("embeddings and the loss's weight", lambda: lossbook.SphereFaceLoss(3, 2).logits(m)),
        ("features and the loss's centers", lambda: lossbook.CenterLoss(2, 3)(m, y)),
        (
            "features and the loss's centers",
            lambda: lossbook.CenterLoss(2, 3, alpha=0.5).update_centers(m, y),
        ),
        ("embeddings and weight", lambda: lossbook.lsoftmax_logits(m, w, y)),
        ("embeddings and weight", lambda: lossbook.sphereface_logits(e, w.to("meta"), y)),
        ("embeddings and labels", lambda: lossbook.batch_hard_triplet_loss(m, y)),
        ("embeddings and labels", lambda: lossbook.mine_triplets(m, y)),
        ("embeddings and labels", lambda: lossbook.recall_at_k(m, y)),
        ("query and gallery", lambda: lossbook.nearest_neighbor_accuracy(e, y, m, y)),
        ("x1 and x2", lambda: lossbook.contrastive_loss(e, m, y)),
        ("x1 and target", lambda: lossbook.contrastive_loss(m, m, y)),
        ("anchor and negative", lambda: lossbook.triplet_margin_loss(e, e, m)),
        ("features and centers", lambda: lossbook.center_loss(m, y, w)),
        ("features and labels", lambda: lossbook.center_loss(m, y, w.to("meta"))),
        ("cosine and labels", lambda: lossbook.cosface_logits(torch.empty(4, 2, device="meta"), y)),
        ("cosine and labels", lambda: lossbook.arcface_logits(torch.empty(4, 2, device="meta"), y)),
        ("x and y", lambda: lossbook.pairwise_distances(e, m)),
        ("x and y", lambda: lossbook.cosine_similarity_matrix(e, m)),
        ("x1 and x2", lambda: lossbook.paired_distances(e, m)),
    ]


@pytest.mark.parametrize(
    "names, call", device_mismatches(), ids=[f"{i}-{c[0]}" for i, c in enumerate(device_mismatches())]
)
def test_a_device_mismatch_names_both_arguments_and_what_to_move(names, call):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{names} must be on the same device; got "), message
    assert ".to(" in message, message


def test_the_modules_device_message_names_embeddings_and_weight_not_internals():
    with pytest.raises(ValueError) as info:
        lossbook.ArcFaceLoss(3, 2)(torch.empty(4, 3, device="meta"), torch.tensor([0, 1, 0, 1]))
    assert str(info.value) == (
        "embeddings and the loss's weight must be on the same device; got embeddings on meta and weight "
        "on cpu (move the loss with .to(embeddings.device), or embeddings with .to(device))"
    )


def test_margin_softmax_bases_are_abstract():
    from lossbook.metric_learning import cosine_margin, margin_softmax

    bases = (
        margin_softmax._MarginSoftmaxLoss,
        margin_softmax._AnnealedMarginLoss,
        cosine_margin._CosineMarginLoss,
    )
    for base in bases:
        assert inspect.isabstract(base), base
    with pytest.raises(TypeError, match="abstract"):
        margin_softmax._MarginSoftmaxLoss(3, 2)

    class WithoutPlainLogits(margin_softmax._AnnealedMarginLoss):
        def margin_logits(self, embeddings, labels):
            return lossbook.lsoftmax_logits(embeddings, self.weight, labels, self.margin, self.lam)

    with pytest.raises(TypeError, match="logits"):
        WithoutPlainLogits(3, 2)
    for loss in (lossbook.LSoftmaxLoss, lossbook.SphereFaceLoss, lossbook.CosFaceLoss, lossbook.ArcFaceLoss):
        assert not inspect.isabstract(loss)


SECTIONS = (
    "distances",
    "retrieval",
    "contrastive",
    "triplet",
    "pairs",
    "center",
    "margin_softmax",
    "cosine_margin",
)


def test_each_section_exports_its_names_and_the_package_all_of_them():
    modules = [importlib.import_module(f"lossbook.metric_learning.{section}") for section in SECTIONS]
    names = [name for module in modules for name in module.__all__]
    assert len(names) == len(set(names)) and set(names) == set(M.__all__)
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name)
            assert getattr(M, name) is obj
            if callable(obj):
                assert obj.__module__ == module.__name__, name  # documented on the section's API page
    assert not hasattr(lossbook, "metric")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("lossbook.metric")


def chapter_headings():
    chapter = Path(__file__).resolve().parents[2] / "book" / "en" / "metric-learning.ipynb"
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    lines = ["".join(c["source"]).splitlines() for c in cells if c["cell_type"] == "markdown"]
    return {line.lstrip("#").strip() for cell in lines for line in cell if line.startswith("#")}


@pytest.mark.parametrize("name", [n for n in M.__all__ if callable(getattr(M, n))])
def test_every_docstring_names_the_chapter_section_that_explains_it(name):
    doc = " ".join(inspect.getdoc(getattr(M, name)).split())
    book = re.search(r'Book: \*Metric learning\*, section ("[^"]+")(?: \(and ("[^"]+")\))?', doc)
    assert book, f"{name}: no 'Book: *Metric learning*, section \"...\"' line"
    headings = chapter_headings()
    for section in filter(None, book.groups()):
        assert section.strip('"') in headings, f"{name}: {section} is not a heading of the chapter"


def test_every_public_name_is_exported_from_lossbook():
    for name in M.__all__:
        assert getattr(lossbook, name) is getattr(M, name)
    for name in (
        "contrastive_loss",
        "triplet_margin_loss",
        "mine_triplets",
        "batch_hard_triplet_loss",
        "center_loss",
        "CenterLoss",
        "lsoftmax_logits",
        "sphereface_logits",
        "cosface_logits",
        "arcface_logits",
        "LSoftmaxLoss",
        "SphereFaceLoss",
        "CosFaceLoss",
        "ArcFaceLoss",
    ):
        assert name in M.__all__
