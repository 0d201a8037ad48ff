"""Logging configuration: redaction of credentials everywhere a record can carry them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from drummond_desktop.core import log_setup
from drummond_desktop.core.log_setup import (
    RedactionFilter,
    configure_logging,
    forget_secret,
    register_secret,
    unconfigure_logging,
)

SECRET = "fake-test-token-not-a-real-key"  # a made-up value the redaction must hide
URL = "https://eodhd.com/api/eod/AAPL.US?api_token=abc123&fmt=json"
log = logging.getLogger("drummond_desktop.tests.log_setup")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("httpx").level,
             logging.getLogger("httpcore").level)
    yield
    unconfigure_logging()
    forget_secret(SECRET)
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    logging.getLogger("httpx").setLevel(saved[2])
    logging.getLogger("httpcore").setLevel(saved[3])


def owned() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, log_setup._OWNED, False)]


def configured(log_file: Path | None = None) -> io.StringIO:
    stream = io.StringIO()
    configure_logging("DEBUG", log_file=log_file, stream=stream)
    return stream


def test_registered_secret_is_masked_in_message_and_args() -> None:
    out = configured()
    register_secret(SECRET)
    log.info("key is %s", SECRET)
    log.info(f"key inline {SECRET}")
    log.warning("pair %s/%d", SECRET, 7)
    text = out.getvalue()
    assert SECRET not in text
    assert "key is ***" in text and "key inline ***" in text and "pair ***/7" in text


def test_api_token_in_a_url_is_masked_in_message_and_args() -> None:
    out = configured()
    log.info("GET %s", URL)
    log.info(f"GET {URL}")
    log.info("team sync https://team.example/v1/pull?since=5&token=t0k3n")
    text = out.getvalue()
    assert "abc123" not in text and "t0k3n" not in text
    assert text.count("api_token=***&fmt=json") == 2
    assert "since=5&token=***" in text


def test_url_encoded_secret_and_bearer_header_are_masked() -> None:
    out = configured()
    register_secret("a/b+c=d-key")
    log.info("https://x.example/?k=a%2Fb%2Bc%3Dd-key")
    log.info("headers {'Authorization': 'Bearer eyJhbGciOi.J9x_y-z'}")
    text = out.getvalue()
    assert "a%2Fb" not in text and "eyJhbGciOi" not in text
    assert "Bearer ***" in text


def test_exception_text_is_masked() -> None:
    out = configured()
    register_secret(SECRET)
    try:
        raise RuntimeError(f"401 for {URL} with key {SECRET}")
    except RuntimeError:
        log.exception("request failed")
    text = out.getvalue()
    assert "RuntimeError" in text and "Traceback" in text
    assert SECRET not in text and "abc123" not in text


def test_filter_rewrites_the_record_itself() -> None:
    register_secret(SECRET)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "url=%s key=%s",
                               (URL, SECRET), None)
    assert RedactionFilter().filter(record) is True
    assert record.args is None
    assert record.getMessage() == (
        "url=https://eodhd.com/api/eod/AAPL.US?api_token=***&fmt=json key=***")


def test_malformed_template_is_still_masked_not_raised() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", (URL,), None)
    assert RedactionFilter().filter(record) is True
    assert "abc123" not in record.getMessage()


def test_forgotten_and_too_short_secrets_are_not_masked() -> None:
    out = configured()
    register_secret("ab")  # too short to be a key: would mask half the log
    register_secret(SECRET)
    forget_secret(SECRET)
    log.info("tab %s", SECRET)
    assert f"tab {SECRET}" in out.getvalue()


def test_rotating_file_gets_the_same_redacted_lines(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "drummond.log"
    configured(log_file=log_file)
    register_secret(SECRET)
    log.info("file line %s %s", SECRET, URL)
    for handler in owned():
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "file line *** " in text and SECRET not in text and "abc123" not in text


def test_configuring_twice_does_not_duplicate_handlers(tmp_path: Path) -> None:
    foreign = logging.NullHandler()
    logging.getLogger().addHandler(foreign)
    configure_logging("INFO", log_file=tmp_path / "a.log", stream=io.StringIO())
    out = configured(log_file=tmp_path / "b.log")
    assert len(owned()) == 2
    assert foreign in logging.getLogger().handlers, "handlers others installed stay"
    log.info("once")
    assert out.getvalue().count("once") == 1
    configured()
    assert len(owned()) == 1
    unconfigure_logging()
    assert owned() == [] and foreign in logging.getLogger().handlers
    logging.getLogger().removeHandler(foreign)


def test_level_and_quiet_http_loggers() -> None:
    out = io.StringIO()
    configure_logging("warning", stream=out)
    assert logging.getLogger().level == logging.WARNING
    log.info("hidden")
    logging.getLogger("drummond_desktop.x").warning("shown")
    configure_logging(logging.DEBUG, stream=out)
    logging.getLogger("httpx").info("HTTP Request: GET %s", URL)
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
    text = out.getvalue()
    assert "shown" in text and "hidden" not in text and "HTTP Request" not in text
    assert "connect_tcp" not in text


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        configure_logging("LOUD")
