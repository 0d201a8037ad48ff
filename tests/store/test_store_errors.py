"""Driver errors become typed store errors that name the database and what was being done."""

from __future__ import annotations

import sqlite3

import pytest

from drummond_desktop.core.errors import (
    AppError,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreUnavailable,
)
from drummond_desktop.store.engines import translate


def _sqlite_error(code: int, text: str) -> sqlite3.Error:
    exc = sqlite3.OperationalError(text)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


class OperationalError(Exception):  # the shape of psycopg's errors: a class name, sqlstate
    def __init__(self, text: str, sqlstate: str | None) -> None:
        super().__init__(text)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("orig", "kind"), [
    (_sqlite_error(13, "database or disk is full"), StoreFull),
    (_sqlite_error(11, "database disk image is malformed"), StoreCorrupt),
    (_sqlite_error(26, "file is not a database"), StoreCorrupt),
    (_sqlite_error(14, "unable to open database file"), StoreUnavailable),
    (_sqlite_error(5, "database is locked"), StoreError),
    (_sqlite_error(10 | (3 << 8), "disk I/O error"), StoreError),
    (OperationalError("could not receive data from server", "53100"), StoreFull),
    (OperationalError("connection refused", None), StoreUnavailable),
    (OperationalError("terminating connection", "08006"), StoreUnavailable),
    (OperationalError("syntax error", "42601"), StoreError),
])
def test_translation(orig, kind):
    err = translate(orig, "/data/market.sqlite", "writing 10 1d bars of AAPL.US")
    assert type(err) is kind and isinstance(err, AppError)
    assert err.where == "/data/market.sqlite"
    assert "/data/market.sqlite" in str(err) and "/data/market.sqlite" in err.user_message
    assert "10 1d bars of AAPL.US" in str(err) + err.user_message
