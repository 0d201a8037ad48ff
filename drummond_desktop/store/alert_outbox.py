"""The alert delivery outbox: one row per (event, channel) that is not the panel.

A row is ``pending`` until a sender reports it ``sent``. A failure keeps the row, counts the
attempt, stores the reason and schedules the next attempt with exponential backoff
(``RetryPolicy``); a permanent failure, or the last allowed attempt, makes it ``failed``. Rows
are never deleted here (a deleted rule takes its history with it), so nothing is lost silently;
``retry`` puts a failed row back in the queue.

Senders ``claim`` due rows first: the claim pushes their next attempt a lease ahead, so a second
sender (another window, a crash and restart) does not send the same row while the first is
still at it; a sender that dies mid-send leaves the row to be retried once the lease is over.
Times are epoch microseconds. ``UnknownDelivery`` (a ``StoreError``): no row has that id (its
rule was deleted meanwhile).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from drummond_desktop.core.errors import StoreError
from drummond_desktop.store.engines import read_connection, write_transaction
from drummond_desktop.store.schema import user_table

_RULES = user_table("alert_rules")
_EVENTS = user_table("alert_events")
_DELIVERIES = user_table("alert_deliveries")
STATUSES = ("pending", "sent", "failed")
MAX_ERROR = 1_000  # characters of a failure reason kept


class UnknownDelivery(StoreError):
    def __init__(self, where: str, delivery_id: int) -> None:
        self.delivery_id = delivery_id
        super().__init__(where, f"no alert delivery has id {delivery_id}",
                         user_message="That notification no longer exists.")


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts allowed per delivery, and the backoff between them: ``base_delay_s`` after the
    first failure, doubling each time, never more than ``max_delay_s``."""

    max_attempts: int = 6
    base_delay_s: float = 30.0
    max_delay_s: float = 3_600.0

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be at least 1, "
                             f"got {self.max_attempts!r}")
        for name in ("base_delay_s", "max_delay_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"RetryPolicy.{name} must be a finite number >= 0, "
                                 f"got {value!r}")

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1-based)."""
        return float(min(self.base_delay_s * 2.0 ** max(attempts - 1, 0), self.max_delay_s))


@dataclass(frozen=True)
class Delivery:
    """One outbox row, with what a sender needs of its event and rule."""

    id: int
    event_id: int
    channel: str
    status: str
    attempts: int
    next_attempt_at: int
    last_error: str
    updated_at: int
    rule_id: str
    rule_name: str
    symbol: str
    bar_ts: int
    fired_at: int
    message: str
    payload: str  # the event's JSON payload, as stored


_COLUMNS = (*_DELIVERIES.c, _EVENTS.c.rule_id, _RULES.c.name.label("rule_name"),
            _EVENTS.c.symbol, _EVENTS.c.bar_ts, _EVENTS.c.fired_at, _EVENTS.c.message,
            _EVENTS.c.payload)
_JOINED = _DELIVERIES.join(_EVENTS).join(_RULES)


def _delivery(row: Any) -> Delivery:
    m = row._mapping
    return Delivery(int(m["id"]), int(m["event_id"]), m["channel"], m["status"],
                    int(m["attempts"]), int(m["next_attempt_at"]), m["last_error"],
                    int(m["updated_at"]), m["rule_id"], m["rule_name"], m["symbol"],
                    int(m["bar_ts"]), int(m["fired_at"]), m["message"], m["payload"])


class AlertOutbox:
    def __init__(self, engine: Engine, where: str,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._where = where
        self._clock = clock

    def _now_us(self) -> int:
        return int(self._clock() * 1_000_000)

    def claim(self, channels: Sequence[str], limit: int = 50,
              lease_s: float = 300.0) -> list[Delivery]:
        """Pending rows of ``channels`` that are due, oldest first; their next attempt moves
        ``lease_s`` ahead until the sender reports back."""
        now = self._now_us()
        due = (select(_DELIVERIES.c.id)
               .where(_DELIVERIES.c.status == "pending",
                      _DELIVERIES.c.channel.in_(list(channels)),
                      _DELIVERIES.c.next_attempt_at <= now)
               .order_by(_DELIVERIES.c.next_attempt_at, _DELIVERIES.c.id).limit(limit))
        with write_transaction(self._engine, self._where, "claiming alert deliveries") as conn:
            if conn.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already excludes
                due = due.with_for_update(skip_locked=True)
            ids = [int(i) for i in conn.execute(due).scalars()]
            if not ids:
                return []
            conn.execute(update(_DELIVERIES).where(_DELIVERIES.c.id.in_(ids))
                         .values(next_attempt_at=now + int(lease_s * 1_000_000)))
            rows = conn.execute(select(*_COLUMNS).select_from(_JOINED)
                                .where(_DELIVERIES.c.id.in_(ids))
                                .order_by(_DELIVERIES.c.id)).all()
        return [_delivery(r) for r in rows]

    def mark_sent(self, delivery_id: int) -> Delivery:
        """The row was delivered (its last error, if any, is kept as a record)."""
        with write_transaction(self._engine, self._where, "recording a sent alert") as conn:
            old = self._get(conn, delivery_id)
            if old.status != "pending":
                return old
            conn.execute(update(_DELIVERIES).where(_DELIVERIES.c.id == delivery_id)
                         .values(status="sent", attempts=old.attempts + 1,
                                 updated_at=self._now_us()))
            return self._get(conn, delivery_id)

    def record_failure(self, delivery_id: int, reason: str, *, permanent: bool,
                       policy: RetryPolicy, retry_after_s: float | None = None) -> Delivery:
        """Count a failed attempt: ``failed`` when ``permanent`` or out of attempts, else
        ``pending`` again after the backoff (or ``retry_after_s``, when longer)."""
        now = self._now_us()
        with write_transaction(self._engine, self._where, "recording a failed alert") as conn:
            old = self._get(conn, delivery_id)
            if old.status != "pending":
                return old
            attempts = old.attempts + 1
            gave_up = permanent or attempts >= policy.max_attempts
            wait = max(policy.delay(attempts), min(retry_after_s or 0.0, policy.max_delay_s))
            conn.execute(update(_DELIVERIES).where(_DELIVERIES.c.id == delivery_id).values(
                status="failed" if gave_up else "pending", attempts=attempts,
                next_attempt_at=now if gave_up else now + int(wait * 1_000_000),
                last_error=(reason or "unknown error")[:MAX_ERROR], updated_at=now))
            return self._get(conn, delivery_id)

    def retry(self, delivery_id: int) -> Delivery:
        """Put a failed row back in the queue (the user asked), with a fresh attempt count."""
        now = self._now_us()
        with write_transaction(self._engine, self._where, "retrying an alert") as conn:
            old = self._get(conn, delivery_id)
            if old.status == "failed":
                conn.execute(update(_DELIVERIES).where(_DELIVERIES.c.id == delivery_id)
                             .values(status="pending", attempts=0, next_attempt_at=now,
                                     updated_at=now))
            return self._get(conn, delivery_id)

    def get(self, delivery_id: int) -> Delivery:
        with read_connection(self._engine, self._where, "reading an alert delivery") as conn:
            return self._get(conn, delivery_id)

    def deliveries(self, *, status: str | None = None, channel: str | None = None,
                   event_id: int | None = None, limit: int = 200) -> list[Delivery]:
        """Outbox rows, newest first, optionally of one status, channel or event."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        query = (select(*_COLUMNS).select_from(_JOINED)
                 .order_by(_DELIVERIES.c.id.desc()).limit(limit))
        for column, value in ((_DELIVERIES.c.status, status), (_DELIVERIES.c.channel, channel),
                              (_DELIVERIES.c.event_id, event_id)):
            if value is not None:
                query = query.where(column == value)
        with read_connection(self._engine, self._where, "reading alert deliveries") as conn:
            return [_delivery(r) for r in conn.execute(query)]

    def _get(self, conn: Connection, delivery_id: int) -> Delivery:
        row = conn.execute(select(*_COLUMNS).select_from(_JOINED)
                           .where(_DELIVERIES.c.id == delivery_id)).first()
        if row is None:
            raise UnknownDelivery(self._where, delivery_id)
        return _delivery(row)
