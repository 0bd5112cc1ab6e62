"""Fixtures for the tests that install lossbook into a fresh virtual environment.

Such an environment sees nothing of this one (no ``--system-site-packages``). pip fills it from
the sources pip is configured with on this machine, the ones that filled this venv, so it gets
the same torch build without a download. lossbook goes in as a wheel built from a copy of the
package's files, so the build leaves nothing (``build/``, ``*.egg-info``) in the checkout, and
no stale file from an earlier build can slip into the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What the wheel is built from: the package and the files pyproject.toml refers to.
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "lossbook")


def _run(*command, **kwargs) -> str:
    # Without PYTHONPATH, a fresh venv's python imports what was installed in it, not a checkout.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="session")
def run():
    """``run(*command, **subprocess_kwargs)`` returns the stdout of a command that must succeed.

    The command runs without ``PYTHONPATH``; a failure shows the command and the end of its
    stdout and stderr.
    """
    return _run


@pytest.fixture(scope="session")
def lossbook_wheel(tmp_path_factory) -> Path:
    """A wheel of lossbook (no dependencies) built from this checkout's package files."""
    source = tmp_path_factory.mktemp("lossbook-source")
    for name in PACKAGE_FILES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    wheels = tmp_path_factory.mktemp("wheels")
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, source, timeout=600)
    (wheel,) = wheels.glob("lossbook-*.whl")
    return wheel


@pytest.fixture
def fresh_venv(tmp_path):
    """``fresh_venv(name, *requirements)`` makes a venv under ``tmp_path``, pip-installs the
    requirements into it, and returns the path of its ``python``."""

    def make(name: str, *requirements, timeout: float = 900) -> Path:
        venv = tmp_path / name
        _run(sys.executable, "-m", "venv", venv)
        python = venv / "bin" / "python"
        if requirements:
            # --no-compile: a test imports a small part of what it installs (torch), and
            # compiling all of it to bytecode would cost more than the rest of the install.
            _run(python, "-m", "pip", "install", "-q", "--no-compile", *requirements, timeout=timeout)
        return python

    return make
