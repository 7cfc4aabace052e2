"""docs/python.md runs: its ```python blocks are executed in order, in one namespace, from the
repository root (the tutorial writes files only into temporary directories)."""

from __future__ import annotations

import os
import re

from conftest import ROOT


def test_tutorial_runs(monkeypatch):
    with open(os.path.join(ROOT, "docs", "python.md"), encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    assert len(blocks) >= 6
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for k, code in enumerate(blocks):
        exec(compile(code, f"docs/python.md[block {k}]", "exec"), namespace)
