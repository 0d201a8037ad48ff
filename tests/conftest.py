"""Test defaults: headless Qt, and user directories that never touch the real profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before anything imports Qt: tests are headless unless the caller chose a platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MARKET_DATA = SHARED / "data" / "market"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own config, data and cache dirs (settings are never read from or
    written to the developer's real profile)."""
    base = tmp_path_factory.mktemp("user")
    for name in ("CONFIG", "DATA", "CACHE", "LOG"):
        monkeypatch.setenv(f"DRUMMOND_{name}_DIR", str(base / name.lower()))


@pytest.fixture(scope="session")
def market_data_dir() -> Path:
    """``../shared/data/market``; tests that need it skip with the reason when it is absent."""
    if not MARKET_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the shared market data at {MARKET_DATA}")
        pytest.skip(f"../shared/data/market not found at {MARKET_DATA}")
    return MARKET_DATA
