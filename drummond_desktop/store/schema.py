"""The database schema (SQLAlchemy 2.0 typed declarative models) of ``market.sqlite`` and
``user.sqlite``.

The models describe the tables; Alembic revisions in ``store/migrations/versions`` create them
(a test checks that the head revision matches these models on SQLite and PostgreSQL). Every
constraint is named through the ``MetaData`` naming convention, so migrations in SQLite batch
mode and on PostgreSQL refer to the same names.

Time is stored as int64 UTC epoch seconds (as in ``engine.Bars``), calendar days as ``DATE``;
the user store's ``created_at``/``updated_at`` are epoch microseconds (they order drawings).
Bars live in ``bar_chunks``: one row per (symbol, timeframe, partition) with the partition's bars
as raw little-endian columns (see ``store/chunks.py``), never one row per bar.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The Alembic version tables: the two stores may share one PostgreSQL database.
MARKET_VERSION_TABLE = "alembic_version"
USER_VERSION_TABLE = "alembic_version_user"


class MarketBase(DeclarativeBase):
    """Tables of the market store (re-downloadable data)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserBase(DeclarativeBase):
    """Tables of the user store: drawings, watchlists, layouts (later issues add alerts, saved
    scans, backtest runs...)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Exchange(MarketBase):
    __tablename__ = "exchanges"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # EODHD code: US, LSE...
    name: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    currency: Mapped[str] = mapped_column(String(16), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")  # IANA, e.g. America/New_York
    operating_mic: Mapped[str] = mapped_column(String(100), default="")


class Symbol(MarketBase):
    __tablename__ = "symbols"
    __table_args__ = (UniqueConstraint("code", "exchange"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64))  # AAPL, BRK-B, EURUSD
    exchange: Mapped[str] = mapped_column(ForeignKey("exchanges.code"))
    name: Mapped[str] = mapped_column(String(300), default="")
    type: Mapped[str] = mapped_column(String(64), default="")  # Common Stock, ETF, Currency...
    currency: Mapped[str] = mapped_column(String(16), default="")


class BarChunk(MarketBase):
    """All bars of one symbol and timeframe in one partition, as six raw columns."""

    __tablename__ = "bar_chunks"
    __table_args__ = (
        CheckConstraint("n > 0", name="n_positive"),
        CheckConstraint("first_ts <= last_ts", name="ts_order"),
    )

    symbol_id: Mapped[int] = mapped_column(ForeignKey("symbols.id", ondelete="CASCADE"),
                                           primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(8), primary_key=True)
    chunk_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    first_ts: Mapped[int] = mapped_column(BigInteger)
    last_ts: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[bytes] = mapped_column(LargeBinary)  # int64 little-endian
    open: Mapped[bytes] = mapped_column(LargeBinary)  # float64 little-endian, same for the rest
    high: Mapped[bytes] = mapped_column(LargeBinary)
    low: Mapped[bytes] = mapped_column(LargeBinary)
    close: Mapped[bytes] = mapped_column(LargeBinary)
    volume: Mapped[bytes] = mapped_column(LargeBinary)


class Split(MarketBase):
    """A split effective on ``date`` (the ex-date): ``numerator`` new shares for ``denominator``
    old ones (EODHD ``"4.000000/1.000000"`` is 4 for 1)."""

    __tablename__ = "splits"
    __table_args__ = (CheckConstraint("numerator > 0 AND denominator > 0", name="ratio_positive"),)

    symbol_id: Mapped[int] = mapped_column(ForeignKey("symbols.id", ondelete="CASCADE"),
                                           primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    numerator: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float] = mapped_column(Float)


class Dividend(MarketBase):
    """A cash dividend by ex-date. ``value`` is split-adjusted to today (EODHD ``value``);
    ``unadjusted_value`` is the amount paid per share at the time (EODHD ``unadjustedValue``)."""

    __tablename__ = "dividends"

    symbol_id: Mapped[int] = mapped_column(ForeignKey("symbols.id", ondelete="CASCADE"),
                                           primary_key=True)
    ex_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    unadjusted_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(16), default="")
    declaration_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    record_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    payment_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    period: Mapped[str] = mapped_column(String(32), default="")


class ExchangeHours(MarketBase):
    """Regular trading hours of an exchange, in its local time (``exchanges.timezone``)."""

    __tablename__ = "exchange_hours"

    exchange: Mapped[str] = mapped_column(ForeignKey("exchanges.code", ondelete="CASCADE"),
                                          primary_key=True)
    open_local: Mapped[str] = mapped_column(String(8))  # "09:30:00"
    close_local: Mapped[str] = mapped_column(String(8))  # "16:00:00"
    working_days: Mapped[str] = mapped_column(String(32), default="Mon,Tue,Wed,Thu,Fri")


class ExchangeHoliday(MarketBase):
    """A day an exchange is closed (``close_local`` NULL) or closes early (``close_local`` set,
    ``type`` ``early_close``)."""

    __tablename__ = "exchange_holidays"

    exchange: Mapped[str] = mapped_column(ForeignKey("exchanges.code", ondelete="CASCADE"),
                                          primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(32), default="official")  # official, bank...
    close_local: Mapped[str | None] = mapped_column(String(8), nullable=True)


class SyncCheckpoint(MarketBase):
    """How far a (symbol, timeframe) has been synced; written in the same transaction as its
    bars, so it never claims bars that are not stored."""

    __tablename__ = "sync_checkpoints"

    symbol_id: Mapped[int] = mapped_column(ForeignKey("symbols.id", ondelete="CASCADE"),
                                           primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_full_fetch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok, error, partial
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class BarFlag(MarketBase):
    """A soft anomaly of a stored bar (gap before it, zero volume, a move over 50 %): the bar is
    kept as delivered and flagged, so a trader can see why a series looks odd."""

    __tablename__ = "bar_flags"

    symbol_id: Mapped[int] = mapped_column(ForeignKey("symbols.id", ondelete="CASCADE"),
                                           primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(8), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    detail: Mapped[str] = mapped_column(String(300), default="")


class EodhdRequest(MarketBase):
    """One request to EODHD and what it cost (the daily call budget is summed from here)."""

    __tablename__ = "eodhd_requests"
    __table_args__ = (Index(None, "ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[int] = mapped_column(BigInteger)  # UTC epoch seconds
    endpoint: Mapped[str] = mapped_column(String(64))  # "eod", "intraday", "exchange-details"
    symbol: Mapped[str] = mapped_column(String(100), default="")
    cost: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int] = mapped_column(Integer)  # 0 when no response arrived
    response_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    ok: Mapped[bool] = mapped_column(default=False)


class Drawing(UserBase):
    """One chart drawing of a symbol. Anchors are ``[[ts, price], ...]`` (UTC epoch seconds,
    price) as JSON text, so a drawing is independent of the interval it was drawn on."""

    __tablename__ = "drawings"
    __table_args__ = (Index(None, "symbol"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    symbol: Mapped[str] = mapped_column(String(100))  # CODE.EXCHANGE
    kind: Mapped[str] = mapped_column(String(16))  # trend, ray, level, rect, text, measure
    anchors: Mapped[str] = mapped_column(Text)  # JSON [[ts_epoch_seconds, price], ...]
    text: Mapped[str] = mapped_column(Text, default="")
    style: Mapped[str] = mapped_column(Text, default="{}")  # JSON {"color": "#rrggbb", ...}
    # UTC epoch microseconds: fine enough to keep the drawing order of one session
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class Watchlist(UserBase):
    __tablename__ = "watchlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    position: Mapped[int] = mapped_column(Integer)  # order of the lists in the UI


class WatchlistItem(UserBase):
    """One symbol of a watchlist at ``position`` (0-based); the rows go with their list."""

    __tablename__ = "watchlist_items"

    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"),
                                              primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(100))


class Layout(UserBase):
    """A named workspace layout (open charts, docks...) as a JSON object."""

    __tablename__ = "layouts"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[int] = mapped_column(BigInteger)  # UTC epoch microseconds


class SavedScan(UserBase):
    """A named scanner expression with its universe (``all`` or ``watchlist:<name>``) and the
    interval it runs on."""

    __tablename__ = "saved_scans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    name: Mapped[str] = mapped_column(String(200), unique=True)
    expr: Mapped[str] = mapped_column(Text)
    universe: Mapped[str] = mapped_column(String(200))
    interval: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[int] = mapped_column(BigInteger)  # UTC epoch microseconds
    updated_at: Mapped[int] = mapped_column(BigInteger)


class AlertRule(UserBase):
    """An alert rule on one symbol or a watchlist (``target_kind`` ``symbol``/``watchlist``).
    ``params`` and ``channels`` are JSON; ``memory`` is the JSON the evaluator keeps between runs
    per symbol (the last state seen, whether the price was above a level...), so a change fires
    once and a restart does not fire it again."""

    __tablename__ = "alert_rules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    name: Mapped[str] = mapped_column(String(200))
    target_kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text)
    channels: Mapped[str] = mapped_column(Text)  # JSON list: panel, tray, sound, email, webhook
    enabled: Mapped[bool] = mapped_column()
    memory: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)  # UTC epoch microseconds
    updated_at: Mapped[int] = mapped_column(BigInteger)


class AlertEvent(UserBase):
    """One firing of a rule for a symbol on a bar: the history. Unique per (rule, symbol, bar),
    so evaluating the same data twice never fires twice."""

    __tablename__ = "alert_events"
    __table_args__ = (UniqueConstraint("rule_id", "symbol", "bar_ts"), Index(None, "fired_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(100))
    bar_ts: Mapped[int] = mapped_column(BigInteger)  # UTC epoch seconds of the bar that fired
    fired_at: Mapped[int] = mapped_column(BigInteger)  # UTC epoch microseconds
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # JSON
    seen: Mapped[bool] = mapped_column()


class AlertDelivery(UserBase):
    """The outbox: one row per (event, channel) until it is sent; failures keep the row with
    its attempt count, next attempt time and the last error, so nothing is lost silently."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "channel"),
                      Index(None, "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed (gave up)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)  # UTC epoch microseconds
    last_error: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[int] = mapped_column(BigInteger)


def table(name: str) -> Table:
    """A market table by name, typed as ``Table`` for Core statements."""
    return MarketBase.metadata.tables[name]


def user_table(name: str) -> Table:
    """A user-store table by name, typed as ``Table`` for Core statements."""
    return UserBase.metadata.tables[name]
