"""workplan: plans, tasks, task history, adopted versions and sent schedule slots

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-27 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _status(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "workplans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status", _status("draft", "voting", "adopted", name="workplan_status"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=True),
        sa.Column("resolution_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_label", sa.String(length=200), nullable=False),
        sa.Column("adopted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workplans")),
    )
    with op.batch_alter_table("workplans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workplans_ballot_id"), ["ballot_id"], unique=False)

    op.create_table(
        "workplan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["workplans.id"],
            name=op.f("fk_workplan_versions_plan_id_workplans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workplan_versions")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_workplan_versions_plan_id")),
    )
    with op.batch_alter_table("workplan_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workplan_versions_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "workplan_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("workgroup_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column(
            "status",
            _status(
                "planned",
                "in_progress",
                "done",
                "late",
                "suspended",
                "cancelled",
                name="workplan_task_status",
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100",
            name=op.f("ck_workplan_tasks_progress_range"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["workplans.id"],
            name=op.f("fk_workplan_tasks_plan_id_workplans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workgroup_id"],
            ["workgroups.id"],
            name=op.f("fk_workplan_tasks_workgroup_id_workgroups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workplan_tasks")),
    )
    with op.batch_alter_table("workplan_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workplan_tasks_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_workplan_tasks_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workplan_tasks_workgroup_id"), ["workgroup_id"], unique=False
        )

    op.create_table(
        "workplan_task_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old", sa.String(length=200), nullable=True),
        sa.Column("new", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["members.id"],
            name=op.f("fk_workplan_task_events_actor_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["workplan_tasks.id"],
            name=op.f("fk_workplan_task_events_task_id_workplan_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workplan_task_events")),
    )
    with op.batch_alter_table("workplan_task_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workplan_task_events_task_id"), ["task_id"], unique=False
        )

    op.create_table(
        "schedule_sent",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_schedule_sent")),
    )


def downgrade() -> None:
    op.drop_table("schedule_sent")
    with op.batch_alter_table("workplan_task_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workplan_task_events_task_id"))

    op.drop_table("workplan_task_events")
    with op.batch_alter_table("workplan_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workplan_tasks_workgroup_id"))
        batch_op.drop_index(batch_op.f("ix_workplan_tasks_plan_id"))
        batch_op.drop_index(batch_op.f("ix_workplan_tasks_deadline"))

    op.drop_table("workplan_tasks")
    with op.batch_alter_table("workplan_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workplan_versions_plan_id"))

    op.drop_table("workplan_versions")
    with op.batch_alter_table("workplans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workplans_ballot_id"))

    op.drop_table("workplans")
