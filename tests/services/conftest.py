from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest

from drummond_desktop.feeds.eodhd import EodhdClient
from drummond_desktop.services.market_sync import MarketSyncService
from drummond_desktop.services.sync_journal import SyncJournal
from drummond_desktop.store import MarketStore, open_market_store
from tests.feeds.fakes import FakeClock
from tests.services.vendor import Vendor

NOW = 1_767_225_600.0  # 2026-01-01 00:00 UTC


@pytest.fixture
def store(tmp_path) -> Iterator[MarketStore]:
    s = open_market_store(f"sqlite:///{tmp_path / 'market.sqlite'}")
    yield s
    s.close()


@pytest.fixture
def vendor() -> Vendor:
    return Vendor()


@pytest.fixture
def sync(store, vendor, tmp_path) -> Iterator[MarketSyncService]:
    clock = FakeClock(NOW)
    http = httpx.Client(transport=httpx.MockTransport(vendor))
    client = EodhdClient(http, lambda: "TESTKEY-sync", base_url="https://eodhd.test/api",
                         clock=clock.monotonic, wall_clock=clock.time, sleep=clock.sleep,
                         rng=random.Random(3), owns_http=True)
    yield MarketSyncService(store, lambda: client, SyncJournal(tmp_path / "jobs.json"),
                            clock=clock.time)
    client.close()
