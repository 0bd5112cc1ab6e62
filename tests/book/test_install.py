"""``pip install lossbook`` without the ``book`` extra: the losses work, the helpers say what to add.

A fresh venv gets torch, numpy and a wheel of this checkout (``--no-deps``), nothing else; there
every lossbook module imports, ``import lossbook`` loads none of the book's extras, a loss
computes, and each helper that needs an extra raises an ImportError with the install command.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest
import torch

from lossbook.book import INSTALL_HINT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
EXTRAS = ("matplotlib", "mplfonts", "sklearn")

# Runs inside the fresh venv; prints one JSON report for the test to check.
PROBE = r"""
import importlib, importlib.util, json, pkgutil, sys

import torch

import lossbook

EXTRAS = EXTRAS_HERE
report = {"absent": [m for m in EXTRAS if importlib.util.find_spec(m) is None]}
report["lossbook_file"] = lossbook.__file__
report["prefix"] = sys.prefix
report["loaded_by_import_lossbook"] = [m for m in EXTRAS if m in sys.modules]
report["unresolved"] = [name for name in lossbook.__all__ if not hasattr(lossbook, name)]

log_probs = torch.randn(6, 2, 4, generator=torch.Generator().manual_seed(0)).log_softmax(2)
args = (log_probs, torch.tensor([[1, 2], [3, 3]]), torch.tensor([6, 5]), torch.tensor([2, 2]))
report["ctc_matches_torch"] = torch.allclose(
    lossbook.ctc_loss(*args), torch.nn.functional.ctc_loss(*args)
)

report["modules"] = sorted(m.name for m in pkgutil.walk_packages(lossbook.__path__, "lossbook."))
for name in report["modules"]:
    importlib.import_module(name)
report["loaded_by_every_module"] = [m for m in EXTRAS if m in sys.modules]

from lossbook.book import datasets, plotting, training

report["set_seed_works"] = isinstance(training.set_seed(0), torch.Generator)
report["errors"] = {}
for name, call in [
    ("plotting.use_book_style", plotting.use_book_style),
    ("plotting.show", lambda: plotting.show(None)),
    ("datasets.load_digits_split", datasets.load_digits_split),
]:
    try:
        call()
    except ImportError as error:
        report["errors"][name] = str(error)
    else:
        report["errors"][name] = None
print(json.dumps(report))
""".replace("EXTRAS_HERE", repr(EXTRAS))


def checkout_modules() -> set[str]:
    """Every module under lossbook/ in this checkout (in packages, i.e. with an __init__.py)."""
    names = set()
    for path in (ROOT / "lossbook").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if all((ROOT.joinpath(*parts[:i]) / "__init__.py").exists() for i in range(1, len(parts))):
            names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names - {"lossbook"}


def test_losses_work_without_the_book_extras_and_helpers_say_what_to_install(fresh_venv, lossbook_wheel, run):
    # The very torch build of this venv (local version label included), and its numpy.
    python = fresh_venv("no-extras", f"torch=={torch.__version__}", f"numpy=={numpy.__version__}")
    run(python, "-m", "pip", "install", "-q", "--no-deps", lossbook_wheel, timeout=300)

    # Run away from the checkout: `python -c` puts the working directory first on sys.path.
    report = json.loads(run(python, "-c", PROBE, cwd=python.parent, timeout=300))

    assert report["absent"] == list(EXTRAS), "the venv has a book extra: the test proves nothing"
    assert report["lossbook_file"].startswith(report["prefix"]), f"not the wheel: {report['lossbook_file']}"
    assert report["loaded_by_import_lossbook"] == []
    assert report["unresolved"] == []
    assert report["ctc_matches_torch"]
    assert set(report["modules"]) == checkout_modules(), "the wheel does not ship every module"
    assert report["loaded_by_every_module"] == []
    assert report["set_seed_works"]
    for name, message in report["errors"].items():
        assert message is not None, f"{name} ran without the book extras"
        assert INSTALL_HINT in message, f"{name}: {message}"
    assert "matplotlib" in report["errors"]["plotting.show"]
    assert "scikit-learn" in report["errors"]["datasets.load_digits_split"]
