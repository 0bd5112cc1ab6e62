r"""Soft overlap losses: Dice, Jaccard (soft IoU) and Tversky (with its focal form).

Each counts soft true positives, false positives and false negatives per class, summed over
the batch and the pixels together,

.. math:: \mathrm{TP}_c = \sum_{n,i} p_{nci}\, t_{nci}, \quad
    \mathrm{FP}_c = \sum_{n,i} p_{nci} (1 - t_{nci}), \quad
    \mathrm{FN}_c = \sum_{n,i} (1 - p_{nci})\, t_{nci},

and turns them into a score per class, averaged over the classes. The conventions are those of
segmentation_models_pytorch 0.6 (``smp.losses``), which the tests compare against; the three
losses share ``_class_counts`` and ``_overlap_loss`` and differ only in the weights of
FP and FN.
"""

from __future__ import annotations

import torch

from .._base import Loss
from ..validation import check_number
from ._inputs import (
    check_flag,
    check_mode,
    check_optional_ignore_index,
    check_overlap_options,
    segmentation_pair,
)

__all__ = ["dice_loss", "jaccard_loss", "tversky_loss", "DiceLoss", "JaccardLoss", "TverskyLoss"]


def _class_counts(input, target, mode: str, from_logits: bool, ignore_index: int | None):
    """Soft TP, predicted mass and target mass per class, each (C,), over batch and pixels.

    Multiclass counts never build a one-hot target: TP gathers each pixel's probability of its
    own class and adds it to that class (``index_add``), and the target mass is a ``bincount``.
    """
    x, y, valid = segmentation_pair(input, target, mode, ignore_index, probabilities=not from_logits)
    if mode == "multiclass":
        p = torch.softmax(x, dim=1) if from_logits else x
        num_classes = p.shape[1]
        own = p.gather(1, y.unsqueeze(1)).squeeze(1)  # (N, P): each pixel's probability of its class
        labels = y.reshape(-1)
        if valid is None:
            predicted = p.sum(dim=(0, 2))
            counts = torch.bincount(labels, minlength=num_classes)
        else:
            keep = valid.to(p.dtype)
            predicted = torch.einsum("ncp,np->c", p, keep)
            own = own * keep
            counts = torch.bincount(labels, weights=keep.reshape(-1), minlength=num_classes)
        tp = own.new_zeros(num_classes).index_add(0, labels, own.reshape(-1))
        return tp, predicted, counts.to(p.dtype)
    p = torch.sigmoid(x) if from_logits else x
    if valid is not None:
        p = p * valid
    return (p * y).sum(dim=(0, 2)), p.sum(dim=(0, 2)), y.sum(dim=(0, 2))


def _overlap_loss(
    input, target, mode, *, alpha, beta, from_logits, smooth, eps, ignore_index, log_loss
) -> torch.Tensor:
    """The per-class losses (C,) of the Tversky index with FP weight ``alpha`` and FN weight ``beta``."""
    mode = check_mode(mode)
    from_logits = check_flag("from_logits", from_logits)
    log_loss = check_flag("log_loss", log_loss)
    smooth, eps = check_overlap_options(smooth, eps)
    ignore_index = check_optional_ignore_index(ignore_index)
    tp, predicted, actual = _class_counts(input, target, mode, from_logits, ignore_index)
    fp, fn = predicted - tp, actual - tp
    score = (tp + smooth) / (tp + alpha * fp + beta * fn + smooth).clamp_min(eps)
    loss = -torch.log(score.clamp_min(eps)) if log_loss else 1.0 - score
    # A class absent from the target (an empty mask) has no overlap to score: smp counts it in
    # the mean with loss 0 (and so gradient 0), rather than leaving it out of the mean.
    return loss * (actual > 0).to(loss.dtype)


def dice_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    mode: str = "multiclass",
    *,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 1e-7,
    ignore_index: int | None = None,
    log_loss: bool = False,
) -> torch.Tensor:
    r"""Soft Dice loss (Milletari et al. 2016; Sudre et al. 2017), segmentation_models_pytorch's conventions.

    .. math:: D_c = \frac{\mathrm{TP}_c + s}{\max\bigl(\mathrm{TP}_c
        + \tfrac12 \mathrm{FP}_c + \tfrac12 \mathrm{FN}_c + s,\ \epsilon\bigr)}
        = \frac{2\sum p t + 2s}{\sum p + \sum t + 2s}, \qquad
        \ell = \frac1C \sum_c [\textstyle\sum t_c > 0]\,(1 - D_c)

    (or :math:`-\log \max(D_c, \epsilon)` with ``log_loss=True``), with the soft counts
    :math:`\mathrm{TP}_c = \sum p t` etc. summed over the batch and the pixels together (one
    score per class for the whole batch, not one per image). smp's conventions, stated:

    - ``smooth`` s is added to the numerator and the denominator of
      :math:`\mathrm{TP}/(\mathrm{TP} + \frac12\mathrm{FP} + \frac12\mathrm{FN})`, which is
      :math:`2s` in the familiar :math:`2\sum pt / (\sum p + \sum t)` form (smp before 0.4
      added s there);
    - ``eps`` clamps the denominator from below (it is not added), and with ``log_loss`` it
      also clamps the score before the log;
    - a class absent from the target (an empty mask, an empty binary image) gives loss 0 and
      gradient 0, and still counts in the mean over the C classes;
    - ignored pixels (``target == ignore_index``) are removed from every sum.

    Explained in the book: chapter “Segmentation and detection”, section “Dice and Jaccard”.

    Args:
        input: scores ``(N, C, *)`` (``"multiclass"``, ``"multilabel"``) or ``(N, *)`` (``"binary"``,
            such as (N, 1, H, W)); any number of spatial dimensions, (N, C, L) included. Logits
            (softmax over C for multiclass, sigmoid otherwise) when ``from_logits``, else
            probabilities in [0, 1].
        target: ``"multiclass"``: class indices ``(N, *)`` in [0, C); ``"binary"``,
            ``"multilabel"``: 0/1 (bool, integer or floating) of ``input``'s shape. Either may
            hold ``ignore_index``.
        mode: ``"multiclass"`` (default), ``"binary"`` or ``"multilabel"``.
        from_logits: whether ``input`` holds logits. Default: True.
        smooth: s >= 0. Default: 0.
        eps: the denominator's floor, > 0. Default: 1e-7.
        ignore_index: None (default), or the target value of pixels to leave out.
        log_loss: :math:`-\log D` instead of :math:`1 - D`. Default: False.

    Returns:
        A scalar in ``input``'s dtype (float16 and bfloat16 are computed in float32). Equals
        ``smp.losses.DiceLoss(mode, ...)`` with ``classes=None``, value and gradient.

    References: F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural
    Networks for Volumetric Medical Image Segmentation", 3DV 2016. C. H. Sudre, W. Li,
    T. Vercauteren, S. Ourselin, M. J. Cardoso, "Generalised Dice Overlap as a Deep Learning
    Loss Function for Highly Unbalanced Segmentations", DLMIA 2017.

    Example:
        >>> import torch, lossbook
        >>> probs = torch.tensor([[[0.9, 0.6, 0.2, 0.1]]])  # (N, 1, L)
        >>> mask = torch.tensor([[[1, 1, 0, 0]]])  # 2 TP = 3.0, sum p + sum t = 1.8 + 2
        >>> lossbook.dice_loss(probs, mask, "binary", from_logits=False)
        tensor(0.2105)
    """
    input_dtype = input.dtype if isinstance(input, torch.Tensor) else None
    loss = _overlap_loss(
        input,
        target,
        mode,
        alpha=0.5,
        beta=0.5,
        from_logits=from_logits,
        smooth=smooth,
        eps=eps,
        ignore_index=ignore_index,
        log_loss=log_loss,
    )
    return loss.mean().to(input_dtype)


def jaccard_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    mode: str = "multiclass",
    *,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 1e-7,
    ignore_index: int | None = None,
    log_loss: bool = False,
) -> torch.Tensor:
    r"""Soft Jaccard (IoU) loss, segmentation_models_pytorch's conventions.

    .. math:: J_c = \frac{\mathrm{TP}_c + s}
        {\max(\mathrm{TP}_c + \mathrm{FP}_c + \mathrm{FN}_c + s,\ \epsilon)}
        = \frac{\sum p t + s}{\sum p + \sum t - \sum p t + s}, \qquad
        \ell = \frac1C \sum_c [\textstyle\sum t_c > 0]\,(1 - J_c)

    (or :math:`-\log \max(J_c, \epsilon)` with ``log_loss=True``): the soft intersection over
    the soft union, counted over the batch and the pixels together. The conventions (where
    ``smooth`` and ``eps`` go, absent classes count with loss 0, ``ignore_index``) are those of
    :func:`dice_loss`. :math:`J = D / (2 - D)`, so the two rank predictions alike; Jaccard
    punishes a partial overlap more.

    Explained in the book: chapter “Segmentation and detection”, section “Dice and Jaccard”.

    Args:
        input: scores ``(N, C, *)`` or, binary, ``(N, *)``: as in :func:`dice_loss`.
        target: class indices ``(N, *)`` (multiclass) or 0/1 of ``input``'s shape.
        mode: ``"multiclass"`` (default), ``"binary"`` or ``"multilabel"``.
        from_logits: whether ``input`` holds logits. Default: True.
        smooth: s >= 0. Default: 0.
        eps: the denominator's floor, > 0. Default: 1e-7.
        ignore_index: None (default), or the target value of pixels to leave out.
        log_loss: :math:`-\log J` instead of :math:`1 - J`. Default: False.

    Returns:
        A scalar in ``input``'s dtype. Equals ``smp.losses.JaccardLoss(mode, ...)`` with
        ``classes=None``, value and gradient.

    Reference: P. Jaccard, "The Distribution of the Flora in the Alpine Zone", New Phytologist
    1912; as a loss: M. A. Rahman, Y. Wang, "Optimizing Intersection-Over-Union in Deep Neural
    Networks for Image Segmentation", ISVC 2016.

    Example:
        >>> import torch, lossbook
        >>> probs = torch.tensor([[[0.9, 0.6, 0.2, 0.1]]])
        >>> mask = torch.tensor([[[1, 1, 0, 0]]])  # TP 1.5, union 1.8 + 2 - 1.5 = 2.3
        >>> lossbook.jaccard_loss(probs, mask, "binary", from_logits=False)
        tensor(0.3478)
    """
    input_dtype = input.dtype if isinstance(input, torch.Tensor) else None
    loss = _overlap_loss(
        input,
        target,
        mode,
        alpha=1.0,
        beta=1.0,
        from_logits=from_logits,
        smooth=smooth,
        eps=eps,
        ignore_index=ignore_index,
        log_loss=log_loss,
    )
    return loss.mean().to(input_dtype)


def tversky_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    mode: str = "multiclass",
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    gamma: float = 1.0,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 1e-7,
    ignore_index: int | None = None,
) -> torch.Tensor:
    r"""Tversky loss (Salehi et al. 2017) and, with ``gamma`` != 1, the focal Tversky loss.

    .. math:: T_c = \frac{\mathrm{TP}_c + s}{\max(\mathrm{TP}_c + \alpha\,\mathrm{FP}_c
        + \beta\,\mathrm{FN}_c + s,\ \epsilon)}, \qquad
        \ell = \Bigl(\frac1C \sum_c [\textstyle\sum t_c > 0]\,(1 - T_c)\Bigr)^{\gamma}

    ``alpha`` weighs the false positives and ``beta`` the false negatives: ``beta > alpha``
    buys recall at the cost of precision. ``alpha = beta = 0.5`` is :func:`dice_loss` and
    ``alpha = beta = 1`` :func:`jaccard_loss`. The counts and conventions are those of
    :func:`dice_loss` (segmentation_models_pytorch's). Note smp's focal form: the power
    ``gamma`` applies to the mean over classes; Abraham and Khan (2019) sum
    :math:`(1 - T_c)^{1/\gamma}` over the classes instead. The mean is clamped at the smallest
    normal float before the power when ``gamma`` != 1, so that an all-empty target (loss 0)
    keeps a zero rather than a NaN gradient for ``gamma < 1``.

    Explained in the book: chapter “Segmentation and detection”, section “Tversky”.

    Args:
        input: scores ``(N, C, *)`` or, binary, ``(N, *)``: as in :func:`dice_loss`.
        target: class indices ``(N, *)`` (multiclass) or 0/1 of ``input``'s shape.
        mode: ``"multiclass"`` (default), ``"binary"`` or ``"multilabel"``.
        alpha: weight of the false positives, >= 0. Default: 0.5.
        beta: weight of the false negatives, >= 0. Default: 0.5.
        gamma: the focal exponent, > 0. Default: 1 (the plain Tversky loss).
        from_logits: whether ``input`` holds logits. Default: True.
        smooth: s >= 0. Default: 0.
        eps: the denominator's floor, > 0. Default: 1e-7.
        ignore_index: None (default), or the target value of pixels to leave out.

    Returns:
        A scalar in ``input``'s dtype. Equals ``smp.losses.TverskyLoss(mode, ...)`` with
        ``classes=None``, value and gradient.

    References: S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky Loss Function for Image
    Segmentation Using 3D Fully Convolutional Deep Networks", MLMI 2017. N. Abraham, N. M. Khan,
    "A Novel Focal Tversky Loss Function with Improved Attention U-Net for Lesion
    Segmentation", ISBI 2019.

    Example:
        >>> import torch, lossbook
        >>> probs = torch.tensor([[[0.9, 0.6, 0.2, 0.1]]])  # TP 1.5, FP 0.3, FN 0.5
        >>> mask = torch.tensor([[[1, 1, 0, 0]]])
        >>> lossbook.tversky_loss(probs, mask, "binary", alpha=0.3, beta=0.7, from_logits=False)
        tensor(0.2268)
    """
    input_dtype = input.dtype if isinstance(input, torch.Tensor) else None
    alpha = check_number("alpha", alpha, low=0.0)
    beta = check_number("beta", beta, low=0.0)
    gamma = check_number("gamma", gamma, low=0.0, low_inclusive=False)
    loss = _overlap_loss(
        input,
        target,
        mode,
        alpha=alpha,
        beta=beta,
        from_logits=from_logits,
        smooth=smooth,
        eps=eps,
        ignore_index=ignore_index,
        log_loss=False,
    ).mean()
    if gamma != 1.0:
        loss = loss.clamp_min(torch.finfo(loss.dtype).tiny).pow(gamma)
    return loss.to(input_dtype)


class _OverlapLoss(Loss):
    """The options every soft overlap Module holds; the loss is always a mean over classes."""

    def __init__(self, mode, from_logits, smooth, eps, ignore_index) -> None:
        super().__init__("mean", reductions=("mean",))
        self.mode = check_mode(mode)
        self.from_logits = check_flag("from_logits", from_logits)
        self.smooth, self.eps = check_overlap_options(smooth, eps)
        self.ignore_index = check_optional_ignore_index(ignore_index)


class DiceLoss(_OverlapLoss):
    r"""Module form of :func:`dice_loss`: one minus the soft Dice score, averaged over classes.

    .. math:: \ell = \frac1C \sum_c [\textstyle\sum t_c > 0]
        \Bigl(1 - \frac{2\sum p t + 2s}{\max(\sum p + \sum t + 2s,\ 2\epsilon)}\Bigr)

    Explained in the book: chapter “Segmentation and detection”, section “Dice and Jaccard”.

    Args:
        mode: ``"multiclass"`` (default), ``"binary"`` or ``"multilabel"``.
        from_logits: whether the input holds logits. Default: True.
        smooth: s >= 0. Default: 0.
        eps: the denominator's floor, > 0. Default: 1e-7.
        ignore_index: None (default), or the target value of pixels to leave out.
        log_loss: :math:`-\log D` instead of :math:`1 - D`. Default: False.

    Shape:
        - input: ``(N, C, *)`` scores, or ``(N, *)`` in binary mode.
        - target: ``(N, *)`` class indices (multiclass), else 0/1 of input's shape.
        - Output: a scalar.

    References: F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural
    Networks for Volumetric Medical Image Segmentation", 3DV 2016.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.DiceLoss("binary", from_logits=False)
        >>> criterion(torch.tensor([[[0.9, 0.6, 0.2, 0.1]]]), torch.tensor([[[1, 1, 0, 0]]]))
        tensor(0.2105)
    """

    def __init__(
        self,
        mode: str = "multiclass",
        *,
        from_logits: bool = True,
        smooth: float = 0.0,
        eps: float = 1e-7,
        ignore_index: int | None = None,
        log_loss: bool = False,
    ) -> None:
        super().__init__(mode, from_logits, smooth, eps, ignore_index)
        self.log_loss = check_flag("log_loss", log_loss)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return dice_loss(
            input,
            target,
            self.mode,
            from_logits=self.from_logits,
            smooth=self.smooth,
            eps=self.eps,
            ignore_index=self.ignore_index,
            log_loss=self.log_loss,
        )


class JaccardLoss(_OverlapLoss):
    r"""Module form of :func:`jaccard_loss`: one minus the soft IoU, averaged over classes.

    .. math:: \ell = \frac1C \sum_c [\textstyle\sum t_c > 0]
        \Bigl(1 - \frac{\sum p t + s}{\max(\sum p + \sum t - \sum p t + s,\ \epsilon)}\Bigr)

    Explained in the book: chapter “Segmentation and detection”, section “Dice and Jaccard”.

    Args:
        mode: ``"multiclass"`` (default), ``"binary"`` or ``"multilabel"``.
        from_logits: whether the input holds logits. Default: True.
        smooth: s >= 0. Default: 0.
        eps: the denominator's floor, > 0. Default: 1e-7.
        ignore_index: None (default), or the target value of pixels to leave out.
        log_loss: :math:`-\log J` instead of :math:`1 - J`. Default: False.

    Shape:
        - input: ``(N, C, *)`` scores, or ``(N, *)`` in binary mode.
        - target: ``(N, *)`` class indices (multiclass), else 0/1 of input's shape.
        - Output: a scalar.

    Reference: M. A. Rahman, Y. Wang, "Optimizing Intersection-Over-Union in Deep Neural
    Networks for Image Segmentation", ISVC 2016.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.JaccardLoss("binary", from_logits=False)
        >>> criterion(torch.tensor([[[0.9, 0.6, 0.2, 0.1]]]), torch.tensor([[[1, 1, 0, 0]]]))
        tensor(0.3478)
    """

    def __init__(
        self,
        mode: str = "multiclass",
        *,
        from_logits: bool = True,
        smooth: float = 0.0,
        eps: float = 1e-7,
        ignore_index: int | None = None,
        log_loss: bool = False,
    ) -> None:
        super().__init__(mode, from_logits, smooth, eps, ignore_index)
        self.log_loss = check_flag("log_loss", log_loss)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return jaccard_loss(
            input,
            target,
            self.mode,
            from_logits=self.from_logits,
            smooth=self.smooth,
            eps=self.eps,
            ignore_index=self.ignore_index,
            log_loss=self.log_loss,
        )


class TverskyLoss(_OverlapLoss):
    r"""Module form of :func:`tversky_loss`: the (focal) Tversky loss, FP and FN weighed apart.

    .. math:: \ell = \Bigl(\frac1C \sum_c [\textstyle\sum t_c > 0]\Bigl(1 - \frac{\mathrm{TP}_c + s}
        {\max(\mathrm{TP}_c + \alpha \mathrm{FP}_c + \beta \mathrm{FN}_c + s,\ \epsilon)}\Bigr)\Bigr)^\gamma

    Explained in the book: chapter “Segmentation and detection”, section “Tversky”.

    Args:
        mode: ``"multiclass"`` (default), ``"binary"`` or ``"multilabel"``.
        alpha: weight of the false positives, >= 0. Default: 0.5.
        beta: weight of the false negatives, >= 0. Default: 0.5.
        gamma: the focal exponent, > 0. Default: 1.
        from_logits: whether the input holds logits. Default: True.
        smooth: s >= 0. Default: 0.
        eps: the denominator's floor, > 0. Default: 1e-7.
        ignore_index: None (default), or the target value of pixels to leave out.

    Shape:
        - input: ``(N, C, *)`` scores, or ``(N, *)`` in binary mode.
        - target: ``(N, *)`` class indices (multiclass), else 0/1 of input's shape.
        - Output: a scalar.

    Reference: S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky Loss Function for Image
    Segmentation Using 3D Fully Convolutional Deep Networks", MLMI 2017.

    Example:
        >>> import torch, lossbook
        >>> criterion = lossbook.TverskyLoss("binary", alpha=0.3, beta=0.7, from_logits=False)
        >>> criterion(torch.tensor([[[0.9, 0.6, 0.2, 0.1]]]), torch.tensor([[[1, 1, 0, 0]]]))
        tensor(0.2268)
    """

    def __init__(
        self,
        mode: str = "multiclass",
        *,
        alpha: float = 0.5,
        beta: float = 0.5,
        gamma: float = 1.0,
        from_logits: bool = True,
        smooth: float = 0.0,
        eps: float = 1e-7,
        ignore_index: int | None = None,
    ) -> None:
        super().__init__(mode, from_logits, smooth, eps, ignore_index)
        self.alpha = check_number("alpha", alpha, low=0.0)
        self.beta = check_number("beta", beta, low=0.0)
        self.gamma = check_number("gamma", gamma, low=0.0, low_inclusive=False)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return tversky_loss(
            input,
            target,
            self.mode,
            alpha=self.alpha,
            beta=self.beta,
            gamma=self.gamma,
            from_logits=self.from_logits,
            smooth=self.smooth,
            eps=self.eps,
            ignore_index=self.ignore_index,
        )
