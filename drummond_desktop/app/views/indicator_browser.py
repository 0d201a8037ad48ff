"""``IndicatorBrowser``: find an indicator of the catalog, set its parameters, add it to the
active chart over the prices or in a pane of its own; edit or remove the chart's instances.

The browser is a view: it lists ``engine.indicators.catalog`` specs, observes the active chart's
``IndicatorsModel`` and reports what the user asked (``add_requested``, ``edit_requested``,
``remove_requested``); ``IndicatorsController`` computes and answers with
``accepted_instance`` or ``show_error`` (the engine's message, shown under the form).
Candlestick patterns are drawn as markers on the price bars, so they offer no pane of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from drummond_desktop.app.models.indicators import IndicatorInstance, IndicatorsModel, Placement
from engine.indicators.catalog import IndicatorSpec, Param

INT_RANGE = (1, 100_000)  # periods; the engine says which values an indicator refuses
REAL_RANGE = (0.0, 1_000.0)
REAL_DECIMALS = 4
NAME_ROLE = Qt.ItemDataRole.UserRole
PATTERN_NOTE = "Patterns are drawn as markers on the price bars"


def spec_matches(spec: IndicatorSpec, text: str) -> bool:
    """Whether the search ``text`` is in the name or the title (case-insensitive)."""
    needle = text.strip().casefold()
    return not needle or needle in spec.name.casefold() or needle in spec.title.casefold()


def param_editor(param: Param) -> QSpinBox | QDoubleSpinBox:
    """A spin box for ``param`` holding its default: whole numbers for integer parameters."""
    if param.integer:
        spin = QSpinBox()
        spin.setRange(*INT_RANGE)
        spin.setValue(int(param.default))
        return spin
    real = QDoubleSpinBox()
    real.setRange(*REAL_RANGE)
    real.setDecimals(REAL_DECIMALS)
    real.setSingleStep(0.01 if abs(param.default) < 1 else 0.1)
    real.setValue(float(param.default))
    return real


def _swatch(color: str) -> QIcon:
    pm = QPixmap(12, 12)
    pm.fill(QColor(color))
    return QIcon(pm)


class IndicatorBrowser(QDialog):
    """See the module docstring. ``model`` is the chart's model it shows (None: no chart)."""

    add_requested = Signal(str, object, str)  # name, {param: value}, placement
    edit_requested = Signal(int, object, str)  # instance id, {param: value}, placement
    remove_requested = Signal(int)  # instance id

    def __init__(self, specs: Sequence[IndicatorSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Indicators")
        self.resize(720, 560)
        self.specs = {s.name: s for s in specs}
        self.model: IndicatorsModel | None = None
        self.spec: IndicatorSpec | None = None
        self.editing: int | None = None  # the instance the form edits
        self.fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self._build()
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_search_return_pressed)
        self.catalog_list.currentItemChanged.connect(self._on_catalog_current_changed)
        self.catalog_list.itemDoubleClicked.connect(lambda _item: self._on_add_clicked())
        self.add_button.clicked.connect(self._on_add_clicked)
        self.apply_button.clicked.connect(self._on_apply_clicked)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.instance_list.itemDoubleClicked.connect(lambda _item: self._on_edit_clicked())
        self.instance_list.currentRowChanged.connect(lambda _row: self._update_buttons())
        if self.catalog_list.count():
            self.catalog_list.setCurrentRow(0)
        self._update_buttons()

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name or title, e.g. rsi or average")
        self.search.setClearButtonEnabled(True)
        self.catalog_list = QListWidget()
        for spec in self.specs.values():
            item = QListWidgetItem(f"{spec.name.upper()}  —  {spec.title}")
            item.setData(NAME_ROLE, spec.name)
            item.setToolTip(f"{spec.group}; outputs: {', '.join(spec.outputs)}")
            self.catalog_list.addItem(item)
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-weight: bold;")
        self.title_label.setWordWrap(True)
        self.form = QFormLayout()
        self.overlay_radio = QRadioButton("Over the prices")
        self.pane_radio = QRadioButton("Own pane")
        self.error_label = QLabel()
        self.error_label.setObjectName("indicatorError")
        self.error_label.setStyleSheet("color: #e53935;")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        self.add_button = QPushButton("Add")
        self.add_button.setDefault(True)
        self.apply_button = QPushButton("Apply to selected")
        self.instance_list = QListWidget()
        self.edit_button = QPushButton("Edit")
        self.remove_button = QPushButton("Remove")
        self.chart_label = QLabel("On this chart")
        self._arrange()

    def _arrange(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.catalog_list, 1)
        placement = QHBoxLayout()
        placement.addWidget(self.overlay_radio)
        placement.addWidget(self.pane_radio)
        placement.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.add_button)
        right = QVBoxLayout()
        right.addWidget(self.title_label)
        right.addLayout(self.form)
        right.addLayout(placement)
        right.addWidget(self.error_label)
        right.addLayout(buttons)
        right.addWidget(self.chart_label)
        right.addWidget(self.instance_list, 1)
        edits = QHBoxLayout()
        edits.addStretch(1)
        edits.addWidget(self.edit_button)
        edits.addWidget(self.remove_button)
        right.addLayout(edits)
        top = QHBoxLayout(self)
        top.addLayout(left, 1)
        top.addLayout(right, 1)

    # -- what the controller calls ------------------------------------------------------------
    def set_model(self, model: IndicatorsModel | None, title: str) -> None:
        """Show the instances of ``model`` (the active chart, named ``title``)."""
        if self.model is not None:
            self.model.changed.disconnect(self._refresh_instances)
        self.model = model
        self.editing = None
        if model is not None:
            model.changed.connect(self._refresh_instances)
        self.setWindowTitle(f"Indicators — {title}" if title else "Indicators")
        self.chart_label.setText(f"On this chart ({title})" if title else "On this chart")
        self._refresh_instances()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def accepted_instance(self, instance_id: int) -> None:
        """The engine took an add or edit: clear the error, select the instance."""
        self.show_error("")
        if self.editing == instance_id:
            self.editing = None
            self._set_title()
        for row in range(self.instance_list.count()):
            if self.instance_list.item(row).data(NAME_ROLE) == instance_id:
                self.instance_list.setCurrentRow(row)
        self._update_buttons()

    # -- reading the form ---------------------------------------------------------------------
    def visible_names(self) -> list[str]:
        """The catalog entries the search leaves listed, in order."""
        return [str(it.data(NAME_ROLE)) for row in range(self.catalog_list.count())
                if not (it := self.catalog_list.item(row)).isHidden()]

    def select(self, name: str) -> None:
        """Show ``name``'s parameters at their defaults."""
        for row in range(self.catalog_list.count()):
            if self.catalog_list.item(row).data(NAME_ROLE) == name:
                self.catalog_list.setCurrentRow(row)
                return
        raise KeyError(f"{name!r} is not in the indicator catalog")

    def params(self) -> dict[str, int | float]:
        return {name: field.value() for name, field in self.fields.items()}

    def placement(self) -> Placement:
        return "pane" if self.pane_radio.isChecked() else "overlay"

    def begin_edit(self, instance: IndicatorInstance) -> None:
        """Load ``instance`` into the form; "Apply to selected" then changes it."""
        self.select(instance.name)
        for name, value in instance.params:
            field = self.fields.get(name)
            if isinstance(field, QSpinBox):
                field.setValue(int(value))
            elif isinstance(field, QDoubleSpinBox):
                field.setValue(float(value))
        self._set_placement(instance.placement == "pane")
        self.editing = instance.id
        self._set_title()
        self._update_buttons()

    # -- private ------------------------------------------------------------------------------
    def _build_form(self, spec: IndicatorSpec | None) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        self.spec = spec
        self.editing = None
        self.show_error("")
        if spec is None:
            self.title_label.setText("")
            return
        self._set_title()
        for param in spec.params:
            editor = param_editor(param)
            editor.setObjectName(f"param_{param.name}")
            self.fields[param.name] = editor
            self.form.addRow(f"{param.name}:", editor)
        if not spec.params:
            self.form.addRow(QLabel("No parameters."))
        pattern = spec.group == "pattern"
        self.pane_radio.setEnabled(not pattern)
        self.pane_radio.setToolTip(PATTERN_NOTE if pattern else "")
        self._set_placement(not spec.overlay and not pattern)
        self._update_buttons()

    def _set_title(self) -> None:
        spec, model = self.spec, self.model
        text = f"{spec.title} ({spec.name.upper()})" if spec is not None else ""
        editing = model.get(self.editing) if model is not None and self.editing else None
        self.title_label.setText(f"{text}: editing {editing.label}" if editing else text)

    def _set_placement(self, pane: bool) -> None:
        (self.pane_radio if pane else self.overlay_radio).setChecked(True)

    def _selected_instance(self) -> IndicatorInstance | None:
        item = self.instance_list.currentItem()
        if item is None or self.model is None:
            return None
        return self.model.get(int(item.data(NAME_ROLE)))

    def _update_buttons(self) -> None:
        selected = self._selected_instance()
        self.add_button.setEnabled(self.spec is not None and self.model is not None)
        self.apply_button.setEnabled(self.editing is not None and self.spec is not None
                                     and selected is not None and selected.id == self.editing)
        self.edit_button.setEnabled(selected is not None)
        self.remove_button.setEnabled(selected is not None)

    @Slot()
    def _refresh_instances(self) -> None:
        current = self._selected_instance()
        self.instance_list.clear()
        for inst in self.model.instances() if self.model is not None else ():
            where = "own pane" if inst.placement == "pane" else "over the prices"
            item = QListWidgetItem(_swatch(inst.color), f"{inst.label}  ({where})")
            item.setData(NAME_ROLE, inst.id)
            self.instance_list.addItem(item)
            if current is not None and inst.id == current.id:
                self.instance_list.setCurrentItem(item)
        if self.editing is not None and (self.model is None or self.model.get(self.editing)
                                         is None):
            self.editing = None
        self._update_buttons()

    @Slot(str)
    def _on_search_text_changed(self, text: str) -> None:
        first = None
        for row in range(self.catalog_list.count()):
            item = self.catalog_list.item(row)
            shown = spec_matches(self.specs[str(item.data(NAME_ROLE))], text)
            item.setHidden(not shown)
            if shown and first is None:
                first = row
        current = self.catalog_list.currentItem()
        if first is not None and (current is None or current.isHidden()):
            self.catalog_list.setCurrentRow(first)

    @Slot()
    def _on_search_return_pressed(self) -> None:
        names = self.visible_names()
        if names:
            self.select(names[0])
            self._focus_form()

    def _focus_form(self) -> None:
        first = next(iter(self.fields.values()), None)
        (first or self.add_button).setFocus()

    @Slot(object, object)
    def _on_catalog_current_changed(self, current: QListWidgetItem | None, _prev: Any) -> None:
        name = current.data(NAME_ROLE) if current is not None else None
        self._build_form(self.specs.get(str(name)) if name is not None else None)

    @Slot()
    def _on_add_clicked(self) -> None:
        if self.spec is not None and self.model is not None:
            self.show_error("")
            self.add_requested.emit(self.spec.name, self.params(), self.placement())

    @Slot()
    def _on_apply_clicked(self) -> None:
        if self.editing is not None:
            self.show_error("")
            self.edit_requested.emit(self.editing, self.params(), self.placement())

    @Slot()
    def _on_edit_clicked(self) -> None:
        instance = self._selected_instance()
        if instance is not None and instance.name in self.specs:
            self.begin_edit(instance)

    @Slot()
    def _on_remove_clicked(self) -> None:
        instance = self._selected_instance()
        if instance is not None:
            self.remove_requested.emit(instance.id)
