"""The benchmark cases, one module per loss family, and the registry the runner iterates.

Each module ``cases/<family>.py`` defines ``FAMILY`` (its name, the ``group`` column of the
report) and ``cases(quick) -> list[Case]``, full-size or tiny for a smoke test, and uses
only lossbook's public names (``lossbook.<name>``). A new family adds its module to
``FAMILIES``, in the order its rows should appear in the report.
"""

from __future__ import annotations

from types import ModuleType

from ..case import Case
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

FAMILIES: tuple[ModuleType, ...] = (
    regression,
    classification,
    segmentation,
    llm,
    metric_learning,
    contrastive,
    ctc,
    transducer,
    distribution_matching,
)


def all_cases(quick: bool) -> list[Case]:
    """Every registered family's cases, in the order of ``FAMILIES``."""
    return [case for family in FAMILIES for case in family.cases(quick)]
