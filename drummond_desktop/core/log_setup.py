"""Logging for the app and the CLI: one stderr handler, an optional rotating file, and redaction.

Every handler installed here carries a ``RedactionFilter`` that rewrites each record before it is
formatted: ``api_token=...`` / ``token=...`` query values and every secret registered with
``register_secret`` (the EODHD key, the team token, a database password) become ``***`` in the
message, its arguments and any exception text. httpx logs full request URLs - EODHD puts the key in
the query string - so its loggers also stay at WARNING.

Modules log through ``logging.getLogger(__name__)`` and never configure anything; only the
composition root calls ``configure_logging``.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
import traceback
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from drummond_desktop.core.paths import ensure_dir

MASK = "***"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
LOG_FILE_BYTES = 2_000_000
LOG_FILE_BACKUPS = 5
QUIET_LOGGERS = ("httpx", "httpcore")
# A shorter "secret" would mask ordinary words and numbers all over the log; no key is so short.
MIN_SECRET_LENGTH = 4

# Credential-bearing query parameters and headers, whatever their value looks like.
_QUERY_SECRET = re.compile(
    r"(?i)\b((?:api_token|api_key|apikey|access_token|token|password)=)[^&\s#'\"<>]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")

_secrets_lock = threading.Lock()
_secrets: set[str] = set()
_secret_pattern: re.Pattern[str] | None = None

# Marks the handlers configure_logging installed, so a second call replaces rather than adds.
_OWNED = "_drummond_owned"


def register_secret(value: str) -> None:
    """Mask ``value`` (and its URL-encoded form) in every log record from now on."""
    if len(value) < MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        _secrets.update({value, quote(value, safe="")})
        _rebuild_pattern()


def forget_secret(value: str) -> None:
    """Stop masking ``value`` (a key the user removed)."""
    with _secrets_lock:
        _secrets.difference_update({value, quote(value, safe="")})
        _rebuild_pattern()


def _rebuild_pattern() -> None:
    global _secret_pattern
    # Longest first, so a secret that contains another is masked whole.
    ordered = sorted(_secrets, key=lambda s: (-len(s), s))
    _secret_pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None


def redact(text: str) -> str:
    """``text`` with credential query values, bearer tokens and registered secrets masked."""
    pattern = _secret_pattern  # one read: a concurrent register_secret swaps the whole object
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


class RedactionFilter(logging.Filter):
    """Rewrites a record in place so no handler after it can see a secret.

    The message is formatted here (``msg % args``), redacted, and stored with ``args`` cleared:
    masking the arguments one by one would miss a secret split across the template and an
    argument, and would break ``%d`` for an argument that became a string.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # A malformed template: keep the pieces, redacted, for the handler's error report.
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _level(level: int | str) -> int:
    if isinstance(level, int):
        return level
    value = logging.getLevelNamesMapping().get(level.upper())
    if value is None:
        raise ValueError(f"unknown log level {level!r}; "
                         "use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return value


def _own(handler: logging.Handler, level: int) -> logging.Handler:
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactionFilter())
    setattr(handler, _OWNED, True)
    return handler


def configure_logging(level: int | str = "INFO", log_file: Path | None = None,
                      stream: TextIO | None = None) -> None:
    """Install the app's handlers on the root logger, replacing any this function installed.

    ``stream`` defaults to ``sys.stderr`` (read at call time, so a redirected stderr is used).
    ``log_file`` adds a rotating UTF-8 file (its directory is created). Handlers that others
    installed (pytest's capture, an embedding application) are left alone.
    """
    lvl = _level(level)
    root = logging.getLogger()
    unconfigure_logging()
    handlers = [_own(logging.StreamHandler(stream if stream is not None else sys.stderr), lvl)]
    if log_file is not None:
        ensure_dir(log_file.parent)
        handlers.append(_own(logging.handlers.RotatingFileHandler(
            log_file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8",
            delay=True), lvl))
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(lvl)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def unconfigure_logging() -> None:
    """Remove and close the handlers ``configure_logging`` installed (shutdown, tests)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OWNED, False):
            root.removeHandler(handler)
            handler.close()
