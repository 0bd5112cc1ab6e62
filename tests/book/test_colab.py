"""A fresh Colab start, as closely as this machine allows.

A new virtual environment holds only what Colab has that the book needs (torch, numpy,
matplotlib, the Jupyter kernel); the chapter's own install cell, pointed at a wheel built
from this checkout instead of the git tag, installs lossbook; then one chapter runs top to
bottom in that environment. The install must add lossbook and what Colab lacks, and leave
torch, numpy and matplotlib alone.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import lossbook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "book" / "en" / "regression.ipynb"
COLAB_HAS = ["torch==2.13.0", "numpy", "matplotlib", "ipykernel"]


def install_command(notebook: Path) -> list[str]:
    """The pip arguments of the chapter's install cell (its first code cell)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    match = re.search(r'sys\.executable, "-m", "pip",(.*?)check=True', source, re.S)
    assert match, "the install cell does not call pip the expected way"
    return re.findall(r'"([^"]*)"', match.group(1))


@pytest.mark.timeout(900)
def test_fresh_colab_like_environment_runs_a_chapter(tmp_path, fresh_venv, lossbook_wheel, run):
    python = fresh_venv("colab", *COLAB_HAS)
    venv = python.parents[1]
    before = json.loads(run(python, "-m", "pip", "list", "--format=json"))

    args = install_command(CHAPTER)
    spec = next(a for a in args if a.startswith("lossbook"))
    assert spec == f"lossbook[book] @ git+https://github.com/lossbook/lossbook@v{lossbook.__version__}"
    local_spec = spec.split(" @ ")[0] + f" @ {lossbook_wheel.as_uri()}"
    output = run(python, "-m", "pip", *[local_spec if a == spec else a for a in args], timeout=900)

    after = {
        p["name"].lower(): p["version"] for p in json.loads(run(python, "-m", "pip", "list", "--format=json"))
    }
    for package in before:
        name = package["name"].lower()
        if name in ("torch", "numpy", "matplotlib"):
            assert after[name] == package["version"], f"the install cell changed {name}: {output}"
    assert after["lossbook"] == lossbook.__version__
    assert "mplfonts" in after and "scikit-learn" in after

    run(python, "-m", "ipykernel", "install", "--prefix", venv, "--name", "lossbook-colab-sim")
    notebook = nbformat.read(CHAPTER, as_version=4)
    env_path = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(venv / "share" / "jupyter")
    try:
        client = NotebookClient(
            notebook,
            kernel_name="lossbook-colab-sim",
            timeout=600,
            allow_errors=False,
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
    finally:
        if env_path is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = env_path
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code if c.source.strip())
    where = next(
        "".join(o.get("text", ""))
        for c in code
        for o in c.outputs
        if "MSE Loss (lossbook)" in "".join(o.get("text", ""))
    )
    assert "0.375" in where
