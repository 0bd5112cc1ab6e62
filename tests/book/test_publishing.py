"""The publishing workflow: valid, tested before it deploys, built with the README's command,
and it deploys the HTML to Pages with the wheel the chapters' install cell fetches."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def readme_command(kind: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.+?)\n```", readme)
    return next(c for c in commands if kind in c)


def test_workflow_builds_with_the_readme_command_and_deploys_on_push_to_main():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML reads `on:` as True
    assert triggers["push"]["branches"] == ["main"]
    steps = workflow["jobs"]["build"]["steps"]
    assert any(step.get("run") == readme_command("jupyter-book build") for step in steps)
    assert "-n -W" in readme_command("jupyter-book build")
    assert any(
        "upload-pages-artifact" in step.get("uses", "") and step["with"]["path"] == "_build/html"
        for step in steps
    )
    assert any("deploy-pages" in step.get("uses", "") for step in workflow["jobs"]["deploy"]["steps"])


def test_ci_runs_the_readme_test_command_verbatim_then_builds():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_command("pytest") in ci.splitlines()
    assert ci.index(readme_command("pytest")) < ci.index("jupyter-book build . -n -W --keep-going")


def workflow_path() -> Path:
    return ROOT / ".github" / "workflows" / "publish.yml"


def schema_errors(path: Path) -> str:
    """check-jsonschema's report of ``path`` against SchemaStore's GitHub workflow schema (pinned)."""
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


def test_workflow_is_a_valid_github_workflow(tmp_path):
    assert schema_errors(workflow_path()) == ""
    # The check has teeth: a step with neither `run` nor `uses`, and a job without `runs-on`.
    broken = tmp_path / "broken.yml"
    text = workflow_path().read_text(encoding="utf-8")
    broken.write_text(text.replace("runs-on: ubuntu-latest", "runs-om: ubuntu-latest", 1), encoding="utf-8")
    assert schema_errors(broken) != ""


def test_deploy_waits_for_the_tests_and_publishes_the_wheel():
    workflow = yaml.safe_load(workflow_path().read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    # .ci/run (every test, then the book build) must pass before anything is built or deployed
    assert any(step.get("run") == "bash .ci/run" for step in jobs["test"]["steps"])
    assert jobs["build"]["needs"] in ("test", ["test"])
    assert jobs["deploy"]["needs"] in ("build", ["build"])
    runs = [step.get("run", "") for step in jobs["build"]["steps"]]
    book = next(i for i, r in enumerate(runs) if "jupyter-book build" in r)
    wheel = next(
        i for i, r in enumerate(runs) if "python tools/install_cell.py wheel _build/html/wheels" in r
    )
    upload = next(
        i for i, s in enumerate(jobs["build"]["steps"]) if "upload-pages-artifact" in s.get("uses", "")
    )
    assert book < wheel < upload, "the wheel goes into _build/html after the build, before the upload"
