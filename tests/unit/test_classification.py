"""lossbook.classification against torch's functional losses, torchvision's focal formula and scikit-learn."""

import importlib
import inspect
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics

import lossbook
from lossbook import classification as C
from lossbook._base import WeightedLoss
from lossbook.validation import reduce

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [torch.float32, torch.float64]


def tolerances(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)


def randn(shape, generator, dtype, device, scale=2.0):
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * scale).to(dtype).to(device)


def compare(ours, theirs, inputs, dtype, generator, grad_of=None):
    """Value and gradient (for the inputs that are floating, or those listed) of two callables."""
    grad_of = (
        [i for i, t in enumerate(inputs) if t is not None and t.is_floating_point()]
        if grad_of is None
        else grad_of
    )
    a_in = [t.clone().requires_grad_() if i in grad_of else t for i, t in enumerate(inputs)]
    b_in = [t.clone().requires_grad_() if i in grad_of else t for i, t in enumerate(inputs)]
    a, b = ours(*a_in), theirs(*b_in)
    assert a.dtype == b.dtype and a.shape == b.shape and a.device == b.device
    torch.testing.assert_close(a, b, **tolerances(dtype), equal_nan=True)
    upstream = torch.randn(a.shape, generator=generator, dtype=torch.float64).to(dtype).to(a.device)
    ga = torch.autograd.grad((a * upstream).sum(), [a_in[i] for i in grad_of])
    gb = torch.autograd.grad((b * upstream).sum(), [b_in[i] for i in grad_of])
    for x, y in zip(ga, gb, strict=True):
        torch.testing.assert_close(x, y, **tolerances(dtype), equal_nan=True)


# --- cross-entropy and NLL with class-index targets --------------------------------------------

# (input shape, target shape)
CLASS_SHAPES = [((6, 5), (6,)), ((3, 4, 2, 3), (3, 2, 3)), ((5,), ())]


def class_case(input_shape, target_shape, ignore, generator, device, dtype):
    num_classes = input_shape[0] if len(input_shape) == 1 else input_shape[1]
    x = randn(input_shape, generator, dtype, device)
    y = torch.randint(0, num_classes, target_shape, generator=generator).to(device)
    ignore_index = -100
    if ignore == "default" and y.numel() > 1:
        y.view(-1)[::3] = -100
    elif ignore == "class":
        ignore_index = 1  # a valid class, ignored
    return x, y, ignore_index, num_classes


@pytest.mark.parametrize("shapes", CLASS_SHAPES, ids=["NC", "NCd1d2", "C"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", ["none", "default", "class"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_index_targets_agree_with_torch(
    shapes, weighted, ignore, smoothing, reduction, dtype, device, generator
):
    x, y, ignore_index, num_classes = class_case(*shapes, ignore, generator, device, dtype)
    w = (
        (torch.rand(num_classes, generator=generator, dtype=torch.float64) + 0.5).to(dtype).to(device)
        if weighted
        else None
    )
    kw = dict(weight=w, ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    compare(
        lambda a: lossbook.cross_entropy(a, y, **kw),
        lambda a: F.cross_entropy(a, y, **kw),
        [x],
        dtype,
        generator,
    )


@pytest.mark.parametrize("shapes", CLASS_SHAPES, ids=["NC", "NCd1d2", "C"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", ["none", "default", "class"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_nll_agrees_with_torch(shapes, weighted, ignore, reduction, dtype, device, generator):
    x, y, ignore_index, num_classes = class_case(*shapes, ignore, generator, device, dtype)
    x = torch.log_softmax(x, dim=0 if x.dim() == 1 else 1)
    w = (
        (torch.rand(num_classes, generator=generator, dtype=torch.float64) + 0.5).to(dtype).to(device)
        if weighted
        else None
    )
    kw = dict(weight=w, ignore_index=ignore_index, reduction=reduction)
    compare(lambda a: lossbook.nll_loss(a, y, **kw), lambda a: F.nll_loss(a, y, **kw), [x], dtype, generator)


@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 2), (5,)], ids=["NC", "NCd1", "C"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_probability_targets_agree_with_torch(
    shape, weighted, smoothing, reduction, dtype, device, generator
):
    x = randn(shape, generator, dtype, device)
    class_dim = 0 if len(shape) == 1 else 1
    t = torch.softmax(randn(shape, generator, dtype, device), dim=class_dim)
    num_classes = shape[class_dim]
    w = (
        (torch.rand(num_classes, generator=generator, dtype=torch.float64) + 0.5).to(dtype).to(device)
        if weighted
        else None
    )
    kw = dict(weight=w, reduction=reduction, label_smoothing=smoothing)
    # gradients with respect to both the logits and the target distribution
    compare(
        lambda a, b: lossbook.cross_entropy(a, b, **kw),
        lambda a, b: F.cross_entropy(a, b, **kw),
        [x, t],
        dtype,
        generator,
    )


def test_cross_entropy_with_a_weight_that_requires_grad(generator):
    # torch refuses a weight that requires grad here; lossbook differentiates it (by autograd)
    x = torch.randn(7, 4, generator=generator, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3, -100, 1, 2])
    w = torch.rand(4, generator=generator, dtype=torch.float64) + 0.5
    for smoothing in (0.0, 0.2):
        kw = dict(ignore_index=-100, label_smoothing=smoothing)
        compare(
            lambda a, kw=kw: lossbook.cross_entropy(a, y, weight=w.clone().requires_grad_(), **kw),
            lambda a, kw=kw: F.cross_entropy(a, y, weight=w, **kw),
            [x],
            torch.float64,
            generator,
        )
        assert torch.autograd.gradcheck(
            lambda b, kw=kw: lossbook.cross_entropy(x, y, weight=b, **kw), (w.clone().requires_grad_(),)
        )


def test_every_row_ignored_gives_nan_like_torch():
    x = torch.randn(3, 4, requires_grad=True)
    y = torch.full((3,), -100)
    ours = lossbook.cross_entropy(x, y)
    assert math.isnan(ours.item()) and math.isnan(F.cross_entropy(x, y).item())
    ours.backward()
    assert torch.equal(x.grad, torch.zeros(3, 4))
    assert math.isnan(lossbook.nll_loss(x, y).item())
    assert lossbook.cross_entropy(x, y, reduction="sum").item() == 0.0


def test_int32_targets_are_accepted():
    x = torch.randn(4, 3)
    y = torch.tensor([0, 2, 1, 1])
    torch.testing.assert_close(lossbook.cross_entropy(x, y.int()), F.cross_entropy(x, y))
    torch.testing.assert_close(lossbook.nll_loss(x, y.int()), F.nll_loss(x, y))


def test_nll_of_log_softmax_equals_cross_entropy(generator):
    z = torch.randn(8, 6, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 6, (8,), generator=generator)
    torch.testing.assert_close(lossbook.nll_loss(torch.log_softmax(z, 1), y), lossbook.cross_entropy(z, y))


# --- binary cross-entropy ---------------------------------------------------------------------

# weight shapes: none, elementwise, broadcast along the last (class) dimension
BINARY_SHAPES = [(7,), (4, 3), (2, 3, 4)]


def weight_for(shape, kind, generator, dtype, device):
    if kind is None:
        return None
    wshape = shape if kind == "full" else shape[-1:]
    return (torch.rand(wshape, generator=generator, dtype=torch.float64) + 0.5).to(dtype).to(device)


@pytest.mark.parametrize("shape", BINARY_SHAPES)
@pytest.mark.parametrize("weight_kind", [None, "full", "last"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_agrees_with_torch(shape, weight_kind, reduction, dtype, device, generator):
    p = torch.rand(shape, generator=generator, dtype=torch.float64).clamp(0.02, 0.98).to(dtype).to(device)
    t = torch.rand(shape, generator=generator, dtype=torch.float64).to(dtype).to(device)  # soft labels
    w = weight_for(shape, weight_kind, generator, dtype, device)
    kw = dict(weight=w, reduction=reduction)
    compare(
        lambda a, b: lossbook.binary_cross_entropy(a, b, **kw),
        lambda a, b: F.binary_cross_entropy(a, b, **kw),
        [p, t],
        dtype,
        generator,
    )


@pytest.mark.parametrize("shape", BINARY_SHAPES)
@pytest.mark.parametrize("weight_kind", [None, "full", "last"])
@pytest.mark.parametrize("pos_weight_kind", [None, "full", "last"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_agrees_with_torch(
    shape, weight_kind, pos_weight_kind, reduction, dtype, device, generator
):
    x = randn(shape, generator, dtype, device, scale=3.0)
    t = (torch.rand(shape, generator=generator) < 0.5).to(dtype).to(device)
    t.view(-1)[::4] = 0.3  # and a few soft labels
    w = weight_for(shape, weight_kind, generator, dtype, device)
    q = weight_for(shape, pos_weight_kind, generator, dtype, device)
    kw = dict(weight=w, reduction=reduction, pos_weight=q)
    compare(
        lambda a, b: lossbook.binary_cross_entropy_with_logits(a, b, **kw),
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, **kw),
        [x, t],
        dtype,
        generator,
    )


def test_bce_weights_that_require_grad(generator):
    # torch refuses weights that require grad here; lossbook differentiates them (by autograd)
    x = torch.randn(4, 3, generator=generator, dtype=torch.float64)
    t = torch.rand(4, 3, generator=generator, dtype=torch.float64)
    w = torch.rand(3, generator=generator, dtype=torch.float64) + 0.5
    q = torch.rand(3, generator=generator, dtype=torch.float64) + 0.5
    compare(
        lambda a: lossbook.binary_cross_entropy_with_logits(
            a, t, weight=w.clone().requires_grad_(), pos_weight=q.clone().requires_grad_()
        ),
        lambda a: F.binary_cross_entropy_with_logits(a, t, weight=w, pos_weight=q),
        [x],
        torch.float64,
        generator,
    )
    compare(
        lambda a: lossbook.binary_cross_entropy(a, t, weight=w.clone().requires_grad_()),
        lambda a: F.binary_cross_entropy(a, t, weight=w),
        [torch.sigmoid(x)],
        torch.float64,
        generator,
    )
    assert torch.autograd.gradcheck(
        lambda b, c: lossbook.binary_cross_entropy_with_logits(x, t, weight=b, pos_weight=c),
        (w.clone().requires_grad_(), q.clone().requires_grad_()),
    )
    assert torch.autograd.gradcheck(
        lambda b: lossbook.binary_cross_entropy(torch.sigmoid(x), t, weight=b), (w.clone().requires_grad_(),)
    )


def test_bce_with_logits_equals_bce_of_the_sigmoid_where_that_is_accurate(generator):
    x = torch.randn(50, generator=generator, dtype=torch.float64)
    t = torch.rand(50, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(
        lossbook.binary_cross_entropy_with_logits(x, t), lossbook.binary_cross_entropy(torch.sigmoid(x), t)
    )


# --- margins ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 4), (4,)], ids=["NC", "C"])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multi_margin_agrees_with_torch(shape, p, margin, weighted, reduction, dtype, device, generator):
    x = randn(shape, generator, dtype, device, scale=0.7)
    num_classes = shape[-1]
    y = torch.randint(0, num_classes, shape[:-1], generator=generator).to(device)
    w = (
        (torch.rand(num_classes, generator=generator, dtype=torch.float64) + 0.5).to(dtype).to(device)
        if weighted
        else None
    )
    kw = dict(p=p, margin=margin, weight=w, reduction=reduction)
    compare(
        lambda a: lossbook.multi_margin_loss(a, y, **kw),
        lambda a: F.multi_margin_loss(a, y, **kw),
        [x],
        dtype,
        generator,
    )


@pytest.mark.parametrize("target_dtype", [torch.int64, torch.float32, torch.float64])
def test_hinge_agrees_with_sklearn(target_dtype, generator):
    f = torch.randn(40, generator=generator, dtype=torch.float64) * 2
    y = torch.where(torch.rand(40, generator=generator) < 0.4, -1, 1)
    expected = metrics.hinge_loss(y.numpy(), f.numpy())
    assert lossbook.hinge_loss(f, y.to(target_dtype)).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("margin", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_matches_its_formula_with_gradient(margin, reduction, device, generator):
    f = randn((5, 3), generator, torch.float64, device)
    y = torch.where(torch.rand(5, 3, generator=generator) < 0.5, -1.0, 1.0).to(torch.float64).to(device)
    reference = lambda a, b: reduce(torch.clamp(margin - a * b, min=0), reduction)  # noqa: E731
    compare(
        lambda a, b: lossbook.hinge_loss(a, b, margin=margin, reduction=reduction),
        reference,
        [f, y],
        torch.float64,
        generator,
        grad_of=[0],
    )


# --- KL divergence ----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_div_agrees_with_torch(reduction, log_target, dtype, device, generator):
    x = torch.log_softmax(randn((5, 4), generator, dtype, device), 1)
    t = torch.softmax(randn((5, 4), generator, dtype, device), 1)
    t[0, 1] = 0.0  # 0 log 0 = 0
    if log_target:
        t = torch.log(t)
    kw = dict(reduction=reduction, log_target=log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns that "mean" is not the KL
        compare(lambda a: lossbook.kl_div(a, t, **kw), lambda a: F.kl_div(a, t, **kw), [x], dtype, generator)


def test_kl_div_is_cross_entropy_minus_entropy(generator):
    q = torch.softmax(torch.randn(6, 5, generator=generator, dtype=torch.float64), 1)
    t = torch.softmax(torch.randn(6, 5, generator=generator, dtype=torch.float64), 1)
    ce = lossbook.cross_entropy(torch.log(q), t, reduction="sum")
    entropy = -(t * torch.log(t)).sum()
    torch.testing.assert_close(lossbook.kl_div(torch.log(q), t, reduction="sum"), ce - entropy)


# --- 0-1 loss ---------------------------------------------------------------------------------


def test_zero_one_agrees_with_sklearn(generator):
    scores = torch.randn(30, 4, generator=generator)
    y = torch.randint(0, 4, (30,), generator=generator)
    pred = scores.argmax(1)
    assert lossbook.zero_one_loss(scores, y).item() == pytest.approx(
        metrics.zero_one_loss(y.numpy(), pred.numpy())
    )
    assert lossbook.zero_one_loss(pred, y, reduction="sum").item() == metrics.zero_one_loss(
        y.numpy(), pred.numpy(), normalize=False
    )
    per_sample = lossbook.zero_one_loss(scores, y, reduction="none")
    assert per_sample.shape == (30,) and torch.equal(per_sample, (pred != y).float())


def test_zero_one_has_no_gradient():
    scores = torch.randn(4, 3, requires_grad=True)
    loss = lossbook.zero_one_loss(scores, torch.tensor([0, 1, 2, 0]))
    assert not loss.requires_grad
    assert lossbook.zero_one_loss(torch.tensor([0.2, 0.9, 0.1]), torch.tensor(1)).item() == 0.0


def test_zero_one_reproduces_the_table_of_source_004():
    # true 1, predicted 1: loss 0; true 2, predicted 1: loss 1
    loss = lossbook.zero_one_loss(torch.tensor([1, 1]), torch.tensor([1, 2]), reduction="none")
    assert loss.tolist() == [0.0, 1.0]


# --- focal losses ------------------------------------------------------------------------------


def torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, as published (torchvision is not installed here)."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


@pytest.mark.parametrize("alpha", [0.25, -1.0, 0.8, 0.0])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_focal_agrees_with_torchvision(alpha, gamma, reduction, dtype, device, generator):
    x = randn((6, 5), generator, dtype, device)
    t = (torch.rand(6, 5, generator=generator) < 0.3).to(dtype).to(device)
    t[0, :2] = 0.6  # soft labels too
    kw = dict(alpha=alpha, gamma=gamma, reduction=reduction)
    compare(
        lambda a, b: lossbook.sigmoid_focal_loss(a, b, **kw),
        lambda a, b: torchvision_sigmoid_focal_loss(a, b, **kw),
        [x, t],
        dtype,
        generator,
        grad_of=[0],
    )


def test_sigmoid_focal_properties_torchvision_checks(generator):
    x = torch.randn(100, generator=generator, dtype=torch.float64) * 3
    t = (torch.rand(100, generator=generator) < 0.5).double()
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    focal = lossbook.sigmoid_focal_loss(x, t, alpha=0.25, gamma=2.0, reduction="none")
    assert bool((focal <= ce).all())
    p = torch.sigmoid(x)
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = 0.25 * t + 0.75 * (1 - t)
    torch.testing.assert_close(focal / ce, alpha_t * (1 - p_t) ** 2)


def test_sigmoid_focal_with_gamma_0_and_no_alpha_is_bce_with_logits(generator):
    x = torch.randn(20, generator=generator, dtype=torch.float64, requires_grad=True)
    t = torch.rand(20, generator=generator, dtype=torch.float64)
    (ga,) = torch.autograd.grad(lossbook.sigmoid_focal_loss(x, t, alpha=-1, gamma=0.0), x)
    (gb,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(x, t), x)
    torch.testing.assert_close(
        lossbook.sigmoid_focal_loss(x, t, alpha=-1, gamma=0.0), F.binary_cross_entropy_with_logits(x, t)
    )
    torch.testing.assert_close(ga, gb)


def softmax_focal_reference(x, y, alpha, gamma, ignore_index, reduction):
    """-alpha_y (1 - p_y)^gamma log p_y, written naively, rows (N, C)."""
    losses = []
    for i in range(x.shape[0]):
        if y[i] == ignore_index:
            continue
        logp = torch.log_softmax(x[i], 0)[y[i]]
        term = -((1 - logp.exp()) ** gamma) * logp
        losses.append(term * (alpha[y[i]] if alpha is not None else 1.0))
    out = torch.stack(losses)
    return out.mean() if reduction == "mean" else out.sum()


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("with_alpha", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_softmax_focal_matches_its_formula(gamma, with_alpha, reduction, generator):
    x = torch.randn(7, 4, generator=generator, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3, -100, 1, 2])
    alpha = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64) if with_alpha else None
    compare(
        lambda a: lossbook.softmax_focal_loss(a, y, alpha=alpha, gamma=gamma, reduction=reduction),
        lambda a: softmax_focal_reference(a, y, alpha, gamma, -100, reduction),
        [x],
        torch.float64,
        generator,
    )


@pytest.mark.parametrize("shapes", CLASS_SHAPES, ids=["NC", "NCd1d2", "C"])
@pytest.mark.parametrize("ignore", ["none", "default", "class"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_focal_with_gamma_0_and_no_alpha_is_cross_entropy(
    shapes, ignore, reduction, dtype, device, generator
):
    x, y, ignore_index, _ = class_case(*shapes, ignore, generator, device, dtype)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    compare(
        lambda a: lossbook.softmax_focal_loss(a, y, gamma=0.0, **kw),
        lambda a: lossbook.cross_entropy(a, y, **kw),
        [x],
        dtype,
        generator,
    )


def test_softmax_focal_reproduces_source_004_numbers():
    # alpha = 1, gamma = 2; the true class 1 gets p = 0.3 (hard) then p = 0.8 (easy)
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1]], dtype=torch.float64))
    y = torch.tensor([1, 1])
    focal = lossbook.softmax_focal_loss(logits, y, gamma=2.0, reduction="none")
    ce = lossbook.cross_entropy(logits, y, reduction="none")
    torch.testing.assert_close(ce, -torch.log(torch.tensor([0.3, 0.8], dtype=torch.float64)))
    torch.testing.assert_close(focal, torch.tensor([0.49, 0.04], dtype=torch.float64) * ce)
    # the easy sample's loss shrinks 25 times, not "nearly 100"
    assert (ce / focal)[1].item() == pytest.approx(25.0)


# --- gradients ---------------------------------------------------------------------------------


def _gradcheck_cases():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 2, 1, -100])
    w = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    p = torch.rand(4, 3, generator=g, dtype=torch.float64) * 0.9 + 0.05
    t = torch.rand(4, 3, generator=g, dtype=torch.float64)
    hard = (torch.rand(4, 3, generator=g) < 0.5).double()
    pm = torch.where(hard > 0, 1.0, -1.0).double()
    x3 = torch.randn(2, 3, 2, generator=g, dtype=torch.float64)
    y3 = torch.tensor([[0, 2], [1, 1]])
    yv = torch.tensor([0, 2, 1, 1])
    return [
        ("ce", lambda a, r: lossbook.cross_entropy(a, y, reduction=r), x),
        (
            "ce-weight-smooth",
            lambda a, r: lossbook.cross_entropy(a, y, weight=w, label_smoothing=0.2, reduction=r),
            x,
        ),
        (
            "ce-NCd",
            lambda a, r: lossbook.cross_entropy(a, y3, weight=w, label_smoothing=0.1, reduction=r),
            x3,
        ),
        (
            "ce-prob",
            lambda a, r: lossbook.cross_entropy(
                a, torch.softmax(t, 1), weight=w, label_smoothing=0.1, reduction=r
            ),
            x,
        ),
        ("nll", lambda a, r: lossbook.nll_loss(a, y, weight=w, reduction=r), x),
        ("bce", lambda a, r: lossbook.binary_cross_entropy(a, t, weight=w, reduction=r), p),
        ("bce-target", lambda a, r: lossbook.binary_cross_entropy(p, a, reduction=r), t),
        (
            "bcel",
            lambda a, r: lossbook.binary_cross_entropy_with_logits(
                a, t, weight=w, pos_weight=w + 1, reduction=r
            ),
            x,
        ),
        (
            "bcel-target",
            lambda a, r: lossbook.binary_cross_entropy_with_logits(x, a, pos_weight=w + 1, reduction=r),
            t,
        ),
        ("hinge", lambda a, r: lossbook.hinge_loss(a, pm, margin=0.5, reduction=r), x),
        ("multi-margin", lambda a, r: lossbook.multi_margin_loss(a, yv, p=2, weight=w, reduction=r), x * 0.3),
        ("sigmoid-focal", lambda a, r: lossbook.sigmoid_focal_loss(a, hard, reduction=r), x),
        ("sigmoid-focal-0.5", lambda a, r: lossbook.sigmoid_focal_loss(a, t, gamma=0.5, reduction=r), x),
        ("softmax-focal", lambda a, r: lossbook.softmax_focal_loss(a, y, alpha=w, gamma=1.5, reduction=r), x),
        (
            "kl",
            lambda a, r: lossbook.kl_div(a, torch.softmax(t, 1), reduction="batchmean" if r == "mean" else r),
            torch.log_softmax(x, 1),
        ),
    ]


GRADCHECK_CASES = _gradcheck_cases()


@pytest.mark.parametrize("name, loss, x", GRADCHECK_CASES, ids=[c[0] for c in GRADCHECK_CASES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_float64(name, loss, x, reduction):
    assert torch.autograd.gradcheck(lambda a: loss(a, reduction), (x.clone().requires_grad_(),))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_second_derivatives_agree_with_torch(weighted, reduction):
    # nll_loss is autograd's gather: its gradient is differentiable (a Hessian through
    # log_softmax is not zero), as torch's is.
    z = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    y, w = (
        torch.tensor([0, 2, 1, 2]),
        torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64) if weighted else None,
    )
    hessians = []
    for f in (lossbook.nll_loss, F.nll_loss):
        (g,) = torch.autograd.grad(f(z.log_softmax(1), y, w, reduction=reduction).sum(), z, create_graph=True)
        hessians.append(torch.autograd.grad(g.square().sum(), z)[0])
    torch.testing.assert_close(*hessians)


def test_backward_twice_with_retain_graph_gives_the_same_gradient():
    x = torch.randn(5, 4, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 1])
    t = torch.rand(5, 4)
    for out in (
        lossbook.cross_entropy(x, y, label_smoothing=0.1),
        lossbook.binary_cross_entropy_with_logits(x, t),
        lossbook.binary_cross_entropy(torch.sigmoid(x), t),
    ):
        (g1,) = torch.autograd.grad(out, x, retain_graph=True)
        (g2,) = torch.autograd.grad(out, x)
        assert torch.equal(g1, g2)


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy_with_logits", "multi_margin_loss"])
def test_second_derivatives_are_refused_with_a_clear_error_not_a_silent_constant(loss):
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    call = {
        "cross_entropy": lambda: lossbook.cross_entropy(x, torch.tensor([0, 1, 2])),
        "binary_cross_entropy_with_logits": lambda: lossbook.binary_cross_entropy_with_logits(
            x, torch.ones_like(x)
        ),
        "multi_margin_loss": lambda: lossbook.multi_margin_loss(x, torch.tensor([0, 1, 2])),
    }[loss]
    with pytest.raises(RuntimeError, match=f"lossbook.{loss} .*second derivatives"):
        torch.autograd.grad(call(), x, create_graph=True)
    (g,) = torch.autograd.grad(call(), x)  # first derivatives are unaffected
    assert torch.isfinite(g).all()


# --- stability ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_is_exact_and_finite_at_logits_of_1e4(dtype, device):
    x = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], dtype=dtype, device=device, requires_grad=True)
    y = torch.tensor([0, 0], device=device)
    loss = lossbook.cross_entropy(x, y, reduction="none")
    assert loss.tolist() == [0.0, 2e4]
    loss.sum().backward()
    assert torch.isfinite(x.grad).all()
    expected = torch.tensor([[0.0, 0.0, 0.0], [-1.0, 1.0, 0.0]], dtype=dtype, device=device)
    assert torch.equal(x.grad, expected)
    smoothed = lossbook.cross_entropy(x.detach(), y, label_smoothing=0.1, reduction="none")
    assert torch.isfinite(smoothed).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_is_exact_and_finite_at_logits_of_1e4(dtype, device):
    x = torch.tensor([1e4, -1e4, 1e4, -1e4], dtype=dtype, device=device, requires_grad=True)
    t = torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=dtype, device=device)
    loss = lossbook.binary_cross_entropy_with_logits(x, t, reduction="none")
    assert loss.tolist() == [0.0, 1e4, 1e4, 0.0]
    loss.sum().backward()
    assert x.grad.tolist() == [0.0, -1.0, 1.0, 0.0]
    q = torch.full((4,), 3.0, dtype=dtype, device=device)
    assert lossbook.binary_cross_entropy_with_logits(
        x.detach(), t, pos_weight=q, reduction="none"
    ).tolist() == [0.0, 3e4, 1e4, 0.0]


def test_bce_is_finite_at_probabilities_0_and_1_like_torch():
    p = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5], dtype=torch.float64)
    t = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0], dtype=torch.float64)
    for target_grad in (False, True):
        compare(
            lambda a, b: lossbook.binary_cross_entropy(a, b, reduction="none"),
            lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
            [p, t],
            torch.float64,
            torch.Generator().manual_seed(0),
            grad_of=[0, 1] if target_grad else [0],
        )
    loss = lossbook.binary_cross_entropy(p, t, reduction="none")
    assert loss.tolist()[:4] == [100.0, 100.0, 0.0, 0.0]


def test_bce_on_a_float32_sigmoid_loses_what_the_logits_form_keeps():
    x = torch.tensor([20.0, 40.0])
    t = torch.tensor([0.0, 0.0])
    assert torch.sigmoid(x).tolist() == [1.0, 1.0]  # rounded: the information is gone
    assert lossbook.binary_cross_entropy(torch.sigmoid(x), t, reduction="none").tolist() == [100.0, 100.0]
    assert lossbook.binary_cross_entropy_with_logits(x, t, reduction="none").tolist() == pytest.approx(
        [20.0, 40.0]
    )


@pytest.mark.parametrize("gamma", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("dtype", DTYPES)
def test_focal_gradients_stay_finite_as_p_t_goes_to_1(gamma, dtype, device):
    x = torch.tensor([5.0, 17.0, 30.0, 90.0, 200.0, 1e4], dtype=dtype, device=device)
    for sign, label in ((1.0, 1.0), (-1.0, 0.0)):
        logits = (sign * x).requires_grad_()
        t = torch.full_like(x, label)
        loss = lossbook.sigmoid_focal_loss(logits, t, gamma=gamma, reduction="sum")
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    rows = torch.zeros(6, 3, dtype=dtype, device=device)
    rows[:, 0] = x
    rows.requires_grad_()
    loss = lossbook.softmax_focal_loss(
        rows, torch.zeros(6, dtype=torch.long, device=device), gamma=gamma, reduction="sum"
    )
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(rows.grad).all()


def test_torchvision_formula_itself_gives_nan_there():
    # the reason for the careful form: 1 - p_t rounds to 0 and 0 ** (gamma - 1) is inf
    x = torch.tensor([30.0], requires_grad=True)
    torchvision_sigmoid_focal_loss(x, torch.ones(1), gamma=0.5, reduction="sum").backward()
    assert torch.isnan(x.grad).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs_are_computed_in_float32(dtype):
    x = torch.randn(6, 4).to(dtype).requires_grad_()
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    t = (torch.rand(6, 4) < 0.5).to(dtype)
    p = torch.rand(6, 4).clamp(0.05, 0.95).to(dtype)
    outs = [
        lossbook.cross_entropy(x, y, label_smoothing=0.1),
        lossbook.nll_loss(torch.log_softmax(x.float(), 1).to(dtype), y),
        lossbook.binary_cross_entropy_with_logits(x, t),
        lossbook.binary_cross_entropy(p, t),
        lossbook.sigmoid_focal_loss(x, t),
        lossbook.softmax_focal_loss(x, y),
        lossbook.multi_margin_loss(x, y),
    ]
    for out in outs:
        assert out.dtype == dtype and torch.isfinite(out)
    sum(o.float() for o in outs).backward()
    assert x.grad.dtype == dtype and torch.isfinite(x.grad).all()


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda y: lossbook.cross_entropy(torch.randn(4, 3, device=y.device), y),
        lambda y: lossbook.nll_loss(torch.randn(4, 3, device=y.device), y),
        lambda y: lossbook.softmax_focal_loss(torch.randn(4, 3, device=y.device), y),
        lambda y: lossbook.multi_margin_loss(torch.randn(4, 3, device=y.device), y),
    ],
    ids=["cross_entropy", "nll_loss", "softmax_focal_loss", "multi_margin_loss"],
)
@pytest.mark.parametrize("bad", [3, -1, 7])
def test_class_index_out_of_range_is_a_value_error_naming_it(call, bad, device):
    # on CUDA too: the check runs before any indexing, so there is no device-side assert
    y = torch.tensor([0, 1, bad, 2], device=device)
    with pytest.raises(ValueError, match=rf"class index equal to {bad}\b"):
        call(y)


def test_class_index_check_comes_before_any_indexing(monkeypatch):
    # if anything indexed with the bad label first, gather would raise a RuntimeError instead
    def no_gather(*args, **kwargs):
        raise AssertionError("indexed before checking")

    monkeypatch.setattr(torch.Tensor, "gather", no_gather)
    monkeypatch.setattr(torch, "log_softmax", no_gather)
    with pytest.raises(ValueError, match="class index equal to 9"):
        lossbook.cross_entropy(torch.randn(2, 3), torch.tensor([0, 9]))


def test_ignore_index_value_is_not_out_of_range():
    x = torch.randn(3, 4)
    y = torch.tensor([0, -5, 3])
    torch.testing.assert_close(
        lossbook.cross_entropy(x, y, ignore_index=-5), F.cross_entropy(x, y, ignore_index=-5)
    )
    with pytest.raises(ValueError, match="class index equal to -5"):
        lossbook.cross_entropy(x, y)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: lossbook.binary_cross_entropy(torch.tensor([0.5, 1.2]), torch.tensor([1.0, 0.0])),
            "input.*1.2",
        ),
        (
            lambda: lossbook.binary_cross_entropy(torch.tensor([0.5, -0.1]), torch.tensor([1.0, 0.0])),
            "input.*-0.1",
        ),
        (
            lambda: lossbook.binary_cross_entropy(torch.tensor([0.5, 0.2]), torch.tensor([1.0, 2.0])),
            "target.*2.0",
        ),
        (
            lambda: lossbook.binary_cross_entropy(
                torch.tensor([0.5, float("nan")]), torch.tensor([1.0, 0.0])
            ),
            "NaN",
        ),
        (
            lambda: lossbook.binary_cross_entropy_with_logits(torch.randn(2), torch.tensor([1.0, -1.0])),
            "target.*-1.0",
        ),
        (lambda: lossbook.sigmoid_focal_loss(torch.randn(2), torch.tensor([1.0, 3.0])), "target.*3.0"),
        (
            lambda: lossbook.cross_entropy(
                torch.randn(2, 3), torch.tensor([[0.5, 0.7, -0.2], [0.0, 1.0, 0.0]])
            ),
            "target.*-0.2",
        ),
        (
            lambda: lossbook.kl_div(torch.randn(2, 3), torch.tensor([[0.5, 1.5, 0.0], [0.0, 1.0, 0.0]])),
            "target.*1.5",
        ),
    ],
)
def test_probabilities_outside_0_1_are_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("labels", [[0, 1, 1], [1, -1, 2], [0.5, 1.0, -1.0]])
def test_hinge_targets_must_be_plus_or_minus_one(labels):
    with pytest.raises(ValueError, match=r"target must have every element in \{-1, 1\}"):
        lossbook.hinge_loss(torch.randn(3), torch.tensor(labels))


@pytest.mark.parametrize(
    "call",
    [
        lambda: lossbook.cross_entropy(torch.randn(4, 3), torch.tensor([0, 1, 2])),
        lambda: lossbook.cross_entropy(torch.randn(4, 3, 2), torch.zeros(4, 3, dtype=torch.long)),
        lambda: lossbook.cross_entropy(torch.randn(3), torch.tensor([0])),
        lambda: lossbook.cross_entropy(torch.randn(4, 3), torch.rand(4, 2)),
        lambda: lossbook.cross_entropy(torch.tensor(1.0), torch.tensor(0)),
        lambda: lossbook.nll_loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 0, 1])),
        lambda: lossbook.binary_cross_entropy(torch.rand(3), torch.rand(4)),
        lambda: lossbook.binary_cross_entropy(torch.rand(3), torch.rand(3, 1)),
        lambda: lossbook.binary_cross_entropy_with_logits(
            torch.randn(4, 3), torch.rand(4, 3), pos_weight=torch.ones(2)
        ),
        lambda: lossbook.binary_cross_entropy_with_logits(
            torch.randn(4, 3), torch.rand(4, 3), weight=torch.ones(4, 3, 1)
        ),
        lambda: lossbook.binary_cross_entropy(torch.rand(4, 3), torch.rand(4, 3), weight=torch.ones(5)),
        lambda: lossbook.cross_entropy(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), weight=torch.ones(4)),
        lambda: lossbook.softmax_focal_loss(
            torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), alpha=torch.ones(2)
        ),
        lambda: lossbook.hinge_loss(torch.randn(4), torch.ones(3)),
        lambda: lossbook.multi_margin_loss(torch.randn(4, 3), torch.tensor([0, 1])),
        lambda: lossbook.multi_margin_loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), p=3),
        lambda: lossbook.zero_one_loss(torch.randn(4, 3), torch.tensor([0, 1])),
        lambda: lossbook.kl_div(torch.randn(4, 3), torch.rand(4, 2)),
        lambda: lossbook.sigmoid_focal_loss(torch.randn(4), torch.rand(5)),
    ],
)
def test_shape_and_batch_mismatches_are_value_errors(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: lossbook.cross_entropy(torch.tensor([[2, 1, 0]]), torch.tensor([0])),
        lambda: lossbook.nll_loss(torch.tensor([[2, 1, 0]]), torch.tensor([0])),
        lambda: lossbook.binary_cross_entropy_with_logits(torch.tensor([2, -1]), torch.tensor([1.0, 0.0])),
        lambda: lossbook.binary_cross_entropy(torch.tensor([1, 0]), torch.tensor([1.0, 0.0])),
        lambda: lossbook.hinge_loss(torch.tensor([2, -1]), torch.tensor([1, -1])),
        lambda: lossbook.multi_margin_loss(torch.tensor([[2, 1, 0]]), torch.tensor([0])),
        lambda: lossbook.sigmoid_focal_loss(torch.tensor([2, -1]), torch.tensor([1.0, 0.0])),
        lambda: lossbook.softmax_focal_loss(torch.tensor([[2, 1, 0]]), torch.tensor([0])),
        lambda: lossbook.kl_div(torch.tensor([[0, 0]]), torch.tensor([[0.5, 0.5]])),
        lambda: lossbook.nll_loss(torch.randn(2, 3), torch.tensor([0.0, 1.0])),
        lambda: lossbook.cross_entropy(torch.randn(2, 3), [0, 1]),
        lambda: lossbook.cross_entropy(torch.randn(2, 3), torch.tensor([0, 1]), ignore_index=1.5),
    ],
)
def test_integer_logits_and_wrong_types_are_type_errors(call):
    with pytest.raises(TypeError):
        call()


# The policy of lossbook.validation: TypeError for a wrong type or dtype, ValueError for a wrong
# value or shape, each message naming the argument. The calls below used to raise a ValueError.


@pytest.mark.parametrize(
    "call",
    [
        lambda: lossbook.cross_entropy(torch.randn(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0])),
        lambda: lossbook.cross_entropy(torch.randn(4, 3, 5), torch.zeros(4, 5)),
        lambda: lossbook.cross_entropy(torch.randn(3), torch.tensor(1.0)),
        lambda: lossbook.CrossEntropyLoss()(torch.randn(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0])),
        lambda: lossbook.nll_loss(torch.randn(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0])),
        lambda: lossbook.softmax_focal_loss(torch.randn(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0])),
        lambda: lossbook.multi_margin_loss(torch.randn(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0])),
    ],
    ids=[
        "cross_entropy",
        "cross_entropy_dense",
        "cross_entropy_0d",
        "module",
        "nll",
        "focal",
        "multi_margin",
    ],
)
def test_float_class_labels_are_type_errors_that_suggest_long(call):
    # a float target of the class indices' shape is a wrong dtype, not a wrong shape of probabilities
    with pytest.raises(TypeError, match=r"^target .*integer dtype.*target\.long\(\).*; got torch\.float32$"):
        call()


def test_float_targets_of_neither_shape_are_still_value_errors_about_the_shape():
    with pytest.raises(ValueError, match=r"class probabilities and must have input's shape"):
        lossbook.cross_entropy(torch.randn(4, 3), torch.rand(4, 2))


@pytest.mark.parametrize("p", ["2", True, None, torch.tensor(2)])
def test_multi_margin_p_of_a_wrong_type_is_a_type_error_naming_p(p):
    x, y = torch.randn(4, 3), torch.tensor([0, 1, 2, 1])
    with pytest.raises(TypeError, match=r"^p must be the integer 1 or 2; got "):
        lossbook.multi_margin_loss(x, y, p=p)
    with pytest.raises(TypeError, match=r"^p must be the integer 1 or 2; got "):
        lossbook.MultiMarginLoss(p=p)


@pytest.mark.parametrize("p", [0, 3, 1.5, float("nan")])
def test_multi_margin_p_other_than_1_or_2_is_a_value_error_naming_p(p):
    x, y = torch.randn(4, 3), torch.tensor([0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"^p must be 1 or 2; got "):
        lossbook.multi_margin_loss(x, y, p=p)
    with pytest.raises(ValueError, match=r"^p must be 1 or 2; got "):
        lossbook.MultiMarginLoss(p=p)


def test_multi_margin_p_given_as_a_float_1_or_2_still_works(generator):
    x, y = torch.randn(4, 3, generator=generator), torch.tensor([0, 1, 2, 1])
    for p in (1, 2):
        torch.testing.assert_close(
            lossbook.multi_margin_loss(x, y, p=float(p)), F.multi_margin_loss(x, y, p=p)
        )
        assert lossbook.MultiMarginLoss(p=float(p)).p == p


@pytest.mark.parametrize(
    "call, exception, message",
    [
        (lambda: lossbook.KLDivLoss(log_target=1), TypeError, "^log_target must be a bool"),
        (lambda: lossbook.kl_div(torch.randn(2), torch.rand(2), log_target="yes"), TypeError, "^log_target"),
        (lambda: lossbook.CrossEntropyLoss(ignore_index=1.0), TypeError, "^ignore_index must be an int"),
        (lambda: lossbook.SoftmaxFocalLoss(ignore_index=None), TypeError, "^ignore_index must be an int"),
        (
            lambda: lossbook.BCEWithLogitsLoss(pos_weight=[2.0]),
            TypeError,
            "^pos_weight must be a torch.Tensor",
        ),
        (
            lambda: lossbook.SoftmaxFocalLoss(alpha=torch.tensor([1, 2])),
            TypeError,
            "^alpha must have a floating",
        ),
        (lambda: lossbook.BCELoss(weight=torch.tensor([1, 2])), TypeError, "^weight must have a floating"),
        (
            lambda: lossbook.cross_entropy(
                torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), weight=torch.ones(3, 1)
            ),
            ValueError,
            r"^weight must be a 1-D tensor with one entry per class \(3\)",
        ),
        (
            lambda: lossbook.softmax_focal_loss(
                torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), alpha=torch.ones(2)
            ),
            ValueError,
            r"^alpha must be a 1-D tensor",
        ),
        (
            lambda: lossbook.binary_cross_entropy_with_logits(
                torch.randn(4, 3), torch.rand(4, 3), pos_weight=torch.ones(2)
            ),
            ValueError,
            r"^pos_weight must broadcast to the shape of input \(4, 3\)",
        ),
        (
            lambda: lossbook.zero_one_loss([0, 1], torch.tensor([0, 1])),
            TypeError,
            "^input must be a torch.Tensor",
        ),
        (
            lambda: lossbook.hinge_loss(torch.randn(2), torch.tensor([True, False])),
            TypeError,
            "^target must hold the labels -1 and",
        ),
        (
            lambda: lossbook.multi_margin_loss(torch.randn(2, 3, 4), torch.zeros(2, 4)),
            ValueError,
            "^input must have",
        ),
    ],
)
def test_bad_arguments_raise_the_policys_class_and_name_the_argument(call, exception, message):
    with pytest.raises(exception, match=message):
        call()


@pytest.mark.parametrize("eps", [-0.1, 1.5, float("nan")])
def test_label_smoothing_outside_0_1_is_a_value_error(eps):
    with pytest.raises(ValueError, match="label_smoothing"):
        lossbook.cross_entropy(torch.randn(2, 3), torch.tensor([0, 1]), label_smoothing=eps)
    with pytest.raises(ValueError, match="label_smoothing"):
        lossbook.CrossEntropyLoss(label_smoothing=eps)


@pytest.mark.parametrize(
    "call",
    [
        lambda: lossbook.cross_entropy(torch.randn(2, 3), torch.tensor([0, 1]), reduction="avg"),
        lambda: lossbook.kl_div(torch.randn(2, 3), torch.rand(2, 3), reduction="average"),
        lambda: lossbook.binary_cross_entropy(torch.rand(2), torch.rand(2), reduction="batchmean"),
        lambda: lossbook.sigmoid_focal_loss(torch.randn(2), torch.rand(2), gamma=-1.0),
        lambda: lossbook.sigmoid_focal_loss(torch.randn(2), torch.rand(2), alpha=1.5),
        lambda: lossbook.softmax_focal_loss(torch.randn(2, 3), torch.tensor([0, 1]), gamma=-0.5),
        lambda: lossbook.hinge_loss(torch.randn(2), torch.ones(2), margin=-1.0),
    ],
)
def test_bad_options_are_value_errors(call):
    with pytest.raises(ValueError):
        call()


# --- modules -----------------------------------------------------------------------------------


def test_modules_call_their_functions_and_move_their_weights(generator):
    x = torch.randn(5, 3, generator=generator)
    y = torch.tensor([0, 1, 2, 1, 0])
    t = torch.rand(5, 3, generator=generator)
    pm = torch.where(t > 0.5, 1.0, -1.0)
    w = torch.tensor([0.5, 1.0, 2.0])
    pairs = [
        (
            lossbook.BCELoss(weight=w, reduction="sum"),
            lossbook.binary_cross_entropy(torch.sigmoid(x), t, weight=w, reduction="sum"),
            (torch.sigmoid(x), t),
        ),
        (
            lossbook.BCEWithLogitsLoss(weight=w, pos_weight=w),
            lossbook.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=w),
            (x, t),
        ),
        (
            lossbook.CrossEntropyLoss(weight=w, ignore_index=2, label_smoothing=0.1),
            lossbook.cross_entropy(x, y, weight=w, ignore_index=2, label_smoothing=0.1),
            (x, y),
        ),
        (
            lossbook.NLLLoss(weight=w, reduction="none"),
            lossbook.nll_loss(x, y, weight=w, reduction="none"),
            (x, y),
        ),
        (lossbook.HingeLoss(margin=0.5), lossbook.hinge_loss(x, pm, margin=0.5), (x, pm)),
        (
            lossbook.MultiMarginLoss(p=2, margin=0.5, weight=w),
            lossbook.multi_margin_loss(x, y, p=2, margin=0.5, weight=w),
            (x, y),
        ),
        (
            lossbook.SigmoidFocalLoss(alpha=0.5, gamma=1.0),
            lossbook.sigmoid_focal_loss(x, t, alpha=0.5, gamma=1.0),
            (x, t),
        ),
        (
            lossbook.SoftmaxFocalLoss(alpha=w, gamma=1.0),
            lossbook.softmax_focal_loss(x, y, alpha=w, gamma=1.0),
            (x, y),
        ),
        (
            lossbook.KLDivLoss(log_target=True),
            lossbook.kl_div(torch.log_softmax(x, 1), torch.log_softmax(t, 1), log_target=True),
            (torch.log_softmax(x, 1), torch.log_softmax(t, 1)),
        ),
    ]
    for module, expected, args in pairs:
        torch.testing.assert_close(module(*args), expected)
        assert isinstance(module, torch.nn.Module) and "reduction" in repr(module)
    module = lossbook.CrossEntropyLoss(weight=w)
    assert "weight" in dict(module.named_buffers())
    assert module.to(torch.float64).weight.dtype == torch.float64
    assert lossbook.KLDivLoss().reduction == "batchmean"
    with pytest.raises(ValueError):
        lossbook.KLDivLoss(reduction="avg")


def test_modules_register_their_optional_tensors_as_buffers():
    w = torch.tensor([0.5, 1.0, 2.0])
    cases = [
        (lossbook.BCELoss(weight=w), {"weight"}),
        (lossbook.BCEWithLogitsLoss(weight=w, pos_weight=w.clone()), {"weight", "pos_weight"}),
        (lossbook.CrossEntropyLoss(weight=w), {"weight"}),
        (lossbook.NLLLoss(weight=w), {"weight"}),
        (lossbook.MultiMarginLoss(weight=w), {"weight"}),
        (lossbook.SoftmaxFocalLoss(alpha=w), {"alpha"}),
    ]
    for module, names in cases:
        assert set(dict(module.named_buffers())) == names
        assert all(b.dtype == torch.float64 for b in module.to(torch.float64).buffers())
        assert isinstance(module, WeightedLoss) == ("weight" in names)
    empty = lossbook.BCEWithLogitsLoss()
    assert empty.weight is None and empty.pos_weight is None and not list(empty.buffers())


def test_kl_div_module_takes_batchmean_through_its_base():
    assert lossbook.KLDivLoss().reduction == "batchmean"
    assert lossbook.KLDivLoss(reduction="none").reduction == "none"
    assert "reduction='batchmean'" in repr(lossbook.KLDivLoss())
    with pytest.raises(
        ValueError, match="reduction must be one of 'mean', 'batchmean', 'sum', 'none'; got 'avg'"
    ):
        lossbook.KLDivLoss(reduction="avg")


SECTIONS = {
    "binary": {"binary_cross_entropy", "binary_cross_entropy_with_logits", "BCELoss", "BCEWithLogitsLoss"},
    "cross_entropy": {"cross_entropy", "nll_loss", "kl_div", "CrossEntropyLoss", "NLLLoss", "KLDivLoss"},
    "margin": {"zero_one_loss", "hinge_loss", "multi_margin_loss", "HingeLoss", "MultiMarginLoss"},
    "focal": {"sigmoid_focal_loss", "softmax_focal_loss", "SigmoidFocalLoss", "SoftmaxFocalLoss"},
    "multilabel": {
        "soft_margin_loss",
        "multilabel_soft_margin_loss",
        "multilabel_margin_loss",
        "SoftMarginLoss",
        "MultiLabelSoftMarginLoss",
        "MultiLabelMarginLoss",
    },
}


@pytest.mark.parametrize("section", SECTIONS)
def test_each_name_lives_in_the_file_of_its_chapter_section(section):
    module = importlib.import_module(f"lossbook.classification.{section}")
    assert set(module.__all__) == SECTIONS[section]
    for name in module.__all__:
        assert (
            getattr(C, name) is getattr(module, name) and getattr(module, name).__module__ == module.__name__
        )
    assert set(C.__all__) == set().union(*SECTIONS.values())


def chapter_headings(language="en"):
    path = Path(__file__).resolve().parents[2] / "book" / language / "classification.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = [
        line for c in cells if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()
    ]
    title = next(line[2:] for line in lines if line.startswith("# "))
    return title, {line.lstrip("#").strip() for line in lines if line.startswith("##")}


@pytest.mark.parametrize("name", [n for n in C.__all__ if inspect.isfunction(getattr(C, n))])
def test_each_function_names_the_book_section_that_explains_it(name):
    title, headings = chapter_headings()
    doc = " ".join(inspect.getdoc(getattr(C, name)).split())
    found = re.search(r"Explained in the book: chapter “([^”]+)”, section “([^”]+)”", doc)
    assert found, f"{name}'s docstring does not name the book section that explains it"
    assert found.group(1) == title
    assert found.group(2) in headings, f"{name}: no section {found.group(2)!r} in the chapter"


def test_every_public_name_is_exported():
    for name in C.__all__:
        assert getattr(lossbook, name) is getattr(C, name)
    expected = {
        "zero_one_loss",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "cross_entropy",
        "nll_loss",
        "hinge_loss",
        "multi_margin_loss",
        "sigmoid_focal_loss",
        "softmax_focal_loss",
        "kl_div",
        "BCELoss",
        "BCEWithLogitsLoss",
        "CrossEntropyLoss",
        "NLLLoss",
        "HingeLoss",
        "MultiMarginLoss",
        "SigmoidFocalLoss",
        "SoftmaxFocalLoss",
        "KLDivLoss",
        "soft_margin_loss",
        "multilabel_soft_margin_loss",
        "multilabel_margin_loss",
        "SoftMarginLoss",
        "MultiLabelSoftMarginLoss",
        "MultiLabelMarginLoss",
    }
    assert set(C.__all__) == expected


# --- the sources' worked examples ----------------------------------------------------------------


def test_source_snippets_agree_with_torch():
    # 000: CE and NLL on [[0.1, 0.2, 0.7], [0.3, 0.5, 0.2]], targets [2, 1]; BCE on [0.1, 0.9, 0.8, 0.4]
    output = torch.tensor([[0.1, 0.2, 0.7], [0.3, 0.5, 0.2]])
    target = torch.tensor([2, 1])
    torch.testing.assert_close(lossbook.cross_entropy(output, target), F.cross_entropy(output, target))
    torch.testing.assert_close(
        lossbook.nll_loss(torch.log_softmax(output, 1), target),
        F.nll_loss(torch.log_softmax(output, 1), target),
    )
    out, tgt = torch.tensor([0.1, 0.9, 0.8, 0.4]), torch.tensor([0.0, 1.0, 1.0, 0.0])
    torch.testing.assert_close(lossbook.binary_cross_entropy(out, tgt), F.binary_cross_entropy(out, tgt))
    # 004: BCE on [0.9, 0.1, 0.4] vs [1, 0, 1]; CE on [[2.0, 1.0, 0.1]] with class 0
    assert lossbook.binary_cross_entropy(
        torch.tensor([0.9, 0.1, 0.4]), torch.tensor([1.0, 0.0, 1.0])
    ).item() == pytest.approx(-(math.log(0.9) + math.log(0.9) + math.log(0.4)) / 3, rel=1e-6)
    assert lossbook.cross_entropy(torch.tensor([[2.0, 1.0, 0.1]]), torch.tensor([0])).item() == pytest.approx(
        0.4170, abs=1e-4
    )


def test_source_003_gradient_is_p_minus_y():
    p = torch.tensor([0.34, 0.46, 0.20], dtype=torch.float64)
    z = torch.log(p).requires_grad_()  # logits whose softmax is exactly p
    lossbook.cross_entropy(z, torch.tensor(0)).backward()
    torch.testing.assert_close(z.grad, torch.tensor([-0.66, 0.46, 0.20], dtype=torch.float64))
    assert np.isclose(lossbook.cross_entropy(z.detach(), torch.tensor(0)).item(), -math.log(0.34))


def test_all_combinations_run_on_empty_batches():
    for reduction in REDUCTIONS:
        x = torch.randn(0, 3, requires_grad=True)
        y = torch.zeros(0, dtype=torch.long)
        for ours, theirs in [(lossbook.cross_entropy, F.cross_entropy), (lossbook.nll_loss, F.nll_loss)]:
            a, b = ours(x, y, reduction=reduction), theirs(x, y, reduction=reduction)
            assert a.shape == b.shape
            assert torch.allclose(a, b, equal_nan=True)


# --- helpers this module added to the shared modules ----------------------------------------------


def test_check_in_interval_reports_the_offending_value_and_nan():
    from lossbook.validation import check_in_interval

    check_in_interval("target", torch.tensor([0.0, 0.5, 1.0]), 0.0, 1.0)
    check_in_interval("target", torch.zeros(0), 0.0, 1.0)
    with pytest.raises(
        ValueError, match=r"target must have every element in \[0, 1\]; got an element equal to -0.5"
    ):
        check_in_interval("target", torch.tensor([0.2, -0.5, 0.9]), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"got an element equal to 3.0"):
        check_in_interval("target", torch.tensor([0.2, 3.0]), 0.0, 1.0)
    with pytest.raises(ValueError, match="target must not contain NaN"):
        check_in_interval("target", torch.tensor([0.2, float("nan")]), 0.0, 1.0)


def test_fit_progress_in_a_terminal_leaves_a_blank_line_only(capsys):
    from lossbook.book import training

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(8, 2)
    history = training.fit(
        model,
        lossbook.binary_cross_entropy_with_logits,
        optimizer,
        x,
        torch.rand(8, 1),
        epochs=3,
        progress=True,
    )
    captured = capsys.readouterr()
    assert len(history.loss) == 3 and captured.out == ""
    assert "epoch 3/3" in captured.err and captured.err.endswith("\r")
    assert captured.err.rsplit("\r", 2)[-2].strip() == ""  # the last write blanks the line


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 6),
    c=st.integers(1, 5),
    extra=st.lists(st.integers(1, 3), max_size=2),
    smoothing=st.sampled_from([0.0, 0.1, 1.0]),
    reduction=st.sampled_from(REDUCTIONS),
    weighted=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_agrees_with_torch_on_random_shapes(n, c, extra, smoothing, reduction, weighted, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, *extra, generator=g, dtype=torch.float64) * 3
    y = torch.randint(0, c, (n, *extra), generator=g)
    if y.numel():
        y.view(-1)[0] = -100
    w = torch.rand(c, generator=g, dtype=torch.float64) + 0.1 if weighted else None
    kw = dict(weight=w, reduction=reduction, label_smoothing=smoothing)
    compare(
        lambda a: lossbook.cross_entropy(a, y, **kw),
        lambda a: F.cross_entropy(a, y, **kw),
        [x],
        torch.float64,
        g,
    )
