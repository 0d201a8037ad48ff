"""One-line questions to the user (a list name, symbols, a note): the window's one input prompt,
injected where tests answer instead (``AskText``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QWidget

AskText = Callable[[QWidget, str, str, str], str | None]  # parent, title, label, text -> answer


def ask_text(parent: QWidget, title: str, label: str, text: str = "") -> str | None:
    """The answer, stripped; None when cancelled."""
    answer, ok = QInputDialog.getText(parent, title, label, text=text)
    return answer.strip() if ok else None
