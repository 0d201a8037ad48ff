"""Secrets (the EODHD key, later the team token) in the OS keyring - never in a file.

``SecretStore`` wraps one ``keyring`` backend under the service name ``drummond-desktop``. When the
machine has no secure backend (keyring's ``fail``/``null`` backends, or a plaintext/"alt" one such
as ``keyrings.alt``'s files) the store runs in *session-only* mode: ``set`` keeps the value in
memory for this run, ``session_only`` is true and ``user_message`` says the key will not be saved.
Nothing is ever written to disk as a fallback (reliability.md §5.2).

The EODHD key comes from ``DRUMMOND_EODHD_API_KEY`` first (headless use; read on every call,
never persisted), then the keyring, then the session. Every value obtained is registered with
``log_setup.register_secret`` so no log record can carry it. Nothing here logs or raises a secret.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

import keyring
import keyring.backend
import keyring.errors

from drummond_desktop.core import log_setup
from drummond_desktop.core.errors import AppError

log = logging.getLogger(__name__)

SERVICE = "drummond-desktop"
EODHD = "eodhd"  # the keyring "username" of the EODHD API key
ENV_EODHD_API_KEY = "DRUMMOND_EODHD_API_KEY"
SESSION_ONLY_MESSAGE = ("No secure key store is available on this system, so the API key is kept "
                        "only until the app closes. Set DRUMMOND_EODHD_API_KEY to supply it "
                        "without typing it each time.")
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


class SecretStoreError(AppError):
    """The keyring refused an operation (locked, denied); the secret itself is never named."""

    user_message = "The system key store refused the request; the key was not saved."


def is_secure_backend(backend: keyring.backend.KeyringBackend) -> bool:
    """True for a backend that keeps secrets encrypted by the OS (Keychain, Credential Locker,
    Secret Service, KWallet); false for the fail/null backends and plaintext/alt ones."""
    chained = getattr(backend, "backends", None)
    if isinstance(chained, list | tuple):  # keyring's ChainerBackend: secure only if all are
        return bool(chained) and all(is_secure_backend(b) for b in chained)
    kind = type(backend)
    if kind.__module__.startswith(_INSECURE_MODULES):
        return False
    return "plaintext" not in kind.__name__.lower()


class SecretStore:
    """Named secrets in the keyring, or in memory when there is no secure keyring.

    ``backend`` defaults to ``keyring.get_keyring()`` (resolved when the store is built, not at
    import); ``environ`` defaults to ``os.environ`` (read on every call).
    """

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, *,
                 environ: Mapping[str, str] | None = None, service: str = SERVICE) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._environ = environ
        self.service = service
        self._secure = is_secure_backend(self._backend)
        self._session: dict[str, str] = {}
        self._lock = threading.Lock()
        if not self._secure:
            log.info("no secure keyring backend (%s): secrets are kept for this session only",
                     type(self._backend).__name__)

    def __repr__(self) -> str:
        mode = "keyring" if self._secure else "session-only"
        return f"SecretStore({type(self._backend).__name__}, {mode})"

    @property
    def session_only(self) -> bool:
        """True when secrets cannot be saved and live only in this process."""
        return not self._secure

    @property
    def user_message(self) -> str | None:
        """What the UI shows about key storage, or ``None`` when the keyring is fine."""
        return SESSION_ONLY_MESSAGE if self.session_only else None

    def get(self, name: str) -> str | None:
        """The secret ``name`` from the session or the keyring; ``None`` when absent."""
        with self._lock:
            value = self._session.get(name)
        if value is None and self._secure:
            value = self._keyring_get(name)
        return _registered(value)

    def set(self, name: str, value: str) -> None:
        """Store ``value`` in the keyring, or only for this session when there is none."""
        if not value:
            raise ValueError("a secret cannot be empty")
        _registered(value)
        if not self._secure:
            with self._lock:
                self._session[name] = value
            return
        failed = False
        try:
            self._backend.set_password(self.service, name, value)
        except keyring.errors.KeyringError:
            failed = True
        if failed:  # raised outside the except: backend errors may quote what they were given
            raise SecretStoreError(f"the keyring refused to store {name!r}")
        with self._lock:
            self._session.pop(name, None)

    def delete(self, name: str) -> None:
        """Forget ``name`` everywhere it may be (absent is fine)."""
        with self._lock:
            value = self._session.pop(name, None)
        if self._secure:
            value = value or self._keyring_get(name)
            try:
                self._backend.delete_password(self.service, name)
            except keyring.errors.PasswordDeleteError:
                pass  # nothing stored
            except keyring.errors.KeyringError:
                log.warning("the keyring refused to delete %r", name)
        if value:
            log_setup.forget_secret(value)

    def _keyring_get(self, name: str) -> str | None:
        try:
            return self._backend.get_password(self.service, name)
        except keyring.errors.KeyringError as exc:
            # A locked or unreachable collection: behave as "not stored", say why once.
            log.warning("cannot read %r from the keyring (%s)", name, type(exc).__name__)
            return None

    # ------------------------------------------------------------------ EODHD

    def get_eodhd_key(self) -> str | None:
        """``DRUMMOND_EODHD_API_KEY`` if set, else the stored key; ``None`` when neither.
        Only non-emptiness is checked (``demo`` is a valid key)."""
        env = os.environ if self._environ is None else self._environ
        value = env.get(ENV_EODHD_API_KEY, "").strip()
        if value:
            return _registered(value)
        stored = self.get(EODHD)
        return (stored.strip() or None) if stored else None

    def eodhd_key_source(self) -> str | None:
        """Where the key comes from: "environment", "keyring", "session" or ``None``."""
        env = os.environ if self._environ is None else self._environ
        if env.get(ENV_EODHD_API_KEY, "").strip():
            return "environment"
        with self._lock:
            if EODHD in self._session:
                return "session"
        return "keyring" if self._secure and self._keyring_get(EODHD) else None

    def set_eodhd_key(self, value: str) -> None:
        self.set(EODHD, value.strip())

    def delete_eodhd_key(self) -> None:
        self.delete(EODHD)


# EODHD's public demo key is published in its documentation: masking it would only blank the
# word "demo" in every log line.
PUBLIC_KEYS = frozenset({"demo"})


def _registered(value: str | None) -> str | None:
    if value and value not in PUBLIC_KEYS:
        log_setup.register_secret(value)
    return value
