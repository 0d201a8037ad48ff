"""The whole stack over a real socket: the installed ``drummond`` process syncs from a small
EODHD-shaped HTTP server on 127.0.0.1 into a real SQLite file, then exports what it stored."""

from __future__ import annotations

import csv
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.services.vendor import Vendor, daily_rows

KEY = "E2E-SYNC-KEY-77b1"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        request = httpx.Request("GET", f"http://127.0.0.1{self.path}")
        if request.url.params.get("api_token") != KEY:
            response = httpx.Response(401, text="Unauthenticated")
        else:
            response = self.server.vendor(request)
        body = response.content
        self.send_response(response.status_code)
        self.send_header("Content-Type", response.headers.get("content-type", "text/plain"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the stdlib would print the request line, key included


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    vendor: Vendor


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.vendor = Vendor()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _drummond(tmp_path: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "DRUMMOND_DATA_DIR": str(tmp_path / "data"),
           "DRUMMOND_CONFIG_DIR": str(tmp_path / "config"),
           "DRUMMOND_CACHE_DIR": str(tmp_path / "cache"),
           "DRUMMOND_EODHD_BASE_URL": f"http://127.0.0.1:{port}/api",
           "DRUMMOND_EODHD_API_KEY": KEY}
    exe = Path(sys.executable).with_name("drummond")
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_sync_then_resync_then_export_over_a_real_socket(server, tmp_path):
    rows = daily_rows(date(2024, 1, 1), 250)
    server.vendor.daily["AAPL.US"] = rows[:240]
    server.vendor.splits["AAPL.US"] = [{"date": "2024-03-01", "split": "2.000000/1.000000"}]
    port = server.server_address[1]
    first = _drummond(tmp_path, port, "sync", "AAPL.US", "--interval", "1d")
    assert first.returncode == 0, first.stderr
    assert "AAPL.US 1d: 240 bars received, 240 new" in first.stdout
    assert (tmp_path / "data" / "market.sqlite").exists()

    server.vendor.daily["AAPL.US"] = rows
    server.vendor.log.clear()
    second = _drummond(tmp_path, port, "sync", "AAPL.US")
    assert second.returncode == 0 and ", 10 new, 0 updated" in second.stdout
    assert "from" in server.vendor.asked("eod", "AAPL.US")[0]  # only the gap was asked for

    out = tmp_path / "aapl.csv"
    done = _drummond(tmp_path, port, "export", "bars", "AAPL.US", "--adjust", "splits",
                     "--out", str(out))
    assert done.returncode == 0, done.stderr
    with out.open() as f:
        exported = list(csv.DictReader(f))
    assert len(exported) == 250 and exported[-1]["ts"] == rows[-1]["date"]
    first_row = exported[0]
    assert float(first_row["close"]) == pytest.approx(rows[0]["close"] / 2)  # before the split
    quota = _drummond(tmp_path, port, "data", "quota")
    assert "EODHD calls used today" in quota.stdout
    for proc in (first, second, done, quota):
        assert KEY not in proc.stdout + proc.stderr
