"""The application's error tree. Every class carries a ``user_message``: the one sentence a
front end (CLI line, status bar, dialog) shows; ``str(exc)`` is the developer's detail.

* ``AppError`` - root; anything the user can act on.
  * ``Cancelled`` - the user cancelled a task; not a failure.
  * ``DataError`` - input data that cannot be used.
    * ``BadFile(path, line, rule)`` - a file with a problem at a line (CSV import, analyze).
  * ``StoreError(where)`` - the local market/user database failed; ``where`` names the file or
    the server (never a password).
    * ``StoreUnavailable`` - the database cannot be opened or reached.
    * ``SchemaTooNew(where, revision)`` - written by a newer app; refused and left untouched.
    * ``MigrationFailed(where, backup)`` - an upgrade failed; names the backup taken before it.
    * ``StoreFull(where)`` - the disk (or the database's size limit) is full; nothing of the
      failed write was kept.
    * ``StoreCorrupt(where)`` - a damaged file found while running (not at open).
    * ``CorruptStoreRecovered(where, moved_to)`` - a notice, returned rather than raised: a
      corrupt file was set aside at ``moved_to`` and a fresh store created.
  * ``FeedError(endpoint, symbol)`` - a market-data provider request failed; its tree is
    documented in ``drummond_desktop.feeds.errors``: ``AuthError``, ``QuotaExhausted``,
    ``RateLimited``, ``NotFound``, ``ProviderUnavailable``, ``BadRequest``, ``BudgetExceeded``,
    ``BadData(symbol, rule, row)`` (also a ``DataError``).
  * ``SecretStoreError`` (``core.secrets``) - the OS keyring refused to store a secret.

Later layers add their branches here (store, feeds, team) so one ``except AppError`` per view
is enough to speak to the user. Secrets never appear in messages.
"""

from __future__ import annotations

from pathlib import Path


class AppError(Exception):
    """Root of the application's errors."""

    user_message: str = "Something went wrong."

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(detail or self.user_message)


class Cancelled(AppError):
    """The task was cancelled by the user."""

    user_message = "Cancelled."


class DataError(AppError):
    """Input data that cannot be used."""

    user_message = "The data cannot be used."


class BadFile(DataError):
    """A file with a problem; names the file, the 1-based line (0 = the whole file) and the rule."""

    def __init__(self, path: str | Path, line: int, rule: str) -> None:
        self.path = str(path)
        self.line = line
        self.rule = rule
        where = f"{self.path}, line {line}" if line > 0 else self.path
        super().__init__(f"{where}: {rule}", user_message=f"{where}: {rule}")


class StoreError(AppError):
    """The local database failed. ``where`` names the file or server (no password)."""

    user_message = "The local database failed."

    def __init__(self, where: str | Path, detail: str = "", *,
                 user_message: str | None = None) -> None:
        self.where = str(where)
        super().__init__(f"{self.where}: {detail}" if detail else self.where,
                         user_message=user_message)


class StoreUnavailable(StoreError):
    """The database cannot be opened (a server that does not answer, a file that cannot be
    created)."""

    user_message = "The database cannot be opened."

    def __init__(self, where: str | Path, reason: str) -> None:
        self.reason = reason
        super().__init__(where, reason,
                         user_message=f"The database {where} cannot be opened: {reason}")


class SchemaTooNew(StoreError):
    """The database was written by a newer version of the app (an unknown schema revision).
    It is refused and left untouched."""

    def __init__(self, where: str | Path, revision: str, known: str) -> None:
        self.revision = revision
        self.known = known
        text = (f"schema revision {revision!r} is unknown to this version of the app "
                f"(newest known: {known!r}); the database was left untouched")
        super().__init__(where, text, user_message=(
            f"The database {where} was written by a newer version of Drummond Desktop. "
            "Update the app, or choose another data directory; the file was not changed."))


class MigrationFailed(StoreError):
    """Upgrading the schema failed; the upgrade was rolled back. ``backup`` is the copy taken
    before it started (``None`` on PostgreSQL, whose backups belong to the server)."""

    def __init__(self, where: str | Path, reason: str, backup: Path | None) -> None:
        self.reason = reason
        self.backup = backup
        saved = f"; a backup taken before the upgrade is at {backup}" if backup else ""
        super().__init__(where, f"schema upgrade failed: {reason}{saved}",
                         user_message=f"Upgrading the database {where} failed{saved}.")


class StoreFull(StoreError):
    """The disk or the database's size limit is full. The write that hit it was rolled back
    whole; what was stored before is intact."""

    def __init__(self, where: str | Path, what: str) -> None:
        self.what = what
        super().__init__(where, f"disk full while {what}; nothing of it was written",
                         user_message=(f"The disk holding {where} is full: {what} was not "
                                       "saved. Free some space and try again."))


class StoreCorrupt(StoreError):
    """SQLite reported a damaged file while running. Restart the app: the file is checked,
    set aside and rebuilt on the next open."""

    def __init__(self, where: str | Path, what: str) -> None:
        self.what = what
        super().__init__(where, f"database file is damaged (while {what})",
                         user_message=(f"The database {where} is damaged. Restart Drummond "
                                       "Desktop to set it aside and rebuild it."))


class CorruptStoreRecovered(StoreError):
    """A notice, returned by the store opener rather than raised: the file at ``where`` was
    damaged, has been moved with its ``-wal``/``-shm`` files to ``moved_to``, and a fresh, empty
    store was created in its place."""

    def __init__(self, where: str | Path, moved_to: Path, reason: str) -> None:
        self.moved_to = moved_to
        self.reason = reason
        super().__init__(where, f"damaged ({reason}); moved to {moved_to}; a new store was created",
                         user_message=(f"The database {where} was damaged and has been set "
                                       f"aside as {moved_to}. A new, empty one was created; "
                                       "market data can be downloaded again."))
