r"""Proxy-anchor loss (Kim et al. 2020): one learned proxy per class, each the anchor of the batch.

A proxy loss replaces the O(N^2) pairs of a batch by the N C pairs (embedding, class proxy).
Proxy-anchor takes each proxy as the anchor: its positives are the batch's embeddings of its
class, its negatives all the others, weighted by a log-sum-exp so that hard ones dominate, as
in the pair-weighting losses. It matches pytorch-metric-learning's ``ProxyAnchorLoss`` given
the same proxies.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._base import Loss
from ..validation import check_number, check_positive_integer, compute_dtype
from ._inputs import check_proxies
from ._math import log1p_exp, masked_logsumexp, unit_rows

__all__ = ["proxy_anchor_loss", "ProxyAnchorLoss"]


def proxy_anchor_loss(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    proxies: torch.Tensor,
    margin: float = 0.1,
    alpha: float = 32.0,
) -> torch.Tensor:
    r"""Proxy-anchor loss: every class proxy pulls its class's embeddings and pushes the others.

    With :math:`s(x, p) = \cos(x, p)`, :math:`P^+` the proxies of the classes present in the
    batch, :math:`X_p^+` the embeddings of class :math:`p` and :math:`X_p^-` the others:

    .. math::
        \ell = \frac{1}{|P^+|} \sum_{p \in P^+}
                 \log\Big(1 + \sum_{x \in X_p^+} e^{-\alpha (s(x, p) - \delta)}\Big)
             + \frac{1}{C} \sum_{p=1}^{C} \log\Big(1 + \sum_{x \in X_p^-} e^{\alpha (s(x, p) + \delta)}\Big)

    with the margin :math:`\delta` and the scale :math:`\alpha`. The value is
    pytorch-metric-learning's ``ProxyAnchorLoss(C, D, margin, alpha)`` whose ``proxies`` are
    ``proxies`` (the positive term divided by the number of proxies with positives, the negative
    term by C). The gradient reaches the proxies too: train them with the model
    (:class:`ProxyAnchorLoss` holds them as a parameter).

    Explained in the chapter *Contrastive and self-supervised learning*, section "Supervised
    contrastive and proxy losses".

    Args:
        embeddings: (N, D) floating tensor.
        labels: (N,) integer labels in [0, C).
        proxies: (C, D) floating tensor, one proxy per class (cast to ``embeddings``' dtype).
        margin: :math:`\delta`.
        alpha: the scale :math:`\alpha > 0`.

    Returns:
        A scalar in ``embeddings``' dtype (float16 and bfloat16 are computed in float32).

    Reference: S. Kim, D. Kim, M. Cho, S. Kwak, "Proxy Anchor Loss for Deep Metric Learning",
    CVPR 2020.

    Example:
        >>> import torch, lossbook
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
        >>> proxies = torch.tensor([[1.0, 0.2], [0.0, 1.0], [-1.0, 0.0]])
        >>> lossbook.proxy_anchor_loss(x, torch.tensor([0, 0, 1]), proxies, alpha=4.0)
        tensor(1.8274)
    """
    margin = check_number("margin", margin)
    alpha = check_number("alpha", alpha, low=0.0, low_inclusive=False)
    check_proxies(embeddings, labels, proxies)
    work = compute_dtype(embeddings.dtype)
    cosine = unit_rows(embeddings.to(work)) @ unit_rows(proxies.to(work)).T  # (N, C)
    num_classes = proxies.shape[0]
    positive = F.one_hot(labels.long(), num_classes).bool()
    # log(1 + sum exp(z)) = log1p_exp(logsumexp(z)); a proxy without positives gives 0.
    pull = log1p_exp(masked_logsumexp(-alpha * (cosine - margin), positive, dim=0))
    push = log1p_exp(masked_logsumexp(alpha * (cosine + margin), ~positive, dim=0))
    with_positives = int(positive.any(0).sum())
    loss = push.sum() / num_classes
    if with_positives > 0:
        loss = loss + pull.sum() / with_positives
    return loss.to(embeddings.dtype)


class ProxyAnchorLoss(Loss):
    r"""Proxy-anchor loss holding its C proxies as a parameter: ``forward(embeddings, labels)``.

    The proxies, an ``nn.Parameter`` (C, D), are initialised as pytorch-metric-learning does
    (``kaiming_normal_`` with ``mode="fan_out"``); give them to the optimizer with the model
    (the paper trains them with a learning rate 100 times the model's). The loss is
    :func:`proxy_anchor_loss`.

    Explained in the chapter *Contrastive and self-supervised learning*, section "Supervised
    contrastive and proxy losses".

    Args:
        num_classes: C, the number of proxies.
        embedding_size: D.
        margin, alpha: as in :func:`proxy_anchor_loss`.

    Shape:
        - embeddings: (N, D).
        - labels: (N,), integers in [0, C).
        - Output: a scalar.

    Reference: S. Kim, D. Kim, M. Cho, S. Kwak, "Proxy Anchor Loss for Deep Metric Learning",
    CVPR 2020.

    Example:
        >>> import torch, lossbook
        >>> _ = torch.manual_seed(0)
        >>> loss = lossbook.ProxyAnchorLoss(num_classes=3, embedding_size=2, alpha=4.0)
        >>> loss.proxies.shape
        torch.Size([3, 2])
        >>> x = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
        >>> loss(x, torch.tensor([0, 0, 1])).item() > 0
        True
    """

    def __init__(
        self, num_classes: int, embedding_size: int, margin: float = 0.1, alpha: float = 32.0
    ) -> None:
        super().__init__("mean", reductions=("mean",))
        self.num_classes = check_positive_integer("num_classes", num_classes)
        self.embedding_size = check_positive_integer("embedding_size", embedding_size)
        self.margin = check_number("margin", margin)
        self.alpha = check_number("alpha", alpha, low=0.0, low_inclusive=False)
        self.proxies = nn.Parameter(torch.empty(self.num_classes, self.embedding_size))
        nn.init.kaiming_normal_(self.proxies, mode="fan_out")

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return proxy_anchor_loss(embeddings, labels, self.proxies, self.margin, self.alpha)
