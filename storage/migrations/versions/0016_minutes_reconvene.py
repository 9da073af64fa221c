"""outbox files can be documents (a meeting's minutes); a meeting can reconvene another

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
    # A megismételt ülés names the not-quorate meeting whose agenda it takes up again.
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("reconvenes_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_meetings_reconvenes_id_meetings", "meetings", ["reconvenes_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.drop_constraint("fk_meetings_reconvenes_id_meetings", type_="foreignkey")
        batch.drop_column("reconvenes_id")
    op.drop_column("outbox_files", "filename")
