"""The settings file: every field survives a save and a load, old files still load, and a bad
value is refused with a ``BadFile`` naming the file and the field while the file stays as it
was. Qt-free, like the module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drummond_desktop.core.errors import BadFile
from drummond_desktop.core.settings import (
    Settings,
    format_colour,
    load_settings,
    parse_colour,
    save_settings,
    settings_path,
)
from engine.drummond.params import DGParams

FULL = Settings(
    market_db_url="postgresql://trader@db.example/market", eodhd_daily_budget=2_500,
    theme="light", bar_style="ohlc",
    dg_params={"win": 5, "envelope_mode": "hl_avg", "k_zone": 0.25, "extended_lines": True},
    chart_elements={"volume": False, "pldot_line": True},
    chart_colors={"pldot": "#ff0000", "envelope_fill": "#1e88e540"},
)


def test_every_field_survives_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(FULL, path)
    assert load_settings(path) == FULL
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["dg_params"] == {"win": 5, "envelope_mode": "hl_avg", "k_zone": 0.25,
                                 "extended_lines": True}
    assert data["chart_colors"]["envelope_fill"] == "#1e88e540"
    assert data["bar_style"] == "ohlc"


def test_defaults_are_todays_behaviour() -> None:
    plain = Settings()
    assert plain.dg() == DGParams()
    assert plain.bar_style == "candles" and plain.chart_colors == {}
    assert plain.element_shown("volume") and not plain.element_shown("pldot_line")


def test_dg_builds_the_overridden_parameters() -> None:
    params = FULL.dg()
    assert (params.win, params.envelope_mode, params.k_zone, params.extended_lines) == (
        5, "hl_avg", 0.25, True)
    assert params.trend_len == DGParams().trend_len  # untouched fields keep their default
    assert FULL.element_shown("pldot_line") and not FULL.element_shown("volume")
    assert FULL.element_shown("zones")


def test_a_file_from_before_these_fields_loads_with_defaults() -> None:
    settings_path().write_text(json.dumps({"schema_version": 1, "theme": "light",
                                           "eodhd_daily_budget": 7}), encoding="utf-8")
    loaded = load_settings()
    assert loaded == Settings(theme="light", eodhd_daily_budget=7)
    assert loaded.dg() == DGParams()


@pytest.mark.parametrize(("field", "value", "named"), [
    ("dg_params", {"wn": 3}, "'wn'"),
    ("dg_params", {"win": 0}, "win must be an integer >= 1"),
    ("dg_params", {"win": 3.0}, "dg_params.win must be a whole number"),
    ("dg_params", {"extended_lines": 1}, "dg_params.extended_lines must be true or false"),
    ("dg_params", {"envelope_mode": "wide"}, "dg_params.envelope_mode must be one of"),
    ("dg_params", {"zone_max_width": 0.5}, "zone_max_width must be >= 1"),
    ("dg_params", {"k_zone": "0.1"}, "dg_params.k_zone must be a number"),
    ("dg_params", [1, 2], "dg_params must be an object"),
    ("chart_colors", {"pldot": "red"}, "chart_colors.pldot must be a colour"),
    ("chart_colors", {"pldot": "#12345"}, "chart_colors.pldot"),
    ("chart_elements", {"zones": "yes"}, "chart_elements.zones must be true or false"),
    ("chart_elements", {"Bad Name": True}, "chart_elements: 'Bad Name'"),
    ("bar_style", "bars", "bar_style must be one of candles, ohlc, line"),
    ("theme", "blue", "theme must be one of dark, light"),
    ("eodhd_daily_budget", "lots", "eodhd_daily_budget"),
])
def test_a_bad_value_names_the_field_and_the_file_is_untouched(field: str, value: object,
                                                               named: str) -> None:
    path = settings_path()
    data = {"schema_version": 1, "theme": "dark", field: value}
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(BadFile) as caught:
        load_settings()
    assert caught.value.path == str(path)
    assert named in caught.value.user_message and str(path) in caught.value.user_message
    assert path.read_bytes() == before


def test_bad_values_in_code_are_value_errors_naming_the_key() -> None:
    with pytest.raises(ValueError, match="unknown Drummond Geometry parameter 'nope'"):
        Settings(dg_params={"nope": 1})
    with pytest.raises(ValueError, match=r"chart_colors\.up"):
        Settings(chart_colors={"up": "#gg0000"})
    with pytest.raises(ValueError, match="bar_style"):
        Settings(bar_style="heikin")


def test_settings_keep_their_own_copy_of_the_mappings() -> None:
    overrides: dict[str, int | float | str | bool] = {"win": 4}
    settings = Settings(dg_params=overrides)
    overrides["win"] = 0
    assert settings.dg_params == {"win": 4} and settings.dg().win == 4


@pytest.mark.parametrize(("text", "rgba"), [
    ("#ff8000", (255, 128, 0, 255)), ("#FF800040", (255, 128, 0, 64)),
    ("#000000ff", (0, 0, 0, 255)),
])
def test_colours_parse_and_format(text: str, rgba: tuple[int, int, int, int]) -> None:
    assert parse_colour(text, "x") == rgba
    assert parse_colour(format_colour(rgba), "x") == rgba
    assert format_colour((1, 2, 3, 255)) == "#010203"
    assert format_colour((1, 2, 3, 4)) == "#01020304"


def test_loading_without_dg_overrides_does_not_import_the_engine(tmp_path: Path) -> None:
    # Settings are read at start-up; only DG overrides need the engine's parameter module.
    path = tmp_path / "settings.json"
    save_settings(Settings(theme="light", chart_colors={"up": "#00ff00"}), path)
    code = ("import sys; from pathlib import Path; "
            "from drummond_desktop.core.settings import load_settings; "
            f"load_settings(Path({str(path)!r})); print('engine' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_alert_email_settings_round_trip_and_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    s = Settings(alert_email_host="smtp.example.com", alert_email_port=465,
                 alert_email_security="ssl", alert_email_username="me",
                 alert_email_from="me@example.com", alert_email_to=["desk@example.com"],
                 alert_delivery_max_attempts=3)
    save_settings(s, path)
    assert load_settings(path) == s
    assert "password" not in path.read_text()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("alert_email_security", "tls", "alert_email_security must be one of starttls, ssl, none"),
    ("alert_email_port", 0, "alert_email_port must be a whole number from 1 to 65535"),
    ("alert_delivery_max_attempts", True, "alert_delivery_max_attempts must be a whole number"),
    ("alert_email_to", ["not-an-address"], "alert_email_to must be a list of e-mail addresses"),
    ("alert_email_host", "smtp.example.com", "alert_email_from and alert_email_to are needed"),
])
def test_bad_alert_email_settings_name_the_field(tmp_path: Path, field: str, value: object,
                                                 message: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, field: value}))
    with pytest.raises(BadFile, match=message):
        load_settings(path)
    assert json.loads(path.read_text()) == {"schema_version": 1, field: value}  # left alone
