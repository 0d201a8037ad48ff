"""market store: bar flags - soft anomalies of stored bars (gaps, zero volume, big moves).

Revision ID: market_0002
Revises: market_0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "market_0002"
down_revision: str | Sequence[str] | None = "market_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bar_flags",
        sa.Column("symbol_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(["symbol_id"], ["symbols.id"], ondelete="CASCADE",
                                name=op.f("fk_bar_flags_symbol_id_symbols")),
        sa.PrimaryKeyConstraint("symbol_id", "timeframe", "ts", "kind",
                                name=op.f("pk_bar_flags")),
    )


def downgrade() -> None:
    op.drop_table("bar_flags")
