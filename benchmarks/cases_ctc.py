"""Benchmark cases of lossbook.ctc (filled in by its issue)."""

from .timing import Case


def cases(quick: bool) -> list[Case]:
    return []
