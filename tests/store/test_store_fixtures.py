"""The PostgreSQL half of the store tests is skipped locally when the server is away, but
fails in CI."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from tests.store.pg import require_postgres

DEAD = make_url("postgresql+psycopg://postgres@127.0.0.1:1/test")


def test_unreachable_postgres_skips_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"PostgreSQL not reachable at .*:1/test"):
        require_postgres(DEAD)


def test_unreachable_postgres_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the store tests on PostgreSQL"):
        require_postgres(DEAD)
