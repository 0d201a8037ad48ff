"""``IndicatorsModel``: the indicator instances of one chart, which the browser and the chart's
indicator layer observe.

An ``IndicatorInstance`` is a catalog indicator (``engine.indicators.catalog``) with its
parameters, where it is drawn (over the prices or in a pane of its own) and its colour. A chart
may hold several instances of one indicator (SMA 20 and SMA 50). Ids are unique per model and
never reused while it lives; a layout stores the instances as plain JSON (``to_payload``) and
``instances_from_payload`` reads them back, skipping what is malformed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from PySide6.QtCore import QObject, Signal

from drummond_desktop.services.indicator_series import Params, series_label

Placement = Literal["overlay", "pane"]
PLACEMENTS: tuple[Placement, ...] = ("overlay", "pane")
# Distinct on the dark and the light chart background, and unlike the DG layer's colours.
PALETTE = ("#ff9800", "#42a5f5", "#ec407a", "#66bb6a", "#ab47bc", "#26c6da", "#ffca28",
           "#8d6e63")


@dataclass(frozen=True)
class IndicatorInstance:
    """One indicator drawn on one chart."""

    id: int
    name: str
    params: Params  # resolved (every parameter), in the spec's order
    placement: Placement
    color: str  # "#rrggbb"

    @property
    def label(self) -> str:
        return series_label(self.name, self.params)

    @property
    def param_dict(self) -> dict[str, int | float]:
        return dict(self.params)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params), "placement": self.placement,
                "color": self.color}


def _color(text: object, fallback: str) -> str:
    """``text`` when it is a "#rrggbb" colour, else ``fallback``."""
    if isinstance(text, str) and len(text) == 7 and text[0] == "#" and all(
            c in "0123456789abcdefABCDEF" for c in text[1:]):
        return text
    return fallback


def instance_from_json(data: object, instance_id: int) -> IndicatorInstance | None:
    """An instance from ``to_json`` output, or None when it is malformed (a hand-edited or
    foreign payload loses only the instances it broke; the engine checks the values when the
    instance is computed)."""
    if not isinstance(data, Mapping):
        return None
    name, params = data.get("name"), data.get("params", {})
    placement, color = data.get("placement", "overlay"), data.get("color")
    if not isinstance(name, str) or not name or not isinstance(params, Mapping):
        return None
    values: list[tuple[str, int | float]] = []
    for key, value in params.items():
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(
                value, int | float):
            return None
        values.append((key, value))
    if placement not in PLACEMENTS:
        placement = "overlay"
    return IndicatorInstance(instance_id, name.lower(), tuple(values),
                             cast(Placement, placement),
                             _color(color, PALETTE[instance_id % len(PALETTE)]))


class IndicatorsModel(QObject):
    """The instances of one chart, in the order they were added."""

    added = Signal(object)  # IndicatorInstance
    replaced = Signal(object)  # IndicatorInstance (same id: new parameters, placement or colour)
    removed = Signal(int)  # the instance id
    changed = Signal()  # after any of the above, and after ``set_instances``

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: dict[int, IndicatorInstance] = {}
        self._made: dict[int, str] = {}  # colours of instances made, not added or discarded
        self._next_id = 1

    def instances(self) -> tuple[IndicatorInstance, ...]:
        return tuple(self._items.values())

    def get(self, instance_id: int) -> IndicatorInstance | None:
        return self._items.get(instance_id)

    def __len__(self) -> int:
        return len(self._items)

    def new_id(self) -> int:
        """An id no instance of this model has had."""
        instance_id = self._next_id
        self._next_id += 1
        return instance_id

    def next_color(self) -> str:
        """The first palette colour no instance uses, nor one made and still being computed
        (cycling when all are taken)."""
        used = {i.color for i in self._items.values()} | set(self._made.values())
        free = [c for c in PALETTE if c not in used]
        return free[0] if free else PALETTE[len(used) % len(PALETTE)]

    def make(self, name: str, params: Params, placement: Placement,
             color: str | None = None) -> IndicatorInstance:
        """A new instance, not added yet: the controller adds it once the engine took it, or
        ``discard``s it."""
        instance = IndicatorInstance(self.new_id(), name, params, placement,
                                     color or self.next_color())
        self._made[instance.id] = instance.color
        return instance

    def discard(self, instance_id: int) -> None:
        """A made instance will not be added (the engine refused it): free its colour."""
        self._made.pop(instance_id, None)

    def add(self, instance: IndicatorInstance) -> None:
        if instance.id in self._items:
            raise ValueError(f"indicator instance {instance.id} is already on this chart")
        self._next_id = max(self._next_id, instance.id + 1)
        self._made.pop(instance.id, None)
        self._items[instance.id] = instance
        self.added.emit(instance)
        self.changed.emit()

    def replace(self, instance: IndicatorInstance) -> None:
        if instance.id not in self._items:
            raise KeyError(f"no indicator instance {instance.id} on this chart")
        self._items[instance.id] = instance
        self.replaced.emit(instance)
        self.changed.emit()

    def remove(self, instance_id: int) -> bool:
        if self._items.pop(instance_id, None) is None:
            return False
        self.removed.emit(instance_id)
        self.changed.emit()
        return True

    def set_instances(self, instances: Iterable[IndicatorInstance]) -> None:
        """Replace every instance (a layout was restored): ``removed`` for each old one, then
        ``added`` for each new one."""
        for instance_id in list(self._items):
            self.remove(instance_id)
        for instance in instances:
            self.add(instance)
        self.changed.emit()

    def to_payload(self) -> list[dict[str, Any]]:
        return [i.to_json() for i in self._items.values()]

    def instances_from_payload(self, payload: object) -> list[IndicatorInstance]:
        """Instances (with fresh ids of this model) from ``to_payload`` output."""
        items: Sequence[object] = payload if isinstance(payload, list) else []
        made = [instance_from_json(data, self.new_id()) for data in items]
        return [i for i in made if i is not None]


def with_values(instance: IndicatorInstance, params: Params, placement: Placement,
                color: str | None = None) -> IndicatorInstance:
    """``instance`` with new parameters and placement (and colour, when given)."""
    return replace(instance, params=params, placement=placement,
                   color=color or instance.color)
