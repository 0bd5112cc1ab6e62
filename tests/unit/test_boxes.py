"""lossbook's box losses (IoU, GIoU, DIoU, CIoU) against the papers' formulas computed box by box
in Python floats, a second formulation in torch for the gradients, and torchvision.ops' losses
when installed (loaded by file, tests/references.py); shapes, reductions, degenerate boxes,
half precision, bad inputs."""

import math
import sys
from pathlib import Path

import pytest
import torch

import lossbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from references import torchvision_box_losses

TV = torchvision_box_losses()
needs_torchvision = pytest.mark.skipif(TV is None, reason="torchvision is not installed")
NAMES = ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"]
REDUCTIONS = ["none", "mean", "sum"]


def ours(name):
    return getattr(lossbook, f"{name}_loss")


def random_boxes(shape, generator, *, dtype=torch.float64, device="cpu", scale=10.0):
    """Boxes (*shape, 4) with corners in [0, scale) and sizes in (0, scale): many overlap, many not."""
    corner = torch.rand(*shape, 2, generator=generator, dtype=torch.float64) * scale
    size = torch.rand(*shape, 2, generator=generator, dtype=torch.float64) * scale + 0.05
    return torch.cat([corner, corner + size], -1).to(dtype).to(device)


def formula(name, a, b, eps=1e-7):
    """The loss of one pair of boxes from the papers' definitions (Yu 2016, Rezatofighi 2019,
    Zheng 2020), in Python floats, with torchvision's placement of eps."""
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    iw = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    ih = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = iw * ih
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    iou = inter / (union + eps)
    cw, ch = max(ax2, bx2) - min(ax1, bx1), max(ay2, by2) - min(ay1, by1)
    if name == "box_iou":
        return 1 - iou
    if name == "generalized_box_iou":
        return 1 - iou + (cw * ch - union) / (cw * ch + eps)
    rho2 = ((ax1 + ax2) / 2 - (bx1 + bx2) / 2) ** 2 + ((ay1 + ay2) / 2 - (by1 + by2) / 2) ** 2
    diou = 1 - iou + rho2 / (cw**2 + ch**2 + eps)
    if name == "distance_box_iou":
        return diou
    v = 4 / math.pi**2 * (math.atan((bx2 - bx1) / (by2 - by1)) - math.atan((ax2 - ax1) / (ay2 - ay1))) ** 2
    alpha = v / (1 - iou + v + eps)
    return diou + alpha * v


def torch_formula(name, a, b, eps=1e-7):
    """The same losses in torch with other operations (clamped overlaps, explicit centres), for
    gradients; CIoU's alpha is detached, as the paper and torchvision prescribe."""
    lt = torch.maximum(a[..., :2], b[..., :2])
    rb = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).prod(-1)
    union = area_a + area_b - inter
    iou = inter / (union + eps)
    c = torch.maximum(a[..., 2:], b[..., 2:]) - torch.minimum(a[..., :2], b[..., :2])
    if name == "box_iou":
        return 1 - iou
    if name == "generalized_box_iou":
        return 1 - iou + (c.prod(-1) - union) / (c.prod(-1) + eps)
    centre = (a[..., :2] + a[..., 2:]) / 2 - (b[..., :2] + b[..., 2:]) / 2
    diou = 1 - iou + centre.square().sum(-1) / (c.square().sum(-1) + eps)
    if name == "distance_box_iou":
        return diou
    wa, ha = (a[..., 2:] - a[..., :2]).unbind(-1)
    wb, hb = (b[..., 2:] - b[..., :2]).unbind(-1)
    v = 4 / math.pi**2 * (torch.atan(wb / hb) - torch.atan(wa / ha)) ** 2
    alpha = (v / (1 - iou + v + eps)).detach()
    return diou + alpha * v


def reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean() if loss.numel() else loss.sum() * 0
    return loss.sum() if reduction == "sum" else loss


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("eps", [1e-7, 0.5])
def test_values_match_the_papers_formulas_box_by_box(name, eps, generator):
    a, b = random_boxes((200,), generator), random_boxes((200,), generator)
    got = ours(name)(a, b, eps=eps)
    expected = torch.tensor(
        [formula(name, p.tolist(), q.tolist(), eps) for p, q in zip(a, b, strict=True)], dtype=torch.float64
    )
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (1,), (37,), (3, 5), (2, 3, 4)])
def test_values_and_gradients_match_a_torch_formulation(name, reduction, shape, generator, device):
    a = random_boxes(shape, generator, device=device).requires_grad_()
    b = random_boxes(shape, generator, device=device).requires_grad_()
    a2, b2 = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    got = ours(name)(a, b, reduction)
    expected = reduce(torch_formula(name, a2, b2), reduction)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    torch.testing.assert_close(a.grad, a2.grad, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(b.grad, b2.grad, rtol=1e-8, atol=1e-10)


@needs_torchvision
@pytest.mark.parametrize("name", NAMES[1:])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_and_gradients_match_torchvision(name, reduction, dtype, generator):
    reference = getattr(TV, f"{name}_loss")
    for shape in [(4,), (64,), (3, 7)]:
        a = random_boxes(shape, generator, dtype=dtype)
        b = random_boxes(shape, generator, dtype=dtype)
        b[..., :2, :] = a[..., :2, :]  # identical boxes
        b[..., 2, :] = a[..., 2, :] + torch.tensor(
            [-0.5, -0.5, 0.5, 0.5], dtype=dtype
        )  # one contains the other
        a1, b1 = a.clone().requires_grad_(), b.clone().requires_grad_()
        a2, b2 = a.clone().requires_grad_(), b.clone().requires_grad_()
        got = ours(name)(a1, b1, reduction)
        expected = reference(a2, b2, reduction)
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(got, expected, **tol)
        got.sum().backward()
        expected.sum().backward()
        torch.testing.assert_close(a1.grad, a2.grad, **tol)
        torch.testing.assert_close(b1.grad, b2.grad, **tol)


@needs_torchvision
def test_eps_matches_torchvision_where_torchvision_uses_it(generator):
    a, b = random_boxes((50,), generator), random_boxes((50,), generator)
    for name in ["generalized_box_iou", "distance_box_iou"]:
        torch.testing.assert_close(ours(name)(a, b, eps=0.3), getattr(TV, f"{name}_loss")(a, b, eps=0.3))
    # torchvision's CIoU passes eps only to alpha (its IoU and DIoU keep 1e-7); lossbook uses it throughout.
    ciou = ours("complete_box_iou")(a, b, eps=0.3)
    assert not torch.allclose(ciou, TV.complete_box_iou_loss(a, b, eps=0.3))
    torch.testing.assert_close(ciou, torch_formula("complete_box_iou", a, b, eps=0.3))


@pytest.mark.parametrize("name", NAMES[:3])
def test_gradcheck(name, generator):
    a = random_boxes((6,), generator).requires_grad_()
    b = random_boxes((6,), generator).requires_grad_()
    assert torch.autograd.gradcheck(lambda p, q: ours(name)(p, q, "sum"), (a, b))


def test_ciou_gradient_treats_alpha_as_a_constant(generator):
    # CIoU with alpha frozen at the evaluation point is differentiable (gradcheck), and its
    # gradient is the one lossbook returns.
    a = random_boxes((6,), generator).requires_grad_()
    b = random_boxes((6,), generator)

    def aspect_term(p):
        wa, ha = (p[..., 2:] - p[..., :2]).unbind(-1)
        wb, hb = (b[..., 2:] - b[..., :2]).unbind(-1)
        return 4 / math.pi**2 * (torch.atan(wb / hb) - torch.atan(wa / ha)) ** 2

    with torch.no_grad():
        v = aspect_term(a)
        alpha = v / (ours("box_iou")(a, b) + v + 1e-7)  # box_iou_loss is 1 - IoU

    def frozen(p):
        return (ours("distance_box_iou")(p, b) + alpha * aspect_term(p)).sum()

    ciou = ours("complete_box_iou")(a, b, "sum")
    torch.testing.assert_close(ciou, frozen(a))
    assert torch.autograd.gradcheck(frozen, (a,))
    torch.testing.assert_close(torch.autograd.grad(ciou, a)[0], torch.autograd.grad(frozen(a), a)[0])


@pytest.mark.parametrize("name", NAMES)
def test_giou_ranges_and_identities(name, generator):
    a = random_boxes((100,), generator)
    loss = ours(name)(a, a)
    torch.testing.assert_close(loss, torch.zeros(100, dtype=torch.float64), atol=1e-6, rtol=0)
    giou = ours("generalized_box_iou")(a, random_boxes((100,), generator))
    assert bool((giou >= 0).all() and (giou < 2).all())


def test_disjoint_boxes_iou_has_no_gradient_and_the_others_do():
    a = torch.tensor([[0.0, 0.0, 1.0, 1.0]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[3.0, 0.0, 4.0, 1.0]], dtype=torch.float64)
    for name in NAMES:
        (grad,) = torch.autograd.grad(ours(name)(a, b, "sum"), a)
        assert (grad.abs().sum() == 0) == (name == "box_iou")


def test_giou_is_the_iou_loss_when_one_box_contains_the_other():
    outer = torch.tensor([0.0, 0.0, 4.0, 4.0], dtype=torch.float64)
    inner = torch.tensor([0.5, 2.0, 1.5, 3.0], dtype=torch.float64)
    torch.testing.assert_close(ours("generalized_box_iou")(inner, outer), ours("box_iou")(inner, outer))
    assert ours("distance_box_iou")(inner, outer) > ours("box_iou")(inner, outer)


@pytest.mark.parametrize("name", NAMES)
def test_zero_area_and_point_boxes_give_finite_values_and_gradients(name):
    boxes = torch.tensor(
        [
            [1.0, 1.0, 1.0, 1.0],  # a point
            [1.0, 1.0, 1.0, 1.0],  # a point on itself
            [0.0, 2.0, 3.0, 2.0],  # zero height
            [2.0, 0.0, 2.0, 3.0],  # zero width
            [0.0, 0.0, 2.0, 2.0],
        ],
        dtype=torch.float64,
        requires_grad=True,
    )
    others = torch.tensor(
        [
            [0.0, 0.0, 2.0, 2.0],
            [1.0, 1.0, 1.0, 1.0],
            [1.0, 1.0, 2.0, 3.0],
            [0.0, 2.0, 3.0, 2.0],
            [5.0, 5.0, 5.0, 5.0],
        ],
        dtype=torch.float64,
        requires_grad=True,
    )
    loss = ours(name)(boxes, others)
    grads = torch.autograd.grad(loss.sum(), (boxes, others))
    assert torch.isfinite(loss).all() and all(torch.isfinite(g).all() for g in grads)
    assert loss[1].item() == pytest.approx(1.0)  # two equal points: IoU 0 (nothing to overlap), no penalty


@needs_torchvision
def test_torchvision_gives_nan_for_point_boxes_in_ciou_where_lossbook_is_finite():
    point = torch.tensor([[1.0, 1.0, 1.0, 1.0]], dtype=torch.float64)
    box = torch.tensor([[0.0, 0.0, 2.0, 1.0]], dtype=torch.float64)
    assert torch.isnan(TV.complete_box_iou_loss(point, box)).all()
    # lossbook: a point's aspect angle is 0, so v compares atan(2) with 0
    v = 4 / math.pi**2 * math.atan(2.0) ** 2
    iou = 0.0
    alpha = v / (1 - iou + v + 1e-7)
    expected = formula("distance_box_iou", point[0].tolist(), box[0].tolist()) + alpha * v
    assert ours("complete_box_iou")(point, box).item() == pytest.approx(expected)


@pytest.mark.parametrize("name", NAMES)
def test_empty_inputs_follow_torchvisions_reductions(name):
    a = torch.zeros(0, 4, requires_grad=True)
    assert ours(name)(a, torch.zeros(0, 4)).shape == (0,)
    mean = ours(name)(a, torch.zeros(0, 4), "mean")
    assert mean.item() == 0.0 and mean.requires_grad
    assert ours(name)(a, torch.zeros(0, 4), "sum").item() == 0.0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_computed_in_float32_and_integers_as_float32(name, dtype, generator):
    a, b = (
        random_boxes((50,), generator, dtype=torch.float32),
        random_boxes((50,), generator, dtype=torch.float32),
    )
    a, b = a.to(dtype), b.to(dtype)
    loss = ours(name)(a, b)
    assert loss.dtype == dtype
    torch.testing.assert_close(loss, ours(name)(a.float(), b.float()).to(dtype))
    ints = torch.tensor([[0, 0, 4, 2]]), torch.tensor([[1, 1, 3, 5]])
    got = ours(name)(*ints)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, ours(name)(ints[0].float(), ints[1].float()))


def test_modules_call_their_functions(generator, device):
    a, b = random_boxes((5, 3), generator, device=device), random_boxes((5, 3), generator, device=device)
    modules = [lossbook.BoxIoULoss, lossbook.GeneralizedBoxIoULoss, lossbook.DistanceBoxIoULoss]
    modules.append(lossbook.CompleteBoxIoULoss)
    for module, name in zip(modules, NAMES, strict=True):
        assert torch.equal(module()(a, b), ours(name)(a, b))
        assert torch.equal(module("mean", eps=0.1)(a, b), ours(name)(a, b, "mean", 0.1))
    with pytest.raises(ValueError, match="reduction must be one of"):
        lossbook.CompleteBoxIoULoss("batchmean")
    with pytest.raises(ValueError, match="eps must be > 0"):
        lossbook.GeneralizedBoxIoULoss(eps=-1.0)


@pytest.mark.parametrize("name", NAMES)
def test_bad_inputs_get_clear_errors(name):
    f = ours(name)
    good = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    swapped = (
        r"boxes1 must hold boxes \(x1, y1, x2, y2\) with x2 >= x1 and y2 >= y1; got \[2.0, 0.0, 1.0, 1.0\]"
    )
    with pytest.raises(ValueError, match=swapped + r" at index \(0,\)"):
        f(torch.tensor([[2.0, 0.0, 1.0, 1.0]]), good)
    with pytest.raises(
        ValueError, match=r"boxes2 must hold boxes .* got \[0.0, 3.0, 1.0, 1.0\] at index \(1,\)"
    ):
        f(good.repeat(2, 1), torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 3.0, 1.0, 1.0]]))
    with pytest.raises(
        ValueError, match=r"must have the same shape .* got boxes1 \(1, 4\) and boxes2 \(2, 4\)"
    ):
        f(good, good.repeat(2, 1))
    with pytest.raises(ValueError, match=r"boxes1 must have shape \(\.\.\., 4\).*got \(1, 3\)"):
        f(good[:, :3], good[:, :3])
    with pytest.raises(ValueError, match=r"boxes2 must have shape \(\.\.\., 4\).*got \(\)"):
        f(good[0], torch.tensor(1.0))
    with pytest.raises(TypeError, match="boxes1 must be a torch.Tensor; got list"):
        f(good.tolist(), good)
    with pytest.raises(TypeError, match="boxes2 must have a real floating or integer dtype; got torch.bool"):
        f(good, good.bool())
    with pytest.raises(ValueError, match="reduction must be one of"):
        f(good, good, "batchmean")
    with pytest.raises(ValueError, match="eps must be > 0; got 0.0"):
        f(good, good, eps=0.0)
    with pytest.raises(ValueError, match="same device"):
        f(good, good.to("meta"))


@needs_torchvision
@pytest.mark.parametrize("name", NAMES[1:])
def test_the_benchmarks_transcription_of_torchvision_is_faithful(name, generator):
    from benchmarks.cases import segmentation as cases

    a, b = (
        random_boxes((40,), generator, dtype=torch.float32),
        random_boxes((40,), generator, dtype=torch.float32),
    )
    for reduction in REDUCTIONS:
        a1, a2 = a.clone().requires_grad_(), a.clone().requires_grad_()
        expected = getattr(TV, f"{name}_loss")(a1, b, reduction)
        got = getattr(cases, f"tv_{name}_loss")(a2, b, reduction)
        assert torch.equal(got, expected)
        expected.sum().backward()
        got.sum().backward()
        assert torch.equal(a1.grad, a2.grad)
