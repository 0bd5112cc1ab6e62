r"""The Lovász losses (Berman, Rannen Triki and Blaschko 2018): the convex Lovász extension of
the Jaccard loss, evaluated at the vector of pixel errors.

The Jaccard loss :math:`\Delta_J(\text{mispredicted set})` is submodular, so its Lovász
extension is convex and piecewise linear. With the errors sorted in decreasing order,
:math:`m_{\pi_1} \ge \dots \ge m_{\pi_P}`,

.. math:: \overline{\Delta_J}(m) = \sum_{i=1}^{P} m_{\pi_i}\, g_i, \qquad
    g_i = \Delta_J(\{\pi_1, \dots, \pi_i\}) - \Delta_J(\{\pi_1, \dots, \pi_{i-1}\}),

so the loss is a dot product of the errors with a vector :math:`g` that depends only on their
order. ``_lovasz_weights`` computes :math:`g` for many rows at once (one ``sort`` per call,
no loop over classes or images); the errors then get :math:`g` back in their own order, so
autograd differentiates a plain weighted sum.
"""

from __future__ import annotations

import torch

from .._base import Loss
from ._inputs import check_flag, check_mode, check_optional_ignore_index, segmentation_pair

__all__ = ["lovasz_loss", "LovaszLoss"]


def _lovasz_weights(errors: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    r"""The gradient :math:`g` of the Lovász extension of the Jaccard loss, row by row.

    ``errors`` (R, P) are >= 0 and ``truth`` (R, P) is 0/1 or bool (the ground-truth set of each
    row). Sorting the errors in decreasing order, the Jaccard loss of the first i sorted pixels
    (counted as mispredicted) is :math:`1 - \frac{|T| - |T \cap \{\pi_{1..i}\}|}{|T| + i -
    |T \cap \{\pi_{1..i}\}|}` (Berman et al., Algorithm 1); its increments are :math:`g`.
    Returned in the errors' own order (scattered back), without gradient.
    """
    with torch.no_grad():
        order = torch.argsort(errors, dim=-1, descending=True)
        seen = truth.gather(-1, order).to(errors.dtype).cumsum_(-1)  # |T ∩ first i|
        total = seen[..., -1:].clone()
        position = torch.arange(1, seen.shape[-1] + 1, dtype=seen.dtype, device=seen.device)
        union = (total + position).sub_(seen)
        jaccard = seen.neg_().add_(total).div_(union).neg_().add_(1.0)  # 1 - (|T| - seen) / union
        del union
        g = jaccard.clone()
        g[..., 1:] -= jaccard[..., :-1]
        del jaccard
        return torch.empty_like(g).scatter_(-1, order, g)


def _mean_over_present(per_class: torch.Tensor, present: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Each row's mean over its present classes, then the mean over rows (images).

    smp averages Lovász-softmax over the classes present; an image (or batch) with every pixel
    ignored has none, and gives 0 here (smp returns an empty tensor).
    """
    present = present.to(per_class.dtype)
    per_row = (per_class * present).sum(-1) / present.sum(-1).clamp_min(1.0)
    return per_row.mean() if per_row.numel() else x.sum() * 0.0


def _lovasz_softmax(x: torch.Tensor, y: torch.Tensor, valid, per_image: bool) -> torch.Tensor:
    r"""Lovász-softmax: one extension per class over the errors |1[y = c] - p_c|, averaged over
    the classes present (in the batch, or in each image with ``per_image``).

    For a fixed order the loss is linear in the errors, and each error is linear in p:
    :math:`|t - p| = s (p - t)` with :math:`s = 1 - 2t`. So the loss is computed as
    :math:`\sum (g s)\, p + \sum_{t = 1} g`, with :math:`g s` a constant: autograd then keeps
    one tensor of coefficients instead of the errors, their sort and its indices.
    """
    p = torch.softmax(x, dim=1)  # (N, C, P)
    n, num_classes, pixels = p.shape
    with torch.no_grad():
        classes = torch.arange(num_classes, device=y.device).view(1, num_classes, 1)
        truth = y.unsqueeze(1) == classes  # (N, C, P)
        if valid is not None:
            # An ignored pixel gets error 0 and truth 0: it sorts after every positive error and
            # neither adds to the loss nor changes the weights of the pixels before it.
            truth &= valid.unsqueeze(1)
        errors = torch.where(truth, 1.0 - p, p)
        if valid is not None:
            errors.masked_fill_(~valid.unsqueeze(1), 0.0)
        if not per_image:  # one row per class, over every pixel of the batch
            errors = errors.transpose(0, 1).reshape(num_classes, n * pixels)
            truth = truth.transpose(0, 1).reshape(num_classes, n * pixels)
        weights = _lovasz_weights(errors, truth)
        del errors
        constant = torch.where(truth, weights, 0.0).sum(-1)
        weights[truth] *= -1.0  # now g s
        present = truth.any(-1)
    if per_image:
        per_class = (p * weights).sum(-1) + constant  # (N, C)
    else:
        coefficients = weights.view(num_classes, n, pixels).transpose(0, 1)
        per_class = (p * coefficients).sum(dim=(0, 2)) + constant  # (C,)
    return _mean_over_present(per_class, present, x)


def _lovasz_hinge(x: torch.Tensor, y: torch.Tensor, valid, per_image: bool) -> torch.Tensor:
    r"""Lovász hinge: one extension over the hinge errors max(0, 1 - x s), s = 2y - 1, of all
    channels together (per batch, or per image with ``per_image``).

    As in ``_lovasz_softmax``, the loss is linear in the logits for a fixed order and a
    fixed set of positive errors: :math:`\sum_{m > 0} g (1 - x s)`.
    """

    def rows(t: torch.Tensor) -> torch.Tensor:  # one row per image, or one for the batch
        return t.flatten(1) if per_image else t.reshape(1, -1)

    x = rows(x)
    with torch.no_grad():
        signs = rows(2.0 * y - 1.0)
        errors = torch.relu_(1.0 - x * signs)
        if valid is not None:
            errors.masked_fill_(~rows(valid), 0.0)
        weights = _lovasz_weights(errors, rows(y))
        active = errors > 0
        del errors
        weights.mul_(active)
        constant = weights.sum(-1)
        coefficients = weights.mul_(signs).neg_()
    per_row = (x * coefficients).sum(-1) + constant
    return per_row.mean() if per_row.numel() else x.sum() * 0.0


def lovasz_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    mode: str = "multiclass",
    *,
    per_image: bool = False,
    ignore_index: int | None = None,
) -> torch.Tensor:
    r"""Lovász loss: the convex Lovász extension of the Jaccard loss (Berman et al. 2018).

    .. math:: \ell = \sum_{i=1}^{P} m_{\pi_i} \bigl(\Delta_J(\{\pi_1..\pi_i\})
        - \Delta_J(\{\pi_1..\pi_{i-1}\})\bigr), \quad m_{\pi_1} \ge m_{\pi_2} \ge \dots,
        \quad \Delta_J(A) = 1 - \frac{|T \setminus A|}{|T \cup A|}

    where T is the ground-truth set and A the set of pixels counted as mispredicted. The errors
    m depend on the mode:

    - ``"multiclass"`` (Lovász-softmax): :math:`m_i = |[y_i = c] - \operatorname{softmax}(x_i)_c|`,
      one extension per class c, averaged over the classes present in the target (absent
      classes are left out of the mean, unlike :func:`~lossbook.segmentation.overlap.dice_loss`);
    - ``"binary"`` and ``"multilabel"`` (Lovász hinge): :math:`m_i = \max(0, 1 - x_i s_i)`,
      :math:`s_i = 2 t_i - 1`, on the logits; a multilabel target is one hinge over all
      channels together, as in segmentation_models_pytorch. An empty binary mask gives the
      largest hinge error (every positive prediction is a false positive), not 0.

    The extension is computed over the whole batch at once, or over each image and then
    averaged with ``per_image=True``. Ignored pixels are removed. Where errors tie, the loss
    is still well defined but its gradient is one of the subgradients (that of smp's order up
    to ties). A batch (or image) with every pixel ignored gives 0 with a zero gradient
    (smp returns an empty tensor in Lovász-softmax). An (N, C, L) input is C classes over L
    pixels in every mode (smp's Lovász-softmax reads a 3-D input as (N, H, W) binary scores).

    Explained in the book: chapter “Segmentation and detection”, section “Lovász”.

    Args:
        input: logits ``(N, C, *)`` (``"multiclass"``, ``"multilabel"``) or ``(N, *)`` (``"binary"``);
            any number of spatial dimensions, (N, C, L) included.
        target: class indices ``(N, *)`` in [0, C) (multiclass), else 0/1 of ``input``'s shape;
            either may hold ``ignore_index``.
        mode: ``"multiclass"`` (default), ``"binary"`` or ``"multilabel"``.
        per_image: average the loss of each image instead of one loss over the batch.
            Default: False.
        ignore_index: None (default), or the target value of pixels to leave out.

    Returns:
        A scalar in ``input``'s dtype. Equals ``smp.losses.LovaszLoss(mode, ...)``, value and
        gradient (away from ties).

    Reference: M. Berman, A. Rannen Triki, M. B. Blaschko, "The Lovász-Softmax Loss: A
    Tractable Surrogate for the Optimization of the Intersection-Over-Union Measure in Neural
    Networks", CVPR 2018.

    Example:
        >>> import torch, lossbook
        >>> logits = torch.tensor([[2.0, 0.5, -1.0, -1.5]])  # (N, L), binary
        >>> mask = torch.tensor([[1, 0, 1, 0]])  # hinge errors 0, 1.5, 2, 0
        >>> lossbook.lovasz_loss(logits, mask, "binary")  # 2 * (1 - 1/2) + 1.5 * (1/2 - 1/3)
        tensor(1.2500)
    """
    mode = check_mode(mode)
    per_image = check_flag("per_image", per_image)
    ignore_index = check_optional_ignore_index(ignore_index)
    x, y, valid = segmentation_pair(input, target, mode, ignore_index)
    if mode == "multiclass":
        loss = _lovasz_softmax(x, y, valid, per_image)
    else:
        loss = _lovasz_hinge(x, y, valid, per_image)
    return loss.to(input.dtype)


class LovaszLoss(Loss):
    r"""Module form of :func:`lovasz_loss`: the Lovász-softmax (multiclass) or Lovász hinge
    (binary, multilabel) surrogate of the Jaccard loss.

    .. math:: \ell = \sum_i m_{\pi_i}\, g_i(\pi), \quad
        g_i = \Delta_J(\{\pi_1..\pi_i\}) - \Delta_J(\{\pi_1..\pi_{i-1}\})

    Explained in the book: chapter “Segmentation and detection”, section “Lovász”.

    Args:
        mode: ``"multiclass"`` (default), ``"binary"`` or ``"multilabel"``.
        per_image: average the loss of each image instead of one loss over the batch.
            Default: False.
        ignore_index: None (default), or the target value of pixels to leave out.

    Shape:
        - input: ``(N, C, *)`` logits, or ``(N, *)`` in binary mode.
        - target: ``(N, *)`` class indices (multiclass), else 0/1 of input's shape.
        - Output: a scalar.

    Reference: M. Berman, A. Rannen Triki, M. B. Blaschko, "The Lovász-Softmax Loss: A
    Tractable Surrogate for the Optimization of the Intersection-Over-Union Measure in Neural
    Networks", CVPR 2018.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.LovaszLoss("binary")
        >>> criterion(torch.tensor([[2.0, 0.5, -1.0, -1.5]]), torch.tensor([[1, 0, 1, 0]]))
        tensor(1.2500)
    """

    def __init__(
        self, mode: str = "multiclass", *, per_image: bool = False, ignore_index: int | None = None
    ) -> None:
        super().__init__("mean", reductions=("mean",))
        self.mode = check_mode(mode)
        self.per_image = check_flag("per_image", per_image)
        self.ignore_index = check_optional_ignore_index(ignore_index)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return lovasz_loss(input, target, self.mode, per_image=self.per_image, ignore_index=self.ignore_index)
