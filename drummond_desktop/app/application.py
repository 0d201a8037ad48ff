"""The ``QApplication`` and the last line of defence: uncaught exceptions become a dialog.

``install_excepthooks()`` replaces ``sys.excepthook`` and ``threading.excepthook`` with an
``ErrorReporter`` that logs the traceback and shows it in an ``ErrorDialog`` (read-only text and
a Copy button) on the GUI thread; ``uninstall()`` restores the previous hooks, so tests can
install their own. Expected failures never get here: controllers show their ``user_message``.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import traceback
from collections.abc import Sequence
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop import __version__
from drummond_desktop.core.paths import resource_path

log = logging.getLogger(__name__)

ORGANIZATION = "Drummond Desktop"
APPLICATION = "drummond-desktop"
DISPLAY_NAME = "Drummond Desktop"
WINDOW_ICON = ("icons", "drummond-desktop.png")


def create_qapp(argv: Sequence[str] | None = None) -> QApplication:
    """The process's ``QApplication`` (made once), with names, version and the Fusion style."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(
        list(argv) if argv is not None else [sys.argv[0] if sys.argv else APPLICATION])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setStyle("Fusion")
    # Wayland ignores window icons: the compositor shows the icon of the .desktop entry of
    # this name (the .deb installs drummond-desktop.desktop).
    app.setDesktopFileName(APPLICATION)
    _set_window_icon(app)
    return app


def _set_window_icon(app: QApplication) -> None:
    """Every window's title-bar/taskbar icon; a missing file costs the icon, not the start."""
    try:
        path = resource_path(*WINDOW_ICON)
    except FileNotFoundError as exc:
        log.warning("no window icon: %s", exc)
        return
    app.setWindowIcon(QIcon(str(path)))


class GuiGarbageCollector(QObject):
    """Collect Python's cyclic garbage on the GUI thread only (pyqtgraph's advice).

    Automatic collection runs in whichever thread happens to allocate; a worker thread that
    collects a cycle holding Qt objects deletes them off the GUI thread and Qt crashes. While
    held (``hold``/``release``, counted) automatic collection is off and a timer collects.
    """

    _instance: GuiGarbageCollector | None = None

    def __init__(self, interval_ms: int = 500) -> None:
        super().__init__()
        self._users = 0
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    @classmethod
    def hold(cls) -> None:
        """Turn automatic collection off (first holder) and collect on a GUI timer."""
        if cls._instance is None:
            cls._instance = cls()
        inst = cls._instance
        if inst._users == 0:
            inst._was_enabled = gc.isenabled()
            gc.disable()
            inst._timer.start()
        inst._users += 1

    @classmethod
    def release(cls) -> None:
        """Undo one ``hold``; the last one collects once and restores automatic collection."""
        inst = cls._instance
        if inst is None or inst._users == 0:
            return
        inst._users -= 1
        if inst._users == 0:
            inst._timer.stop()
            gc.collect()
            if inst._was_enabled:
                gc.enable()

    @Slot()
    def _on_timer_timeout(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._threshold[generation]:
                gc.collect(generation)
                return


def format_report(exc_type: type[BaseException], exc: BaseException,
                  tb: TracebackType | None, thread: str = "") -> str:
    """The copyable report: version, platform, thread and the traceback."""
    where = f" in thread {thread}" if thread else ""
    head = [f"Drummond Desktop {__version__} on Python {sys.version.split()[0]} "
            f"({sys.platform}): uncaught {exc_type.__name__}{where}", ""]
    return "\n".join(head) + "".join(traceback.format_exception(exc_type, exc, tb))


class ErrorDialog(QDialog):
    """An error report the user can read, copy and send."""

    def __init__(self, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unexpected error")
        self.resize(720, 420)
        intro = QLabel("Something went wrong inside Drummond Desktop. The report below helps "
                       "us fix it; it holds no keys or passwords.")
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(report)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text)
        layout.addWidget(buttons)

    @Slot()
    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())


class ErrorReporter(QObject):
    """Receives uncaught exceptions from any thread and shows them on the GUI thread."""

    error_reported = Signal(str)  # the report, emitted on the GUI thread before the dialog

    def __init__(self, parent: QObject | None = None, *, show_dialog: bool = True) -> None:
        super().__init__(parent)
        self.show_dialog = show_dialog
        self.dialogs: list[ErrorDialog] = []
        self._relay.connect(self._on_relay_received, Qt.ConnectionType.QueuedConnection)
        self._previous: tuple[object, object] | None = None

    _relay = Signal(str)  # from any thread to the GUI thread

    def report(self, exc_type: type[BaseException], exc: BaseException,
               tb: TracebackType | None, thread: str = "") -> None:
        """Log and show an uncaught exception; safe to call from any thread."""
        text = format_report(exc_type, exc, tb, thread)
        log.error("%s", text)
        self._relay.emit(text)

    def install(self) -> ErrorReporter:
        """Become ``sys.excepthook`` and ``threading.excepthook`` (remembering the old ones)."""
        if self._previous is None:
            self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook
        return self

    def uninstall(self) -> None:
        """Restore the hooks that were in place before ``install``."""
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous  # type: ignore[assignment]
            self._previous = None

    def _sys_hook(self, exc_type: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.report(exc_type, exc, tb)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, name)

    @Slot(str)
    def _on_relay_received(self, text: str) -> None:
        self.error_reported.emit(text)
        if not self.show_dialog:
            return
        parent = QApplication.activeWindow()
        dialog = ErrorDialog(text, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: self._forget(dialog))
        self.dialogs.append(dialog)
        dialog.show()

    def _forget(self, dialog: ErrorDialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)


def install_excepthooks(parent: QObject | None = None, *,
                        show_dialog: bool = True) -> ErrorReporter:
    """Install and return an ``ErrorReporter`` (call ``uninstall()`` to put the old hooks back)."""
    return ErrorReporter(parent, show_dialog=show_dialog).install()
