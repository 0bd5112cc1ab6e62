"""The API reference: every public name is documented, on a page of the book, kornia-style."""

import inspect
import re
from pathlib import Path

import pytest
import torch

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


FUNCTIONS = [name for name in PUBLIC if inspect.isfunction(getattr(lossbook, name))]
MODULES = [
    name
    for name in PUBLIC
    if inspect.isclass(getattr(lossbook, name)) and issubclass(getattr(lossbook, name), torch.nn.Module)
]

# A reference names its authors and the title (a paper's in quotes, a book's in italics), as
#   Reference: R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an
#   Invariant Mapping", CVPR 2006.
REFERENCE = re.compile(r"^References?:\s*(.+?)(?=\n\s*\n|\Z)", re.M | re.S)
AUTHOR = re.compile(
    r"\b[A-Z]\.(?:[ -]?[A-Z]\.)*\s(?:(?:de|van|der|von)\s)*[A-Z][\w'-]+"  # C. E. Shannon
    r"|\b[A-Z][\w'-]+ et al\."  # Graves et al.
    r"|\b[A-Z][\w'-]+(?:, [A-Z][\w'-]+)*,? and [A-Z][\w'-]+"  # Bradley and Terry
    r"|\b[A-Z][a-zà-ÿ'-]+(?:, [A-Z][a-zà-ÿ'-]+)+"  # Graves, Fernández, Gomez, Schmidhuber
)
TITLE = re.compile(r"[\"“][^\"”]*\w+\s+\w+[^\"”]*[\"”]|\*\w[^*]*\s[^*]*\w\*")  # "Title" or *Book*
# A shape: (N, C), (T, N, C), (N,), (), (*) or (B, d1, ...).
SHAPE = re.compile(r"\((?:\)|\*\)|[A-Z*][\w*]*(?:,\s*(?:[A-Za-z*][\w*]*|\.\.\.))*,?\))")
FUNCTION_REFERENCE = re.compile(r":func:`~?(?:lossbook\.)?(\w+)`")
# The names an example may use only after importing them.
IMPORTABLE = ("torch", "lossbook", "F", "nn", "math", "np")


def section(doc: str, title: str) -> str:
    """The text of a Google-style section (``Args:``, ``Shape:``), up to the next blank line
    followed by an unindented line."""
    match = re.search(rf"^{title}:\n((?:[ \t]+.*\n?|\n(?=[ \t]))+)", doc, re.M)
    return match.group(1) if match else ""


def check_reference(name: str, doc: str) -> None:
    references = REFERENCE.findall(doc)
    assert references, f"{name}: no Reference: section"
    text = " ".join(references)
    assert AUTHOR.search(text), f"{name}: the reference names no author: {text[:120]!r}"
    assert TITLE.search(text), f"{name}: the reference gives no title (in quotes): {text[:120]!r}"


def check_example(name: str, doc: str) -> None:
    example = section(doc, "Examples?")
    assert ">>>" in example, f"{name}: no Example: section with a doctest"
    statements = "\n".join(
        line.strip()[4:] for line in example.splitlines() if line.strip().startswith((">>> ", "... "))
    )
    imported = set()
    for line in statements.splitlines():
        if line.startswith("import "):
            imported |= {part.split(" as ")[-1].strip() for part in line[7:].split(",")}
        elif line.startswith("from "):
            imported |= {part.split(" as ")[-1].strip() for part in line.split(" import ")[1].split(",")}
    for used in IMPORTABLE:
        if re.search(rf"(?<![\w.]){used}\.", statements):
            assert used in imported, f"{name}: the example uses {used} without importing it"


@pytest.mark.parametrize(
    "reference",
    [
        "Reference: Huber (1964).",  # a year
        "Reference: Legendre (1805), Gauss (1809), the method of least squares.",  # no title
        'Reference: "Robust Estimation of a Location Parameter", 1964.',  # no author
        "Reference: see the chapter.",
    ],
)
def test_the_reference_check_refuses_a_reference_without_author_or_title(reference):
    with pytest.raises(AssertionError):
        check_reference("f", f"Summary.\n\n{reference}\n")


def test_the_example_check_refuses_an_example_that_does_not_import_what_it_uses():
    doc = "Summary.\n\nExample:\n    >>> lossbook.mse_loss(torch.zeros(2), torch.ones(2))\n    tensor(1.)\n"
    with pytest.raises(AssertionError, match="without importing"):
        check_example("f", doc)
    check_example("f", doc.replace(">>> lossbook", ">>> import torch, lossbook\n    >>> lossbook"))
    check_reference(
        "f", 'Summary.\n\nReference: P. J. Huber, "Robust Estimation of a Location Parameter", 1964.\n'
    )


def test_every_public_callable_is_a_function_or_a_module():
    others = sorted(set(PUBLIC) - set(FUNCTIONS) - set(MODULES))
    assert not others, f"{others}: neither a function nor a Module: give them a docstring test"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_docstrings_give_formula_shapes_reference_and_example(name):
    doc = inspect.getdoc(getattr(lossbook, name))
    assert ".. math::" in doc or ":math:" in doc, f"{name}: no formula"
    args = section(doc, "Args")
    assert args, f"{name}: no Args: section"
    shapes = args + section(doc, "Shape")
    assert SHAPE.search(shapes) or re.search(r"\bshape\b", shapes), f"{name}: no shape in Args or Shape"
    check_reference(name, doc)
    check_example(name, doc)


@pytest.mark.parametrize("name", MODULES)
def test_module_docstrings_give_formula_options_shapes_reference_and_example(name):
    """As torch's loss Modules: the formula (or the function that has it), the constructor's
    options (Args), the shapes of forward's arguments (Shape), a reference and an example."""
    doc = inspect.getdoc(getattr(lossbook, name))
    pointed = [f for f in FUNCTION_REFERENCE.findall(doc) if f in FUNCTIONS]
    assert ".. math::" in doc or ":math:" in doc or pointed, (
        f"{name}: no formula, nor the function that has it"
    )
    assert section(doc, "Args"), f"{name}: no Args: section with the constructor's options"
    assert SHAPE.search(section(doc, "Shape")), f"{name}: no Shape: section with the shapes of forward"
    check_reference(name, doc)
    check_example(name, doc)


def test_every_api_page_is_in_the_table_of_contents():
    # The book builds only the files _toc.yml names (only_build_toc_files), so a page left out
    # of it would silently vanish from the site.
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for page in sorted(API_PAGES.glob("*.md")):
        assert f"file: book/api/{page.stem}\n" in toc, f"book/api/{page.name} is not in _toc.yml"
