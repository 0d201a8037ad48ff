"""Composition root: reads settings and secrets, builds the store, the EODHD client and the
services, and hands them to a front end. Nothing happens at import time; everything heavy
(numba, SQLAlchemy, httpx) loads when a front end first asks for it.

``drummond-desktop`` opens the window (``main``); ``drummond`` runs the command line
(``cli_main``), where ``drummond demo`` keeps the headless demo report.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

if TYPE_CHECKING:
    from drummond_desktop.core.secrets import SecretStore
    from drummond_desktop.core.settings import Settings
    from drummond_desktop.feeds.eodhd import EodhdClient
    from drummond_desktop.services.alert_delivery import AlertDeliveryService
    from drummond_desktop.services.alerts import AlertService
    from drummond_desktop.services.analysis import AnalysisService
    from drummond_desktop.services.market_data import MarketDataService
    from drummond_desktop.services.market_sync import MarketSyncService
    from drummond_desktop.services.scanner import ScanService
    from drummond_desktop.store import MarketStore, UserStore
    from drummond_desktop.store.alerts import AlertRepository

T = TypeVar("T")
log = logging.getLogger(__name__)

@dataclass
class AppContext:
    """The services, built on first use and closed together. ``db_url`` (``--db-url``) wins
    over ``DRUMMOND_MARKET_DB_URL``, which wins over the settings file."""

    db_url: str | None = None
    secrets: SecretStore | None = None
    transport: Any = None  # an httpx transport (tests); None: the network
    _cache: dict[str, Any] = field(default_factory=dict)
    # The window's worker threads ask for services too: build each one exactly once.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = build()
            return cast(T, self._cache[name])

    def settings(self) -> Settings:
        from drummond_desktop.core.settings import load_settings, with_environment

        return self._once("settings", lambda: with_environment(load_settings()))

    def market_store(self) -> MarketStore:
        return self._once("store", self._open_market_store)

    def market_db_url(self) -> str | None:
        """The market database URL in force (None: the embedded SQLite file)."""
        return self.db_url or self.settings().market_db_url

    def database_label(self) -> str:
        """The market database for the status bar: the embedded file or the server (host and
        database, never a password)."""
        url = self.market_db_url()
        if not url:
            return "embedded SQLite"
        if url.startswith("sqlite"):  # a --db-url to another SQLite file
            return "SQLite " + url.partition(":///")[2]
        return "PostgreSQL " + url.split("@")[-1]

    def _open_market_store(self) -> MarketStore:
        from drummond_desktop.store import open_market_store

        store = open_market_store(self.market_db_url())
        # The one place the front ends hear about a recovered file or a schema upgrade.
        if store.notice is not None:
            log.warning("%s", store.notice.user_message)
        if store.upgraded and store.backup is not None:
            log.info("market store upgraded; the previous file was backed up to %s",
                     store.backup)
        return store

    def user_store(self) -> UserStore:
        """The user's own data (watchlists, drawings, layouts): always the local SQLite file."""
        from drummond_desktop.store import open_user_store

        return self._once("user", open_user_store)

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
        from drummond_desktop.services.sessions import store_sessions

        return self._once("data", lambda: MarketDataService(
            self.market_store(), sessions=store_sessions(self.market_store)))

    def market_sync(self) -> MarketSyncService:
        from drummond_desktop.core.paths import user_data_dir
        from drummond_desktop.services.market_sync import MarketSyncService
        from drummond_desktop.services.sync_journal import SyncJournal

        journal = SyncJournal(user_data_dir() / "sync-jobs.json")
        return self._once("sync", lambda: MarketSyncService(
            self.market_store(), self.eodhd, journal))

    def alert_repo(self) -> AlertRepository:
        from drummond_desktop.store.alerts import AlertRepository

        user = self.user_store()
        return self._once("alert_repo", lambda: AlertRepository(user.engine, user.where))

    def alerts(self) -> AlertService:
        """Alert evaluation over the market store (``scan`` rules through the scanner)."""
        from drummond_desktop.services.alerts import AlertService, store_bar_loader

        return self._once("alerts", lambda: AlertService(
            self.alert_repo(), store_bar_loader(self.market_data()), self.user_store().watchlists,
            scan_runner=self.scanner().matches))

    def scanner(self) -> ScanService:
        """Scans over every stored symbol or a watchlist; saved scans in the user store."""
        from drummond_desktop.services.scanner import ScanService

        return self._once("scanner", lambda: ScanService(
            self.market_store(), self.user_store(), self.settings().dg()))

    def alert_delivery(self) -> AlertDeliveryService:
        """E-mail and webhook delivery with retries (its own HTTP client: ``transport`` is the
        EODHD seam)."""
        import httpx

        from drummond_desktop.services.alert_delivery import SMTP_PASSWORD, AlertDeliveryService
        from drummond_desktop.services.alert_setup import WEBHOOK_URL, delivery_config

        secrets = self.secret_store()

        def build() -> AlertDeliveryService:
            http = self._once("alert_http", httpx.Client)
            config = delivery_config(self.settings(), secrets.get(WEBHOOK_URL))
            return AlertDeliveryService(self.alert_repo().outbox, config, http=http,
                                        password=lambda: secrets.get(SMTP_PASSWORD))

        return self._once("alert_delivery", build)

    def close(self) -> None:
        for name in ("eodhd", "alert_http", "store", "user"):
            obj = self._cache.pop(name, None)
            if obj is not None:
                obj.close()


def cli_main(argv: list[str] | None = None) -> int:
    """Entry point of ``drummond``: warnings (retries, recoveries) to stderr, redacted."""
    from drummond_desktop import cli
    from drummond_desktop.core.log_setup import configure_logging
    from drummond_desktop.core.paths import numba_cache_dir

    # The command line compiles kernels too: into the same per-user cache as the window.
    os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))
    configure_logging("WARNING")
    return cli.main(argv)


def desktop_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drummond-desktop",
        description="The Drummond Desktop window. Opens on the synthetic demo universe when no "
                    "EODHD key is set (or with --demo); `drummond demo` prints the headless "
                    "demo report.")
    parser.add_argument("--demo", action="store_true",
                        help="open on the synthetic demo universe even when a key is set")
    parser.add_argument("--symbol", metavar="SYM", help="symbol to open (default: the first)")
    parser.add_argument("--interval", metavar="INTERVAL",
                        help="interval to open (default: the symbol's first, 1d for daily)")
    parser.add_argument("--db-url", metavar="URL", help="market database (default: settings)")
    parser.add_argument("--screenshot", metavar="PATH", type=Path,
                        help="load and draw the chart, save a PNG of the window, exit")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation (resources, engine kernels, both "
                             "databases, an offscreen chart, the keyring), print one line "
                             "per check and exit: 0 only when every check passed")
    parser.add_argument("--timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``drummond-desktop``: the window; returns the exit code."""
    args = desktop_parser().parse_args(argv)
    from drummond_desktop.core.log_setup import configure_logging
    from drummond_desktop.core.paths import numba_cache_dir

    # Before anything imports numba: compiled kernels live in the user cache dir.
    os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))
    if sys.stderr is not None:
        configure_logging("WARNING")
    ctx = AppContext(db_url=args.db_url)
    try:
        if args.self_test:
            return run_self_test(ctx)
        return _run_desktop(args, ctx)
    finally:
        ctx.close()


def run_self_test(ctx: AppContext, out: TextIO | None = None) -> int:
    """``--self-test`` and ``drummond self-test``: the lines go to ``out`` (default stdout);
    returns 0 only when every check passed. The chart check belongs to the app layer, which only
    this composition root may import, so it is handed to ``selftest`` from here."""
    from drummond_desktop import selftest
    from drummond_desktop.app.selftest_chart import check_chart
    from drummond_desktop.core.paths import numba_cache_dir, user_log_dir

    # main() has done this already; `drummond self-test` has not (numba is not loaded yet).
    os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))
    if out is None and sys.stdout is None:
        # A windowed build (Windows, no console) has no stdout: the lines go to a file instead.
        report = user_log_dir() / "self-test.txt"
        with report.open("w", encoding="utf-8") as stream:
            return selftest.run(ctx, stream, check_chart)
    return selftest.run(ctx, out if out is not None else sys.stdout, check_chart)


def _database_label(ctx: AppContext, demo: bool) -> str:
    return "none (synthetic demo data)" if demo else ctx.database_label()


def _run_desktop(args: argparse.Namespace, ctx: AppContext) -> int:
    from drummond_desktop.app.application import create_qapp, install_excepthooks
    from drummond_desktop.app.controllers.workspace import Workspace
    from drummond_desktop.app.main_window import layout_settings
    from drummond_desktop.app.workers import TaskRunner
    from drummond_desktop.services.chart_data import ChartDataService
    from drummond_desktop.services.sessions import store_sessions

    app = create_qapp()
    reporter = install_excepthooks(show_dialog=args.screenshot is None)
    demo = bool(args.demo) or ctx.secret_store().get_eodhd_key() is None
    runner = TaskRunner()
    service = ChartDataService(ctx.analysis(), ctx.market_data,
                               sessions=store_sessions(ctx.market_store))
    workspace = Workspace(runner, service, layout_settings(), demo=demo,
                          database=_database_label(ctx, demo), context=ctx)
    try:
        if args.screenshot is not None:
            return _screenshot(app, workspace, args)
        workspace.window.show()
        workspace.start(args.symbol, args.interval)
        return int(app.exec())
    finally:
        workspace.shutdown()
        reporter.uninstall()
        workspace.window.deleteLater()


def _screenshot(app: Any, workspace: Any, args: argparse.Namespace) -> int:
    """Open, wait for the first chart (or its failure), save the window as PNG."""
    from drummond_desktop.app.controllers.screenshot import capture_after_first_chart

    return capture_after_first_chart(app, workspace, args.screenshot, args.symbol,
                                     args.interval, args.timeout)


if __name__ == "__main__":
    raise SystemExit(main())
