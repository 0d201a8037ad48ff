"""End to end over a real socket: ``build_client`` against a tiny stdlib HTTP server on
127.0.0.1 (base URL from ``DRUMMOND_EODHD_BASE_URL``), including one retried 503."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from drummond_desktop.feeds.eodhd import build_client
from drummond_desktop.feeds.errors import AuthError
from tests.feeds.fakes import EXAMPLES

KEY = "E2E-KEY-4f9a0c"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.seen.append((url.path, query))
        if query.get("api_token") != KEY:
            self._send(401, b"Unauthenticated", "text/plain")
        elif url.path == "/api/eod/AAPL.US" and len(self.server.seen) == 1:
            self._send(503, b"Service Unavailable", "text/plain", {"Retry-After": "0"})
        elif url.path == "/api/eod/AAPL.US":
            self._send(200, json.dumps(EXAMPLES["eod"]).encode(), "application/json")
        elif url.path == "/api/internal-user":
            self._send(200, json.dumps(EXAMPLES["internal_user"]).encode(), "application/json")
        else:
            self._send(404, b"Not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the stdlib would print the request line - key included - to stderr


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, dict[str, str]]]


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.seen = []
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def test_client_talks_to_a_local_server_over_a_socket(server, monkeypatch, capsys):
    port = server.server_address[1]
    monkeypatch.setenv("DRUMMOND_EODHD_BASE_URL", f"http://127.0.0.1:{port}/api")
    ledger = []
    with build_client(lambda: KEY, ledger=ledger.append) as client:
        result = client.eod("AAPL.US", start=date(2022, 1, 3), end=date(2022, 1, 4))
        user = client.user()
    assert result.bars.close.tolist() == [182.01, 179.7]
    assert user.daily_rate_limit == 100000
    paths = [p for p, _ in server.seen]
    assert paths == ["/api/eod/AAPL.US", "/api/eod/AAPL.US", "/api/internal-user"]
    assert all(q["fmt"] == "json" and q["api_token"] == KEY for _, q in server.seen)
    assert [(x.status, x.cost) for x in ledger] == [(503, 0), (200, 1), (200, 1)]
    out, err = capsys.readouterr()
    assert KEY not in out + err


def test_a_wrong_key_over_the_socket_is_an_auth_error(server, monkeypatch):
    port = server.server_address[1]
    monkeypatch.setenv("DRUMMOND_EODHD_BASE_URL", f"http://127.0.0.1:{port}/api")
    with build_client(lambda: "demo") as client, pytest.raises(AuthError) as info:
        client.eod("AAPL.US")
    assert info.value.server_text == "Unauthenticated" and info.value.status == 401
