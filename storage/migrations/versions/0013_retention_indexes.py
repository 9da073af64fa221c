"""indexes for the retention: routed messages, threads and join requests by their age

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The retention job (bot/jobs/privacy.py) deletes by these columns every hour.
INDEXES = (
    ("ix_routing_messages_created_at", "routing_messages", "created_at"),
    ("ix_routing_threads_last_activity_at", "routing_threads", "last_activity_at"),
    ("ix_join_requests_created_at", "join_requests", "created_at"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
