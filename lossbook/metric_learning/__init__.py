"""Metric learning (lossbook.metric_learning): the package the chapter's sections will live in."""

from .margin_softmax import *  # noqa: F403
from .margin_softmax import __all__  # noqa: F401
