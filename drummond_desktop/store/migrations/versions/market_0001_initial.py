"""market store: initial revision - exchanges, symbols, bar chunks, corporate actions, trading
hours and holidays, sync checkpoints and the EODHD request ledger.

Revision ID: market_0001
Revises:
Create Date: 2026-05-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "market_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("market",)
depends_on: str | Sequence[str] | None = None

_BLOBS = ("ts", "open", "high", "low", "close", "volume")


def _fk(table: str) -> sa.Column[int]:
    """``symbol_id`` referencing ``symbols.id``; rows go with their symbol."""
    fk = sa.ForeignKey("symbols.id", ondelete="CASCADE",
                       name=op.f(f"fk_{table}_symbol_id_symbols"))
    return sa.Column("symbol_id", sa.Integer(), fk, nullable=False)


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(100), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("operating_mic", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_exchanges")),
    )
    op.create_table(
        "symbols",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["exchange"], ["exchanges.code"],
                                name=op.f("fk_symbols_exchange_exchanges")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_symbols")),
        sa.UniqueConstraint("code", "exchange", name=op.f("uq_symbols_code_exchange")),
    )
    op.create_table(
        "bar_chunks",
        _fk("bar_chunks"),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("chunk_key", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("first_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.LargeBinary(), nullable=False) for name in _BLOBS),
        sa.CheckConstraint("n > 0", name=op.f("ck_bar_chunks_n_positive")),
        sa.CheckConstraint("first_ts <= last_ts", name=op.f("ck_bar_chunks_ts_order")),
        sa.PrimaryKeyConstraint("symbol_id", "timeframe", "chunk_key",
                                name=op.f("pk_bar_chunks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The columns are raw float64: TOAST's pglz finds little to compress and costs most of
        # the write time, so keep them out of line and uncompressed.
        for name in _BLOBS:
            op.execute(f'ALTER TABLE bar_chunks ALTER COLUMN "{name}" SET STORAGE EXTERNAL')
    _corporate_actions()
    _calendar()
    _sync_state()


def _corporate_actions() -> None:
    op.create_table(
        "splits",
        _fk("splits"),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("numerator", sa.Float(), nullable=False),
        sa.Column("denominator", sa.Float(), nullable=False),
        sa.CheckConstraint("numerator > 0 AND denominator > 0",
                           name=op.f("ck_splits_ratio_positive")),
        sa.PrimaryKeyConstraint("symbol_id", "date", name=op.f("pk_splits")),
    )
    op.create_table(
        "dividends",
        _fk("dividends"),
        sa.Column("ex_date", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unadjusted_value", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("declaration_date", sa.Date(), nullable=True),
        sa.Column("record_date", sa.Date(), nullable=True),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("period", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("symbol_id", "ex_date", name=op.f("pk_dividends")),
    )


def _calendar() -> None:
    op.create_table(
        "exchange_hours",
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("open_local", sa.String(8), nullable=False),
        sa.Column("close_local", sa.String(8), nullable=False),
        sa.Column("working_days", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["exchange"], ["exchanges.code"], ondelete="CASCADE",
                                name=op.f("fk_exchange_hours_exchange_exchanges")),
        sa.PrimaryKeyConstraint("exchange", name=op.f("pk_exchange_hours")),
    )
    op.create_table(
        "exchange_holidays",
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("close_local", sa.String(8), nullable=True),
        sa.ForeignKeyConstraint(["exchange"], ["exchanges.code"], ondelete="CASCADE",
                                name=op.f("fk_exchange_holidays_exchange_exchanges")),
        sa.PrimaryKeyConstraint("exchange", "date", name=op.f("pk_exchange_holidays")),
    )


def _sync_state() -> None:
    op.create_table(
        "sync_checkpoints",
        _fk("sync_checkpoints"),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=True),
        sa.Column("last_full_fetch", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("symbol_id", "timeframe", name=op.f("pk_sync_checkpoints")),
    )
    op.create_table(
        "eodhd_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(100), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_bytes", sa.BigInteger(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eodhd_requests")),
    )
    op.create_index(op.f("ix_eodhd_requests_ts"), "eodhd_requests", ["ts"])


def downgrade() -> None:
    for table in ("eodhd_requests", "sync_checkpoints", "exchange_holidays", "exchange_hours",
                  "dividends", "splits", "bar_chunks", "symbols", "exchanges"):
        op.drop_table(table)
