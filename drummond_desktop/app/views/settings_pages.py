"""The settings dialog's "Appearance" and "Drummond Geometry" pages.

``AppearancePage``: the theme, the bar style, and per chart element a show checkbox and colour
swatches (``QColorDialog``), with "Reset colours". ``DrummondPage``: one editor per
``DGParams`` field, chosen from the field's type, its docstring line as the tooltip, and
"Restore defaults". Both read a ``Settings`` with ``show`` and hand back only what differs from
the defaults, the shape ``Settings`` stores.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from typing import Any, Literal, get_args, get_origin, get_type_hints

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.app.chart.chart_widget import ELEMENTS
from drummond_desktop.app.theme import CHART_THEMES, chart_colour_fields
from drummond_desktop.core.settings import (
    BAR_STYLES,
    HIDDEN_BY_DEFAULT,
    THEMES,
    DGValue,
    Settings,
    format_colour,
    parse_colour,
)
from engine.drummond.params import DGParams

ELEMENT_LABELS = {
    "pldot": "PLdot", "pldot_line": "PLdot line", "envelope": "Envelope",
    "one_one": "1-1 levels", "lines": "Lines", "zones": "Zones",
    "state": "Market-state strip", "congestion": "Congestion", "patterns": "Pattern markers",
    "volume": "Volume",
}
# The ChartStyle colours each element draws with; the rest belong to the chart as a whole.
ELEMENT_COLOURS: dict[str, tuple[str, ...]] = {
    "pldot": ("pldot", "pldot_projected"),
    "envelope": ("envelope", "envelope_fill"),
    "one_one": ("one_one",),
    "lines": ("line_hh", "line_ll", "line_lh", "line_hl"),
    "zones": ("zone_resistance", "zone_support", "zone_inside"),
    "state": ("state_trend_up", "state_trend_down", "state_entrance", "state_action",
              "state_exit", "state_reversal", "state_undefined"),
    "congestion": ("congestion_dotted", "congestion_block"),
    "patterns": ("marker_push", "marker_refresh", "marker_exhaust", "marker_cwave"),
    "volume": ("volume_up", "volume_down"),
}
# Editor ranges of the float parameters: (maximum, decimals, step); DGParams checks the rules
# (the editors allow a little more so the user reads why a value is refused).
FLOAT_EDITS = {"tie_eps": (1e6, 6, 0.01), "tick": (1e6, 6, 0.01),
               "zone_ticks": (10_000.0, 1, 1.0), "zone_max_width": (100.0, 2, 0.5)}
FLOAT_EDIT_DEFAULT = (100.0, 3, 0.05)  # the "× AR3" multipliers
INT_MAXIMA = {"displacement": 1}
INT_MAX_DEFAULT = 1000
SWATCH = 22

ColourPicker = Callable[[QColor, QWidget, str], QColor | None]


def pick_colour(initial: QColor, parent: QWidget, title: str) -> QColor | None:
    """Ask the user for a colour (with alpha); None when they cancel."""
    chosen = QColorDialog.getColor(initial, parent, title,
                                   QColorDialog.ColorDialogOption.ShowAlphaChannel)
    return chosen if chosen.isValid() else None


class AppearancePage(QWidget):
    """Theme, bar style, and each chart element's visibility and colours. Colours shown are the
    override or, without one, the chosen theme's own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour_picker: ColourPicker = pick_colour  # tests put a stub here
        self.colours: dict[str, str] = {}  # the overrides, ChartStyle field -> "#rrggbb[aa]"
        # Overrides of elements this chart does not offer: kept, never dropped silently (as are
        # colours of fields it no longer has, which stay in ``colours``).
        self._other_elements: dict[str, bool] = {}
        self.element_boxes: dict[str, QCheckBox] = {}
        self.colour_buttons: dict[str, QPushButton] = {}
        form = QFormLayout()
        self.theme_box = QComboBox()
        self.theme_box.addItems(list(THEMES))
        self.theme_box.currentTextChanged.connect(self._paint_swatches)
        form.addRow("Theme", self.theme_box)
        self.bar_style_box = QComboBox()
        self.bar_style_box.addItems(list(BAR_STYLES))
        form.addRow("Price bars", self.bar_style_box)
        self.reset_colours_button = QPushButton("Reset colours")
        self.reset_colours_button.setToolTip("Use the theme's colours for every element.")
        self.reset_colours_button.clicked.connect(self.reset_colours)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Chart elements: shown, and their colours"))
        layout.addLayout(self._element_grid())
        layout.addWidget(self.reset_colours_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def _element_grid(self) -> QGridLayout:
        grid = QGridLayout()
        mapped = {name for names in ELEMENT_COLOURS.values() for name in names}
        general = tuple(f for f in chart_colour_fields() if f not in mapped)
        grid.addWidget(QLabel("Chart"), 0, 0)
        grid.addLayout(self._swatch_row(general), 0, 1)
        for row, element in enumerate(ELEMENTS, start=1):
            box = QCheckBox(ELEMENT_LABELS.get(element, element.replace("_", " ").capitalize()))
            self.element_boxes[element] = box
            grid.addWidget(box, row, 0)
            grid.addLayout(self._swatch_row(ELEMENT_COLOURS.get(element, ())), row, 1)
        grid.setColumnStretch(1, 1)
        return grid

    def _swatch_row(self, names: tuple[str, ...]) -> QHBoxLayout:
        row = QHBoxLayout()
        known = set(chart_colour_fields())
        for name in names:
            if name not in known:
                continue  # the chart has dropped this colour
            button = QPushButton()
            button.setFixedSize(SWATCH, SWATCH)
            button.setToolTip(name.replace("_", " "))
            button.clicked.connect(lambda _=False, n=name: self._pick(n))
            self.colour_buttons[name] = button
            row.addWidget(button)
        row.addStretch(1)
        return row

    # -- state --------------------------------------------------------------------------------
    def show_settings(self, settings: Settings) -> None:
        self.theme_box.setCurrentText(settings.theme)
        self.bar_style_box.setCurrentText(settings.bar_style)
        for element, box in self.element_boxes.items():
            box.setChecked(settings.element_shown(element))
        self._other_elements = {name: shown for name, shown in settings.chart_elements.items()
                                if name not in self.element_boxes}
        self.colours = dict(settings.chart_colors)
        self._paint_swatches()

    def colour_of(self, name: str) -> str:
        """The colour ``name`` is drawn with: the override, else the chosen theme's."""
        if name in self.colours:
            return self.colours[name]
        style = CHART_THEMES.get(self.theme_box.currentText(), CHART_THEMES["dark"])
        return format_colour(getattr(style, name))

    def set_colour(self, name: str, colour: str) -> None:
        parse_colour(colour, f"chart colour {name!r}")
        self.colours[name] = colour
        self._paint_swatches()

    def reset_colours(self) -> None:
        self.colours.clear()
        self._paint_swatches()

    def _pick(self, name: str) -> None:
        r, g, b, a = parse_colour(self.colour_of(name), name)
        chosen = self.colour_picker(QColor(r, g, b, a), self, f"Colour: {name.replace('_', ' ')}")
        if chosen is not None:
            self.set_colour(name, format_colour((chosen.red(), chosen.green(), chosen.blue(),
                                                 chosen.alpha())))

    def _paint_swatches(self, *_: object) -> None:
        for name, button in self.colour_buttons.items():
            colour = self.colour_of(name)
            r, g, b, _a = parse_colour(colour, name)
            button.setStyleSheet(f"background: rgb({r}, {g}, {b}); border: 1px solid #808080;")
            button.setToolTip(f"{name.replace('_', ' ')}: {colour}"
                              + (" (changed)" if name in self.colours else ""))

    def chosen(self) -> dict[str, Any]:
        """The page's part of ``Settings`` (element and colour overrides only)."""
        elements = dict(self._other_elements)
        elements.update({element: box.isChecked() for element, box in self.element_boxes.items()
                         if box.isChecked() != (element not in HIDDEN_BY_DEFAULT)})
        return {"theme": self.theme_box.currentText(),
                "bar_style": self.bar_style_box.currentText(),
                "chart_elements": elements, "chart_colors": dict(self.colours)}


def dg_field_docs() -> dict[str, str]:
    """Each ``DGParams`` field's description, read from the class docstring's Attributes."""
    docs: dict[str, str] = {}
    names: list[str] = []
    for line in (DGParams.__doc__ or "").splitlines():
        entry = re.match(r"    ([a-z_][a-z0-9_, ]*) : (.*)", line)
        if entry:
            names = [n.strip() for n in entry.group(1).split(",")]
            for name in names:
                docs[name] = entry.group(2).strip()
        elif names and line.startswith("        "):
            for name in names:
                docs[name] += " " + line.strip()
        else:
            names = []
    return docs


class DrummondPage(QWidget):
    """One editor per ``DGParams`` field; ``overrides`` builds a ``DGParams`` to validate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QWidget] = {}
        self._hints = get_type_hints(DGParams)
        docs = dg_field_docs()
        form = QFormLayout()
        for f in fields(DGParams):
            editor = self._editor(f.name, self._hints[f.name])
            editor.setToolTip(docs.get(f.name, ""))
            self.editors[f.name] = editor
            form.addRow(f.name, editor)
        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.restore_button = QPushButton("Restore defaults")
        self.restore_button.clicked.connect(lambda: self.show_params(DGParams()))
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignLeft)

    @staticmethod
    def _editor(name: str, hint: Any) -> QWidget:
        if get_origin(hint) is Literal:
            combo = QComboBox()
            combo.addItems([str(choice) for choice in get_args(hint)])
            return combo
        if hint is bool:
            return QCheckBox()
        if hint is int:
            spin = QSpinBox()
            spin.setRange(0, INT_MAXIMA.get(name, INT_MAX_DEFAULT))
            return spin
        top, decimals, step = FLOAT_EDITS.get(name, FLOAT_EDIT_DEFAULT)
        dspin = QDoubleSpinBox()
        dspin.setDecimals(decimals)
        dspin.setRange(0.0, top)
        dspin.setSingleStep(step)
        return dspin

    def show_params(self, params: DGParams) -> None:
        for name, editor in self.editors.items():
            value = getattr(params, name)
            if isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                editor.setValue(value)

    def values(self) -> dict[str, DGValue]:
        """Every field as edited (not yet validated)."""
        out: dict[str, DGValue] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                out[name] = editor.currentText()
            elif isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                out[name] = editor.value()
        return out

    def overrides(self) -> dict[str, DGValue]:
        """The fields that differ from the defaults; ``ValueError`` with a message for the user
        when the values do not make valid parameters."""
        values = self.values()
        try:
            DGParams(**values)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Drummond Geometry: {exc}".replace("DGParams.", "")) from None
        defaults = DGParams()
        return {name: value for name, value in values.items()
                if value != getattr(defaults, name)}
