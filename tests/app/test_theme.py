"""The theme module: the Fusion palette follows the theme, the chart's colours follow the theme
and the user's overrides, and a real ``ChartWidget`` takes the settings' elements, colours and
bar style."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from drummond_desktop.app.chart.chart_widget import ELEMENTS, ChartWidget
from drummond_desktop.app.chart.style import DARK, LIGHT
from drummond_desktop.app.theme import (
    apply_chart_settings,
    apply_theme,
    chart_colour_fields,
    chart_style_for,
    palette_for,
)
from drummond_desktop.core.settings import Settings
from engine.drummond import analyze, zones
from tests.engine import golden

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def app(qapp):
    """The test ``QApplication``, with its style and palette put back afterwards."""
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)


def _window(app: QApplication) -> tuple[int, int, int]:
    colour = app.palette().color(QPalette.ColorRole.Window)
    return colour.red(), colour.green(), colour.blue()


def test_the_palette_follows_the_theme(app):
    apply_theme(app, "dark")
    assert app.style().name().lower() == "fusion"
    dark = _window(app)
    assert max(dark) < 80
    text = app.palette().color(QPalette.ColorRole.WindowText)
    assert text.lightness() > 180  # light text on the dark window
    apply_theme(app, "light")
    light = _window(app)
    assert min(light) > 200 and light != dark
    assert app.palette().color(QPalette.ColorRole.WindowText).lightness() < 80


def test_an_unknown_theme_is_refused(app):
    with pytest.raises(ValueError, match="unknown theme 'blue'"):
        palette_for("blue")


def test_chart_style_applies_the_overrides_to_the_theme():
    assert chart_style_for(Settings()) == DARK
    assert chart_style_for(Settings(theme="light")) == LIGHT
    style = chart_style_for(Settings(theme="light", chart_colors={
        "pldot": "#ff0000", "envelope_fill": "#1e88e540", "gone_element": "#00ff00"}))
    assert style.pldot == (255, 0, 0, 255) and style.envelope_fill == (30, 136, 229, 64)
    assert style.background == LIGHT.background and style.name == "light"
    assert "gone_element" not in chart_colour_fields()  # a stale name is skipped, not fatal


def test_a_bad_colour_is_a_value_error_naming_the_element():
    settings = Settings()
    # Settings refuse a bad colour themselves; this is the check for one that got past them.
    object.__setattr__(settings, "chart_colors", {"zone_support": "green"})
    with pytest.raises(ValueError, match="'zone_support'"):
        chart_style_for(settings)


def test_every_chart_colour_is_editable():
    assert set(chart_colour_fields()) == {
        name for name, value in vars(DARK).items() if isinstance(value, tuple)}


def _chart(qtbot, cls: type[ChartWidget] = ChartWidget) -> ChartWidget:
    chart = cls()
    qtbot.addWidget(chart)
    chart.resize(800, 500)
    chart.show()
    qtbot.waitExposed(chart)
    bars = golden.bars()
    result = analyze(bars)
    chart.set_data(bars, result, zones(result))
    return chart


def test_apply_chart_settings_on_a_real_chart(qtbot):
    chart = _chart(qtbot)
    assert chart.is_shown("volume") and not chart.is_shown("pldot_line")
    settings = Settings(theme="light", chart_elements={
        "volume": False, "zones": False, "pldot_line": True, "not_on_this_chart": False},
        chart_colors={"up": "#00ff00"})
    apply_chart_settings(chart, settings)
    assert not chart.is_shown("volume") and not chart.is_shown("zones")
    assert chart.is_shown("pldot_line") and chart.is_shown("envelope")
    assert chart.chart_style == LIGHT.with_(up=(0, 255, 0, 255))
    apply_chart_settings(chart, Settings())
    assert all(chart.is_shown(e) == (e != "pldot_line") for e in ELEMENTS)
    assert chart.chart_style == DARK


class _BarStyleChart(ChartWidget):
    def set_bar_style(self, style: str) -> None:
        self.bar_style_asked = style


def test_the_bar_style_reaches_a_chart_that_offers_it(qtbot):
    chart = _chart(qtbot, _BarStyleChart)
    apply_chart_settings(chart, Settings(bar_style="line"))
    assert chart.bar_style_asked == "line"
