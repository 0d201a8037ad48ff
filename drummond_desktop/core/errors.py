"""The application's error tree. Every class carries a ``user_message``: the one sentence a
front end (CLI line, status bar, dialog) shows; ``str(exc)`` is the developer's detail.

* ``AppError`` - root; anything the user can act on.
  * ``Cancelled`` - the user cancelled a task; not a failure.
  * ``DataError`` - input data that cannot be used.
    * ``BadFile(path, line, rule)`` - a file with a problem at a line (CSV import, analyze).

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
