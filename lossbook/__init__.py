"""lossbook: small, correct, readable reference implementations of deep-learning losses.

The companion package of the lossbook textbook. Each loss is written from its formula in
plain PyTorch, as a function (``lossbook.mse_loss``) and an ``nn.Module``
(``lossbook.MSELoss``), and checked against an independent reference.
"""

from ._version import __version__
from .regression import *  # noqa: F401,F403
from .regression import __all__ as _regression_all

__all__ = ["__version__", *_regression_all]
