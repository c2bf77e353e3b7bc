"""`mypy --strict` (settings in pyproject.toml) on the installed package, and on the examples and
end-to-end scripts as code written against its public types."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
PROJECT = ROOT / "bindings" / "python"
CACHE = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "mypy-cache"


def mypy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PROJECT / "pyproject.toml"), "--cache-dir", str(CACHE), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_package_passes_mypy_strict():
    # mypy reads an installed package only when it ships py.typed.
    result = mypy("-p", "hmacsig")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_examples_and_e2e_scripts_pass_mypy_strict():
    files = sorted(str(p) for d in ("examples/python", "tests/e2e/python") for p in (ROOT / d).glob("*.py"))
    assert len(files) >= 7
    result = mypy(*files)
    assert result.returncode == 0, result.stdout + result.stderr
