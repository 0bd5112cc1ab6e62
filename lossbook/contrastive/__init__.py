r"""Contrastive and self-supervised losses: InfoNCE, NT-Xent, SupCon, pair weighting and proxies.

The chapter *Contrastive and self-supervised learning* (``book/*/contrastive.ipynb``). Losses
that score a whole batch of embeddings at once, one positive against many negatives:

* **InfoNCE** (van den Oord et al. 2018) and its symmetric form (CLIP, Radford et al. 2021):
  :mod:`~lossbook.contrastive.info_nce`;
* **NT-Xent** (SimCLR, Chen et al. 2020) and **supervised contrastive** (Khosla et al. 2020) on
  a labelled batch: :mod:`~lossbook.contrastive.supervised`;
* the **pair-weighting** losses multi-similarity (Wang et al. 2019) and circle (Sun et al.
  2020): :mod:`~lossbook.contrastive.pair_weighting`; **proxy-anchor** (Kim et al. 2020):
  :mod:`~lossbook.contrastive.proxies`;
* **alignment and uniformity** (Wang and Isola 2020), to measure a representation:
  :mod:`~lossbook.contrastive.geometry`;
* negatives from **many processes**: ``lossbook.all_gather_with_grad``
  and ``gather=True`` (:mod:`~lossbook.contrastive.distributed`).

The losses with a pytorch-metric-learning counterpart return its value (default distance and
reducer); ``_inputs`` holds the family's argument checks.
"""

from .distributed import all_gather_with_grad
from .geometry import alignment_loss, alignment_uniformity, uniformity_loss
from .info_nce import InfoNCELoss, info_nce_loss
from .pair_weighting import CircleLoss, MultiSimilarityLoss, circle_loss, multi_similarity_loss
from .proxies import ProxyAnchorLoss, proxy_anchor_loss
from .supervised import NTXentLoss, SupConLoss, nt_xent_loss, supcon_loss

__all__ = [
    # losses
    "info_nce_loss",
    "nt_xent_loss",
    "supcon_loss",
    "multi_similarity_loss",
    "circle_loss",
    "proxy_anchor_loss",
    # measures and the multi-process gather
    "alignment_loss",
    "uniformity_loss",
    "alignment_uniformity",
    "all_gather_with_grad",
    # modules
    "InfoNCELoss",
    "NTXentLoss",
    "SupConLoss",
    "MultiSimilarityLoss",
    "CircleLoss",
    "ProxyAnchorLoss",
]
