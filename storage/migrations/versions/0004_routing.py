"""routing: threads, routed messages, deliveries, copies, sessions and flood counters

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-27 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_flood",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("window_start", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_routing_flood_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_routing_flood")),
    )
    op.create_table(
        "routing_sessions",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("workgroup_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_routing_sessions_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workgroup_id"],
            ["workgroups.id"],
            name=op.f("fk_routing_sessions_workgroup_id_workgroups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_routing_sessions")),
    )
    op.create_table(
        "routing_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workgroup_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("origin_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("in_group", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "handed_to_ksz",
                "resolved",
                name="routing_thread_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handed_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["handed_by_id"],
            ["members.id"],
            name=op.f("fk_routing_threads_handed_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_routing_threads_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["members.id"],
            name=op.f("fk_routing_threads_resolved_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workgroup_id"],
            ["workgroups.id"],
            name=op.f("fk_routing_threads_workgroup_id_workgroups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_threads")),
    )
    with op.batch_alter_table("routing_threads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_threads_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_routing_threads_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_routing_threads_workgroup_id"), ["workgroup_id"], unique=False
        )

    op.create_table(
        "routing_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "question",
                "answer",
                name="routing_direction",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "signer",
            sa.Enum(
                "member",
                "catalyst",
                "ksz",
                name="routing_signer",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("origin_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("origin_message_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["members.id"],
            name=op.f("fk_routing_messages_author_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["routing_threads.id"],
            name=op.f("fk_routing_messages_thread_id_routing_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_messages")),
    )
    with op.batch_alter_table("routing_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routing_messages_author_created", ["author_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_routing_messages_thread_id"), ["thread_id"], unique=False
        )

    op.create_table(
        "routing_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum(
                "catalyst",
                "ksz",
                "member",
                "group",
                name="routing_audience",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reply_to_message_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                name="routing_delivery_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["routing_messages.id"],
            name=op.f("fk_routing_deliveries_message_id_routing_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_deliveries")),
    )
    with op.batch_alter_table("routing_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routing_deliveries_chat_status", ["chat_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_routing_deliveries_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "routing_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["routing_deliveries.id"],
            name=op.f("fk_routing_copies_delivery_id_routing_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_copies")),
    )
    with op.batch_alter_table("routing_copies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_copies_delivery_id"), ["delivery_id"], unique=False
        )
        batch_op.create_index(
            "uq_routing_copies_chat_message", ["chat_id", "message_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("routing_copies", schema=None) as batch_op:
        batch_op.drop_index("uq_routing_copies_chat_message")
        batch_op.drop_index(batch_op.f("ix_routing_copies_delivery_id"))

    op.drop_table("routing_copies")
    with op.batch_alter_table("routing_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_deliveries_message_id"))
        batch_op.drop_index("ix_routing_deliveries_chat_status")

    op.drop_table("routing_deliveries")
    with op.batch_alter_table("routing_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_messages_thread_id"))
        batch_op.drop_index("ix_routing_messages_author_created")

    op.drop_table("routing_messages")
    with op.batch_alter_table("routing_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_threads_workgroup_id"))
        batch_op.drop_index(batch_op.f("ix_routing_threads_status"))
        batch_op.drop_index(batch_op.f("ix_routing_threads_member_id"))

    op.drop_table("routing_threads")
    op.drop_table("routing_sessions")
    op.drop_table("routing_flood")
