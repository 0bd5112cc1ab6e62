r"""Center loss (Wen et al. 2016): softmax separates the classes, a pull to class centers compacts them."""

from __future__ import annotations

import torch
from torch import nn

from .._base import Loss
from ..validation import check_number, check_positive_integer, check_reduction, compute_dtype, reduce
from ._inputs import check_centers, check_devices, check_labels, check_module_input

__all__ = ["center_loss", "CenterLoss"]


def center_loss(
    features: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    r"""Center loss (Wen et al. 2016): half the squared distance of each feature to its class center.

    .. math:: \ell_i = \tfrac12 \|x_i - c_{y_i}\|_2^2

    Used next to softmax cross-entropy, :math:`L = L_S + \lambda L_C`: softmax separates the
    classes, the center loss makes each class compact.

    Book: *Metric learning*, section "Center loss".

    Args:
        features: (N, D) deep features.
        labels: (N,) integer labels in [0, C).
        centers: (C, D) class centers.
        reduction: ``"mean"`` (default), ``"sum"`` (the paper's :math:`L_C`) or ``"none"``.

    Returns:
        The loss in ``features``' dtype.

    Reference: Y. Wen, K. Zhang, Z. Li, Y. Qiao, "A Discriminative Feature Learning Approach
    for Deep Face Recognition", ECCV 2016.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 1.0], [0.0, 3.0]])
        >>> c = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
        >>> lossbook.center_loss(x, torch.tensor([0, 1]), c, reduction="none")
        tensor([1., 2.])
    """
    check_reduction(reduction)
    check_centers(features, labels, centers)
    dtype = features.dtype
    work = compute_dtype(dtype)
    loss = 0.5 * (features.to(work) - centers.to(work)[labels]).square().sum(dim=1)
    return reduce(loss, reduction).to(dtype)


class CenterLoss(Loss):
    r"""Center loss with learnable class centers ``centers`` of shape (num_classes, feat_dim).

    Two ways to move the centers:

    * ``alpha=None`` (default): ``centers`` is an ``nn.Parameter``, moved by the optimizer
      through the gradient of the loss, :math:`\partial L / \partial c_j`. Give the optimizer
      both parameter sets, typically with their own learning rate::

          center = lossbook.CenterLoss(10, 2)
          optimizer = torch.optim.SGD([
              {"params": model.parameters(), "lr": 0.1},
              {"params": center.parameters(), "lr": 0.5},
          ])
          loss = ce(logits, y) + lam * center(features, y)

    * ``alpha`` in (0, 1]: the paper's own update. ``centers`` is a buffer, not a parameter
      (keep it out of the optimizer); each ``forward`` in training mode, after computing the
      loss with the current centers, applies

      .. math::
          \Delta c_j = \frac{\sum_{i:\,y_i = j} (c_j - x_i)}{1 + n_j}, \qquad
          c_j \leftarrow c_j - \alpha\,\Delta c_j

      with :math:`n_j` the number of samples of class j in the batch (Wen et al. 2016, Eq. 4
      and Algorithm 1). In eval mode the centers do not move.

    Book: *Metric learning*, section "Center loss".

    Args:
        num_classes: C.
        feat_dim: D.
        alpha: None, or the center learning rate of the paper's update, in (0, 1].
        reduction: as in :func:`center_loss`.

    Shape:
        - features: (N, D), D = ``feat_dim``.
        - labels: (N,), integer labels in [0, ``num_classes``).
        - Output: a scalar, or (N,) with ``reduction="none"``.

    Reference: Y. Wen, K. Zhang, Z. Li, Y. Qiao, "A Discriminative Feature Learning Approach
    for Deep Face Recognition", ECCV 2016.

    Example:
        >>> import torch, lossbook
        >>> center = lossbook.CenterLoss(num_classes=2, feat_dim=2)
        >>> with torch.no_grad():
        ...     _ = center.centers.zero_()
        >>> center(torch.tensor([[1.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 1])).item()
        2.75
    """

    def __init__(
        self, num_classes: int, feat_dim: int, alpha: float | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        self.num_classes = check_positive_integer("num_classes", num_classes)
        self.feat_dim = check_positive_integer("feat_dim", feat_dim)
        self.alpha = (
            None if alpha is None else check_number("alpha", alpha, low=0.0, high=1.0, low_inclusive=False)
        )
        initial = torch.randn(self.num_classes, self.feat_dim)
        if self.alpha is None:
            self.centers = nn.Parameter(initial)
        else:
            self.register_buffer("centers", initial)

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        check_module_input("features", features, "centers", self.centers)
        loss = center_loss(features, labels, self.centers, reduction=self.reduction)
        if self.alpha is not None and self.training:
            self.update_centers(features, labels)
        return loss

    @torch.no_grad()
    def update_centers(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        """Apply the paper's center update once for a batch (see the class docstring)."""
        if self.alpha is None:
            raise ValueError(
                "update_centers needs alpha (the paper's update); "
                "this CenterLoss learns its centers by gradient"
            )
        check_module_input("features", features, "centers", self.centers)
        check_labels("labels", labels, features.shape[0], num_classes=self.num_classes)
        check_devices(("features", features), ("labels", labels))
        c = self.centers
        difference = c[labels] - features.to(c.dtype)
        delta = torch.zeros_like(c).index_add_(0, labels, difference)
        counts = torch.bincount(labels, minlength=self.num_classes).to(c.dtype)
        c -= self.alpha * delta / (1.0 + counts).unsqueeze(1)

    def extra_repr(self) -> str:
        return (
            f"num_classes={self.num_classes}, feat_dim={self.feat_dim}, alpha={self.alpha}, "
            f"reduction={self.reduction!r}"
        )
