"""Checks of the project itself: lint, types, import contracts, generated files in step."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

SCRIPTS = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("mypy",),
        ("lint-imports",),
    ],
    ids=["ruff", "ruff-format", "mypy", "import-contracts"],
)
def test_lint_is_clean(command):
    result = run(str(SCRIPTS / command[0]), *command[1:])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("script", "outputs"),
    [
        ("scripts.make_sample_data", ["Documentation/sample_data"]),
        ("scripts.make_postman_collection", ["Documentation/postman_collection.json"]),
        ("scripts.make_schema_sql", ["Documentation/schema"]),
    ],
)
def test_generated_files_are_what_their_script_writes(script, outputs, tmp_path):
    before = {p: _snapshot(PROJECT / p) for p in outputs}
    result = run(sys.executable, "-m", script)
    assert result.returncode == 0, result.stderr
    assert {p: _snapshot(PROJECT / p) for p in outputs} == before


def _snapshot(path):
    if path.is_file():
        return path.read_bytes()
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
