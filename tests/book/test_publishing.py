"""The publishing workflow builds with the README's command and deploys the HTML to Pages."""

import re
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
