"""A fresh Colab start, as closely as this machine allows.

The publishing workflow builds the wheel of this version and deploys it with the site
(``python tools/install_cell.py wheel _build/html/wheels``). Here the same command builds it, a
local HTTP server stands in for the site, and a new virtual environment holding only what Colab
has that the book needs (torch, numpy, matplotlib, the Jupyter kernel) runs the chapters'
install cell, its address pointed at that server; then one chapter runs top to bottom in that
environment. The install must add lossbook and what Colab lacks (the ``[book]`` extras, from
the package index), and leave torch, numpy and matplotlib alone.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

import lossbook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import install_cell  # noqa: E402

CHAPTER = ROOT / "book" / "en" / "regression.ipynb"
COLAB_HAS = ["torch==2.13.0", "numpy", "matplotlib", "ipykernel"]
PUBLISH_WHEEL = "python tools/install_cell.py wheel _build/html/wheels"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def site(tmp_path):
    """What the workflow publishes besides the HTML, served on localhost: the site's address."""
    workflow = (ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    steps = yaml.safe_load(workflow)["jobs"]["build"]["steps"]
    assert any(PUBLISH_WHEEL in step.get("run", "") for step in steps), "the workflow publishes no wheel"
    html = tmp_path / "html"
    subprocess.run(
        [sys.executable, *PUBLISH_WHEEL.split()[1:3], str(html / install_cell.WHEELS)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    assert (html / install_cell.WHEELS / install_cell.wheel_name(lossbook.__version__)).is_file()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_the_install_cell_names_the_published_wheel_of_this_version():
    source = install_cell.canonical_source()
    assert (
        f"lossbook[book] @ {install_cell.site_url()}wheels/lossbook-{lossbook.__version__}-py3-none-any.whl"
        in source
    )
    compile(source, "install cell", "exec")


@pytest.mark.timeout(900)
def test_fresh_colab_like_environment_runs_a_chapter(tmp_path, fresh_venv, site, run):
    python = fresh_venv("colab", *COLAB_HAS)
    venv = python.parents[1]
    before = json.loads(run(python, "-m", "pip", "list", "--format=json"))

    # The install cell as every chapter holds it (test_book checks), the site's address local.
    cell = install_cell.canonical_source()
    assert cell.count(install_cell.site_url()) == 1
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    result = subprocess.run(
        [str(python), "-c", cell.replace(install_cell.site_url(), site)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the install cell failed:\n{output[-3000:]}"

    after = {
        p["name"].lower(): p["version"] for p in json.loads(run(python, "-m", "pip", "list", "--format=json"))
    }
    for package in before:
        name = package["name"].lower()
        if name in ("torch", "numpy", "matplotlib"):
            assert after[name] == package["version"], f"the install cell changed {name}: {output}"
    assert after["lossbook"] == lossbook.__version__
    assert "mplfonts" in after and "scikit-learn" in after
    # Run again, as a reader re-running the cell: lossbook is there, nothing is installed.
    again = run(python, "-c", cell.replace(install_cell.site_url(), "http://127.0.0.1:9/"))
    assert again == ""

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
