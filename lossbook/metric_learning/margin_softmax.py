r"""Margin softmax: the true class must win by a margin on the angle to its class weight.

The chapter's section on margin softmax in two modules: this one holds the multiplicative
angular margin of L-Softmax (2016) and A-Softmax / SphereFace (2017), through the margin
function :func:`angular_psi`, and the base of every margin-softmax head (a Module holding the
class weights, whose forward is the cross-entropy of the margin logits);
:mod:`~lossbook.metric_learning.cosine_margin` holds the additive margins of CosFace (2018) and
ArcFace (2019).
"""

from __future__ import annotations

import abc
import math

import torch
import torch.nn.functional as F
from torch import nn

from .._base import Loss
from ..validation import check_number, check_positive_integer, check_tensor, compute_dtype
from ._inputs import check_head, check_iteration, check_module_input
from .distances import _normalize_rows, _row_norms

__all__ = [
    "angular_psi",
    "lsoftmax_logits",
    "sphereface_logits",
    "sphereface_lambda",
    "LSoftmaxLoss",
    "SphereFaceLoss",
]

# ---------------------------------------------------------------------------
# A multiplicative angular margin: L-Softmax and A-Softmax (SphereFace)
# ---------------------------------------------------------------------------


def _chebyshev(c: torch.Tensor, m: int) -> torch.Tensor:
    """T_m(c) = cos(m arccos c), by T_{n+1} = 2 c T_n - T_{n-1}: a polynomial, smooth at c = +-1."""
    previous, current = torch.ones_like(c), c
    for _ in range(m - 1):
        previous, current = current, 2.0 * c * current - previous
    return current if m >= 1 else previous


def angular_psi(cosine: torch.Tensor, margin: int = 4) -> torch.Tensor:
    r"""The margin function of L-Softmax and A-Softmax, as a function of :math:`\cos\theta`.

    .. math::
        \psi(\theta) = (-1)^k \cos(m\theta) - 2k, \qquad
        \theta \in \Big[\frac{k\pi}{m}, \frac{(k+1)\pi}{m}\Big],\ k \in \{0, \dots, m - 1\}

    monotonically decreasing on :math:`[0, \pi]`, equal to :math:`\cos(m\theta)` on
    :math:`[0, \pi/m]`. :math:`\cos(m\theta)` is evaluated as the Chebyshev polynomial
    :math:`T_m(\cos\theta)` (the paper's multiple-angle expansion) and ``k`` from ``acos``
    of the clamped cosine without gradient, so the gradient is finite at :math:`\cos = \pm 1`.

    Book: *Metric learning*, section "Margin softmax: L-Softmax, A-Softmax, CosFace, ArcFace"
    (and "Decision margins in angle space").

    Args:
        cosine: any shape, floating.
        margin: the integer m >= 1 (m = 1 gives :math:`\cos\theta`).

    Returns:
        :math:`\psi`, of ``cosine``'s shape and dtype.

    Reference: W. Liu, Y. Wen, Z. Yu, M. Yang, "Large-Margin Softmax Loss for Convolutional
    Neural Networks", ICML 2016.

    Example:
        >>> import torch, lossbook
        >>> lossbook.angular_psi(torch.tensor([1.0, 0.0, -1.0]), margin=2)
        tensor([ 1., -1., -3.])
    """
    check_tensor("cosine", cosine)
    m = check_positive_integer("margin", margin)
    c = cosine.clamp(-1.0, 1.0)
    with torch.no_grad():
        k = torch.floor(m * torch.acos(c) / math.pi).clamp(0, m - 1)
    sign = 1.0 - 2.0 * torch.remainder(k, 2.0)
    return sign * _chebyshev(c, m) - 2.0 * k


def _angular_head(
    embeddings: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, margin, lam
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """What L-Softmax and A-Softmax share: checks, then (x, w, cosines, target cosine).

    ``x`` and ``w`` are in the compute dtype; the target cosine of each sample's own class,
    (N, 1), is the annealed (lam cos + psi) / (1 + lam) of both papers.
    """
    check_head(embeddings, weight, labels)
    m = check_positive_integer("margin", margin)
    lam = check_number("lam", lam, low=0.0)
    work = compute_dtype(embeddings.dtype)
    x, w = embeddings.to(work), weight.to(work)
    cosine = _normalize_rows(x) @ _normalize_rows(w).T
    cos_y = cosine.gather(1, labels.unsqueeze(1))
    psi = angular_psi(cos_y, m)
    target = psi if lam == 0.0 else (lam * cos_y + psi) / (1.0 + lam)
    return x, w, cosine, target


def lsoftmax_logits(
    embeddings: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, margin: int = 4, lam: float = 0.0
) -> torch.Tensor:
    r"""Logits of the large-margin softmax (L-Softmax, Liu et al. 2016).

    .. math::
        f_j = \|W_j\| \|x\| \cos\theta_j \ (j \ne y), \qquad
        f_y = \|W_y\| \|x\| \,\frac{\lambda \cos\theta_y + \psi(\theta_y)}{1 + \lambda}

    with :math:`\psi` from :func:`angular_psi`. With ``lam = 0`` the true class must win by
    an angle m times smaller; a large ``lam`` is almost plain softmax (the papers anneal it).
    No bias, as in the paper.

    Book: *Metric learning*, section "Margin softmax: L-Softmax, A-Softmax, CosFace, ArcFace".

    Args:
        embeddings: (N, D) features.
        weight: (C, D) class weights, as in ``nn.Linear``.
        labels: (N,) integer labels in [0, C).
        margin: the integer m >= 1.
        lam: the mixing weight lambda >= 0.

    Returns:
        (N, C) logits for cross-entropy, in ``embeddings``' dtype.

    Reference: W. Liu, Y. Wen, Z. Yu, M. Yang, "Large-Margin Softmax Loss for Convolutional
    Neural Networks", ICML 2016.

    Example:
        >>> import torch, lossbook
        >>> x, w = torch.tensor([[3.0, 4.0]]), torch.tensor([[1.0, 0.0], [0.0, 2.0]])
        >>> lossbook.lsoftmax_logits(x, w, torch.tensor([0]), margin=2)  # cos 0.6 -> 2 * 0.36 - 1
        tensor([[-1.4000,  8.0000]])
    """
    x, w, _, target = _angular_head(embeddings, weight, labels, margin, lam)
    scale = (_row_norms(x) * _row_norms(w)[labels]).unsqueeze(1)
    return (x @ w.T).scatter(1, labels.unsqueeze(1), scale * target).to(embeddings.dtype)


def sphereface_logits(
    embeddings: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, margin: int = 4, lam: float = 0.0
) -> torch.Tensor:
    r"""Logits of the angular softmax (A-Softmax) of SphereFace (Liu et al. 2017).

    L-Softmax with normalized weights and no bias, so that only the angle decides:

    .. math::
        f_j = \|x\| \cos\theta_j \ (j \ne y), \qquad
        f_y = \|x\| \,\frac{\lambda \cos\theta_y + \psi(\theta_y)}{1 + \lambda}

    Book: *Metric learning*, section "Margin softmax: L-Softmax, A-Softmax, CosFace, ArcFace".

    Args:
        embeddings: (N, D) features.
        weight: (C, D) class weights (normalized here; their norms do not matter).
        labels: (N,) integer labels in [0, C).
        margin: the integer m >= 1 (the paper uses 4).
        lam: the mixing weight lambda >= 0; see :func:`sphereface_lambda` for its schedule.

    Returns:
        (N, C) logits for cross-entropy.

    Reference: W. Liu, Y. Wen, Z. Yu, M. Li, B. Raj, L. Song, "SphereFace: Deep Hypersphere
    Embedding for Face Recognition", CVPR 2017.

    Example:
        >>> import torch, lossbook
        >>> x, w = torch.tensor([[3.0, 4.0]]), torch.tensor([[1.0, 0.0], [0.0, 2.0]])
        >>> lossbook.sphereface_logits(x, w, torch.tensor([0]), margin=2)
        tensor([[-1.4000,  4.0000]])
    """
    x, _, cosine, target = _angular_head(embeddings, weight, labels, margin, lam)
    norms = _row_norms(x).unsqueeze(1)
    return (norms * cosine.scatter(1, labels.unsqueeze(1), target)).to(embeddings.dtype)


_SCHEDULE = ("base", "gamma", "power", "lambda_min")


def _check_schedule(values: tuple, names: tuple[str, ...] = _SCHEDULE) -> tuple[float, ...]:
    """The four constants of :func:`sphereface_lambda`, each a number >= 0, checked under ``names``."""
    return tuple(check_number(name, value, low=0.0) for name, value in zip(names, values, strict=True))


def sphereface_lambda(
    iteration: int, base: float = 1000.0, gamma: float = 0.12, power: float = 1.0, lambda_min: float = 5.0
) -> float:
    r"""SphereFace's annealing of lambda over the training steps t.

    .. math:: \lambda_t = \max\big(\lambda_{min},\ \text{base}\,(1 + \gamma t)^{-\text{power}}\big)

    Training A-Softmax (or L-Softmax) with its full margin from the start rarely converges;
    both papers start from a large lambda (nearly plain softmax) and decrease it. The defaults
    are those of the authors' released SphereFace training configuration (base 1000,
    gamma 0.12, power 1, lambda_min 5); a short run on a small data set needs a larger gamma.

    Book: *Metric learning*, section "Margin softmax: L-Softmax, A-Softmax, CosFace, ArcFace".

    Args:
        iteration: the training step t, an integer >= 0.
        base, gamma, power, lambda_min: the schedule's constants, each >= 0.

    Shape:
        - iteration and the result: Python numbers, not tensors (no shape).

    Returns:
        lambda, a Python float.

    Reference: W. Liu, Y. Wen, Z. Yu, M. Li, B. Raj, L. Song, "SphereFace: Deep Hypersphere
    Embedding for Face Recognition", CVPR 2017.

    Example:
        >>> import lossbook
        >>> [round(lossbook.sphereface_lambda(t), 1) for t in (0, 100, 10000)]
        [1000.0, 76.9, 5.0]
    """
    iteration = check_iteration(iteration)
    base, gamma, power, lambda_min = _check_schedule((base, gamma, power, lambda_min))
    return max(lambda_min, base * (1.0 + gamma * iteration) ** (-power))


# ---------------------------------------------------------------------------
# Modules: a classifier head holding the class weights
# ---------------------------------------------------------------------------


class _MarginSoftmaxLoss(Loss, abc.ABC):
    """A classifier head holding ``weight`` (num_classes, in_features); forward: CE of the margin logits."""

    def __init__(self, in_features: int, num_classes: int, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.in_features = check_positive_integer("in_features", in_features)
        self.num_classes = check_positive_integer("num_classes", num_classes)
        self.weight = nn.Parameter(torch.empty(self.num_classes, self.in_features))
        nn.init.xavier_uniform_(self.weight)

    def _check_embeddings(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``embeddings`` must match the loss's ``weight``: in_features columns, on its device."""
        return check_module_input("embeddings", embeddings, "weight", self.weight)

    @abc.abstractmethod
    def margin_logits(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Class scores with the margin on each sample's own class: what training sees."""

    @abc.abstractmethod
    def logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Plain class scores (no margin), for prediction: ``logits(x).argmax(1)``."""

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        logits = self.margin_logits(embeddings, labels)
        return F.cross_entropy(logits.to(compute_dtype(logits.dtype)), labels, reduction=self.reduction).to(
            logits.dtype
        )


class _AnnealedMarginLoss(_MarginSoftmaxLoss):
    """L-Softmax and A-Softmax: a multiplicative angular margin, with lambda annealed per training step."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        margin: int = 4,
        *,
        anneal: bool = True,
        lambda_base: float = 1000.0,
        lambda_gamma: float = 0.12,
        lambda_power: float = 1.0,
        lambda_min: float = 5.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__(in_features, num_classes, reduction)
        self.margin = check_positive_integer("margin", margin)
        self.anneal = bool(anneal)
        self.lambda_base, self.lambda_gamma, self.lambda_power, self.lambda_min = _check_schedule(
            (lambda_base, lambda_gamma, lambda_power, lambda_min),
            ("lambda_base", "lambda_gamma", "lambda_power", "lambda_min"),
        )
        self.register_buffer("iteration", torch.zeros((), dtype=torch.int64))

    @property
    def lam(self) -> float:
        """The current lambda: 0 without annealing, else :func:`sphereface_lambda` of the step count."""
        if not self.anneal:
            return 0.0
        return sphereface_lambda(
            int(self.iteration), self.lambda_base, self.lambda_gamma, self.lambda_power, self.lambda_min
        )

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        loss = super().forward(embeddings, labels)
        if self.training:
            self.iteration += 1
        return loss


class LSoftmaxLoss(_AnnealedMarginLoss):
    r"""L-Softmax loss: cross-entropy of :func:`lsoftmax_logits` with a learnable ``weight`` (C, D).

    Keyword options as :class:`SphereFaceLoss`: lambda is annealed by :func:`sphereface_lambda`
    (``anneal=False`` gives the pure margin, lambda = 0). The L-Softmax paper prescribes the same
    strategy: start with a large lambda and reduce it.

    Book: *Metric learning*, section "Training the four, with 2-D features".

    Args:
        in_features: D.
        num_classes: C.
        margin: the integer m >= 1.

    Shape:
        - embeddings: (N, D), D = ``in_features``.
        - labels: (N,), integer labels in [0, ``num_classes``).
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: W. Liu, Y. Wen, Z. Yu, M. Yang, "Large-Margin Softmax Loss for Convolutional
    Neural Networks", ICML 2016.

    Example:
        >>> import torch, lossbook
        >>> head = lossbook.LSoftmaxLoss(2, 2, margin=2, anneal=False)
        >>> with torch.no_grad():
        ...     _ = head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        >>> round(head(torch.tensor([[3.0, 4.0]]), torch.tensor([0])).item(), 4)  # logits -1.4, 8
        9.4001
    """

    def margin_logits(self, embeddings, labels):
        self._check_embeddings(embeddings)
        return lsoftmax_logits(embeddings, self.weight, labels, self.margin, self.lam)

    def logits(self, embeddings):
        self._check_embeddings(embeddings)
        return embeddings @ self.weight.to(embeddings.dtype).T


class SphereFaceLoss(_AnnealedMarginLoss):
    r"""A-Softmax (SphereFace) loss: cross-entropy of :func:`sphereface_logits`, ``weight`` (C, D).

    Lambda annealing (the paper trains only this way): each ``forward`` in training mode
    counts one iteration t and uses
    :math:`\lambda_t = \max(\lambda_{min}, \text{base}\,(1 + \gamma t)^{-\text{power}})`
    (:func:`sphereface_lambda`; defaults base 1000, gamma 0.12, power 1, lambda_min 5, the
    released SphereFace configuration). The counter is the buffer ``iteration`` (saved in the
    ``state_dict``). Turn annealing off with ``anneal=False`` (lambda = 0, the full margin), or
    shape it with ``lambda_base``, ``lambda_gamma``, ``lambda_power``, ``lambda_min``.

    Book: *Metric learning*, section "Training the four, with 2-D features".

    Args:
        in_features: D.
        num_classes: C.
        margin: the integer m >= 1 (4 in the paper).

    Shape:
        - embeddings: (N, D), D = ``in_features``.
        - labels: (N,), integer labels in [0, ``num_classes``).
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: W. Liu, Y. Wen, Z. Yu, M. Li, B. Raj, L. Song, "SphereFace: Deep Hypersphere
    Embedding for Face Recognition", CVPR 2017.

    Example:
        >>> import torch, lossbook
        >>> head = lossbook.SphereFaceLoss(2, 2, margin=2, anneal=False)
        >>> with torch.no_grad():
        ...     _ = head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        >>> round(head(torch.tensor([[3.0, 4.0]]), torch.tensor([0])).item(), 4)  # logits -1.4, 4
        5.4045
    """

    def margin_logits(self, embeddings, labels):
        self._check_embeddings(embeddings)
        return sphereface_logits(embeddings, self.weight, labels, self.margin, self.lam)

    def logits(self, embeddings):
        self._check_embeddings(embeddings)
        x = embeddings.to(compute_dtype(embeddings.dtype))
        cosine = _normalize_rows(x) @ _normalize_rows(self.weight.to(x.dtype)).T
        return (_row_norms(x).unsqueeze(1) * cosine).to(embeddings.dtype)
