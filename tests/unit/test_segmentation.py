"""lossbook's mask losses (Dice, Jaccard, Tversky, Lovász) against references written here from
the papers' definitions, and against segmentation_models_pytorch's losses when installed
(loaded by file, tests/references.py); every mode, shapes, ignore_index, edge masks, bad inputs.

The independent references build one-hot targets and sum TP, FP and FN explicitly (Milletari
2016, Sudre 2017, Salehi 2017, with smp's placement of ``smooth`` and ``eps``), and compute the
Lovász extension as a Choquet integral over the error thresholds (Berman 2018, eq. 8), with the
Jaccard loss as a Python set function: neither shares code or formulation with lossbook.
"""

import itertools
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import lossbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from references import smp_losses

SMP = smp_losses()
needs_smp = pytest.mark.skipif(SMP is None, reason="segmentation_models_pytorch is not installed")
MODES = ["binary", "multiclass", "multilabel"]
OVERLAP = {"dice": (0.5, 0.5), "jaccard": (1.0, 1.0), "tversky": None}
# (N, C, *spatial): no spatial dimension, (N, C, L), 2-D and 3-D images.
SHAPES = [(5, 3), (2, 3, 7), (2, 4, 3, 5), (2, 3, 2, 3, 2)]
IGNORE = [None, -1, 255]


def close64(a, b):
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def make_pair(mode, shape, generator, *, ignore_index=None, absent=(), dtype=torch.float64, device="cpu"):
    """Logits and a target for ``mode``; a quarter of the pixels ignored when ``ignore_index``
    is set; the classes in ``absent`` never occur in the target."""
    n, c, *spatial = shape
    if mode == "binary":
        shape = (n, 1, *spatial)
        c = 1
    x = torch.randn(shape, generator=generator, dtype=torch.float64) * 2
    if mode == "multiclass":
        allowed = torch.tensor([k for k in range(c) if k not in absent])
        y = allowed[torch.randint(0, len(allowed), (n, *spatial), generator=generator)]
        drop = torch.rand(y.shape, generator=generator) < 0.25
    else:
        y = (torch.rand(shape, generator=generator) < 0.4).long()
        for k in absent:
            y[:, k] = 0
        drop = torch.rand(shape, generator=generator) < 0.25
    if ignore_index is not None:
        y = y.masked_fill(drop, ignore_index)
    return x.to(dtype).to(device), y.to(device)


# --- the independent references --------------------------------------------------------------


def reference_counts(x, y, mode, from_logits, ignore_index):
    """TP, FP, FN per class from one-hot targets, summed over batch and pixels (float64)."""
    x = x.double()
    if mode == "multiclass":
        p = torch.softmax(x, 1) if from_logits else x
        c = x.shape[1]
        valid = torch.ones_like(y, dtype=torch.bool) if ignore_index is None else y != ignore_index
        t = F.one_hot(torch.where(valid, y, 0), c).movedim(-1, 1).double()
        keep = valid.unsqueeze(1).double()
    else:
        p = torch.sigmoid(x) if from_logits else x
        valid = torch.ones_like(y, dtype=torch.bool) if ignore_index is None else y != ignore_index
        t = torch.where(valid, y, 0).double()
        keep = valid.double()
    dims = [d for d in range(p.dim()) if d != 1]
    if mode == "binary":
        dims = list(range(p.dim()))
    tp = (p * t * keep).sum(dims)
    fp = (p * (1 - t) * keep).sum(dims)
    fn = ((1 - p) * t * keep).sum(dims)
    return tp.reshape(-1), fp.reshape(-1), fn.reshape(-1)


def reference_overlap(x, y, mode, *, alpha, beta, gamma=1.0, from_logits=True, smooth=0.0, eps=1e-7,
                      ignore_index=None, log_loss=False):  # fmt: skip
    tp, fp, fn = reference_counts(x, y, mode, from_logits, ignore_index)
    score = (tp + smooth) / torch.clamp(tp + alpha * fp + beta * fn + smooth, min=eps)
    loss = -torch.log(torch.clamp(score, min=eps)) if log_loss else 1 - score
    present = (tp + fn) > 0
    loss = torch.where(present, loss, torch.zeros_like(loss))
    return loss.mean() ** gamma


def jaccard_set_loss(errors_set, truth_set):
    """The Jaccard loss of the mispredicted set M against the ground truth T (Berman et al., eq. 3):
    1 - |T \\ M| / |T ∪ M|."""
    union = truth_set | errors_set
    return 1.0 - len(truth_set - errors_set) / len(union) if union else 0.0


def lovasz_extension(errors, truth):
    """The Lovász extension of the Jaccard loss at ``errors`` (a 1-D float64 tensor, >= 0) as the
    Choquet integral over thresholds: sum over the distinct error levels v_1 > v_2 > ... of
    (v_j - v_{j+1}) * Delta({i : m_i >= v_j}). Differentiable in the errors (for fixed levels)."""
    values, order = torch.sort(errors, descending=True)
    truth_set = {i for i, t in enumerate(truth.tolist()) if t}
    total = errors.new_zeros(())
    for j in range(len(values)):
        level = {int(i) for i in order[: j + 1]}
        nxt = values[j + 1] if j + 1 < len(values) else errors.new_zeros(())
        total = total + (values[j] - nxt) * jaccard_set_loss(level, truth_set)
    return total


def reference_lovasz(x, y, mode, *, per_image=False, ignore_index=None):
    x = x.double()
    images = range(x.shape[0]) if per_image else [slice(None)]
    losses = []
    for image in images:
        xi, yi = x[image], y[image]
        if mode == "multiclass":
            p = torch.softmax(xi, 0 if per_image else 1)
            p = p.unsqueeze(0) if per_image else p
            yi = yi.unsqueeze(0) if per_image else yi
            p = p.movedim(1, -1).reshape(-1, x.shape[1])
            labels = yi.reshape(-1)
            keep = (
                labels != ignore_index
                if ignore_index is not None
                else torch.ones_like(labels, dtype=torch.bool)
            )
            p, labels = p[keep], labels[keep]
            per_class = []
            for c in range(x.shape[1]):
                fg = labels == c
                if fg.any():
                    per_class.append(lovasz_extension((fg.double() - p[:, c]).abs(), fg))
            losses.append(torch.stack(per_class).mean() if per_class else x.sum() * 0)
        else:
            logits, labels = xi.reshape(-1), yi.reshape(-1)
            keep = (
                labels != ignore_index
                if ignore_index is not None
                else torch.ones_like(labels, dtype=torch.bool)
            )
            logits, labels = logits[keep], labels[keep]
            errors = torch.relu(1 - logits * (2 * labels.double() - 1))
            losses.append(lovasz_extension(errors, labels == 1) if len(labels) else x.sum() * 0)
    return torch.stack(losses).mean()


def test_reference_lovasz_extension_interpolates_the_set_function():
    # At a 0/1 error vector the extension equals the Jaccard loss of that set (Berman, Prop. 1).
    truth = torch.tensor([1, 1, 0, 0, 1])
    for bits in itertools.product([0.0, 1.0], repeat=5):
        m = torch.tensor(bits, dtype=torch.float64)
        expected = jaccard_set_loss({i for i, b in enumerate(bits) if b}, {0, 1, 4})
        assert float(lovasz_extension(m, truth)) == pytest.approx(expected)


# --- values and gradients against the references -----------------------------------------------


def call_overlap(name, x, y, mode, **options):
    if name == "tversky":
        options.pop("log_loss", None)
    return getattr(lossbook, f"{name}_loss")(x, y, mode, **options)


def overlap_options(name):
    base = [{}, {"smooth": 1.0}, {"smooth": 0.3, "eps": 1e-3}]
    if name != "tversky":
        return base + [{"log_loss": True}, {"log_loss": True, "smooth": 0.5}]
    return base + [{"alpha": 0.3, "beta": 0.7}, {"alpha": 0.7, "beta": 0.3, "gamma": 2.0}, {"gamma": 0.75}]


OVERLAP_CASES = [
    (name, mode, options) for name in OVERLAP for mode in MODES for options in overlap_options(name)
]


@pytest.mark.parametrize("name,mode,options", OVERLAP_CASES)
@pytest.mark.parametrize("ignore_index", IGNORE)
def test_overlap_losses_match_their_definition(name, mode, options, ignore_index, generator):
    alpha, beta = OVERLAP[name] or (options.get("alpha", 0.5), options.get("beta", 0.5))
    for shape in SHAPES:
        x, y = make_pair(
            mode, shape, generator, ignore_index=ignore_index, absent=(1,) if mode != "binary" else ()
        )
        x1 = x.clone().requires_grad_()
        x2 = x.clone().requires_grad_()
        ours = call_overlap(name, x1, y, mode, ignore_index=ignore_index, **options)
        ref_options = {k: v for k, v in options.items() if k not in ("alpha", "beta")}
        theirs = reference_overlap(
            x2, y, mode, alpha=alpha, beta=beta, ignore_index=ignore_index, **ref_options
        )
        close64(ours, theirs)
        ours.backward()
        theirs.backward()
        close64(x1.grad, x2.grad)


@needs_smp
@pytest.mark.parametrize("name,mode,options", OVERLAP_CASES)
@pytest.mark.parametrize("ignore_index", IGNORE)
def test_overlap_losses_match_smp(name, mode, options, ignore_index, generator):
    module = getattr(SMP, {"dice": "DiceLoss", "jaccard": "JaccardLoss", "tversky": "TverskyLoss"}[name])
    criterion = module(mode, ignore_index=ignore_index, **options)
    for shape in SHAPES:
        x, y = make_pair(
            mode, shape, generator, ignore_index=ignore_index, absent=(1,) if mode != "binary" else ()
        )
        x1 = x.clone().requires_grad_()
        x2 = x.clone().requires_grad_()
        ours = call_overlap(name, x1, y, mode, ignore_index=ignore_index, **options)
        theirs = criterion(x2, y if mode == "multiclass" else y.double())
        close64(ours, theirs)
        ours.backward()
        theirs.backward()
        close64(x1.grad, x2.grad)


@pytest.mark.parametrize("name", list(OVERLAP))
@pytest.mark.parametrize("mode", MODES)
def test_overlap_losses_on_probabilities(name, mode, generator, device):
    x, y = make_pair(mode, (3, 4, 6, 5), generator, device=device)
    p = torch.softmax(x, 1) if mode == "multiclass" else torch.sigmoid(x)
    from_probs = call_overlap(name, p, y, mode, from_logits=False)
    close64(from_probs, call_overlap(name, x, y, mode))
    alpha, beta = OVERLAP[name] or (0.5, 0.5)
    close64(from_probs, reference_overlap(p, y, mode, alpha=alpha, beta=beta, from_logits=False))


def test_dice_is_milletaris_formula_and_tversky_contains_dice_and_jaccard(generator):
    x, y = make_pair("binary", (4, 1, 8, 8), generator)
    p = torch.sigmoid(x)
    t = y.double()
    milletari = 1 - 2 * (p * t).sum() / (p.sum() + t.sum())
    close64(lossbook.dice_loss(x, y, "binary"), milletari)
    # smp's smooth s is 2s in the 2 TP / (sum p + sum t) form
    smoothed = 1 - (2 * (p * t).sum() + 2 * 0.7) / (p.sum() + t.sum() + 2 * 0.7)
    close64(lossbook.dice_loss(x, y, "binary", smooth=0.7), smoothed)
    iou = (p * t).sum() / (p.sum() + t.sum() - (p * t).sum())
    close64(lossbook.jaccard_loss(x, y, "binary"), 1 - iou)
    for mode in MODES:
        x, y = make_pair(mode, (2, 3, 5, 4), generator)
        close64(lossbook.tversky_loss(x, y, mode), lossbook.dice_loss(x, y, mode))
        close64(lossbook.tversky_loss(x, y, mode, alpha=1.0, beta=1.0), lossbook.jaccard_loss(x, y, mode))
        close64(
            lossbook.tversky_loss(x, y, mode, alpha=0.3, beta=0.7, gamma=2.0),
            lossbook.tversky_loss(x, y, mode, alpha=0.3, beta=0.7) ** 2,
        )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("ignore_index", IGNORE)
def test_lovasz_matches_the_extension_computed_by_brute_force(mode, per_image, ignore_index, generator):
    for shape in [(3, 3), (2, 3, 7), (2, 3, 3, 4), (2, 2, 2, 3, 2)]:
        x, y = make_pair(
            mode, shape, generator, ignore_index=ignore_index, absent=(1,) if mode != "binary" else ()
        )
        x1 = x.clone().requires_grad_()
        x2 = x.clone().requires_grad_()
        ours = lossbook.lovasz_loss(x1, y, mode, per_image=per_image, ignore_index=ignore_index)
        theirs = reference_lovasz(x2, y, mode, per_image=per_image, ignore_index=ignore_index)
        close64(ours, theirs)
        ours.backward()
        theirs.backward()
        close64(x1.grad, x2.grad)


@needs_smp
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("ignore_index", IGNORE)
def test_lovasz_matches_smp(mode, per_image, ignore_index, generator):
    # smp's Lovász casts its weights to float32 (float64 input fails in torch.dot): float32 here.
    criterion = SMP.LovaszLoss(mode, per_image=per_image, ignore_index=ignore_index)
    for shape in SHAPES + [(4, 5, 16, 16)]:
        if mode == "multiclass" and len(shape) == 3:
            continue  # smp reads a 3-D (N, C, L) input as (N, H, W) sigmoid output
        x, y = make_pair(mode, shape, generator, ignore_index=ignore_index, dtype=torch.float32)
        if per_image and ignore_index is not None and mode == "multiclass":
            y.reshape(len(y), -1)[:, 0] = 0  # smp fails on a fully ignored image: keep a pixel of each
        x1 = x.clone().requires_grad_()
        x2 = x.clone().requires_grad_()
        ours = lossbook.lovasz_loss(x1, y, mode, per_image=per_image, ignore_index=ignore_index)
        theirs = criterion(x2, y if mode == "multiclass" else y.float())
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
        ours.backward()
        theirs.backward()
        torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck(mode, generator):
    # Random float64 logits: no two errors tie, where the Lovász loss is differentiable.
    x, y = make_pair(mode, (2, 3, 2, 2), generator, ignore_index=255)
    x.requires_grad_()
    functions = [
        lambda v: lossbook.dice_loss(v, y, mode, ignore_index=255, smooth=0.5),
        lambda v: lossbook.jaccard_loss(v, y, mode, ignore_index=255, log_loss=True),
        lambda v: lossbook.tversky_loss(v, y, mode, alpha=0.2, beta=0.8, gamma=1.5, ignore_index=255),
        lambda v: lossbook.lovasz_loss(v, y, mode, ignore_index=255),
        lambda v: lossbook.lovasz_loss(v, y, mode, ignore_index=255, per_image=True),
    ]
    for f in functions:
        assert torch.autograd.gradcheck(f, (x,))


# --- conventions: empty and full masks, absent classes, ignore_index, eps --------------------------


@pytest.mark.parametrize("name", list(OVERLAP))
def test_an_empty_binary_mask_gives_zero_loss_and_zero_gradient(name, generator, device):
    x = torch.randn(2, 1, 5, 5, generator=generator, dtype=torch.float64).to(device).requires_grad_()
    loss = call_overlap(name, x, torch.zeros(2, 1, 5, 5, dtype=torch.long, device=device), "binary")
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(x.grad, torch.zeros_like(x))


def test_focal_tversky_on_an_empty_mask_keeps_a_zero_gradient_for_gamma_below_one():
    x = torch.randn(2, 1, 5, dtype=torch.float64, requires_grad=True)
    loss = lossbook.tversky_loss(x, torch.zeros(2, 1, 5), "binary", gamma=0.5)
    loss.backward()
    assert loss.item() < 1e-150 and torch.equal(x.grad, torch.zeros_like(x))


def test_lovasz_on_an_empty_binary_mask_is_the_largest_hinge_error():
    # Every pixel is a negative: the first error sorted fills the union (Delta = 1), the rest add 0.
    x = torch.tensor([[0.5, -3.0, 1.5, -0.2]], dtype=torch.float64)
    assert lossbook.lovasz_loss(x, torch.zeros(1, 4), "binary").item() == pytest.approx(2.5)


@pytest.mark.parametrize("mode", MODES)
def test_a_perfect_prediction_of_full_masks_gives_zero_loss(mode):
    full = (
        torch.ones(2, 3, 4, 4, dtype=torch.long)
        if mode != "multiclass"
        else torch.zeros(2, 4, 4, dtype=torch.long)
    )
    logits = torch.full((2, 3, 4, 4), 50.0, dtype=torch.float64)
    if mode == "multiclass":
        logits[:, 1:] = -50.0
    if mode == "binary":
        logits, full = logits[:, :1], full[:, :1]
    for name in OVERLAP:
        assert call_overlap(name, logits, full, mode).item() == pytest.approx(0.0, abs=1e-12)
    assert lossbook.lovasz_loss(logits, full, mode).item() == pytest.approx(0.0, abs=1e-12)


def test_absent_classes_count_in_the_overlap_mean_but_not_in_lovasz_softmax(generator):
    x, y = make_pair("multiclass", (2, 4, 6, 6), generator, absent=(2,))
    per_class = []
    for c in [0, 1, 3]:  # each present class as a binary problem on its own channel
        p = torch.softmax(x, 1)[:, c]
        t = (y == c).double()
        per_class.append(1 - 2 * (p * t).sum() / (p.sum() + t.sum()))
    close64(lossbook.dice_loss(x, y), sum(per_class) / 4)  # four classes in the mean
    lovasz_present = reference_lovasz(x, y, "multiclass")
    close64(lossbook.lovasz_loss(x, y), lovasz_present)  # averaged over the three present


@pytest.mark.parametrize("mode", MODES)
def test_ignored_pixels_change_nothing_and_get_no_gradient(mode, generator, device):
    x, y = make_pair(mode, (2, 3, 5, 6), generator, ignore_index=-1, device=device)
    ignored = (y == -1) if mode != "multiclass" else (y == -1).unsqueeze(1).expand_as(x)
    noisy = x.masked_fill(ignored, 1e3)
    for f in (lossbook.dice_loss, lossbook.jaccard_loss, lossbook.tversky_loss, lossbook.lovasz_loss):
        a = x.clone().requires_grad_()
        loss = f(a, y, mode, ignore_index=-1)
        close64(loss, f(noisy, y, mode, ignore_index=-1))
        loss.backward()
        assert torch.equal(a.grad[ignored], torch.zeros_like(a.grad[ignored]))


def test_ignore_index_equal_to_a_real_label_drops_that_label():
    # In binary mode ignore_index=0 keeps only the positives: Dice is then 1 - 2 sum p / (sum p + n).
    x = torch.tensor([[0.3, -1.0, 2.0, 0.5]], dtype=torch.float64)
    y = torch.tensor([[1, 0, 1, 0]])
    p = torch.sigmoid(x[0, [0, 2]])
    close64(lossbook.dice_loss(x, y, "binary", ignore_index=0), 1 - 2 * p.sum() / (p.sum() + 2))


@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_everything_ignored_gives_zero_with_zero_gradient(mode, per_image):
    x = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    y = torch.full((2, 4) if mode == "multiclass" else (2, 3, 4), 255)
    if mode == "binary":
        x, y = x[:, :1].detach().requires_grad_(), y[:, :1]
    losses = [f(x, y, mode, ignore_index=255) for f in (lossbook.dice_loss, lossbook.tversky_loss)]
    losses.append(lossbook.lovasz_loss(x, y, mode, ignore_index=255, per_image=per_image))
    for loss in losses:
        (grad,) = torch.autograd.grad(loss, x)
        assert loss.item() == 0.0 and torch.equal(grad, torch.zeros_like(x))


def test_per_image_lovasz_counts_a_fully_ignored_image_as_zero(generator):
    x, y = make_pair("multiclass", (3, 3, 4, 4), generator)
    y[1] = 255
    kept = lossbook.lovasz_loss(x[[0, 2]], y[[0, 2]], per_image=True)
    close64(lossbook.lovasz_loss(x, y, per_image=True, ignore_index=255), kept * 2 / 3)


def test_eps_clamps_the_denominator_and_the_logged_score():
    # Tiny probabilities on an almost empty mask: the denominator TP + FP/2 + FN/2 is below eps.
    p = torch.tensor([[[1e-9, 0.0, 0.0]]], dtype=torch.float64)
    y = torch.tensor([[[1, 0, 0]]])
    tp, fn = 1e-9, 1 - 1e-9
    close64(
        lossbook.dice_loss(p, y, "binary", from_logits=False, eps=0.75),
        torch.tensor(1 - tp / 0.75, dtype=torch.float64),
    )
    close64(
        lossbook.dice_loss(p, y, "binary", from_logits=False),
        torch.tensor(1 - tp / (tp + fn / 2), dtype=torch.float64),
    )
    zero = torch.zeros(1, 1, 3, dtype=torch.float64)
    logged = lossbook.jaccard_loss(zero, y, "binary", from_logits=False, log_loss=True, eps=1e-4)
    close64(logged, -torch.log(torch.tensor(1e-4, dtype=torch.float64)))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("mode", MODES)
def test_half_precision_is_computed_in_float32(dtype, mode, generator, device):
    x, y = make_pair(mode, (2, 3, 8, 8), generator, ignore_index=255, dtype=dtype, device=device)
    for f in (lossbook.dice_loss, lossbook.jaccard_loss, lossbook.tversky_loss, lossbook.lovasz_loss):
        loss = f(x, y, mode, ignore_index=255)
        assert loss.dtype == dtype
        expected = f(x.float(), y, mode, ignore_index=255)
        torch.testing.assert_close(loss.float(), expected, rtol=1e-2, atol=1e-3)


@pytest.mark.parametrize("mode", MODES)
def test_large_logits_stay_finite(mode, generator):
    x, y = make_pair(mode, (2, 3, 6), generator)
    x = (x * 1e4).requires_grad_()
    for f in (lossbook.dice_loss, lossbook.jaccard_loss, lossbook.tversky_loss, lossbook.lovasz_loss):
        loss = f(x, y, mode)
        (grad,) = torch.autograd.grad(loss, x)
        assert torch.isfinite(loss) and torch.isfinite(grad).all()


def test_targets_may_be_bool_integer_or_floating(generator):
    x, y = make_pair("multilabel", (2, 3, 5), generator)
    expected = lossbook.dice_loss(x, y, "multilabel")
    for t in (y.bool(), y.int(), y.float(), y.double()):
        close64(lossbook.dice_loss(x, t, "multilabel"), expected)
        close64(lossbook.lovasz_loss(x, t, "multilabel"), lossbook.lovasz_loss(x, y, "multilabel"))


def test_binary_input_may_drop_the_channel_dimension(generator):
    x, y = make_pair("binary", (3, 1, 4, 5), generator)
    for f in (lossbook.dice_loss, lossbook.jaccard_loss, lossbook.tversky_loss, lossbook.lovasz_loss):
        close64(f(x[:, 0], y[:, 0], "binary"), f(x, y, "binary"))


# --- Modules ------------------------------------------------------------------------------------


def test_modules_call_their_functions(generator, device):
    x, y = make_pair("multiclass", (2, 4, 5, 5), generator, ignore_index=255, device=device)
    pairs = [
        (lossbook.DiceLoss(smooth=1.0, ignore_index=255, log_loss=True),
         lossbook.dice_loss(x, y, smooth=1.0, ignore_index=255, log_loss=True)),
        (lossbook.JaccardLoss("multiclass", eps=1e-3, ignore_index=255),
         lossbook.jaccard_loss(x, y, eps=1e-3, ignore_index=255)),
        (lossbook.TverskyLoss(alpha=0.2, beta=0.8, gamma=1.3, ignore_index=255),
         lossbook.tversky_loss(x, y, alpha=0.2, beta=0.8, gamma=1.3, ignore_index=255)),
        (lossbook.LovaszLoss(per_image=True, ignore_index=255),
         lossbook.lovasz_loss(x, y, per_image=True, ignore_index=255)),
    ]  # fmt: skip
    for module, expected in pairs:
        assert torch.equal(module(x, y), expected)
    assert "mode='multiclass'" in repr(lossbook.DiceLoss()) and "gamma=1.3" in repr(pairs[2][0])


# --- bad inputs ---------------------------------------------------------------------------------

LOSSES = [lossbook.dice_loss, lossbook.jaccard_loss, lossbook.tversky_loss, lossbook.lovasz_loss]


@pytest.mark.parametrize("f", LOSSES, ids=lambda f: f.__name__)
def test_bad_inputs_get_clear_errors(f):
    x = torch.randn(2, 3, 4, 4)
    y = torch.randint(0, 3, (2, 4, 4))
    with pytest.raises(ValueError, match="mode must be one of"):
        f(x, y, "multi-class")
    with pytest.raises(TypeError, match="mode must be one of"):
        f(x, y, 3)
    with pytest.raises(TypeError, match="input must be a torch.Tensor"):
        f(x.tolist(), y)
    with pytest.raises(TypeError, match="input must have a floating-point dtype"):
        f(y.unsqueeze(1), y)
    with pytest.raises(TypeError, match="target must be a torch.Tensor"):
        f(x, y.tolist())
    with pytest.raises(TypeError, match="target must have an integer dtype"):
        f(x, y.float())
    with pytest.raises(ValueError, match=r"class indices of shape \(N, \*\) = \(2, 4, 4\).*got \(2, 4, 5\)"):
        f(x, torch.zeros(2, 4, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"target must have input's shape \(2, 3, 4, 4\); got \(2, 4, 4\)"):
        f(x, y, "multilabel")
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\); got a class index equal to 3"):
        f(x, torch.full((2, 4, 4), 3))
    with pytest.raises(ValueError, match=r"or equal ignore_index=255; got a class index equal to -1"):
        f(x, torch.full((2, 4, 4), -1), ignore_index=255)
    with pytest.raises(
        ValueError, match=r"in multilabel mode, target must hold 0 or 1; got an element equal to 2"
    ):
        f(x, torch.full((2, 3, 4, 4), 2), "multilabel")
    with pytest.raises(
        ValueError,
        match=r"in binary mode, target must hold 0 or 1 or ignore_index=255; got an element equal to 0.5",
    ):
        f(x[:, :1], torch.full((2, 1, 4, 4), 0.5), "binary", ignore_index=255)
    with pytest.raises(ValueError, match=r"in multiclass mode, input must have shape \(N, C, \*\)"):
        f(torch.randn(5), torch.zeros(5, dtype=torch.long))
    with pytest.raises(TypeError, match="ignore_index must be an int; got float 255.0"):
        f(x, y, ignore_index=255.0)
    with pytest.raises(TypeError, match="ignore_index must be an int; got bool"):
        f(x, y, ignore_index=True)
    with pytest.raises(ValueError, match="same device"):
        f(x, y.to("meta"))


@pytest.mark.parametrize("f", LOSSES[:3], ids=lambda f: f.__name__)
def test_bad_options_of_the_overlap_losses(f):
    x = torch.randn(2, 3, 4)
    y = torch.randint(0, 3, (2, 4))
    with pytest.raises(TypeError, match="from_logits must be a bool"):
        f(x, y, from_logits=1)
    with pytest.raises(ValueError, match="smooth must be >= 0; got -1.0"):
        f(x, y, smooth=-1.0)
    with pytest.raises(ValueError, match="eps must be > 0; got 0.0"):
        f(x, y, eps=0.0)
    with pytest.raises(TypeError, match="eps must be a real number"):
        f(x, y, eps="1e-7")
    with pytest.raises(
        ValueError, match=r"input must have every element in \[0, 1\]; got an element equal to"
    ):
        f(x, y, from_logits=False)
    if f is lossbook.tversky_loss:
        with pytest.raises(ValueError, match="alpha must be >= 0"):
            f(x, y, alpha=-0.1)
        with pytest.raises(ValueError, match="gamma must be > 0; got 0.0"):
            f(x, y, gamma=0)
        with pytest.raises(TypeError):
            f(x, y, log_loss=True)
    else:
        with pytest.raises(TypeError, match="log_loss must be a bool"):
            f(x, y, log_loss="yes")


def test_bad_options_of_lovasz_and_of_the_modules():
    with pytest.raises(TypeError, match="per_image must be a bool"):
        lossbook.lovasz_loss(torch.randn(2, 3, 4), torch.randint(0, 3, (2, 4)), per_image=1)
    with pytest.raises(ValueError, match="mode must be one of"):
        lossbook.DiceLoss("binary-ish")
    with pytest.raises(ValueError, match="smooth must be >= 0"):
        lossbook.JaccardLoss(smooth=-2)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        lossbook.TverskyLoss(beta=-1)
    with pytest.raises(TypeError, match="per_image must be a bool"):
        lossbook.LovaszLoss(per_image=None)
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        lossbook.LovaszLoss(ignore_index="255")


# --- the benchmark's transcriptions of smp and torchvision ------------------------------------


@needs_smp
@pytest.mark.parametrize("mode", MODES)
def test_the_benchmarks_transcription_of_smp_is_faithful(mode, generator):
    from benchmarks.cases import segmentation as cases

    x, y = make_pair(mode, (2, 3, 5, 4), generator, ignore_index=255, dtype=torch.float32)
    y = y if mode == "multiclass" else y.float()
    y0 = torch.where(y == 255, 0, y)  # for the calls without ignore_index
    dice = SMP.DiceLoss(mode, ignore_index=255)
    jaccard = SMP.JaccardLoss(mode, smooth=1.0)
    tversky = SMP.TverskyLoss(mode, alpha=0.3, beta=0.7, gamma=1.5)
    lovasz = SMP.LovaszLoss(mode, ignore_index=255)
    per_image = SMP.LovaszLoss(mode, per_image=True)
    pairs = [
        (dice, y, lambda a: cases.smp_overlap_loss(a, y, mode, ignore_index=255)),
        (jaccard, y0, lambda a: cases.smp_overlap_loss(a, y0, mode, alpha=1.0, beta=1.0, smooth=1.0)),
        (tversky, y0, lambda a: cases.smp_overlap_loss(a, y0, mode, alpha=0.3, beta=0.7, gamma=1.5)),
        (lovasz, y, lambda a: cases.smp_lovasz_loss(a, y, mode, ignore_index=255)),
        (per_image, y0, lambda a: cases.smp_lovasz_loss(a, y0, mode, per_image=True)),
    ]
    for theirs, target, transcribed in pairs:
        a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
        expected, got = theirs(a, target), transcribed(b)
        assert torch.equal(got, expected)
        expected.backward()
        got.backward()
        assert torch.equal(a.grad, b.grad)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 3, 0)])
def test_an_empty_batch_or_image_gives_zero(mode, shape):
    x = torch.randn(shape, requires_grad=True)
    y = torch.zeros(shape[0], *shape[2:], dtype=torch.long) if mode == "multiclass" else torch.zeros(shape)
    if mode == "binary":
        y = y[:, :1]
        x = x[:, :1].detach().requires_grad_()
    for f in LOSSES:
        for options in [{}, {"per_image": True}] if f is lossbook.lovasz_loss else [{}]:
            loss = f(x, y, mode, **options)
            (grad,) = torch.autograd.grad(loss, x)
            assert loss.item() == 0.0 and grad.shape == x.shape


@pytest.mark.parametrize("mode", ["multiclass", "multilabel"])
def test_no_class_is_an_error(mode):
    y = torch.zeros(2, 4, dtype=torch.long) if mode == "multiclass" else torch.zeros(2, 0, 4)
    for f in LOSSES:
        with pytest.raises(ValueError, match=r"input must have at least one class.*got \(2, 0, 4\)"):
            f(torch.randn(2, 0, 4), y, mode)
