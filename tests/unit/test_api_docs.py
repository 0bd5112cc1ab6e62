"""The API reference: every public name is documented, on a page of the book, kornia-style."""

import inspect
import re
from pathlib import Path

import pytest

import lossbook

ROOT = Path(__file__).resolve().parents[2]
API_PAGES = ROOT / "book" / "api"
# Functions and classes; constants (such as the tuple of mining strategies) document themselves
# in the docstrings of the functions that take them.
PUBLIC = [name for name in lossbook.__all__ if callable(getattr(lossbook, name))]


def documented_modules() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in API_PAGES.glob("*.md"))
    return set(re.findall(r"\.\. automodule:: (lossbook(?:\.\w+)+)", text))


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_has_a_docstring_on_an_api_page(name):
    obj = getattr(lossbook, name)
    assert inspect.getdoc(obj), f"lossbook.{name} has no docstring"
    module = obj.__module__
    assert module in documented_modules(), f"{module} (of lossbook.{name}) has no automodule page in book/api"
    assert name in __import__(module, fromlist=["__all__"]).__all__, (
        f"lossbook.{name} is not in {module}.__all__, so autodoc would not list it"
    )


LOSS_FUNCTIONS = [
    name
    for name in PUBLIC
    if inspect.isfunction(getattr(lossbook, name)) and (name.endswith("_loss") or name.endswith("_logits"))
]


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_loss_docstrings_give_formula_shapes_reference_and_example(name):
    doc = inspect.getdoc(getattr(lossbook, name))
    assert ".. math::" in doc or ":math:" in doc, f"{name}: no formula"
    assert "Args:" in doc, f"{name}: no Args section with the shapes"
    assert re.search(r"Reference|et al\.|\(\d{4}\)|\b(19|20)\d\d\b", doc), f"{name}: no reference"
    assert ">>>" in doc, f"{name}: no example (doctest)"
