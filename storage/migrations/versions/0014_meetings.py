"""conflicts of interest on the electoral roll (Ptk. 3:19 (2)); decisions without a meeting
(Ptk. 3:20); meetings with their agenda and attendance sheet

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
                    "ballot", "no_meeting", "meeting", name="ballot_procedure", native_enum=False,
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

    _create_meetings()


def _create_meetings() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "body",
            sa.Enum(
                "kgy",
                "st",
                name="meeting_body",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("starts_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column(
            "quorum",
            sa.Enum(
                "more_than_half",
                "two_thirds",
                "none",
                name="meeting_quorum",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "convened",
                "open",
                "not_quorate",
                "closed",
                name="meeting_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("quorum_reached_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("officers_ballot_id", sa.Integer(), nullable=True),
        sa.Column("minute_taker_id", sa.Integer(), nullable=True),
        sa.Column("minute_taker_label", sa.String(length=200), nullable=True),
        sa.Column("authenticator1_id", sa.Integer(), nullable=True),
        sa.Column("authenticator1_label", sa.String(length=200), nullable=True),
        sa.Column("authenticator2_id", sa.Integer(), nullable=True),
        sa.Column("authenticator2_label", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["officers_ballot_id"],
            ["ballots.id"],
            name=op.f("fk_meetings_officers_ballot_id_ballots"),
        ),
        *[
            sa.ForeignKeyConstraint(
                [column],
                ["members.id"],
                name=op.f(f"fk_meetings_{column}_members"),
                ondelete="SET NULL",
            )
            for column in ("minute_taker_id", "authenticator1_id", "authenticator2_id")
        ],
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["members.id"],
            name=op.f("fk_meetings_created_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetings_status"), ["status"], unique=False)

    op.create_table(
        "meeting_attendance",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("arrived_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_attendance_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_meeting_attendance_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "member_id", name=op.f("pk_meeting_attendance")),
    )
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_attendance_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "meeting_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("draft", sa.Text(), nullable=True),
        sa.Column("ballot_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballots.id"], name=op.f("fk_meeting_items_ballot_id_ballots")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_items_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_items")),
        sa.UniqueConstraint("ballot_id", name=op.f("uq_meeting_items_ballot_id")),
        sa.UniqueConstraint("meeting_id", "position", name=op.f("uq_meeting_items_meeting_id")),
    )
    with op.batch_alter_table("meeting_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_items_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_confirmations",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("member_label", sa.String(length=200), nullable=False),
        sa.Column("confirmed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"],
            name=op.f("fk_meeting_confirmations_meeting_id_meetings"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"],
            name=op.f("fk_meeting_confirmations_member_id_members"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "member_id", name=op.f("pk_meeting_confirmations")),
    )  # fmt: skip
    op.create_table(
        "meeting_reminders",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_reminders_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "kind", name=op.f("pk_meeting_reminders")),
    )


def downgrade() -> None:
    op.drop_table("meeting_reminders")
    op.drop_table("meeting_confirmations")
    with op.batch_alter_table("meeting_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_items_meeting_id"))

    op.drop_table("meeting_items")
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_attendance_member_id"))

    op.drop_table("meeting_attendance")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_status"))
        batch_op.drop_index(batch_op.f("ix_meetings_starts_at"))

    op.drop_table("meetings")

    with op.batch_alter_table("ballots") as batch:
        for column in ("meeting_requested_at", "meeting_requested_by_label"):
            batch.drop_column(column)
        batch.drop_constraint("ballot_procedure", type_="check")
        batch.drop_column("procedure")
    with op.batch_alter_table("ballot_roll") as batch:
        batch.drop_column("affected_by_label")
        batch.drop_column("affected_reason")
