"""Store fixtures: every ``store`` test runs on a SQLite file and on PostgreSQL.

PostgreSQL comes from ``DRUMMOND_TEST_PG_URL`` (default: the local server,
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test module gets a fresh database
(dropped afterwards) and each test a fresh schema in it, so tests never see each other's rows.
When the server cannot be reached the PostgreSQL half is skipped with the reason - except in CI
(``CI=true``), where it fails: CI must run both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from drummond_desktop.store import MarketStore, open_market_store
from tests.store.pg import PG_URL, libpq, pg_schema_url, require_postgres


@pytest.fixture(scope="session")
def pg_admin_url() -> URL:
    """The server URL, or skip (fail in CI) when it does not answer."""
    url = make_url(PG_URL)
    require_postgres(url)
    return url


@pytest.fixture(scope="module")
def pg_database(pg_admin_url: URL) -> Iterator[URL]:
    """A fresh database for one test module, dropped afterwards."""
    name = f"drummond_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq(pg_admin_url), autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_admin_url.set(database=name)
    finally:
        with psycopg.connect(libpq(pg_admin_url), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` (the default SQLite file in this test's own data dir) or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield None
        return
    yield from pg_schema_url(request.getfixturevalue("pg_database"))


@pytest.fixture
def store(store_url: str | None) -> Iterator[MarketStore]:
    with open_market_store(store_url) as opened:
        yield opened


@pytest.fixture
def sqlite_store() -> Iterator[MarketStore]:
    """The default SQLite store only, for tests about the file itself."""
    with open_market_store() as opened:
        yield opened
