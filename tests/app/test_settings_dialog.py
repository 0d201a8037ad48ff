"""The settings dialog: the key goes to the (in-memory) keyring and never to the settings file,
values survive a reopen, a database URL with a password is refused, Cancel changes nothing,
session-only key storage is announced, and the window's Settings… action opens it. The
Appearance page (theme, bar style, elements, colours) and the Drummond Geometry page (one typed
editor per DGParams field, restore defaults, bad values refused) round-trip through the file."""

from __future__ import annotations

import keyring.backends.fail
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QSpinBox,
)

from drummond_desktop.app.chart.style import DARK, LIGHT
from drummond_desktop.app.controllers.workspace import Workspace
from drummond_desktop.app.main_window import layout_settings
from drummond_desktop.app.views.settings_dialog import SettingsDialog
from drummond_desktop.app.workers import TaskRunner
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core import log_setup
from drummond_desktop.core.secrets import SESSION_ONLY_MESSAGE, SecretStore
from drummond_desktop.core.settings import (
    Settings,
    format_colour,
    load_settings,
    save_settings,
    settings_path,
)
from drummond_desktop.services.analysis import AnalysisService
from drummond_desktop.services.chart_data import ChartDataService
from engine.drummond.params import DGParams
from tests.desktop.test_cli_keys import MemoryKeyring

KEY = "SECRET-settings-9876"

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def backend(monkeypatch):
    monkeypatch.setattr("drummond_desktop.core.secrets.is_secure_backend", lambda b: True)
    yield MemoryKeyring()
    log_setup.forget_secret(KEY)


def _ok(dialog: SettingsDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def _open(qtbot, secrets: SecretStore) -> SettingsDialog:
    dialog = SettingsDialog(secrets, load_settings())
    qtbot.addWidget(dialog)
    return dialog


def test_round_trip_with_the_key_in_the_keyring(qtbot, backend):
    secrets = SecretStore(backend, environ={})
    dialog = _open(qtbot, secrets)
    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password
    assert dialog.sqlite_radio.isChecked() and dialog.theme_box.currentText() == "dark"
    assert not dialog.session_note.isVisibleTo(dialog)
    dialog.key_edit.setText(f"  {KEY} ")
    dialog.postgres_radio.setChecked(True)
    dialog.url_edit.setText("postgresql://trader@db.example:5432/market")
    dialog.theme_box.setCurrentText("light")
    dialog.budget_spin.setValue(5_000)
    _ok(dialog)

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert backend.data == {("drummond-desktop", "eodhd"): KEY}
    text = settings_path().read_text(encoding="utf-8")
    assert KEY not in text
    saved = load_settings()
    assert saved == Settings(market_db_url="postgresql://trader@db.example:5432/market",
                             eodhd_daily_budget=5_000, theme="light")
    assert dialog.saved == saved

    again = _open(qtbot, SecretStore(backend, environ={}))
    assert again.postgres_radio.isChecked() and again.url_edit.isEnabled()
    assert again.url_edit.text() == "postgresql://trader@db.example:5432/market"
    assert again.theme_box.currentText() == "light" and again.budget_spin.value() == 5_000
    assert again.key_edit.text() == ""  # the stored key is never put back in a widget
    assert "saved in the system key store" in again.key_status.text()
    again.sqlite_radio.setChecked(True)
    _ok(again)  # an empty key field keeps the stored key
    assert backend.data == {("drummond-desktop", "eodhd"): KEY}
    assert load_settings().market_db_url is None


def test_a_url_with_a_password_is_refused_and_nothing_is_saved(qtbot, backend):
    dialog = _open(qtbot, SecretStore(backend, environ={}))
    dialog.key_edit.setText(KEY)
    dialog.postgres_radio.setChecked(True)
    dialog.url_edit.setText("postgresql://trader:hunter2@db.example/market")
    dialog.show()
    _ok(dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error_label.isVisible()
    assert "must not contain a password" in dialog.error_label.text()
    assert "key store" in dialog.error_label.text()
    assert backend.data == {} and not settings_path().exists()
    dialog.url_edit.setText("mysql://trader@db/market")
    _ok(dialog)
    assert "postgresql://" in dialog.error_label.text() and not settings_path().exists()
    dialog.close()


def test_cancel_changes_nothing(qtbot, backend):
    dialog = _open(qtbot, SecretStore(backend, environ={}))
    dialog.key_edit.setText(KEY)
    dialog.theme_box.setCurrentText("light")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert dialog.result() == QDialog.DialogCode.Rejected and dialog.saved is None
    assert backend.data == {} and not settings_path().exists()


def test_session_only_key_storage_is_announced(qtbot):
    secrets = SecretStore(keyring.backends.fail.Keyring(), environ={})
    dialog = _open(qtbot, secrets)
    assert dialog.session_note.isVisibleTo(dialog)
    assert dialog.session_note.text() == SESSION_ONLY_MESSAGE
    dialog.key_edit.setText(KEY)
    try:
        _ok(dialog)
        assert secrets.eodhd_key_source() == "session" and secrets.get_eodhd_key() == KEY
        assert KEY not in settings_path().read_text(encoding="utf-8")
    finally:
        secrets.delete_eodhd_key()


def test_the_window_settings_action_opens_the_dialog(qtbot, backend, tmp_path):
    ctx = AppContext(secrets=SecretStore(backend, environ={}))
    runner = TaskRunner()
    ws = Workspace(runner, ChartDataService(AnalysisService(), _no_store),
                   layout_settings(tmp_path / "layout.ini"), demo=True, database="x",
                   context=ctx)
    qtbot.addWidget(ws.window)
    try:
        assert ws.window.settings_action.isEnabled()
        ws.window.settings_action.trigger()
        dialog = ws.settings_dialog
        assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
        dialog.budget_spin.setValue(1_234)
        _ok(dialog)
        assert not dialog.isVisible() and load_settings().eodhd_daily_budget == 1_234
        assert "Settings saved" in ws.window.statusBar().currentMessage()
    finally:
        assert ws.shutdown(10.0)


def test_without_a_context_settings_is_disabled(qtbot, tmp_path):
    ws = Workspace(TaskRunner(), ChartDataService(AnalysisService(), _no_store),
                   layout_settings(tmp_path / "layout.ini"), demo=True, database="x")
    qtbot.addWidget(ws.window)
    try:
        assert not ws.window.settings_action.isEnabled()
        assert ws.open_settings() is None
    finally:
        assert ws.shutdown(10.0)


def _no_store():
    raise AssertionError("the settings tests never open the store")


def _edit_dg(dialog: SettingsDialog) -> None:
    editors = dialog.dg_page.editors
    editors["win"].setValue(5)
    editors["envelope_mode"].setCurrentText("hl_avg")
    editors["k_zone"].setValue(0.25)
    editors["extended_lines"].setChecked(True)


def test_every_page_round_trips_through_the_file(qtbot, backend):
    dialog = _open(qtbot, SecretStore(backend, environ={}))
    dialog.key_edit.setText(KEY)
    _edit_dg(dialog)
    page = dialog.appearance_page
    page.theme_box.setCurrentText("light")
    page.bar_style_box.setCurrentText("ohlc")
    page.element_boxes["volume"].setChecked(False)
    page.element_boxes["pldot_line"].setChecked(True)
    asked: list[str] = []

    def picker(initial: QColor, parent, title: str) -> QColor:
        asked.append(initial.name())
        return QColor(255, 0, 0, 128)

    page.colour_picker = picker
    page.colour_buttons["pldot"].click()
    assert asked == [format_colour(LIGHT.pldot)]  # the picker starts at the theme's colour
    _ok(dialog)

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert backend.data == {("drummond-desktop", "eodhd"): KEY}
    expected = Settings(theme="light", bar_style="ohlc",
                        dg_params={"win": 5, "envelope_mode": "hl_avg", "k_zone": 0.25,
                                   "extended_lines": True},
                        chart_elements={"volume": False, "pldot_line": True},
                        chart_colors={"pldot": "#ff000080"})
    assert load_settings() == expected == dialog.saved
    assert KEY not in settings_path().read_text(encoding="utf-8")

    again = _open(qtbot, SecretStore(backend, environ={}))
    assert again.dg_page.editors["win"].value() == 5
    assert again.dg_page.editors["envelope_mode"].currentText() == "hl_avg"
    assert again.dg_page.editors["extended_lines"].isChecked()
    assert not again.appearance_page.element_boxes["volume"].isChecked()
    assert again.appearance_page.bar_style_box.currentText() == "ohlc"
    assert again.appearance_page.colour_of("pldot") == "#ff000080"
    assert "#ff000080" in again.appearance_page.colour_buttons["pldot"].toolTip()
    assert again.chosen_settings() == expected  # reopened and unchanged: the same settings


def test_dg_editors_match_the_field_types_and_carry_the_docs(qtbot, backend):
    dialog = _open(qtbot, SecretStore(backend, environ={}))
    editors = dialog.dg_page.editors
    assert set(editors) == set(DGParams().to_dict())
    assert isinstance(editors["win"], QSpinBox) and isinstance(editors["n_cw"], QSpinBox)
    assert isinstance(editors["k_zone"], QDoubleSpinBox)
    assert isinstance(editors["extended_lines"], QCheckBox)
    combo = editors["tie_policy"]
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == ["neutral", "carry"]
    assert editors["displacement"].maximum() == 1
    assert all(editor.toolTip() for editor in editors.values())
    assert "closes on one side of the dot" in editors["trend_len"].toolTip()
    assert "bar range" in editors["m_exh"].toolTip()  # "k_exh, m_exh : ..." covers both
    assert dialog.dg_page.values() == DGParams().to_dict()


def test_restore_defaults_and_reset_colours(qtbot, backend):
    save_settings(Settings(dg_params={"win": 4, "tie_policy": "carry"},
                           chart_colors={"up": "#00ff00"}))
    dialog = _open(qtbot, SecretStore(backend, environ={}))
    assert dialog.dg_page.editors["tie_policy"].currentText() == "carry"
    assert dialog.appearance_page.colour_of("up") == "#00ff00"
    _edit_dg(dialog)
    dialog.dg_page.restore_button.click()
    assert dialog.dg_page.values() == DGParams().to_dict()
    dialog.appearance_page.reset_colours_button.click()
    assert dialog.appearance_page.colour_of("up") == format_colour(DARK.up)
    dialog.theme_box.setCurrentText("light")  # no override: the swatch follows the theme
    assert dialog.appearance_page.colour_of("up") == format_colour(LIGHT.up)
    _ok(dialog)
    assert load_settings() == Settings(theme="light")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("zone_max_width", 0.5, "zone_max_width must be >= 1"),
    ("win", 0, "win must be an integer >= 1"),
])
def test_bad_dg_values_are_refused_and_nothing_is_saved(qtbot, backend, field, value,
                                                        message):
    dialog = _open(qtbot, SecretStore(backend, environ={}))
    dialog.key_edit.setText(KEY)
    dialog.budget_spin.setValue(77)
    dialog.dg_page.editors[field].setValue(value)
    dialog.show()
    _ok(dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert message in dialog.error_label.text()
    assert dialog.error_label.text().startswith("Drummond Geometry:")
    assert dialog.tabs.currentWidget() is dialog.dg_page  # the page with the problem
    assert backend.data == {} and not settings_path().exists()
    dialog.dg_page.restore_button.click()
    _ok(dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert load_settings() == Settings(eodhd_daily_budget=77)
