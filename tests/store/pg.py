"""PostgreSQL helpers of the store tests: where the server is, whether it answers, and fresh
schemas for one test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import URL

PG_URL = os.environ.get("DRUMMOND_TEST_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def require_postgres(url: URL) -> None:
    """Return when the server at ``url`` answers; otherwise skip, or fail when ``CI=true``."""
    try:
        with psycopg.connect(libpq(url), connect_timeout=3):
            pass
    except psycopg.Error as exc:
        reason = (f"PostgreSQL not reachable at {url.render_as_string(hide_password=True)} "
                  f"({str(exc).strip().splitlines()[0]}); set DRUMMOND_TEST_PG_URL")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the store tests on PostgreSQL: {reason}")
        pytest.skip(reason)


def pg_schema_url(database: URL) -> Iterator[str]:
    """A fresh schema in ``database`` as the URL's search path; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq(database), autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = database.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq(database), autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
