"""The losses of torch.nn.functional that lossbook mirrors, against torch itself.

Every case compares values and input gradients with torch (float32 and float64, every
reduction, torch's shapes including unbatched ones), runs gradcheck in float64, checks
float16/bfloat16 against torch in float32, and the bad inputs' exceptions. A last test lists
all the losses of torch.nn.functional and asks for a lossbook twin of each name.
"""

import inspect
import math
import zlib

import pytest
import torch
import torch.nn.functional as F

import lossbook

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [torch.float32, torch.float64]


def tolerances(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)


def randn(shape, gen, dtype, device, scale=1.0, shift=0.0):
    return (torch.randn(shape, generator=gen, dtype=torch.float64) * scale + shift).to(dtype).to(device)


def signs(shape, gen, device, dtype=torch.int64):
    return (torch.randint(0, 2, shape, generator=gen) * 2 - 1).to(dtype).to(device)


# Each case: name -> list of (shape label, maker). A maker (gen, dtype, device) returns
# (tensors, options): the tensors are passed positionally, the floating ones get gradients.


def gaussian_cases():
    def make(shape, var_shape, target_shape=None, full=False, eps=1e-6):
        def maker(gen, dtype, device):
            x = randn(shape, gen, dtype, device)
            y = randn(target_shape or shape, gen, dtype, device)
            var = (torch.rand(var_shape, generator=gen, dtype=torch.float64) * 2).to(dtype).to(device)
            return (x, y, var), dict(full=full, eps=eps)

        return maker

    return [
        ("heteroscedastic", make((5, 3), (5, 3))),
        ("var-last-dim-1", make((5, 3), (5, 1), full=True)),
        ("var-first-dim-1", make((4, 3, 2), (1, 3, 2))),
        ("var-one-dim-fewer", make((5, 3), (5,), eps=0.3)),
        ("unbatched", make((4,), (4,), full=True)),
        ("unbatched-0d-var", make((4,), ())),
        ("target-one-dim-1", make((5, 3), (5, 3), target_shape=(5, 1))),
        ("clamped", make((6,), (6,), eps=0.5)),
    ]


def poisson_cases():
    def make(shape, log_input, full, int_target=False):
        def maker(gen, dtype, device):
            rate = torch.rand(shape, generator=gen, dtype=torch.float64) * 3 + 0.1
            x = (rate.log() if log_input else rate).to(dtype).to(device)
            y = torch.poisson(rate * 1.5, generator=gen)
            y = y.long() if int_target else y.to(dtype)
            return (x, y.to(device)), dict(log_input=log_input, full=full)

        return maker

    return [
        (f"{'log' if log_input else 'rate'}-{'full' if full else 'plain'}", make((6, 5), log_input, full))
        for log_input in (True, False)
        for full in (True, False)
    ] + [("0d", make((), True, True)), ("int-target", make((7,), False, False, int_target=True))]


def soft_margin_cases():
    def make(shape, int_target=False):
        def maker(gen, dtype, device):
            y = signs(shape, gen, device, torch.int64 if int_target else dtype)
            return (randn(shape, gen, dtype, device, 2.0), y), {}

        return maker

    return [("NC", make((6, 4))), ("0d", make(())), ("4d", make((2, 3, 2, 2))), ("int", make((5,), True))]


def multilabel_soft_margin_cases():
    def make(shape, weight_shape=None):
        def maker(gen, dtype, device):
            x = randn(shape, gen, dtype, device, 2.0)
            y = torch.randint(0, 2, shape, generator=gen).to(dtype).to(device)
            w = None
            if weight_shape is not None:
                w = (torch.rand(weight_shape, generator=gen, dtype=torch.float64) + 0.5).to(dtype).to(device)
            return (x, y), dict(weight=w)

        return maker

    return [
        ("NC", make((6, 4))),
        ("C", make((5,))),
        ("weight-C", make((6, 4), (4,))),
        ("weight-NC", make((3, 4), (3, 4))),
        ("NCd", make((2, 3, 4))),
    ]


def multilabel_margin_cases():
    def make(shape, lists):
        def maker(gen, dtype, device):
            return (randn(shape, gen, dtype, device), torch.tensor(lists).to(device)), {}

        return maker

    return [
        ("NC", make((3, 5), [[3, 0, -1, 1, 1], [4, 3, 2, 1, 0], [-1, 2, 2, 2, 2]])),
        ("duplicates", make((2, 4), [[1, 1, 2, -1], [0, -1, 3, 3]])),
        ("C", make((4,), [2, -1, 0, 0])),
        ("0d", make((), 0)),
        ("0d-empty", make((), -1)),
        ("one-class", make((3, 1), [[0], [-1], [0]])),
    ]


def margin_ranking_cases():
    def make(shape, margin):
        def maker(gen, dtype, device):
            x1, x2 = randn(shape, gen, dtype, device), randn(shape, gen, dtype, device)
            return (x1, x2, signs(shape, gen, device, dtype)), dict(margin=margin)

        return maker

    return [
        ("N", make((7,), 0.0)),
        ("0d", make((), 0.5)),
        ("N-margin", make((9,), 0.3)),
        ("2d", make((3, 4), -0.2)),
    ]


def hinge_embedding_cases():
    def make(shape, margin, targets=(-1, 1)):
        def maker(gen, dtype, device):
            x = randn(shape, gen, dtype, device).abs()
            pick = torch.randint(0, len(targets), shape, generator=gen)
            y = torch.tensor(targets)[pick].to(device)
            return (x, y), dict(margin=margin)

        return maker

    return [
        ("N", make((8,), 1.0)),
        ("0d", make((), 0.5)),
        ("other-targets", make((3, 5), 1.2, (-1, 0, 1, 2))),
        ("float-targets", make((6,), 1.0, (-1.0, 1.0))),
    ]


def cosine_embedding_cases():
    def make(shape, margin, targets=(-1, 1)):
        def maker(gen, dtype, device):
            x1, x2 = randn(shape, gen, dtype, device), randn(shape, gen, dtype, device)
            pick = torch.randint(0, len(targets), shape[:-1], generator=gen)
            return (x1, x2, torch.tensor(targets)[pick].to(device)), dict(margin=margin)

        return maker

    return [
        ("ND", make((6, 5), 0.0)),
        ("D", make((5,), 0.2)),
        ("margin", make((8, 3), 0.5)),
        ("other-targets", make((6, 4), -0.3, (-1, 0, 1))),
    ]


def triplet_distance_cases():
    def make(shape, distance, margin=1.0, swap=False):
        def maker(gen, dtype, device):
            a, p, n = (randn(shape, gen, dtype, device) for _ in range(3))
            return (a, p, n), dict(distance_function=distance, margin=margin, swap=swap)

        return maker

    def cosine(x, y):
        return 1.0 - F.cosine_similarity(x, y, dim=-1)

    def l1(x, y):
        return (x - y).abs().sum(-1)

    return [
        ("default", make((6, 4), None)),
        ("default-swap", make((6, 4), None, 0.5, True)),
        ("unbatched", make((4,), None)),
        ("cosine", make((6, 4), cosine, 0.3)),
        ("l1-swap", make((5, 3), l1, 2.0, True)),
    ]


CASES = {
    "gaussian_nll_loss": gaussian_cases(),
    "poisson_nll_loss": poisson_cases(),
    "soft_margin_loss": soft_margin_cases(),
    "multilabel_soft_margin_loss": multilabel_soft_margin_cases(),
    "multilabel_margin_loss": multilabel_margin_cases(),
    "margin_ranking_loss": margin_ranking_cases(),
    "hinge_embedding_loss": hinge_embedding_cases(),
    "cosine_embedding_loss": cosine_embedding_cases(),
    "triplet_margin_with_distance_loss": triplet_distance_cases(),
}
PARAMS = [(name, label, maker) for name, cases in CASES.items() for label, maker in cases]
IDS = [f"{name}-{label}" for name, label, _ in PARAMS]
# The triplet loss with a distance takes its tensors positionally and its options by keyword.
KEYWORD_ONLY = {"triplet_margin_with_distance_loss"}


def call(module, name, tensors, options, reduction):
    return getattr(module, name)(*tensors, **options, reduction=reduction)


# The positions of the tensors torch differentiates (targets are not, except Gaussian NLL's).
GRAD_OF = {
    "gaussian_nll_loss": [0, 1, 2],
    "margin_ranking_loss": [0, 1],
    "cosine_embedding_loss": [0, 1],
    "triplet_margin_with_distance_loss": [0, 1, 2],
}


def with_grad(name, tensors):
    grad_of = GRAD_OF.get(name, [0])
    return [t.clone().requires_grad_() if i in grad_of else t for i, t in enumerate(tensors)]


@pytest.mark.parametrize("name, label, maker", PARAMS, ids=IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_agrees_with_torch_values_and_gradients(name, label, maker, reduction, dtype, device):
    gen = torch.Generator().manual_seed(zlib.crc32(f"{name}-{label}".encode()))
    tensors, options = maker(gen, dtype, device)
    ours_in, theirs_in = with_grad(name, tensors), with_grad(name, tensors)
    ours = call(lossbook, name, ours_in, options, reduction)
    theirs = call(F, name, theirs_in, options, reduction)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape and ours.device == theirs.device
    torch.testing.assert_close(ours, theirs, **tolerances(dtype))
    upstream = torch.randn(ours.shape, generator=gen, dtype=torch.float64).to(dtype).to(device)
    floating = GRAD_OF.get(name, [0])
    ga = torch.autograd.grad((ours * upstream).sum(), [ours_in[i] for i in floating])
    gb = torch.autograd.grad((theirs * upstream).sum(), [theirs_in[i] for i in floating])
    for a, b in zip(ga, gb, strict=True):
        torch.testing.assert_close(a, b, **tolerances(dtype))


@pytest.mark.parametrize("name, label, maker", PARAMS, ids=IDS)
def test_gradcheck(name, label, maker):
    gen = torch.Generator().manual_seed(7)
    tensors, options = maker(gen, torch.float64, torch.device("cpu"))
    floating = GRAD_OF.get(name, [0])
    if name == "gaussian_nll_loss":
        # torch's clamp passes the gradient through unchanged below eps, which finite
        # differences do not see: keep the variances above eps here.
        tensors = (*tensors[:2], tensors[2] + options["eps"] + 0.1)
    if name == "multilabel_margin_loss" or name.endswith("ranking_loss") or "hinge" in name:
        # Piecewise linear: keep the points away from the kinks so finite differences hold.
        tensors = (tensors[0] + 1e-3 * torch.arange(tensors[0].numel()).reshape(tensors[0].shape),) + tuple(
            tensors[1:]
        )

    def loss(*args):
        full = list(tensors)
        for i, a in zip(floating, args, strict=True):
            full[i] = a
        return call(lossbook, name, full, options, "none")

    inputs = [tensors[i].clone().requires_grad_() for i in floating]
    assert torch.autograd.gradcheck(loss, inputs)


@pytest.mark.parametrize("name, label, maker", PARAMS, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_agrees_with_torch_in_float32(name, label, maker, dtype, device):
    gen = torch.Generator().manual_seed(3)
    tensors, options = maker(gen, dtype, device)
    ours = call(lossbook, name, tensors, options, "none")
    up = [t.float() if t.is_floating_point() else t for t in tensors]
    options32 = {k: v.float() if isinstance(v, torch.Tensor) else v for k, v in options.items()}
    theirs = call(F, name, up, options32, "none")
    if name != "triplet_margin_with_distance_loss" or options["distance_function"] is None:
        assert ours.dtype == dtype
    tol = dict(rtol=1e-2, atol=1e-2) if dtype == torch.float16 else dict(rtol=2e-2, atol=2e-2)
    torch.testing.assert_close(ours.float(), theirs.float(), **tol)


MODULES = {
    "gaussian_nll_loss": lossbook.GaussianNLLLoss,
    "poisson_nll_loss": lossbook.PoissonNLLLoss,
    "soft_margin_loss": lossbook.SoftMarginLoss,
    "multilabel_soft_margin_loss": lossbook.MultiLabelSoftMarginLoss,
    "multilabel_margin_loss": lossbook.MultiLabelMarginLoss,
    "margin_ranking_loss": lossbook.MarginRankingLoss,
    "hinge_embedding_loss": lossbook.HingeEmbeddingLoss,
    "cosine_embedding_loss": lossbook.CosineEmbeddingLoss,
    "triplet_margin_with_distance_loss": lossbook.TripletMarginWithDistanceLoss,
}


@pytest.mark.parametrize("name, label, maker", PARAMS, ids=IDS)
def test_modules_agree_with_torchs_modules(name, label, maker):
    gen = torch.Generator().manual_seed(5)
    tensors, options = maker(gen, torch.float64, torch.device("cpu"))
    torch_module = {
        "gaussian_nll_loss": torch.nn.GaussianNLLLoss,
        "poisson_nll_loss": torch.nn.PoissonNLLLoss,
        "soft_margin_loss": torch.nn.SoftMarginLoss,
        "multilabel_soft_margin_loss": torch.nn.MultiLabelSoftMarginLoss,
        "multilabel_margin_loss": torch.nn.MultiLabelMarginLoss,
        "margin_ranking_loss": torch.nn.MarginRankingLoss,
        "hinge_embedding_loss": torch.nn.HingeEmbeddingLoss,
        "cosine_embedding_loss": torch.nn.CosineEmbeddingLoss,
        "triplet_margin_with_distance_loss": torch.nn.TripletMarginWithDistanceLoss,
    }[name]
    for reduction in REDUCTIONS:
        ours = MODULES[name](**options, reduction=reduction)
        theirs = torch_module(**options, reduction=reduction)
        torch.testing.assert_close(ours(*tensors), theirs(*tensors))
        assert f"reduction={reduction!r}" in repr(ours)


@pytest.mark.parametrize("name", MODULES)
def test_module_arguments_match_torchs_names_and_defaults(name):
    ours = inspect.signature(getattr(lossbook, name)).parameters
    theirs = inspect.signature(getattr(F, name)).parameters
    legacy = {"size_average", "reduce"}
    assert list(ours) == [p for p in theirs if p not in legacy]
    for p in ours:
        assert ours[p].default == theirs[p].default, p
        assert ours[p].kind == theirs[p].kind or theirs[p].kind == inspect.Parameter.POSITIONAL_OR_KEYWORD, p


# --- edge cases -----------------------------------------------------------------------------


def test_gaussian_clamp_passes_the_gradient_through_as_torch():
    x, y = torch.zeros(3), torch.tensor([1.0, 0.5, 2.0])
    var_a = torch.tensor([0.0, 1e-8, 2.0], requires_grad=True)
    var_b = var_a.detach().clone().requires_grad_()
    a = lossbook.gaussian_nll_loss(x, y, var_a, eps=1e-3)
    b = F.gaussian_nll_loss(x, y, var_b, eps=1e-3)
    a.backward(), b.backward()
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(var_a.grad, var_b.grad)
    assert bool(torch.isfinite(var_a.grad).all()) and var_a.grad[0] != 0


def test_gaussian_scalar_variance_and_full_constant():
    x, y = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    for var in (0.5, 2.0):
        for full in (False, True):
            ours = lossbook.gaussian_nll_loss(x, y, var, full=full, reduction="none")
            theirs = F.gaussian_nll_loss(x, y, var, full=full, reduction="none")
            torch.testing.assert_close(ours, theirs)
    constant = lossbook.gaussian_nll_loss(x, y, 1.0, full=True) - lossbook.gaussian_nll_loss(x, y, 1.0)
    assert math.isclose(constant.item(), 0.5 * math.log(2 * math.pi), rel_tol=1e-12)


def test_poisson_full_target_gradient_is_finite_where_torchs_is_nan():
    x = torch.randn(4, dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 2.0, 5.0], dtype=torch.float64, requires_grad=True)
    lossbook.poisson_nll_loss(x, y, full=True).backward()
    assert bool(torch.isfinite(y.grad).all())
    # above 1 the Stirling term's derivative, log(y) + 1 / (2 y), enters
    expected = (-x[3] + math.log(5.0) + 0.1) / 4
    torch.testing.assert_close(y.grad[3], expected)


def test_soft_margin_stays_finite_where_torch_overflows():
    x = torch.tensor([-200.0, 200.0, 0.0], requires_grad=True)
    y = torch.tensor([1.0, -1.0, 1.0])
    loss = lossbook.soft_margin_loss(x, y, reduction="none")
    torch.testing.assert_close(loss, torch.tensor([200.0, 200.0, math.log(2.0)]))
    loss.sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([-1.0, 1.0, -0.5]))
    assert math.isinf(F.soft_margin_loss(x.detach(), y, reduction="none")[0].item())


def test_multilabel_margin_ignores_everything_after_the_first_padding():
    x = torch.randn(2, 5, dtype=torch.float64)
    a = lossbook.multilabel_margin_loss(x, torch.tensor([[1, 3, -1, 0, 2], [4, -1, -1, -1, -1]]), "none")
    b = lossbook.multilabel_margin_loss(x, torch.tensor([[1, 3, -1, 4, 4], [4, -1, 2, 3, 0]]), "none")
    torch.testing.assert_close(a, b)


def test_multilabel_margin_on_a_large_batch_matches_torch():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 30, generator=gen, dtype=torch.float64, requires_grad=True)
    lengths = torch.randint(0, 8, (64,), generator=gen)
    lists = torch.stack(
        [torch.cat([torch.randperm(30, generator=gen)[:k], torch.full((30 - k,), -1)]) for k in lengths]
    )
    ours, theirs = lossbook.multilabel_margin_loss(x, lists), F.multilabel_margin_loss(x, lists)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(torch.autograd.grad(ours, x)[0], torch.autograd.grad(theirs, x)[0])


def test_multilabel_margin_backward_is_first_order_only():
    x = torch.randn(2, 3, requires_grad=True)
    loss = lossbook.multilabel_margin_loss(x, torch.tensor([[0, -1, 0], [2, 1, -1]]))
    with pytest.raises(RuntimeError, match="second derivatives"):
        torch.autograd.grad(loss, x, create_graph=True)


def test_multilabel_soft_margin_is_bce_with_logits_averaged():
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(5, 4, generator=gen), torch.randint(0, 2, (5, 4), generator=gen).float()
    torch.testing.assert_close(
        lossbook.multilabel_soft_margin_loss(x, y), lossbook.binary_cross_entropy_with_logits(x, y)
    )


def test_cosine_embedding_of_zero_vectors_is_finite_as_in_torch():
    z = torch.zeros(2, 3, requires_grad=True)
    loss = lossbook.cosine_embedding_loss(z, z, torch.tensor([1, -1]), reduction="none")
    torch.testing.assert_close(loss, torch.tensor([1.0, 0.0]))
    loss.sum().backward()
    assert bool(torch.isfinite(z.grad).all())


def test_triplet_margin_loss_accepts_unbatched_triplets_as_torch():
    a, p, n = (torch.randn(5, dtype=torch.float64) for _ in range(3))
    for swap in (False, True):
        ours = lossbook.triplet_margin_loss(a, p, n, swap=swap, reduction="none")
        torch.testing.assert_close(ours, F.triplet_margin_loss(a, p, n, swap=swap, reduction="none"))
        assert ours.shape == ()


@pytest.mark.parametrize(
    "input_shape, target",
    [((), torch.tensor(0)), ((), torch.tensor([0])), ((3,), torch.tensor([1])), ((1, 3), torch.tensor(2))],
    ids=["0d-0d", "0d-(1,)", "C-(1,)", "1C-0d"],
)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_accepts_torchs_single_sample_shapes(input_shape, target, reduction):
    x = torch.randn(input_shape, dtype=torch.float64)
    ours = lossbook.multi_margin_loss(x, target, reduction=reduction)
    theirs = F.multi_margin_loss(x, target, reduction=reduction)
    assert ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs)


# --- bad inputs ------------------------------------------------------------------------------

x4, y4 = torch.randn(4), torch.randn(4)
BAD = [
    (TypeError, "input must be a torch.Tensor", lambda: lossbook.gaussian_nll_loss([1.0], y4, 1.0)),
    (TypeError, "var must be a real number", lambda: lossbook.gaussian_nll_loss(x4, y4, "1")),
    (
        TypeError,
        "var must have a floating-point dtype",
        lambda: lossbook.gaussian_nll_loss(x4, y4, torch.ones(4, dtype=torch.long)),
    ),
    (ValueError, "var must have every element >= 0", lambda: lossbook.gaussian_nll_loss(x4, y4, -y4.abs())),
    (ValueError, "var must be >= 0", lambda: lossbook.gaussian_nll_loss(x4, y4, -1.0)),
    (
        ValueError,
        "var must have the shape of input",
        lambda: lossbook.gaussian_nll_loss(torch.randn(4, 3), torch.randn(4, 3), torch.ones(2, 3)),
    ),
    (
        ValueError,
        "target must have the shape of input",
        lambda: lossbook.gaussian_nll_loss(torch.randn(4, 3), torch.randn(3), torch.ones(4, 3)),
    ),
    (ValueError, "eps must be >= 0", lambda: lossbook.gaussian_nll_loss(x4, y4, 1.0, eps=-1.0)),
    (TypeError, "full must be a bool", lambda: lossbook.gaussian_nll_loss(x4, y4, 1.0, full=1)),
    (
        ValueError,
        "reduction must be one of",
        lambda: lossbook.gaussian_nll_loss(x4, y4, 1.0, reduction="avg"),
    ),
    (TypeError, "log_input must be a bool", lambda: lossbook.poisson_nll_loss(x4, y4, log_input="yes")),
    (
        TypeError,
        "target must have a floating-point or integer dtype",
        lambda: lossbook.poisson_nll_loss(x4, y4 > 0),
    ),
    (
        ValueError,
        "input and target must have the same shape",
        lambda: lossbook.poisson_nll_loss(x4, torch.ones(2, 4)),
    ),
    (
        TypeError,
        "input must have a floating-point dtype",
        lambda: lossbook.soft_margin_loss(torch.ones(4, dtype=torch.long), y4),
    ),
    (
        TypeError,
        "target must have a floating-point or integer dtype",
        lambda: lossbook.soft_margin_loss(x4, y4 > 0),
    ),
    (
        ValueError,
        "input and target must have the same shape",
        lambda: lossbook.soft_margin_loss(x4, torch.ones(1)),
    ),
    (
        ValueError,
        "input must have a label dimension",
        lambda: lossbook.multilabel_soft_margin_loss(torch.tensor(1.0), torch.tensor(1.0)),
    ),
    (
        ValueError,
        "weight must",
        lambda: lossbook.multilabel_soft_margin_loss(
            torch.randn(2, 4), torch.ones(2, 4), weight=torch.ones(3)
        ),
    ),
    (TypeError, "target must hold class indices", lambda: lossbook.multilabel_margin_loss(x4, y4)),
    (
        ValueError,
        "got an entry equal to 4",
        lambda: lossbook.multilabel_margin_loss(x4, torch.tensor([1, -1, 4, 0])),
    ),
    (
        ValueError,
        "got an entry equal to -2",
        lambda: lossbook.multilabel_margin_loss(x4, torch.tensor([1, -2, 0, 0])),
    ),
    (
        ValueError,
        "input must be (), (C,) or (N, C)",
        lambda: lossbook.multilabel_margin_loss(torch.randn(2, 3, 4), torch.zeros(2, 3, 4, dtype=torch.long)),
    ),
    (
        ValueError,
        "target must have input's shape",
        lambda: lossbook.multilabel_margin_loss(x4, torch.tensor([0, -1])),
    ),
    (
        ValueError,
        "input1 and input2 must have the same shape",
        lambda: lossbook.margin_ranking_loss(x4, torch.randn(1), y4),
    ),
    (
        ValueError,
        "input1 and target must have the same shape",
        lambda: lossbook.margin_ranking_loss(x4, y4, torch.ones(3)),
    ),
    (TypeError, "target must hold 1 and -1", lambda: lossbook.margin_ranking_loss(x4, y4, y4 > 0)),
    (TypeError, "margin must be a real number", lambda: lossbook.margin_ranking_loss(x4, y4, y4, margin="1")),
    (
        ValueError,
        "input and target must have the same shape",
        lambda: lossbook.hinge_embedding_loss(x4, torch.ones(3)),
    ),
    (
        ValueError,
        "target must have one entry per pair",
        lambda: lossbook.cosine_embedding_loss(torch.randn(3, 2), torch.randn(3, 2), torch.ones(2)),
    ),
    (
        ValueError,
        "input1 must be (N, D) or (D,)",
        lambda: lossbook.cosine_embedding_loss(torch.randn(1, 3, 2), torch.randn(1, 3, 2), torch.ones(1, 3)),
    ),
    (
        ValueError,
        "margin must be > 0",
        lambda: lossbook.triplet_margin_with_distance_loss(x4, x4, x4, margin=0.0),
    ),
    (
        ValueError,
        "same number of dimensions",
        lambda: lossbook.triplet_margin_with_distance_loss(x4, x4, torch.randn(1, 4)),
    ),
    (
        TypeError,
        "distance_function must be a callable",
        lambda: lossbook.triplet_margin_with_distance_loss(x4, x4, x4, distance_function="l2"),
    ),
    (
        TypeError,
        "distance_function must return a torch.Tensor",
        lambda: lossbook.triplet_margin_with_distance_loss(x4, x4, x4, distance_function=lambda a, b: 1.0),
    ),
    (
        TypeError,
        "swap must be a bool",
        lambda: lossbook.triplet_margin_with_distance_loss(x4, x4, x4, swap=1),
    ),
    (ValueError, "margin must be > 0", lambda: lossbook.TripletMarginWithDistanceLoss(margin=-1.0)),
    (TypeError, "full must be a bool", lambda: lossbook.GaussianNLLLoss(full="no")),
    (ValueError, "eps must be >= 0", lambda: lossbook.PoissonNLLLoss(eps=-1.0)),
    (ValueError, "reduction must be one of", lambda: lossbook.MultiLabelMarginLoss(reduction="avg")),
]


@pytest.mark.parametrize("error, message, call_", BAD, ids=[f"{i}-{m}" for i, (_, m, _) in enumerate(BAD)])
def test_bad_inputs_raise_the_policys_class_and_name_the_argument(error, message, call_):
    with pytest.raises(error) as info:
        call_()
    assert message in str(info.value), str(info.value)


# --- every loss of torch.nn.functional has a twin ---------------------------------------------

# The "Loss functions" list of torch.nn.functional's documentation (torch 2.13).
TORCH_FUNCTIONAL_LOSSES = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "poisson_nll_loss",
    "cosine_embedding_loss",
    "cross_entropy",
    "ctc_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "margin_ranking_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "nll_loss",
    "huber_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "linear_cross_entropy",
]


def test_the_list_is_torchs():
    assert len(TORCH_FUNCTIONAL_LOSSES) == len(set(TORCH_FUNCTIONAL_LOSSES)) == 22
    for name in TORCH_FUNCTIONAL_LOSSES:
        if name != "linear_cross_entropy":  # not in every torch release
            assert callable(getattr(F, name)), name


@pytest.mark.parametrize("name", TORCH_FUNCTIONAL_LOSSES)
def test_every_functional_loss_of_torch_has_a_lossbook_twin(name):
    twin = getattr(lossbook, name, None)
    assert callable(twin), f"lossbook has no {name}"
    assert name in lossbook.__all__
    if hasattr(F, name):
        # The twin takes torch's arguments, in torch's order (so positional calls mean the
        # same), without the deprecated ones; lossbook's own options come after them. The
        # issue's linear_cross_entropy makes everything after the target keyword-only.
        def split(fn):
            params = [
                p
                for p in inspect.signature(fn).parameters.values()
                if p.name not in ("size_average", "reduce")
            ]
            positional = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
            return positional, {p.name for p in params}

        ours, ours_all = split(twin)
        theirs, theirs_all = split(getattr(F, name))
        assert ours == theirs[: len(ours)], (ours, theirs)
        assert theirs_all <= ours_all, (ours_all, theirs_all)
        if len(ours) < len(theirs):
            assert name == "linear_cross_entropy", f"{name} takes only {ours} positionally"


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_weighted_regression_losses_agree_with_torch(name, reduction, dtype, device):
    # torch's per-element weight: L1 and MSE divide the weighted sum by the sum of the
    # weights, Huber by the number of elements.
    gen = torch.Generator().manual_seed(11)
    x, y = randn((5, 4), gen, dtype, device, 2.0), randn((5, 4), gen, dtype, device)
    w = (torch.rand(5, 4, generator=gen, dtype=torch.float64) * 2).to(dtype).to(device)
    ours_x, theirs_x = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours = getattr(lossbook, name)(ours_x, y, reduction=reduction, weight=w)
    theirs = getattr(F, name)(theirs_x, y, reduction=reduction, weight=w)
    torch.testing.assert_close(ours, theirs, **tolerances(dtype))
    upstream = torch.randn(ours.shape, generator=gen, dtype=torch.float64).to(dtype).to(device)
    (ga,) = torch.autograd.grad((ours * upstream).sum(), ours_x)
    (gb,) = torch.autograd.grad((theirs * upstream).sum(), theirs_x)
    torch.testing.assert_close(ga, gb, **tolerances(dtype))
    with pytest.raises(ValueError, match=r"weight must have input's shape \(5, 4\)"):
        getattr(lossbook, name)(x, y, weight=w[0])
