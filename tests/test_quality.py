"""The static checks are part of the test suite, so CI and the README's test command run them:
import-linter contracts (ARCHITECTURE.md §2), ruff, and mypy (strict on ``engine``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.mark.parametrize("cmd", [
    pytest.param(("lint-imports", "--no-cache"), id="import-contracts"),
    pytest.param(("ruff", "check", "--no-cache", "."), id="ruff"),
    pytest.param(("mypy", "--no-incremental"), id="mypy"),
])
def test_static_check(cmd):
    tool = BIN / cmd[0]
    assert tool.exists(), f"{cmd[0]} is not installed in {BIN} (run ./packaging/dev-run true)"
    proc = _run(str(tool), *cmd[1:])
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


def test_import_contracts_catch_a_violation(tmp_path):
    # Prove the contracts bite: a module in engine that imports PySide6 must be reported.
    bad = ROOT / "engine" / "_contract_probe.py"
    bad.write_text("import PySide6  # noqa\n")
    try:
        proc = _run(str(BIN / "lint-imports"), "--no-cache")
    finally:
        bad.unlink()
    assert proc.returncode != 0
    assert "engine._contract_probe -> PySide6" in proc.stdout
