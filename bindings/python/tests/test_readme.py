"""The README's quick start is the code the examples run (and tests/test_examples.py tests)."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[3]
README = ROOT / "bindings" / "python" / "README.md"
BLOCK = re.compile(r"<!-- (examples/python/[\w.]+) -->\n```python\n(.*?)```\n", re.S)


def test_readme_blocks_are_the_example_files():
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert sorted(path for path, _ in blocks) == [
        "examples/python/fastapi_app.py",
        "examples/python/flask_app.py",
        "examples/python/httpx_client.py",
        "examples/python/requests_client.py",
    ]
    for path, code in blocks:
        assert code == (ROOT / path).read_text(encoding="utf-8"), f"README block differs from {path}"
