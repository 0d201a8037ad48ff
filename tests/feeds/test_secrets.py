"""``core.secrets``: keyring first, the environment over it, session-only without a secure
backend (never a file), and every key registered for log redaction. No test touches the real
keyring: backends are injected (plain classes, so keyring's backend discovery never sees them)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backends import fail, null

from drummond_desktop.core import log_setup, secrets
from drummond_desktop.core.secrets import (
    ENV_EODHD_API_KEY,
    SERVICE,
    SecretStore,
    SecretStoreError,
    is_secure_backend,
)


class MemoryKeyring:
    """A secure-looking in-memory backend."""

    priority = 5

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.items[(service, username)]


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's file backend: must count as insecure."""


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"refused to store {password}")


class Chainer:
    def __init__(self, *backends: object) -> None:
        self.backends = list(backends)


@pytest.fixture(autouse=True)
def _forget_keys():
    yield
    for value in ("stored-key-123", "env-key-456", "session-key-789", "new-key-000"):
        log_setup.forget_secret(value)


def test_keyring_round_trip_under_the_app_service():
    backend = MemoryKeyring()
    store = SecretStore(backend, environ={})
    assert not store.session_only and store.user_message is None
    assert store.get_eodhd_key() is None and store.eodhd_key_source() is None
    store.set_eodhd_key(" stored-key-123 ")
    assert backend.items == {(SERVICE, "eodhd"): "stored-key-123"}
    assert store.get_eodhd_key() == "stored-key-123"
    assert store.eodhd_key_source() == "keyring"
    store.delete_eodhd_key()
    assert backend.items == {} and store.get_eodhd_key() is None
    store.delete_eodhd_key()  # absent is fine


def test_environment_takes_precedence_and_is_never_stored():
    backend = MemoryKeyring()
    backend.items[(SERVICE, "eodhd")] = "stored-key-123"
    store = SecretStore(backend, environ={ENV_EODHD_API_KEY: " env-key-456 "})
    assert store.get_eodhd_key() == "env-key-456"
    assert store.eodhd_key_source() == "environment"
    assert backend.items == {(SERVICE, "eodhd"): "stored-key-123"}


def test_environment_is_read_on_every_call(monkeypatch):
    store = SecretStore(MemoryKeyring())
    assert store.get_eodhd_key() is None
    monkeypatch.setenv(ENV_EODHD_API_KEY, "demo")  # the demo key is valid
    assert store.get_eodhd_key() == "demo"


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), PlaintextKeyring()],
                         ids=["fail", "null", "plaintext"])
def test_no_secure_backend_means_session_only_and_nothing_on_disk(backend, tmp_path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = SecretStore(backend, environ={})
    assert store.session_only and "only until the app closes" in (store.user_message or "")
    store.set_eodhd_key("session-key-789")
    assert store.get_eodhd_key() == "session-key-789"
    assert store.eodhd_key_source() == "session"
    if isinstance(backend, PlaintextKeyring):
        assert backend.items == {}  # never handed to the insecure backend
    written = [p for root in (tmp_path, *_user_dirs()) for p in Path(root).rglob("*")
               if p.is_file() and b"session-key-789" in p.read_bytes()]
    assert written == []
    store.delete_eodhd_key()
    assert store.get_eodhd_key() is None


def _user_dirs() -> list[Path]:
    import os
    return [Path(os.environ[f"DRUMMOND_{n}_DIR"]) for n in ("CONFIG", "DATA", "CACHE", "LOG")
            if Path(os.environ[f"DRUMMOND_{n}_DIR"]).exists()]


def test_backend_classification():
    assert is_secure_backend(MemoryKeyring())
    assert not is_secure_backend(fail.Keyring()) and not is_secure_backend(null.Keyring())
    assert not is_secure_backend(PlaintextKeyring())
    assert is_secure_backend(Chainer(MemoryKeyring(), MemoryKeyring()))
    assert not is_secure_backend(Chainer(MemoryKeyring(), PlaintextKeyring()))
    assert not is_secure_backend(Chainer())


def test_default_backend_is_resolved_when_built(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    assert not SecretStore(environ={}).session_only


def test_keys_obtained_are_registered_for_redaction():
    backend = MemoryKeyring()
    backend.items[(SERVICE, "eodhd")] = "stored-key-123"
    SecretStore(backend, environ={}).get_eodhd_key()
    SecretStore(MemoryKeyring(), environ={ENV_EODHD_API_KEY: "env-key-456"}).get_eodhd_key()
    SecretStore(fail.Keyring(), environ={}).set_eodhd_key("session-key-789")
    text = log_setup.redact("a stored-key-123 b env-key-456 c session-key-789")
    assert text == "a *** b *** c ***"


def test_keyring_failures_are_typed_and_never_quote_the_secret(caplog):
    caplog.set_level(logging.DEBUG)
    store = SecretStore(LockedKeyring(), environ={})
    assert store.get_eodhd_key() is None  # locked: behaves as "not stored", says why
    assert "KeyringLocked" in caplog.text
    with pytest.raises(SecretStoreError) as info:
        store.set_eodhd_key("new-key-000")
    assert info.value.__context__ is None
    assert "new-key-000" not in str(info.value) + repr(info.value) + info.value.user_message
    assert "new-key-000" not in caplog.text


def test_repr_and_logs_name_the_backend_not_the_key():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger(secrets.__name__).addHandler(handler)
    try:
        store = SecretStore(fail.Keyring(), environ={})
        store.set_eodhd_key("session-key-789")
    finally:
        logging.getLogger(secrets.__name__).removeHandler(handler)
    assert repr(store) == "SecretStore(Keyring, session-only)"
    assert "session-key-789" not in stream.getvalue() + repr(store)


def test_empty_secret_is_refused():
    with pytest.raises(ValueError):
        SecretStore(MemoryKeyring(), environ={}).set_eodhd_key("   ")
