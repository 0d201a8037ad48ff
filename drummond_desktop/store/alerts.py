"""Alerts in the user store: rules with their evaluation memory, the history of firings, and the
delivery outbox (``store/alert_outbox.py``).

* Rules are validated as ``AlertRuleSpec`` (``store/alert_spec.py``) before anything is written;
  a bad rule raises ``InvalidAlertRule`` naming the field and leaves the store as it was. Editing
  what a rule watches (target, kind, params) clears its memory; renaming it or changing its
  channels does not.
* ``memory`` is the JSON the evaluator keeps per symbol between runs (``{"AAPL.US": {"ts": last
  bar evaluated, "v": last value seen}}``), so a change fires once and a restart does not fire
  it again. ``record_evaluation`` writes a run's memory and events in one transaction, and only
  if the rule was not edited or deleted meanwhile.
* Events are unique per (rule, symbol, bar): recording the same firing again is a no-op, so
  evaluating the same bars twice never fires twice. Each new event gets one outbox row per
  channel except ``panel`` (the history is the panel).

Errors, besides the typed database errors of ``store/engines.py``:

* ``InvalidAlertRule`` (a ``DataError`` and a ``ValueError``) - a bad field; nothing written.
* ``UnknownAlertRule`` (a ``StoreError``) - no rule has that id (deleted meanwhile).
* ``AlertRuleUnreadable`` (a ``StoreError``) - a stored rule that no longer validates (written
  by a newer app, edited by hand); left as stored.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from drummond_desktop.core.errors import StoreError
from drummond_desktop.store.alert_outbox import AlertOutbox
from drummond_desktop.store.alert_spec import AlertRuleSpec, InvalidAlertRule
from drummond_desktop.store.engines import read_connection, write_transaction
from drummond_desktop.store.schema import user_table

log = logging.getLogger(__name__)

_RULES = user_table("alert_rules")
_EVENTS = user_table("alert_events")
_DELIVERIES = user_table("alert_deliveries")
_LISTS = user_table("watchlists")
_SCANS = user_table("saved_scans")

Memory = Mapping[str, Mapping[str, Any]]  # symbol -> {"ts": int, "v": JSON}


class UnknownAlertRule(StoreError):
    def __init__(self, where: str, rule_id: str) -> None:
        self.rule_id = rule_id
        super().__init__(where, f"no alert rule has id {rule_id!r}",
                         user_message="That alert no longer exists.")


class AlertRuleUnreadable(StoreError):
    def __init__(self, where: str, rule_id: str, name: str, reason: str) -> None:
        self.rule_id = rule_id
        self.reason = reason
        super().__init__(where, f"alert rule {rule_id} ({name!r}) cannot be read: {reason}",
                         user_message=f"The alert \u201c{name}\u201d cannot be read ({reason}); "
                                      "it was left as stored.")


@dataclass(frozen=True)
class AlertRule:
    """A stored rule: its spec, its memory (read-only) and its times (epoch microseconds)."""

    id: str
    spec: AlertRuleSpec
    memory: Memory
    created_at: int
    updated_at: int

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def params(self) -> Mapping[str, Any]:
        return self.spec.params

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.spec.channels)

    @property
    def enabled(self) -> bool:
        return self.spec.enabled


@dataclass(frozen=True)
class NewEvent:
    """A firing the evaluator found: ``bar_ts`` is the bar (epoch seconds) it fired on."""

    symbol: str
    bar_ts: int
    message: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class AlertEvent:
    """One firing in the history; ``fired_at`` in epoch microseconds."""

    id: int
    rule_id: str
    rule_name: str
    symbol: str
    bar_ts: int
    fired_at: int
    message: str
    payload: Mapping[str, Any]
    seen: bool


def _json(value: object, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not JSON: {exc}") from None


def _memory(text: str, rule_id: str) -> dict[str, dict[str, Any]]:
    """The stored memory, or an empty one when it does not parse (events stay unique per bar,
    so forgetting costs at most a missed change, never a repeated firing)."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        log.warning("alert rule %s: its memory does not parse; starting afresh", rule_id)
        return {}
    return data


def event_from_row(row: Mapping[Any, Any]) -> AlertEvent:
    try:
        payload = json.loads(row["payload"] or "{}")
    except ValueError:
        payload = {"unreadable": row["payload"]}
    return AlertEvent(int(row["id"]), row["rule_id"], row["name"], row["symbol"],
                      int(row["bar_ts"]), int(row["fired_at"]), row["message"],
                      MappingProxyType(payload if isinstance(payload, dict) else {}),
                      bool(row["seen"]))


_EVENT_COLUMNS = (*_EVENTS.c, _RULES.c.name)


class AlertRepository:
    """Alert rules, their history and (as ``outbox``) their deliveries. ``clock`` gives epoch
    seconds (tests pass a fake one)."""

    def __init__(self, engine: Engine, where: str,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._where = where
        self._clock = clock
        self.outbox = AlertOutbox(engine, where, clock)

    def _now_us(self) -> int:
        return int(self._clock() * 1_000_000)

    # -- rules --------------------------------------------------------------------------------
    def create(self, spec: AlertRuleSpec) -> AlertRule:
        """Store a new rule (``InvalidAlertRule`` for a watchlist or saved scan that does not
        exist)."""
        if not isinstance(spec, AlertRuleSpec):
            raise TypeError(f"create() needs an AlertRuleSpec, got {type(spec).__name__}")
        rule_id, now = uuid.uuid4().hex, self._now_us()
        with write_transaction(self._engine, self._where,
                               f"creating alert {spec.name!r}") as conn:
            _check_references(conn, spec)
            conn.execute(_RULES.insert().values(id=rule_id, memory="{}", created_at=now,
                                                updated_at=now, **_spec_row(spec)))
        return AlertRule(rule_id, spec, MappingProxyType({}), now, now)

    def update(self, rule_id: str, spec: AlertRuleSpec) -> AlertRule:
        """Replace a rule's spec; its memory goes when it now watches something else."""
        with write_transaction(self._engine, self._where,
                               f"saving alert {spec.name!r}") as conn:
            old = self._read(conn, rule_id)
            _check_references(conn, spec)
            keep = old.spec.watches_same(spec)
            memory = old.memory if keep else MappingProxyType({})
            now = max(self._now_us(), old.updated_at + 1)  # an edit always changes updated_at
            values = {**_spec_row(spec), "updated_at": now}
            if not keep:
                values["memory"] = "{}"
            conn.execute(update(_RULES).where(_RULES.c.id == rule_id).values(**values))
        return AlertRule(rule_id, spec, memory, old.created_at, now)

    def set_enabled(self, rule_id: str, enabled: bool) -> AlertRule:
        rule = self.get(rule_id)
        spec = AlertRuleSpec(rule.name, rule.spec.target_kind, rule.spec.target, rule.kind,
                             rule.params, rule.channels, enabled)
        return self.update(rule_id, spec)

    def delete(self, rule_id: str) -> None:
        """Delete a rule with its history and outbox rows (``UnknownAlertRule`` if absent)."""
        with write_transaction(self._engine, self._where, f"deleting alert {rule_id}") as conn:
            self._read(conn, rule_id)
            pending = conn.execute(
                select(func.count()).select_from(_DELIVERIES.join(_EVENTS))
                .where(_EVENTS.c.rule_id == rule_id, _DELIVERIES.c.status == "pending")
            ).scalar_one()
            conn.execute(delete(_RULES).where(_RULES.c.id == rule_id))  # cascades
        if pending:
            log.info("alert rule %s deleted with %d undelivered notification(s)", rule_id,
                     pending)

    def get(self, rule_id: str) -> AlertRule:
        with read_connection(self._engine, self._where, f"reading alert {rule_id}") as conn:
            return self._read(conn, rule_id)

    def rules(self) -> list[AlertRule]:
        """Every rule, oldest first (``AlertRuleUnreadable`` for a row that does not read)."""
        readable, unreadable = self.rules_for_evaluation(enabled_only=False)
        if unreadable:
            raise unreadable[0]
        return readable

    def rules_for_evaluation(self, *, enabled_only: bool = True
                             ) -> tuple[list[AlertRule], list[AlertRuleUnreadable]]:
        """The readable rules and, apart, what could not be read: one bad row must not stop
        every other alert."""
        query = select(_RULES).order_by(_RULES.c.created_at, _RULES.c.id)
        if enabled_only:
            query = query.where(_RULES.c.enabled.is_(True))
        with read_connection(self._engine, self._where, "reading alert rules") as conn:
            rows = conn.execute(query).all()
        good: list[AlertRule] = []
        bad: list[AlertRuleUnreadable] = []
        for row in rows:
            try:
                good.append(self._rule(row))
            except AlertRuleUnreadable as exc:
                bad.append(exc)
        return good, bad

    # -- evaluation ---------------------------------------------------------------------------
    def record_evaluation(self, rule: AlertRule, memory: Memory,
                          events: Sequence[NewEvent]) -> list[AlertEvent] | None:
        """Merge ``memory`` (per symbol) into the rule's and store ``events`` with their outbox
        rows, in one transaction. Returns the events that are new (one already stored for the
        same rule, symbol and bar is skipped), or ``None`` - with nothing written - when the
        rule was edited or deleted since ``rule`` was read."""
        now = self._now_us()
        with write_transaction(self._engine, self._where,
                               f"recording alert {rule.name!r}") as conn:
            row = conn.execute(select(_RULES.c.memory, _RULES.c.updated_at)
                               .where(_RULES.c.id == rule.id)).first()
            if row is None or int(row.updated_at) != rule.updated_at:
                return None
            merged = _memory(row.memory, rule.id)
            merged.update({s: dict(v) for s, v in memory.items()})
            conn.execute(update(_RULES).where(_RULES.c.id == rule.id)
                         .values(memory=_json(merged, "alert memory")))
            return [e for ev in events
                    if (e := self._insert_event(conn, rule, ev, now)) is not None]

    def _insert_event(self, conn: Connection, rule: AlertRule, ev: NewEvent,
                      now: int) -> AlertEvent | None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        values = {"rule_id": rule.id, "symbol": ev.symbol, "bar_ts": int(ev.bar_ts),
                  "fired_at": now, "message": ev.message,
                  "payload": _json(dict(ev.payload), "alert payload"), "seen": False}
        stmt = (dialect.insert(_EVENTS).values(**values)
                .on_conflict_do_nothing(index_elements=["rule_id", "symbol", "bar_ts"])
                .returning(_EVENTS.c.id))
        event_id = conn.execute(stmt).scalar()
        if event_id is None:
            return None
        rows = [{"event_id": event_id, "channel": c, "status": "pending", "attempts": 0,
                 "next_attempt_at": now, "last_error": "", "updated_at": now}
                for c in rule.channels if c != "panel"]
        if rows:
            conn.execute(_DELIVERIES.insert(), rows)
        return event_from_row({**values, "id": event_id, "name": rule.name})

    # -- history ------------------------------------------------------------------------------
    def latest(self, limit: int = 50, *, unseen_only: bool = False, rule_id: str | None = None,
               symbol: str | None = None) -> list[AlertEvent]:
        """The newest ``limit`` events, newest first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        query = (select(*_EVENT_COLUMNS).select_from(_EVENTS.join(_RULES))
                 .order_by(_EVENTS.c.fired_at.desc(), _EVENTS.c.id.desc()).limit(limit))
        if unseen_only:
            query = query.where(_EVENTS.c.seen.is_(False))
        if rule_id is not None:
            query = query.where(_EVENTS.c.rule_id == rule_id)
        if symbol is not None:
            query = query.where(_EVENTS.c.symbol == symbol)
        with read_connection(self._engine, self._where, "reading alert history") as conn:
            return [event_from_row(r._mapping) for r in conn.execute(query)]

    def unseen_count(self) -> int:
        with read_connection(self._engine, self._where, "counting unseen alerts") as conn:
            return int(conn.execute(select(func.count()).select_from(_EVENTS)
                                    .where(_EVENTS.c.seen.is_(False))).scalar_one())

    def mark_seen(self, event_ids: Sequence[int] | None = None) -> int:
        """Mark these events (all when ``None``) seen; returns how many changed."""
        stmt = update(_EVENTS).where(_EVENTS.c.seen.is_(False)).values(seen=True)
        if event_ids is not None:
            stmt = stmt.where(_EVENTS.c.id.in_([int(i) for i in event_ids]))
        with write_transaction(self._engine, self._where, "marking alerts seen") as conn:
            return int(conn.execute(stmt).rowcount)

    # -- helpers ------------------------------------------------------------------------------
    def _read(self, conn: Connection, rule_id: str) -> AlertRule:
        row = conn.execute(select(_RULES).where(_RULES.c.id == rule_id)).first()
        if row is None:
            raise UnknownAlertRule(self._where, rule_id)
        return self._rule(row)

    def _rule(self, row: Row[Any]) -> AlertRule:
        try:
            params, channels = json.loads(row.params), json.loads(row.channels)
            spec = AlertRuleSpec(row.name, row.target_kind, row.target, row.kind, params,
                                 channels, bool(row.enabled))
        except (ValueError, TypeError) as exc:  # InvalidAlertRule is a ValueError
            reason = str(exc) if isinstance(exc, InvalidAlertRule) else f"bad JSON ({exc})"
            raise AlertRuleUnreadable(self._where, row.id, row.name, reason) from None
        return AlertRule(row.id, spec, MappingProxyType(_memory(row.memory, row.id)),
                         int(row.created_at), int(row.updated_at))


def _spec_row(spec: AlertRuleSpec) -> dict[str, Any]:
    return {"name": spec.name, "target_kind": spec.target_kind, "target": spec.target,
            "kind": spec.kind, "params": _json(dict(spec.params), "alert params"),
            "channels": _json(list(spec.channels), "alert channels"), "enabled": spec.enabled}


def _check_references(conn: Connection, spec: AlertRuleSpec) -> None:
    """The watchlist and saved scan a rule names must exist when it is saved."""
    if spec.target_kind == "watchlist":
        found = conn.execute(select(_LISTS.c.id).where(_LISTS.c.id == int(spec.target))).first()
        if found is None:
            raise InvalidAlertRule("target", f"no watchlist has id {spec.target}")
    scan_id = spec.params.get("scan")
    if scan_id is not None:
        found = conn.execute(select(_SCANS.c.id).where(_SCANS.c.id == scan_id)).first()
        if found is None:
            raise InvalidAlertRule("params.scan", f"no saved scan has id {scan_id!r}")
