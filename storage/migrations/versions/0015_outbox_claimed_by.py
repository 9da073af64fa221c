"""outbox rows remember which replica claimed them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The advisory-lock key of the replica that marked the row "sending" (storage/replica.py):
    # a row whose replica is gone goes back to the queue; another replica's row in flight stays.
    op.add_column("outbox_messages", sa.Column("claimed_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_messages", "claimed_by")
