"""ballots remember what the main group's copy shows, so an unchanged copy is never edited

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A nullable digest: an old copy (unknown) is edited once, then remembered."""
    with op.batch_alter_table("ballots") as batch:
        batch.add_column(sa.Column("group_shown", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ballots") as batch:
        batch.drop_column("group_shown")
