"""``drummond key``: stores the key in the keyring backend, never prints it."""

from __future__ import annotations

import io

import keyring.backend
import pytest

from drummond_desktop import cli
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core import log_setup
from drummond_desktop.core.secrets import SecretStore


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.data.pop((service, username), None)


@pytest.fixture
def ctx(monkeypatch):
    monkeypatch.delenv("DRUMMOND_EODHD_API_KEY", raising=False)
    backend = MemoryKeyring()
    monkeypatch.setattr("drummond_desktop.core.secrets.is_secure_backend", lambda b: True)
    c = AppContext(secrets=SecretStore(backend, environ={}))
    c.backend = backend  # type: ignore[attr-defined]
    yield c
    log_setup.forget_secret("SECRET-1234-key")


def test_set_status_clear(ctx, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("SECRET-1234-key\n"))
    assert cli.main(["key", "set", "--stdin"], context=ctx) == 0
    assert list(ctx.backend.data.values()) == ["SECRET-1234-key"]
    assert cli.main(["key", "status"], context=ctx) == 0
    out, err = capsys.readouterr()
    assert "the OS keyring" in out and "SECRET-1234-key" not in out + err
    assert cli.main(["key", "clear"], context=ctx) == 0
    assert ctx.backend.data == {}
    cli.main(["key", "status"], context=ctx)
    assert "nowhere" in capsys.readouterr().out


def test_empty_key_is_refused(ctx, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert cli.main(["key", "set", "--stdin"], context=ctx) == 2
    assert ctx.backend.data == {}


def test_the_public_demo_key_is_not_masked_in_logs():
    SecretStore(MemoryKeyring(), environ={"DRUMMOND_EODHD_API_KEY": "demo"}).get_eodhd_key()
    assert log_setup.redact("drummond demo") == "drummond demo"
