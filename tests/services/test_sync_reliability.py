"""Reliability figures at the service level (issue 3, reliability.md §6.4): 200 malformed
payloads through a real sync leave the stored market data unchanged, and a canary API key never
reaches a log record, stdout/stderr, an exception, the database or a config file."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import select

from drummond_desktop import cli
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core import log_setup
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.services.market_sync import SyncRequest
from drummond_desktop.store import MarketStore
from drummond_desktop.store.schema import table
from tests.feeds.test_eodhd_malformed import generate
from tests.services.vendor import Vendor, daily_rows

DATA_TABLES = ("symbols", "bar_chunks", "splits", "dividends")


def data_checksum(store: MarketStore) -> str:
    """Every row of the market-data tables in key order (the ledger and the checkpoints'
    error marks are meant to change when a sync fails)."""
    h = hashlib.sha256()
    with store.engine.connect() as conn:
        for name in DATA_TABLES:
            t = table(name)
            rows = conn.execute(select(t).order_by(*t.primary_key.columns)).all()
            h.update(repr((name, rows)).encode())
    return h.hexdigest()


def test_200_malformed_payloads_leave_the_market_data_unchanged(sync, store, vendor):
    vendor.daily["AAPL.US"] = daily_rows(date(2024, 1, 1), 40)
    vendor.splits["AAPL.US"] = [{"date": "2024-01-10", "split": "2.000000/1.000000"}]
    assert sync.sync(SyncRequest(("AAPL.US",))).ok
    before = data_checksum(store)
    last = store.checkpoints.get("AAPL.US", "1d").last_ts
    failed = 0
    for _name, body in generate():
        vendor.raw_eod["AAPL.US"] = body
        failed += not sync.sync(SyncRequest(("AAPL.US",))).ok
    assert failed == 200
    assert data_checksum(store) == before
    cp = store.checkpoints.get("AAPL.US", "1d")
    assert cp.last_ts == last and cp.status == "error"


def _scan(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_canary_key_appears_nowhere(tmp_path, monkeypatch, capsys):
    canary = f"CANARY-{uuid.uuid4()}"
    dirs = {n: tmp_path / n.lower() for n in ("DATA", "CONFIG", "CACHE", "LOG")}
    for n, d in dirs.items():
        monkeypatch.setenv(f"DRUMMOND_{n}_DIR", str(d))
    monkeypatch.setenv("DRUMMOND_EODHD_API_KEY", canary)
    log_file = dirs["LOG"] / "drummond.log"
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    log_setup.configure_logging("DEBUG", log_file=log_file)
    keep = Keep()
    keep.addFilter(log_setup.RedactionFilter())
    logging.getLogger().addHandler(keep)
    try:
        vendor = Vendor()
        vendor.daily["OK.US"] = daily_rows(date(2024, 1, 1), 30)
        vendor.status.update({"GONE.US": 404, "AUTH.US": 401})
        vendor.raw_eod["BAD.US"] = b"<html>oops</html>"
        ctx = AppContext(transport=httpx.MockTransport(vendor), secrets=SecretStore())
        try:
            cli.main(["sync", "OK.US", "GONE.US", "AUTH.US", "BAD.US"], context=ctx)
            cli.main(["data", "quota"], context=ctx)
            cli.main(["export", "bars", "OK.US", "--out", str(tmp_path / "x.csv")], context=ctx)
        finally:
            ctx.close()
    finally:
        logging.getLogger().removeHandler(keep)
        log_setup.unconfigure_logging()
    out, err = capsys.readouterr()
    assert records, "the run should have logged something"
    assert all(canary not in r for r in records)
    assert canary not in out + err
    for d in dirs.values():
        if d.exists():  # the database, the journal, settings, the log file
            assert _scan(d, canary.encode()) == [], d
    assert log_file.exists() and canary.encode() not in log_file.read_bytes()


def test_canary_key_stays_out_of_a_real_process(tmp_path):
    canary = f"CANARY-{uuid.uuid4()}"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "DRUMMOND_DATA_DIR": str(tmp_path / "d"), "DRUMMOND_CONFIG_DIR": str(tmp_path / "c"),
           "DRUMMOND_CACHE_DIR": str(tmp_path / "k"),
           "DRUMMOND_EODHD_BASE_URL": "http://127.0.0.1:9/api", "DRUMMOND_EODHD_API_KEY": canary}
    exe = Path(sys.executable).with_name("drummond")
    proc = subprocess.run([str(exe), "sync", "AAA.US", "--interval", "5m"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1 and "drummond: sync AAA.US:" in proc.stderr
    assert canary not in proc.stdout + proc.stderr
    assert _scan(tmp_path, canary.encode()) == []
