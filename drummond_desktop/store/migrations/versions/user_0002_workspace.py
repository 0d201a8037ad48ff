"""user store: the workspace - chart drawings, watchlists with their symbols, named layouts.

Revision ID: user_0002
Revises: user_0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "user_0002"
down_revision: str | Sequence[str] | None = "user_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drawings",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("anchors", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("style", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drawings")),
    )
    op.create_index(op.f("ix_drawings_symbol"), "drawings", ["symbol"])
    op.create_table(
        "watchlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlists")),
        sa.UniqueConstraint("name", name=op.f("uq_watchlists_name")),
    )
    op.create_table(
        "watchlist_items",
        sa.Column("watchlist_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(["watchlist_id"], ["watchlists.id"], ondelete="CASCADE",
                                name=op.f("fk_watchlist_items_watchlist_id_watchlists")),
        sa.PrimaryKeyConstraint("watchlist_id", "position", name=op.f("pk_watchlist_items")),
    )
    op.create_table(
        "layouts",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_layouts")),
    )


def downgrade() -> None:
    for table in ("layouts", "watchlist_items", "watchlists"):
        op.drop_table(table)
    op.drop_index(op.f("ix_drawings_symbol"), table_name="drawings")
    op.drop_table("drawings")
