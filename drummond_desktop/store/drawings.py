"""Chart drawings of the user store: trend lines, rays, levels, zones, notes and measures, kept
per symbol.

A drawing is anchored to ``(time, price)`` points - UTC epoch seconds and a price - never to bar
indices, so it stays put when the chart switches interval. ``DrawingRecord`` validates itself
when built (``ValueError`` naming the field); the repository stores anchors and style as JSON
text and returns a symbol's drawings in the order they were first saved.

Errors: ``ValueError`` for a bad record or a bad ``replace_symbol`` call (nothing is written);
``DrawingUnreadable`` (a ``StoreError``) for a stored row that no longer parses - raised rather
than skipped, so a later ``replace_symbol`` can never silently drop it; the typed errors of
``store/engines.py`` for the database itself.
"""

from __future__ import annotations

import json
import math
import operator
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from drummond_desktop.core.errors import StoreError
from drummond_desktop.store.engines import read_connection, write_transaction
from drummond_desktop.store.schema import user_table

KINDS = ("trend", "ray", "level", "rect", "text", "measure")
ANCHOR_COUNTS = {"trend": 2, "ray": 2, "level": 1, "rect": 2, "text": 1, "measure": 2}
MAX_SYMBOL = 100  # the column's width
_INT64 = 2**63
_ID = re.compile(r"[0-9a-f]{32}")

Anchor = tuple[int, float]
StyleValue = str | float

_DRAWINGS = user_table("drawings")


def _frozen_style(style: Mapping[str, Any] | None) -> Mapping[str, StyleValue]:
    """A read-only copy of ``style`` (``ValueError`` naming the bad key)."""
    out: dict[str, StyleValue] = {}
    for key, value in (style or {}).items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"DrawingRecord.style: keys must be non-empty strings, got {key!r}")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"DrawingRecord.style[{key!r}]: must be text or a number, "
                             f"got {type(value).__name__}")
        if not isinstance(value, str) and not math.isfinite(value):
            raise ValueError(f"DrawingRecord.style[{key!r}]: must be finite, got {value!r}")
        out[key] = value if isinstance(value, str) else float(value)
    return MappingProxyType(out)


def _anchor(i: int, point: Any) -> Anchor:
    try:
        ts, price = point
    except (TypeError, ValueError):
        raise ValueError(f"DrawingRecord.anchors[{i}]: must be a (time, price) pair, "
                         f"got {point!r}") from None
    if isinstance(ts, bool) or isinstance(price, bool):
        raise ValueError(f"DrawingRecord.anchors[{i}]: got a boolean in {point!r}")
    try:
        t = operator.index(ts)
    except TypeError:
        raise ValueError(f"DrawingRecord.anchors[{i}]: time must be integer UTC epoch seconds, "
                         f"got {ts!r}") from None
    if not -_INT64 <= t < _INT64:
        raise ValueError(f"DrawingRecord.anchors[{i}]: time {t} is out of range")
    try:
        p = float(price)
    except (TypeError, ValueError):
        raise ValueError(f"DrawingRecord.anchors[{i}]: price must be a number, "
                         f"got {price!r}") from None
    if not math.isfinite(p):
        raise ValueError(f"DrawingRecord.anchors[{i}]: price must be finite, got {p!r}")
    return int(t), p


def _anchors(points: Iterable[Any]) -> tuple[Anchor, ...]:
    return tuple(_anchor(i, a) for i, a in enumerate(points))


@dataclass(frozen=True)
class DrawingRecord:
    """One drawing, validated when built.

    ``anchors`` are ``(UTC epoch seconds, price)`` pairs: one for ``level`` and ``text``, two
    for the others (a segment's ends, a zone's opposite corners). ``text`` is the note of a
    ``text`` drawing (required there, non-blank) or an optional label. ``style`` maps names to
    text or numbers (``{"color": "#ffcc00", "width": 2}``); it is kept as a read-only
    ``MappingProxyType`` and left out of the hash (records compare by value, style included).
    """

    id: str
    symbol: str
    kind: str
    anchors: tuple[Anchor, ...]
    text: str = ""
    style: Mapping[str, StyleValue] = field(default_factory=lambda: MappingProxyType({}),
                                            hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise ValueError(f"DrawingRecord.id: must be 32 lowercase hex digits (uuid4 hex), "
                             f"got {self.id!r}")
        if not isinstance(self.symbol, str) or not self.symbol.strip():
            raise ValueError(f"DrawingRecord.symbol: must be a non-blank symbol, "
                             f"got {self.symbol!r}")
        if len(self.symbol) > MAX_SYMBOL:
            raise ValueError(f"DrawingRecord.symbol: longer than {MAX_SYMBOL} characters")
        if self.kind not in KINDS:
            raise ValueError(f"DrawingRecord.kind: {self.kind!r} is not one of {KINDS}")
        if isinstance(self.anchors, str | bytes) or not isinstance(self.anchors, Iterable):
            raise ValueError(f"DrawingRecord.anchors: must be (time, price) pairs, "
                             f"got {self.anchors!r}")
        anchors = _anchors(self.anchors)
        need = ANCHOR_COUNTS[self.kind]
        if len(anchors) != need:
            raise ValueError(f"DrawingRecord.anchors: a {self.kind} drawing needs {need} "
                             f"anchor(s), got {len(anchors)}")
        if not isinstance(self.text, str):
            raise ValueError(f"DrawingRecord.text: must be a string, got {self.text!r}")
        if self.kind == "text" and not self.text.strip():
            raise ValueError("DrawingRecord.text: a text note needs non-blank text")
        object.__setattr__(self, "anchors", anchors)
        object.__setattr__(self, "style", _frozen_style(self.style))

    @classmethod
    def create(cls, symbol: str, kind: str, anchors: Iterable[Sequence[Any]], text: str = "",
               style: Mapping[str, StyleValue] | None = None) -> DrawingRecord:
        """A new drawing with a fresh uuid4 id."""
        return cls(uuid.uuid4().hex, symbol, kind, _anchors(anchors), text,
                   MappingProxyType(dict(style or {})))

    def with_anchors(self, anchors: Iterable[Sequence[Any]]) -> DrawingRecord:
        return replace(self, anchors=_anchors(anchors))

    def with_text(self, text: str) -> DrawingRecord:
        return replace(self, text=text)


def _now_us() -> int:
    return time.time_ns() // 1000


def _row(record: DrawingRecord, created_at: int, updated_at: int) -> dict[str, Any]:
    return {
        "id": record.id, "symbol": record.symbol, "kind": record.kind,
        "anchors": json.dumps([list(a) for a in record.anchors], allow_nan=False),
        "text": record.text, "style": json.dumps(dict(record.style), sort_keys=True),
        "created_at": created_at, "updated_at": updated_at,
    }


class DrawingUnreadable(StoreError):
    """A stored drawing that no longer parses (edited by hand, written by a buggy build)."""

    def __init__(self, where: str, drawing_id: str, symbol: str, reason: str) -> None:
        self.drawing_id = drawing_id
        self.symbol = symbol
        super().__init__(where, f"drawing {drawing_id} of {symbol} cannot be read: {reason}",
                         user_message=(f"A drawing of {symbol} in {where} cannot be read "
                                       f"({reason}); it was left as stored."))


class DrawingsRepository:
    """A symbol's drawings: read in the order first saved, upserted one by one, or replaced
    as a whole in one transaction."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    def for_symbol(self, symbol: str) -> list[DrawingRecord]:
        """The drawings of ``symbol``, oldest first (``DrawingUnreadable`` for a bad row)."""
        query = (select(_DRAWINGS).where(_DRAWINGS.c.symbol == symbol)
                 .order_by(_DRAWINGS.c.created_at, _DRAWINGS.c.id))
        with read_connection(self._engine, self._where, f"reading drawings of {symbol}") as c:
            rows = c.execute(query).all()
        return [self._record(r._asdict()) for r in rows]

    def save(self, record: DrawingRecord) -> None:
        """Insert ``record``, or update the stored drawing with its id (keeping its place)."""
        with write_transaction(self._engine, self._where,
                               f"saving a drawing of {record.symbol}") as conn:
            created = max(_now_us(), self._last_created(conn, record.symbol) + 1)
            self._upsert(conn, [_row(record, created, _now_us())])

    def delete(self, drawing_id: str) -> None:
        """Delete one drawing; an id that is not stored is not an error."""
        with write_transaction(self._engine, self._where, "deleting a drawing") as conn:
            conn.execute(delete(_DRAWINGS).where(_DRAWINGS.c.id == drawing_id))

    def replace_symbol(self, symbol: str, records: Sequence[DrawingRecord]) -> None:
        """Make ``records`` (in this order) the drawings of ``symbol``, in one transaction: on
        any failure the stored drawings stay as they were. A drawing that was stored keeps its
        creation time unless the new order needs it moved."""
        _check_batch(symbol, records)
        with write_transaction(self._engine, self._where,
                               f"saving the drawings of {symbol}") as conn:
            kept = dict(conn.execute(select(_DRAWINGS.c.id, _DRAWINGS.c.created_at)
                                     .where(_DRAWINGS.c.symbol == symbol)).all())
            conn.execute(delete(_DRAWINGS).where(_DRAWINGS.c.symbol == symbol))
            now, previous, rows = _now_us(), -1, []
            for record in records:
                created = max(int(kept.get(record.id, now)), previous + 1)
                rows.append(_row(record, created, now))
                previous = created
            if rows:
                conn.execute(_DRAWINGS.insert(), rows)

    # -- helpers ------------------------------------------------------------------------------
    def _record(self, row: dict[str, Any]) -> DrawingRecord:
        try:
            anchors = json.loads(row["anchors"])
            style = json.loads(row["style"] or "{}")
            if not isinstance(anchors, list) or not isinstance(style, dict):
                raise ValueError("anchors must be a JSON list and style a JSON object")
            return DrawingRecord(row["id"], row["symbol"], row["kind"],
                                 _anchors(anchors),
                                 row["text"] or "", style)
        except (ValueError, TypeError) as exc:
            raise DrawingUnreadable(self._where, row["id"], row["symbol"], str(exc)) from None

    @staticmethod
    def _last_created(conn: Connection, symbol: str) -> int:
        last = conn.execute(select(func.max(_DRAWINGS.c.created_at))
                            .where(_DRAWINGS.c.symbol == symbol)).scalar()
        return -1 if last is None else int(last)

    @staticmethod
    def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(_DRAWINGS)
        changes = {c: stmt.excluded[c] for c in rows[0] if c not in ("id", "created_at")}
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=changes), rows)


def _check_batch(symbol: str, records: Sequence[DrawingRecord]) -> None:
    """``ValueError`` for a batch that does not belong to ``symbol`` or repeats an id."""
    seen: set[str] = set()
    for i, record in enumerate(records):
        if not isinstance(record, DrawingRecord):
            raise ValueError(f"records[{i}]: expected a DrawingRecord, got "
                             f"{type(record).__name__}")
        if record.symbol != symbol:
            raise ValueError(f"records[{i}]: drawing {record.id} belongs to {record.symbol}, "
                             f"not {symbol}")
        if record.id in seen:
            raise ValueError(f"records[{i}]: drawing id {record.id} appears twice")
        seen.add(record.id)
