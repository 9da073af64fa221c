"""outbox files can be documents (a meeting's minutes), with their file name

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A file with a name is sent as a document (the minutes PDF to every member), without one
    # as a picture (a digest's chart), as before.
    op.add_column("outbox_files", sa.Column("filename", sa.String(length=120), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_files", "filename")
