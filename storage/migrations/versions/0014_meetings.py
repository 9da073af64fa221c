"""conflicts of interest on the electoral roll (Ptk. 3:19 (2)); decisions without a meeting
(Ptk. 3:20)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    """An affected member stays on the roll, marked with the reason and who marked them."""
    with op.batch_alter_table("ballot_roll") as batch:
        batch.add_column(sa.Column("affected_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("affected_by_label", sa.String(length=200), nullable=True))
    with op.batch_alter_table("ballots") as batch:
        batch.add_column(
            sa.Column(
                "procedure",
                sa.Enum(
                    "ballot", "no_meeting", name="ballot_procedure", native_enum=False,
                    create_constraint=True, length=16,
                ),
                nullable=False,
                server_default="ballot",
            )
        )  # fmt: skip
        batch.add_column(
            sa.Column("meeting_requested_by_label", sa.String(length=200), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "meeting_requested_at", storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("ballots") as batch:
        for column in ("meeting_requested_at", "meeting_requested_by_label"):
            batch.drop_column(column)
        batch.drop_constraint("ballot_procedure", type_="check")
        batch.drop_column("procedure")
    with op.batch_alter_table("ballot_roll") as batch:
        batch.drop_column("affected_by_label")
        batch.drop_column("affected_reason")
