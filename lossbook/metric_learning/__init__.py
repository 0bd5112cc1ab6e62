r"""Metric learning: losses that shape an embedding space rather than score a class.

Two families, one idea (small intra-class distances, large inter-class distances):

* **Pair and triplet losses** act on distances between embeddings: the contrastive loss
  (Hadsell, Chopra and LeCun 2006), the triplet loss (Wang et al. 2014, FaceNet 2015) with its
  miners, the batch-hard triplet loss (Hermans, Beyer and Leibe 2017).
* **Classification losses with a margin** act on the angle between an embedding and a class
  weight: center loss (Wen et al. 2016) next to softmax, L-Softmax (2016), A-Softmax /
  SphereFace (2017), CosFace / LMCL (2018) and ArcFace (2019).

One module per section of the chapter *Metric learning*:
:mod:`~lossbook.metric_learning.distances` (every distance, computed in one place and safe at
zero distance), :mod:`~lossbook.metric_learning.retrieval` (recall@k, nearest-neighbour
accuracy), :mod:`~lossbook.metric_learning.contrastive`, :mod:`~lossbook.metric_learning.triplet`
(with the miners and the triplet loss of any distance), :mod:`~lossbook.metric_learning.pairs`
(margin ranking, cosine embedding and hinge embedding losses),
:mod:`~lossbook.metric_learning.center`, and margin softmax in two:
:mod:`~lossbook.metric_learning.margin_softmax` (the multiplicative angular margin and the heads'
base) and :mod:`~lossbook.metric_learning.cosine_margin` (the additive margins of CosFace and
ArcFace); ``_inputs`` holds the family's argument checks.
Losses are composed from small parts (distance matrices, label masks, the margin function
:func:`~lossbook.metric_learning.margin_softmax.angular_psi`), each of them public and tested
on its own.
"""

from .center import CenterLoss, center_loss
from .contrastive import ContrastiveLoss, all_pairs, contrastive_loss
from .cosine_margin import ArcFaceLoss, CosFaceLoss, arcface_logits, cosface_logits
from .distances import DISTANCE_METRICS, cosine_similarity_matrix, paired_distances, pairwise_distances
from .margin_softmax import (
    LSoftmaxLoss,
    SphereFaceLoss,
    angular_psi,
    lsoftmax_logits,
    sphereface_lambda,
    sphereface_logits,
)
from .pairs import (
    CosineEmbeddingLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
)
from .retrieval import nearest_neighbor_accuracy, recall_at_k
from .triplet import (
    MINING_STRATEGIES,
    BatchHardTripletLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
    batch_hard_triplet_loss,
    mine_triplets,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)

__all__ = [
    # distances and evaluation
    "DISTANCE_METRICS",
    "pairwise_distances",
    "paired_distances",
    "cosine_similarity_matrix",
    "recall_at_k",
    "nearest_neighbor_accuracy",
    # pairs, triplets, miners
    "all_pairs",
    "contrastive_loss",
    "triplet_margin_loss",
    "MINING_STRATEGIES",
    "mine_triplets",
    "batch_hard_triplet_loss",
    "triplet_margin_with_distance_loss",
    "margin_ranking_loss",
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    # center loss
    "center_loss",
    # margin softmax
    "angular_psi",
    "lsoftmax_logits",
    "sphereface_logits",
    "cosface_logits",
    "arcface_logits",
    "sphereface_lambda",
    # modules
    "ContrastiveLoss",
    "TripletMarginLoss",
    "BatchHardTripletLoss",
    "TripletMarginWithDistanceLoss",
    "MarginRankingLoss",
    "CosineEmbeddingLoss",
    "HingeEmbeddingLoss",
    "CenterLoss",
    "LSoftmaxLoss",
    "SphereFaceLoss",
    "CosFaceLoss",
    "ArcFaceLoss",
]
