"""The chapters' install cell and the wheel it installs, in one place.

Every chapter's first code cell installs lossbook in Colab from the wheel of the very version
the book was built with, which the publishing workflow builds and deploys with the site
(``<site>/wheels/lossbook-<version>-py3-none-any.whl``); pip takes the ``[book]`` extras from
PyPI. The site's address is ``html.baseurl`` in ``_config.yml``.

    python tools/install_cell.py sync          # rewrite the first cell of every book/*/*.ipynb
    python tools/install_cell.py check         # exit 1, naming them, if a chapter's differs
    python tools/install_cell.py wheel DIR     # build the wheel into DIR (the workflow: _build/html/wheels)

``sync`` changes only the cell's source (outputs, tags and execution counts stay), so a chapter
stays stored executed; ``tests/book/test_book.py`` checks each first cell against
``canonical_source()``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WHEELS = "wheels"  # the folder of the site that holds the wheel
# What the wheel is built from: the package and the files pyproject.toml refers to.
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "lossbook")


def version() -> str:
    """lossbook's version, read from ``lossbook/_version.py`` without importing the package."""
    namespace: dict = {}
    exec((ROOT / "lossbook" / "_version.py").read_text(encoding="utf-8"), namespace)
    return namespace["__version__"]


def site_url() -> str:
    """The published site's address, ending in ``/`` (``html.baseurl`` in ``_config.yml``)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["html"]["baseurl"].rstrip("/") + "/"


def wheel_name(v: str | None = None) -> str:
    return f"lossbook-{v or version()}-py3-none-any.whl"


def wheel_url() -> str:
    return f"{site_url()}{WHEELS}/{wheel_name()}"


def canonical_source() -> str:
    """The source of every chapter's first code cell."""
    return (
        "# Install lossbook when it is not importable (Colab): the wheel of the version this book\n"
        "# was built with, published with the book's site; pip takes the [book] extras from PyPI.\n"
        "import importlib.util, subprocess, sys\n"
        "\n"
        'if importlib.util.find_spec("lossbook") is None:\n'
        "    subprocess.run(\n"
        '        [sys.executable, "-m", "pip", "install", "-q",\n'
        f'         "lossbook[book] @ {wheel_url()}"],\n'
        "        check=True,\n"
        "    )"
    )


def chapters() -> list[Path]:
    return sorted((ROOT / "book").glob("*/*.ipynb"))


def first_code_cell(notebook: dict) -> dict:
    return next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")


def as_source_lines(text: str) -> list[str]:
    """A cell's source as nbformat stores it: lines, each but the last with its newline."""
    return text.splitlines(keepends=True)


def sync(paths: list[Path]) -> list[Path]:
    """Rewrite each chapter's first code cell to ``canonical_source()``; the changed paths."""
    changed, source = [], canonical_source()
    for path in paths:
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
        cell = first_code_cell(notebook)
        if "".join(cell["source"]) == source:
            continue
        cell["source"] = as_source_lines(source)
        # nbformat's own layout (indent 1, non-ASCII kept, a final newline), so the diff is the cell
        path.write_text(
            json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        changed.append(path)
    return changed


def stale(paths: list[Path]) -> list[Path]:
    source = canonical_source()
    return [
        p for p in paths if "".join(first_code_cell(json.loads(p.read_text("utf-8")))["source"]) != source
    ]


def build_wheel(target: Path) -> Path:
    """Build the wheel the install cell names into ``target`` and return its path.

    It is built from a copy of the package's files, so the checkout keeps no ``build/`` or
    ``*.egg-info``, and no stale file from an earlier build can slip into the wheel.
    """
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        for name in PACKAGE_FILES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(path, source / name)
        out = Path(tmp) / "wheels"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
            check=True,
        )
        (built,) = out.glob("lossbook-*.whl")
        if built.name != wheel_name():
            raise RuntimeError(f"built {built.name}, the install cell names {wheel_name()}")
        wheel = target / built.name
        shutil.copy2(built, wheel)
    return wheel


def main(argv: list[str]) -> int:
    usage = "usage: python tools/install_cell.py sync | check | wheel DIR"
    if argv == ["sync"]:
        for path in sync(chapters()):
            print(f"rewrote the install cell of {path.relative_to(ROOT)}")
        return 0
    if argv == ["check"]:
        bad = stale(chapters())
        for path in bad:
            print(
                f"{path.relative_to(ROOT)}: the install cell differs; run python tools/install_cell.py sync"
            )
        return 1 if bad else 0
    if len(argv) == 2 and argv[0] == "wheel":
        print(build_wheel(Path(argv[1])))
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
