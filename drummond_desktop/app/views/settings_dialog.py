"""``SettingsDialog``: three pages. "Data": the EODHD API key, the market database and the daily
call budget; "Appearance": the theme, the bar style and the chart elements' visibility and
colours; "Drummond Geometry": the DG parameters (pages in ``settings_pages``).

The key goes to the OS keyring through ``SecretStore`` and never into the settings file; the
field is never filled with the stored key (an empty field keeps it). When the machine has no
secure keyring the dialog says the key is kept for this session only. A PostgreSQL URL that
carries a password is refused: passwords belong in the keyring. DG values that do not make
valid parameters are refused with the reason. OK saves (the key first, then the settings
file); Cancel changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.app.views.settings_pages import AppearancePage, DrummondPage
from drummond_desktop.core.errors import AppError
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.core.settings import Settings, save_settings

MAX_BUDGET = 100_000_000
PASSWORD_IN_URL = ("The database URL must not contain a password. Remove it from the URL; "
                   "passwords are kept in the system key store, never in the settings file.")
_KEY_SOURCES = {
    "environment": "Set by DRUMMOND_EODHD_API_KEY (it wins over a saved key).",
    "keyring": "A key is saved in the system key store. Type a new one to replace it.",
    "session": "A key is set for this session only.",
    None: "No key set: the app shows the synthetic demo data.",
}


def database_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the market database, or ``None`` when it can."""
    if not url:
        return "Enter a PostgreSQL URL, or choose the embedded SQLite database."
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:
        return "That is not a valid URL."
    if not parts.scheme.startswith("postgresql"):
        return "The URL must start with postgresql:// (or postgresql+psycopg://)."
    if has_password:
        return PASSWORD_IN_URL
    return None


class SettingsDialog(QDialog):
    """Edits ``settings`` (saved to ``path``, default the user's settings file) and the key in
    ``secrets``. After OK, ``saved`` holds what was written."""

    def __init__(self, secrets: SecretStore, settings: Settings, path: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setModal(True)
        self.secrets = secrets
        self.original = settings
        self.path = path
        self.saved: Settings | None = None
        self._build()
        self._show(settings)

    # ------------------------------------------------------------------------- building

    def _build(self) -> None:
        self.data_page = self._data_page()
        self.appearance_page = AppearancePage()
        self.theme_box = self.appearance_page.theme_box  # callers and tests read it here
        self.dg_page = DrummondPage()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.data_page, "Data")
        self.tabs.addTab(self.appearance_page, "Appearance")
        self.tabs.addTab(self.dg_page, "Drummond Geometry")

        self.error_label = QLabel()
        self.error_label.setObjectName("settingsError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #e05050;")
        self.error_label.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def _data_page(self) -> QWidget:
        form = QFormLayout()
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("EODHD API key (leave empty to keep the current one)")
        self.key_status = QLabel(_KEY_SOURCES.get(self.secrets.eodhd_key_source(), ""))
        self.key_status.setWordWrap(True)
        self.session_note = QLabel(self.secrets.user_message or "")
        self.session_note.setObjectName("sessionOnlyNote")
        self.session_note.setWordWrap(True)
        self.session_note.setStyleSheet("color: #e0a000;")
        self.session_note.setVisible(self.secrets.session_only)
        key_box = QVBoxLayout()
        key_box.addWidget(self.key_edit)
        key_box.addWidget(self.key_status)
        key_box.addWidget(self.session_note)
        form.addRow("EODHD API key", key_box)

        self.sqlite_radio = QRadioButton("Embedded SQLite (in the user data folder)")
        self.postgres_radio = QRadioButton("PostgreSQL")
        self._db_group = QButtonGroup(self)
        self._db_group.addButton(self.sqlite_radio)
        self._db_group.addButton(self.postgres_radio)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("postgresql://user@host:5432/market")
        self.postgres_radio.toggled.connect(self.url_edit.setEnabled)
        db_box = QVBoxLayout()
        db_box.addWidget(self.sqlite_radio)
        pg_row = QHBoxLayout()
        pg_row.addWidget(self.postgres_radio)
        pg_row.addWidget(self.url_edit, 1)
        db_box.addLayout(pg_row)
        db_box.addWidget(QLabel("A database change takes effect when the app restarts."))
        form.addRow("Market database", db_box)

        self.budget_spin = QSpinBox()
        self.budget_spin.setRange(0, MAX_BUDGET)
        self.budget_spin.setGroupSeparatorShown(True)
        self.budget_spin.setSuffix(" calls")
        form.addRow("EODHD daily call budget", self.budget_spin)
        page = QWidget()
        page.setLayout(form)
        return page

    def _show(self, settings: Settings) -> None:
        postgres = bool(settings.market_db_url)
        self.postgres_radio.setChecked(postgres)
        self.sqlite_radio.setChecked(not postgres)
        self.url_edit.setText(settings.market_db_url or "")
        self.url_edit.setEnabled(postgres)
        self.budget_spin.setValue(min(settings.eodhd_daily_budget, MAX_BUDGET))
        self.appearance_page.show_settings(settings)
        self.dg_page.show_params(settings.dg())

    # -------------------------------------------------------------------------- saving

    def chosen_settings(self) -> Settings:
        """The full settings as edited; ``ValueError`` with the user message when they are not
        acceptable (the page with the problem is brought to the front; nothing is saved)."""
        url: str | None = None
        if self.postgres_radio.isChecked():
            url = self.url_edit.text().strip()
            problem = database_url_problem(url)
            if problem is not None:
                self.tabs.setCurrentWidget(self.data_page)
                raise ValueError(problem)
        try:
            dg_params = self.dg_page.overrides()
        except ValueError:
            self.tabs.setCurrentWidget(self.dg_page)
            raise
        appearance = self.appearance_page.chosen()
        return replace(self.original, market_db_url=url,
                       eodhd_daily_budget=self.budget_spin.value(), dg_params=dg_params,
                       **appearance)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(True)

    def accept(self) -> None:
        """Validate, save the key to the keyring and the rest to the settings file, close.
        On a problem the dialog stays open with the message and nothing is saved."""
        try:
            chosen = self.chosen_settings()
        except ValueError as exc:
            self.show_error(str(exc))
            return
        key = self.key_edit.text().strip()
        try:
            if key:
                self.secrets.set_eodhd_key(key)
            save_settings(chosen, self.path)
        except AppError as exc:
            self.show_error(exc.user_message)
            return
        except OSError as exc:
            self.show_error(f"The settings could not be saved ({exc.strerror or exc}).")
            return
        self.key_edit.clear()
        self.saved = chosen
        super().accept()
