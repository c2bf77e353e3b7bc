"""`pip install ./bindings/python` in a fresh venv, as a new user runs it: pip's build isolation
fetches maturin, maturin builds the wheel (reusing the workspace's compiled artifacts through
CARGO_TARGET_DIR), and the installed package works with no other dependency."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
PROJECT = ROOT / "bindings" / "python"
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))

CHECK = r"""
import importlib.metadata, importlib.resources, sys
import hmacsig, hmacsig.asgi, hmacsig.wsgi

scheme = hmacsig.Scheme.api_auth(digest="sha256")
with hmacsig.Signer(scheme, hmacsig.Credentials("1044", "top-secret")) as signer:
    signed = signer.sign("POST", "/orders?id=7", {"Content-Type": "application/json"}, b"{}", now=1700000000)
headers = [("Content-Type", "application/json")] + [(h.name, h.value) for h in signed.headers]
verifier = hmacsig.Verifier.with_keys(scheme, {"1044": "top-secret"})
print(verifier.verify("POST", "/orders?id=7", headers, b"{}", now=1700000010))
print(importlib.resources.files("hmacsig").joinpath("py.typed").is_file())
print(sorted(importlib.metadata.metadata("hmacsig").get_all("Provides-Extra")))
print([r for r in importlib.metadata.requires("hmacsig") or [] if "extra ==" not in r])
try:
    import hmacsig.requests
except ModuleNotFoundError as e:
    print("needs", e.name)
"""


def test_pip_install_builds_a_working_wheel_in_a_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["CARGO_TARGET_DIR"] = str(TARGET)
    install = subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", str(PROJECT)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    check = subprocess.run([python, "-c", CHECK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.splitlines() == [
        "1044",
        "True",
        "['fastapi', 'flask', 'httpx', 'requests']",
        "[]",
        "needs requests",
    ]
