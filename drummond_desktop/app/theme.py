"""The look the settings ask for: the application palette (``apply_theme``), the chart's colours
(``chart_style_for``) and the chart's elements and bar style (``apply_chart_settings``).

Everything here reads a ``Settings`` and pushes it into Qt objects; nothing is stored.
"""

from __future__ import annotations

import logging
from dataclasses import fields
from typing import Any

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from drummond_desktop.app.chart import chart_widget as chart_widget_module
from drummond_desktop.app.chart.style import DARK, LIGHT, ChartStyle
from drummond_desktop.core.settings import Settings, parse_colour

log = logging.getLogger(__name__)
CHART_THEMES = {"dark": DARK, "light": LIGHT}

# The dark palette's roles; disabled text is dimmed separately. Chosen to sit beside the dark
# chart background (19, 23, 34) without a hard seam.
_DARK_ROLES: dict[QPalette.ColorRole, str] = {
    QPalette.ColorRole.Window: "#1e222d",
    QPalette.ColorRole.WindowText: "#d1d4dc",
    QPalette.ColorRole.Base: "#131722",
    QPalette.ColorRole.AlternateBase: "#1e222d",
    QPalette.ColorRole.ToolTipBase: "#2a2e39",
    QPalette.ColorRole.ToolTipText: "#d1d4dc",
    QPalette.ColorRole.PlaceholderText: "#787b86",
    QPalette.ColorRole.Text: "#d1d4dc",
    QPalette.ColorRole.Button: "#2a2e39",
    QPalette.ColorRole.ButtonText: "#d1d4dc",
    QPalette.ColorRole.BrightText: "#ff5252",
    QPalette.ColorRole.Light: "#3a3e49",
    QPalette.ColorRole.Midlight: "#2f333e",
    QPalette.ColorRole.Mid: "#252934",
    QPalette.ColorRole.Dark: "#101318",
    QPalette.ColorRole.Shadow: "#000000",
    QPalette.ColorRole.Highlight: "#2962ff",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#5b9cff",
    QPalette.ColorRole.LinkVisited: "#b388ff",
}
_DARK_DISABLED = "#6a6d78"


def palette_for(theme: str) -> QPalette:
    """The Fusion palette of ``theme`` (``"dark"`` or ``"light"``)."""
    if theme == "light":
        fusion = QStyleFactory.create("Fusion")
        return fusion.standardPalette()
    if theme != "dark":
        raise ValueError(f"unknown theme {theme!r}; one of dark, light")
    palette = QPalette()
    for role, colour in _DARK_ROLES.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText, QPalette.ColorRole.HighlightedText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(_DARK_DISABLED))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight,
                     QColor("#3a3e49"))
    return palette


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch ``app`` to the Fusion style with the ``theme`` palette (takes effect at once for
    every open window; the chart follows through ``apply_chart_settings``)."""
    palette = palette_for(theme)
    app.setStyle("Fusion")
    app.setPalette(palette)


def chart_colour_fields() -> tuple[str, ...]:
    """The ``ChartStyle`` fields a user may recolour (every RGBA field)."""
    return tuple(f.name for f in fields(ChartStyle) if f.name not in ("name", "grid_alpha"))


def chart_style_for(settings: Settings) -> ChartStyle:
    """The chart colours: the theme's ``ChartStyle`` with ``settings.chart_colors`` applied.
    A colour that is not ``#rrggbb``/``#rrggbbaa`` is a ``ValueError`` naming its element;
    names the chart no longer has are skipped (a settings file outlives a release)."""
    base = CHART_THEMES.get(settings.theme)
    if base is None:
        raise ValueError(f"unknown theme {settings.theme!r}; one of dark, light")
    known = set(chart_colour_fields())
    changes = {}
    for name, text in settings.chart_colors.items():
        rgba = parse_colour(text, f"chart colour {name!r}")
        if name in known:
            changes[name] = rgba
        else:
            log.info("ignoring the colour of %r: the chart has no such element", name)
    return base.with_(**changes) if changes else base


def apply_chart_settings(chart: Any, settings: Settings) -> None:
    """Push ``settings`` into a ``ChartWidget``: its colours, each element's visibility, and the
    bar style when the chart offers one (``set_bar_style``)."""
    chart.set_style(chart_style_for(settings))
    offered = getattr(chart_widget_module, "ELEMENTS", ())
    for name in offered:
        chart.toggle(name, settings.element_shown(name))
    set_bar_style = getattr(chart, "set_bar_style", None)
    if set_bar_style is not None:
        set_bar_style(settings.bar_style)
