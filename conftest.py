"""Marks the slow tests, so that ``pytest -m "not slow"`` is the quick loop (seconds).

Slow: the chapters re-executed by nbval (collected from ``book/``) and everything under
``tests/book/`` (the book's structure, the site build, the browser, the Colab simulation,
the benchmarks' smoke run). The README's plain ``pytest`` still runs them all.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SLOW_DIRECTORIES = (ROOT / "book", ROOT / "tests" / "book")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.path))
        if any(path.is_relative_to(directory) for directory in SLOW_DIRECTORIES):
            item.add_marker(pytest.mark.slow)


def pytest_ignore_collect(collection_path, config):
    """conftest.py files are plugins, not test modules: --doctest-modules would import each under
    the one name ``conftest`` and refuse the second (tests/, tests/book/ and tests/exercises/ have one)."""
    if collection_path.name == "conftest.py":
        return True
    return None
