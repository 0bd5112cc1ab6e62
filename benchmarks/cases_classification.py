"""Benchmark cases of lossbook.classification (filled in by its issue)."""

from .timing import Case


def cases(quick: bool) -> list[Case]:
    return []
