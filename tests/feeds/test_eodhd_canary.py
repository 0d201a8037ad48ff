"""Canary secret (reliability.md §6.4 N7): with the key ``CANARY-<uuid4>`` the client runs through
success, every error path and DEBUG logging; the canary appears in no log record, stdout/stderr,
exception text (the whole ``__cause__``/``__context__`` chain and formatted traceback) or repr."""

from __future__ import annotations

import io
import logging
import traceback
import uuid
from collections.abc import Iterator

import httpx
import pytest

from drummond_desktop.core import log_setup
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.feeds.eodhd import EodhdClient
from drummond_desktop.feeds.errors import FeedError
from drummond_desktop.feeds.http import redacted_url
from tests.feeds.fakes import EXAMPLES, ok, raw, rig


@pytest.fixture
def canary() -> Iterator[str]:
    key = f"CANARY-{uuid.uuid4()}"
    yield key
    log_setup.forget_secret(key)


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.level, logging.getLogger("httpx").level, logging.getLogger("httpcore").level)
    buffer = io.StringIO()
    log_setup.configure_logging("DEBUG", stream=buffer)
    yield buffer
    log_setup.unconfigure_logging()
    root.setLevel(saved[0])
    logging.getLogger("httpx").setLevel(saved[1])
    logging.getLogger("httpcore").setLevel(saved[2])


def _echo(status: int, content_type: str = "text/plain"):
    """A server that quotes the request URL - key and all - back in its body."""
    return lambda request: raw(f"bad request {request.url}", status, content_type)


def _raise_with_url(kind: type[httpx.HTTPError]):
    def handler(request: httpx.Request) -> httpx.Response:
        raise kind(f"failed talking to {request.url}", request=request)
    return handler


SCENARIOS = {
    "ok eod": [ok(EXAMPLES["eod"])],
    "ok intraday": [ok(EXAMPLES["intraday"])],
    "401 echo": [_echo(401)],
    "403 html echo": [_echo(403, "text/html")],
    "402": [raw("Payment Required", 402)],
    "404": [_echo(404)],
    "400 echo": [_echo(400)],
    "429": [raw("", 429, "text/html", {"Retry-After": "1"})],
    "500 echo": [_echo(500)],
    "503": [raw("down", 503)],
    "connect timeout": [_raise_with_url(httpx.ConnectTimeout)],
    "read timeout": [_raise_with_url(httpx.ReadTimeout)],
    "protocol error": [_raise_with_url(httpx.RemoteProtocolError)],
    "local protocol error": [_raise_with_url(httpx.LocalProtocolError)],
    "html 200 echo": [_echo(200, "text/html")],
    "text 200 echo": [_echo(200, "text/plain")],
    "truncated": [raw(b'[{"date":"2022-01-03","open":1')],
    "bad data": [ok([dict(EXAMPLES["eod"][0], high=1.0)])],
    "transient then ok": [_raise_with_url(httpx.ReadTimeout), _echo(502), ok(EXAMPLES["eod"])],
}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.extend(x for x in (e.__cause__, e.__context__) if x is not None)


def _texts(exc: BaseException) -> list[str]:
    out = ["".join(traceback.format_exception(exc))]
    for e in _chain(exc):
        out += [str(e), repr(e), repr(e.args), str(getattr(e, "user_message", ""))]
        out += [repr(v) for v in vars(e).values()]
    return out


def _run(client: EodhdClient) -> BaseException | None:
    try:
        client.eod("AAPL.US")
        client.intraday("AAPL.US", "5m", start=1628875800, end=1628877000)
    except FeedError as exc:
        return exc
    return None


def test_canary_never_leaks(canary, log_buffer, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    store = SecretStore(_MemoryKeyring(), environ={"DRUMMOND_EODHD_API_KEY": canary})
    texts: list[str] = [repr(store)]
    for name, steps in SCENARIOS.items():
        r = rig(steps, key=store.get_eodhd_key())
        try:
            exc = _run(r.client)
            if exc is not None:
                texts += _texts(exc)
                print(f"{name}: {exc.user_message}")  # what a CLI would print
                logging.getLogger("drummond_desktop.tests").exception("sync failed: %s", exc)
            texts += [repr(r.client), repr(r.client._fetch), repr(r.ledger)]
            texts += [redacted_url(s.request.url) for s in r.server.sent]
            assert any(canary in str(s.request.url) for s in r.server.sent), name
        finally:
            r.client.close()
    out, err = capsys.readouterr()
    assert [t for t in texts if canary in t] == []
    # The echoing servers did put the key in their text; it arrived masked.
    assert any(f"api_token={log_setup.MASK}" in t for t in texts)
    assert canary not in out and canary not in err
    assert canary not in log_buffer.getvalue()
    # Our own records are clean *before* any redaction (pytest's handler has no filter).
    assert [rec.getMessage() for rec in caplog.records if canary in rec.getMessage()] == []
    assert "DEBUG" in log_buffer.getvalue() and "retry" in log_buffer.getvalue()


def test_httpx_debug_logging_is_masked_by_the_handler_filter(canary, log_buffer):
    # If someone turns the httpx loggers up, the redaction filter on the handler still masks.
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    logging.getLogger("httpcore").setLevel(logging.DEBUG)
    r = rig([ok(EXAMPLES["eod"])], key=canary)
    try:
        r.client.eod("AAPL.US")
    finally:
        r.client.close()
    text = log_buffer.getvalue()
    assert "HTTP Request: GET" in text and "api_token=***" in text
    assert canary not in text


def test_redacted_url_drops_the_token():
    url = "https://eodhd.com/api/eod/AAPL.US?api_token=SECRET123&fmt=json"
    assert redacted_url(url) == "https://eodhd.com/api/eod/AAPL.US?fmt=json"
    assert redacted_url(httpx.URL(url)) == "https://eodhd.com/api/eod/AAPL.US?fmt=json"
    assert "SECRET" not in redacted_url("not a url api_token=SECRET123")


class _MemoryKeyring:
    """Minimal keyring backend double (the store reads the environment first here)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("the canary must not be stored")

    def delete_password(self, service: str, username: str) -> None:
        return None
