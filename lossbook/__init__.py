"""lossbook: small, correct, readable reference implementations of deep-learning losses.

The companion package of the lossbook textbook. Each loss is written from its formula in
plain PyTorch, as a function (``lossbook.mse_loss``) and an ``nn.Module``
(``lossbook.MSELoss``), and checked against an independent reference.
"""

from . import (
    classification,
    contrastive,
    ctc,
    distribution_matching,
    llm,
    metric_learning,
    regression,
    segmentation,
    transducer,
)
from ._version import __version__
from .classification import *  # noqa: F403
from .contrastive import *  # noqa: F403
from .ctc import *  # noqa: F403
from .distribution_matching import *  # noqa: F403
from .llm import *  # noqa: F403
from .metric_learning import *  # noqa: F403
from .regression import *  # noqa: F403
from .segmentation import *  # noqa: F403
from .transducer import *  # noqa: F403

__all__ = [
    "__version__",
    *regression.__all__,
    *classification.__all__,
    *segmentation.__all__,
    *llm.__all__,
    *metric_learning.__all__,
    *contrastive.__all__,
    *ctc.__all__,
    *transducer.__all__,
    *distribution_matching.__all__,
]
