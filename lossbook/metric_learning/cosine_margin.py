r"""Margin softmax with an additive margin: CosFace (LMCL, 2018) on the cosine, ArcFace (2019) on the angle.

Both act on the cosines between normalized embeddings and normalized class weights
(:func:`~lossbook.metric_learning.distances.cosine_similarity_matrix`), scaled by s; their
Modules share the head base of :mod:`~lossbook.metric_learning.margin_softmax`.
"""

from __future__ import annotations

import math

import torch

from ..validation import check_number, compute_dtype
from ._inputs import check_angular_margin, check_cosine_head
from .distances import _safe_sqrt, cosine_similarity_matrix
from .margin_softmax import _MarginSoftmaxLoss

__all__ = ["cosface_logits", "arcface_logits", "CosFaceLoss", "ArcFaceLoss"]


def _cosine_head(cosine: torch.Tensor, labels: torch.Tensor, scale) -> tuple[float, torch.Tensor]:
    """What CosFace and ArcFace share: checks, then (scale, cosines in the compute dtype)."""
    check_cosine_head(cosine, labels)
    scale = check_number("scale", scale, low=0.0, low_inclusive=False)
    return scale, cosine.to(compute_dtype(cosine.dtype))


def cosface_logits(
    cosine: torch.Tensor, labels: torch.Tensor, scale: float = 30.0, margin: float = 0.35
) -> torch.Tensor:
    r"""Logits of the large margin cosine loss (LMCL, CosFace; Wang et al. 2018).

    .. math:: f_y = s\,(\cos\theta_y - m), \qquad f_j = s \cos\theta_j \ (j \ne y)

    Book: *Metric learning*, section "Margin softmax: L-Softmax, A-Softmax, CosFace, ArcFace".

    Args:
        cosine: (N, C) cosines between normalized features and normalized class weights
            (:func:`~lossbook.metric_learning.distances.cosine_similarity_matrix`).
        labels: (N,) integer labels in [0, C).
        scale: s > 0.
        margin: the cosine margin m >= 0.

    Returns:
        (N, C) logits for cross-entropy.

    Reference: H. Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition",
    CVPR 2018.

    Example:
        >>> import torch, lossbook
        >>> lossbook.cosface_logits(torch.tensor([[0.9, 0.2]]), torch.tensor([0]), scale=10.0, margin=0.35)
        tensor([[5.5000, 2.0000]])
    """
    scale, c = _cosine_head(cosine, labels, scale)
    margin = check_number("margin", margin, low=0.0)
    shift = torch.zeros_like(c).scatter(1, labels.unsqueeze(1), margin)
    return (scale * (c - shift)).to(cosine.dtype)


def arcface_logits(
    cosine: torch.Tensor,
    labels: torch.Tensor,
    scale: float = 64.0,
    margin: float = 0.5,
    easy_margin: bool = False,
) -> torch.Tensor:
    r"""Logits of the additive angular margin loss (ArcFace; Deng et al. 2019).

    .. math:: f_y = s \cos(\theta_y + m), \qquad f_j = s \cos\theta_j \ (j \ne y)

    :math:`\cos(\theta + m) = \cos\theta \cos m - \sin\theta \sin m` with
    :math:`\sin\theta = \sqrt{1 - \cos^2\theta}` through a square root whose gradient is 0
    (not infinite) at :math:`|\cos\theta| = 1`, so there is no NaN there. Where
    :math:`\theta_y + m > \pi` the function would turn back up; there ArcFace uses
    :math:`\cos\theta_y - m \sin m` instead (``easy_margin=False``), or keeps
    :math:`\cos\theta_y` wherever :math:`\cos\theta_y \le 0` (``easy_margin=True``).

    Book: *Metric learning*, section "Margin softmax: L-Softmax, A-Softmax, CosFace, ArcFace".

    Args:
        cosine: (N, C) cosines between normalized features and normalized class weights.
        labels: (N,) integer labels in [0, C).
        scale: s > 0.
        margin: the angular margin m in radians, in [0, pi).
        easy_margin: apply the margin only where :math:`\cos\theta_y > 0`.

    Returns:
        (N, C) logits for cross-entropy.

    Reference: J. Deng, J. Guo, N. Xue, S. Zafeiriou, "ArcFace: Additive Angular Margin Loss
    for Deep Face Recognition", CVPR 2019.

    Example:
        >>> import math, torch, lossbook
        >>> cosine = torch.tensor([[1.0, 0.0]])
        >>> lossbook.arcface_logits(cosine, torch.tensor([0]), scale=1.0, margin=math.pi / 3)
        tensor([[0.5000, 0.0000]])
    """
    scale, c_all = _cosine_head(cosine, labels, scale)
    margin = check_angular_margin(margin)
    y = labels.unsqueeze(1)
    c = c_all.gather(1, y).clamp(-1.0, 1.0)
    sine = _safe_sqrt(1.0 - c.square())
    shifted = c * math.cos(margin) - sine * math.sin(margin)
    if easy_margin:
        target = torch.where(c > 0, shifted, c)
    else:
        target = torch.where(c >= math.cos(math.pi - margin), shifted, c - margin * math.sin(margin))
    return (scale * c_all.scatter(1, y, target)).to(cosine.dtype)


class _CosineMarginLoss(_MarginSoftmaxLoss):
    """CosFace and ArcFace: ``scale`` times the cosines to the normalized class weights."""

    def __init__(
        self, in_features: int, num_classes: int, scale: float, margin: float, reduction: str = "mean"
    ) -> None:
        super().__init__(in_features, num_classes, reduction)
        self.scale = check_number("scale", scale, low=0.0, low_inclusive=False)
        self.margin = margin

    def cosine(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Cosines between ``embeddings`` and the class weights, (N, C)."""
        self._check_embeddings(embeddings)
        return cosine_similarity_matrix(embeddings, self.weight.to(embeddings.dtype))

    def logits(self, embeddings):
        return self.scale * self.cosine(embeddings)


class CosFaceLoss(_CosineMarginLoss):
    """CosFace (LMCL) loss: cross-entropy of :func:`cosface_logits` with a learnable ``weight`` (C, D).

    Book: *Metric learning*, section "Training the four, with 2-D features".

    Args:
        in_features: D.
        num_classes: C.
        scale: s > 0.
        margin: the cosine margin m >= 0.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - embeddings: (N, D), D = ``in_features``.
        - labels: (N,), integer labels in [0, ``num_classes``).
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: H. Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition",
    CVPR 2018.

    Example:
        >>> import torch, lossbook
        >>> head = lossbook.CosFaceLoss(2, 2, scale=10.0, margin=0.35)
        >>> with torch.no_grad():
        ...     _ = head.weight.copy_(torch.eye(2))
        >>> round(head(torch.tensor([[0.6, 0.8]]), torch.tensor([0])).item(), 4)  # logits 2.5, 8
        5.5041
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        scale: float = 30.0,
        margin: float = 0.35,
        reduction: str = "mean",
    ) -> None:
        super().__init__(in_features, num_classes, scale, check_number("margin", margin, low=0.0), reduction)

    def margin_logits(self, embeddings, labels):
        return cosface_logits(self.cosine(embeddings), labels, self.scale, self.margin)


class ArcFaceLoss(_CosineMarginLoss):
    r"""ArcFace loss: cross-entropy of :func:`arcface_logits` (margin in radians), ``weight`` (C, D).

    Book: *Metric learning*, section "Training the four, with 2-D features".

    Args:
        in_features: D.
        num_classes: C.
        scale: s > 0.
        margin: the angular margin m in radians, in [0, pi).
        easy_margin: apply the margin only where :math:`\cos\theta_y > 0`.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - embeddings: (N, D), D = ``in_features``.
        - labels: (N,), integer labels in [0, ``num_classes``).
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: J. Deng, J. Guo, N. Xue, S. Zafeiriou, "ArcFace: Additive Angular Margin Loss
    for Deep Face Recognition", CVPR 2019.

    Example:
        >>> import torch, lossbook
        >>> head = lossbook.ArcFaceLoss(2, 2, scale=10.0, margin=0.5)
        >>> with torch.no_grad():
        ...     _ = head.weight.copy_(torch.eye(2))
        >>> round(head(torch.tensor([[0.6, 0.8]]), torch.tensor([0])).item(), 4)
        6.5713
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        scale: float = 64.0,
        margin: float = 0.5,
        easy_margin: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(in_features, num_classes, scale, check_angular_margin(margin), reduction)
        self.easy_margin = bool(easy_margin)

    def margin_logits(self, embeddings, labels):
        return arcface_logits(self.cosine(embeddings), labels, self.scale, self.margin, self.easy_margin)
