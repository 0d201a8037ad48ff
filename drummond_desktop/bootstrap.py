"""Composition root: reads settings and secrets, builds the store, the EODHD client and the
services, and hands them to a front end. Nothing happens at import time; everything heavy
(numba, SQLAlchemy, httpx) loads when a front end first asks for it.

Until the desktop window lands, ``drummond-desktop`` runs the headless demo analysis.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from drummond_desktop.core.secrets import SecretStore
    from drummond_desktop.core.settings import Settings
    from drummond_desktop.feeds.eodhd import EodhdClient
    from drummond_desktop.services.analysis import AnalysisService
    from drummond_desktop.services.market_data import MarketDataService
    from drummond_desktop.services.market_sync import MarketSyncService
    from drummond_desktop.store import MarketStore

T = TypeVar("T")
log = logging.getLogger(__name__)

NOT_BUILT = ("Drummond Desktop: the desktop window is not built yet; this is the headless demo "
             "analysis (the same as `drummond demo`).")


@dataclass
class AppContext:
    """The services, built on first use and closed together. ``db_url`` (``--db-url``) wins
    over ``DRUMMOND_MARKET_DB_URL``, which wins over the settings file."""

    db_url: str | None = None
    secrets: SecretStore | None = None
    transport: Any = None  # an httpx transport (tests); None: the network
    _cache: dict[str, Any] = field(default_factory=dict)

    def _once(self, name: str, build: Callable[[], T]) -> T:
        if name not in self._cache:
            self._cache[name] = build()
        return cast(T, self._cache[name])

    def settings(self) -> Settings:
        from drummond_desktop.core.settings import load_settings, with_environment

        return self._once("settings", lambda: with_environment(load_settings()))

    def market_store(self) -> MarketStore:
        return self._once("store", self._open_market_store)

    def _open_market_store(self) -> MarketStore:
        from drummond_desktop.store import open_market_store

        store = open_market_store(self.db_url or self.settings().market_db_url)
        # The one place the front ends hear about a recovered file or a schema upgrade.
        if store.notice is not None:
            log.warning("%s", store.notice.user_message)
        if store.upgraded and store.backup is not None:
            log.info("market store upgraded; the previous file was backed up to %s",
                     store.backup)
        return store

    def secret_store(self) -> SecretStore:
        from drummond_desktop.core.secrets import SecretStore

        if self.secrets is None:
            self.secrets = SecretStore()
        return self.secrets

    def eodhd(self) -> EodhdClient:
        return self._once("eodhd", self._build_client)

    def _build_client(self) -> EodhdClient:
        from drummond_desktop.feeds.eodhd import DailyBudget, RequestRecord, build_client
        from drummond_desktop.store import LedgerEntry

        store = self.market_store()

        def ledger(rec: RequestRecord) -> None:
            store.ledger.record(LedgerEntry(rec.endpoint, rec.cost, rec.status or 0, rec.ok,
                                            rec.symbol, rec.bytes, int(rec.ts)))

        budget = DailyBudget(self.settings().eodhd_daily_budget, store.ledger.cost_today)
        return build_client(self.secret_store().get_eodhd_key, ledger=ledger, budget=budget,
                            transport=self.transport)

    def analysis(self) -> AnalysisService:
        from drummond_desktop.services.analysis import AnalysisService

        return self._once("analysis", AnalysisService)

    def market_data(self) -> MarketDataService:
        from drummond_desktop.services.market_data import MarketDataService

        return self._once("data", lambda: MarketDataService(self.market_store()))

    def market_sync(self) -> MarketSyncService:
        from drummond_desktop.core.paths import user_data_dir
        from drummond_desktop.services.market_sync import MarketSyncService
        from drummond_desktop.services.sync_journal import SyncJournal

        journal = SyncJournal(user_data_dir() / "sync-jobs.json")
        return self._once("sync", lambda: MarketSyncService(
            self.market_store(), self.eodhd, journal))

    def close(self) -> None:
        for name in ("eodhd", "store"):
            obj = self._cache.pop(name, None)
            if obj is not None:
                obj.close()


def cli_main(argv: list[str] | None = None) -> int:
    """Entry point of ``drummond``: warnings (retries, recoveries) to stderr, redacted."""
    from drummond_desktop import cli
    from drummond_desktop.core.log_setup import configure_logging

    configure_logging("WARNING")
    return cli.main(argv)


def main() -> int:
    """Entry point of ``drummond-desktop``; returns the exit code."""
    from drummond_desktop import cli

    if sys.stdout is None:  # a windowed launch (pythonw) has no console to show the report on
        return 0
    print(NOT_BUILT, flush=True)
    print(flush=True)
    return cli.main(["demo"], stdout=sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
