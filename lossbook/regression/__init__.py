r"""Regression losses: functions of the error between a prediction and a real-valued target.

Every loss here is a pointwise function :math:`\phi` of a difference ``d`` (``input - target``,
or of transformed values for MSLE and MAPE), reduced by ``"mean"``, ``"sum"`` or ``"none"``.
The derivative :math:`\phi'(d)` is written by hand (``_pointwise``): it is the formula the book
shows next to the code, and one fused pass is faster than autograd's chain of elementwise
nodes.

One module per section of the chapter *Regression losses*: :mod:`~.mse`, :mod:`~.mae` (L1),
:mod:`~.huber` (Huber and smooth L1), :mod:`~.msle`, :mod:`~.mape`, :mod:`~.log_cosh` and
:mod:`~.quantile`; each holds its :math:`\phi` (value and derivative), its function and its
Module. :mod:`~.probabilistic` (Gaussian and Poisson NLL) and :mod:`~.robust` (Barron's general
loss and its named cases) are written with ordinary autograd operations. ``_pointwise`` holds
the machinery the pointwise losses share, ``_inputs`` the family's argument checks.
"""

# The chapter prints the source of two phi classes as lossbook.regression._Squared and ._Huber.
from .huber import HuberLoss, SmoothL1Loss, huber_loss, smooth_l1_loss
from .huber import _Huber as _Huber
from .log_cosh import LogCoshLoss, log_cosh_loss
from .mae import L1Loss, MAELoss, l1_loss, mae_loss
from .mape import MAPELoss, mape_loss
from .mse import MSELoss, mse_loss
from .mse import _Squared as _Squared
from .msle import MSLELoss, msle_loss
from .probabilistic import GaussianNLLLoss, PoissonNLLLoss, gaussian_nll_loss, poisson_nll_loss
from .quantile import QuantileLoss, quantile_loss
from .robust import (
    CauchyLoss,
    CharbonnierLoss,
    GemanMcClureLoss,
    GeneralRobustLoss,
    WelschLoss,
    cauchy_loss,
    charbonnier_loss,
    geman_mcclure_loss,
    general_robust_loss,
    welsch_loss,
)

__all__ = [
    "mse_loss",
    "mae_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "msle_loss",
    "mape_loss",
    "log_cosh_loss",
    "quantile_loss",
    "gaussian_nll_loss",
    "poisson_nll_loss",
    "general_robust_loss",
    "charbonnier_loss",
    "cauchy_loss",
    "geman_mcclure_loss",
    "welsch_loss",
    "MSELoss",
    "MAELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "MSLELoss",
    "MAPELoss",
    "LogCoshLoss",
    "QuantileLoss",
    "GaussianNLLLoss",
    "PoissonNLLLoss",
    "GeneralRobustLoss",
    "CharbonnierLoss",
    "CauchyLoss",
    "GemanMcClureLoss",
    "WelschLoss",
]
