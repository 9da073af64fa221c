"""ballots, the register of resolutions and strategy proposals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:11:31.203193
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "body",
            sa.Enum(
                "kgy",
                "st",
                name="ballot_body",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "yesno",
                "single",
                "multi",
                name="ballot_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("changeable", sa.Boolean(), nullable=False),
        sa.Column(
            "quorum",
            sa.Enum(
                "more_than_half",
                "two_thirds",
                "none",
                name="ballot_quorum",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "majority",
            sa.Enum(
                "simple",
                "absolute",
                "two_thirds",
                "three_quarters",
                name="ballot_majority",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("deadline", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="ballot_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.Enum(
                "adopted",
                "rejected",
                "no_quorum",
                name="ballot_result",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("electorate", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_label", sa.String(length=200), nullable=True),
        sa.Column("group_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("group_message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["members.id"],
            name=op.f("fk_ballots_created_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballots")),
    )
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballots_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_ballots_status"), ["status"], unique=False)

    op.create_table(
        "ballot_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_comments_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_ballot_comments_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_comments")),
    )
    with op.batch_alter_table("ballot_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_comments_ballot_id"), ["ballot_id"], unique=False
        )

    op.create_table(
        "ballot_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("is_abstain", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_options_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_options")),
        sa.UniqueConstraint("ballot_id", "position", name=op.f("uq_ballot_options_ballot_id")),
    )
    with op.batch_alter_table("ballot_options", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_options_ballot_id"), ["ballot_id"], unique=False
        )

    op.create_table(
        "ballot_reminders",
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("hours_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_reminders_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ballot_id", "hours_before", name=op.f("pk_ballot_reminders")),
    )
    op.create_table(
        "ballot_roll",
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("has_voted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_roll_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_ballot_roll_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ballot_id", "member_id", name=op.f("pk_ballot_roll")),
    )
    with op.batch_alter_table("ballot_roll", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_roll_member_id"), ["member_id"], unique=False)

    op.create_table(
        "ballot_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cast_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_votes_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_ballot_votes_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_votes")),
        sa.UniqueConstraint("ballot_id", "member_id", name=op.f("uq_ballot_votes_ballot_id")),
    )
    op.create_table(
        "resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "body",
            sa.Enum(
                "kgy",
                "st",
                name="resolution_body",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("adopted_on", sa.Date(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_key", sa.Text(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballots.id"], name=op.f("fk_resolutions_ballot_id_ballots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolutions")),
        sa.UniqueConstraint("ballot_id", name=op.f("uq_resolutions_ballot_id")),
        sa.UniqueConstraint("body", "year", "number", name=op.f("uq_resolutions_body")),
    )
    op.create_table(
        "ballot_secret_tallies",
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_secret_tallies_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["ballot_options.id"],
            name=op.f("fk_ballot_secret_tallies_option_id_ballot_options"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ballot_id", "option_id", name=op.f("pk_ballot_secret_tallies")),
    )
    op.create_table(
        "ballot_vote_choices",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["ballot_options.id"],
            name=op.f("fk_ballot_vote_choices_option_id_ballot_options"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["ballot_votes.id"],
            name=op.f("fk_ballot_vote_choices_vote_id_ballot_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vote_id", "option_id", name=op.f("pk_ballot_vote_choices")),
    )
    with op.batch_alter_table("ballot_vote_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_vote_choices_option_id"), ["option_id"], unique=False
        )

    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=200), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "draft",
                "st_vote",
                "discussion",
                "kgy_vote",
                "adopted",
                "rejected",
                name="proposal_stage",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("st_ballot_id", sa.Integer(), nullable=True),
        sa.Column("kgy_ballot_id", sa.Integer(), nullable=True),
        sa.Column("discussion_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["members.id"],
            name=op.f("fk_proposals_author_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["kgy_ballot_id"], ["ballots.id"], name=op.f("fk_proposals_kgy_ballot_id_ballots")
        ),
        sa.ForeignKeyConstraint(
            ["st_ballot_id"], ["ballots.id"], name=op.f("fk_proposals_st_ballot_id_ballots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint("kgy_ballot_id", name=op.f("uq_proposals_kgy_ballot_id")),
        sa.UniqueConstraint("st_ballot_id", name=op.f("uq_proposals_st_ballot_id")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_stage"), ["stage"], unique=False)
    op.create_table(
        "proposal_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_proposal_comments_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_comments_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_comments")),
    )
    with op.batch_alter_table("proposal_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_comments_proposal_id"), ["proposal_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_comments_proposal_id"))
    op.drop_table("proposal_comments")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_stage"))
    op.drop_table("proposals")

    with op.batch_alter_table("ballot_vote_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_vote_choices_option_id"))

    op.drop_table("ballot_vote_choices")
    op.drop_table("ballot_secret_tallies")
    op.drop_table("resolutions")
    op.drop_table("ballot_votes")
    with op.batch_alter_table("ballot_roll", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_roll_member_id"))

    op.drop_table("ballot_roll")
    op.drop_table("ballot_reminders")
    with op.batch_alter_table("ballot_options", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_options_ballot_id"))

    op.drop_table("ballot_options")
    with op.batch_alter_table("ballot_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_comments_ballot_id"))

    op.drop_table("ballot_comments")
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballots_status"))
        batch_op.drop_index(batch_op.f("ix_ballots_deadline"))

    op.drop_table("ballots")
