"""user store: initial revision (no tables yet; later issues add watchlists, drawings...).

Revision ID: user_0001
Revises:
Create Date: 2026-05-09
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "user_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("user",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
