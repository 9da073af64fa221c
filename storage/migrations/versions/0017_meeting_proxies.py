"""proxies at meetings (meghatalmazás): who represents whom, and who votes for an absent member
on a meeting vote's roll

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_proxies",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["members.id"], name=op.f("fk_meeting_proxies_holder_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_proxies_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"], ["members.id"],
            name=op.f("fk_meeting_proxies_principal_id_members"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "principal_id", name=op.f("pk_meeting_proxies")),
    )  # fmt: skip
    with op.batch_alter_table("meeting_proxies") as batch:
        batch.create_index(batch.f("ix_meeting_proxies_holder_id"), ["holder_id"], unique=False)
        batch.create_index(
            batch.f("ix_meeting_proxies_principal_id"), ["principal_id"], unique=False
        )
    # The roll of a meeting's vote names the holder who votes for an absent principal.
    with op.batch_alter_table("ballot_roll") as batch:
        batch.add_column(sa.Column("proxy_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_ballot_roll_proxy_id_members", "members", ["proxy_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("ballot_roll") as batch:
        batch.drop_constraint("fk_ballot_roll_proxy_id_members", type_="foreignkey")
        batch.drop_column("proxy_id")
    with op.batch_alter_table("meeting_proxies") as batch:
        batch.drop_index(batch.f("ix_meeting_proxies_principal_id"))
        batch.drop_index(batch.f("ix_meeting_proxies_holder_id"))
    op.drop_table("meeting_proxies")
