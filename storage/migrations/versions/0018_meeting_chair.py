"""a meeting's elected chair, its agenda's adoption, and its electorate at the start

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        # the levezető elnök the meeting elects with the minute-taker and the authenticators
        batch.add_column(sa.Column("chair_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("chair_label", sa.String(length=200), nullable=True))
        batch.create_foreign_key(
            "fk_meetings_chair_id_members", "members", ["chair_id"], ["id"], ondelete="SET NULL"
        )
        # the ballot that adopted (or rejected) the agenda
        batch.add_column(sa.Column("agenda_ballot_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_meetings_agenda_ballot_id_ballots", "ballots", ["agenda_ballot_id"], ["id"]
        )
        # the members with the vote at the start: the minutes' quorum statement reads this, not
        # today's membership
        batch.add_column(sa.Column("electorate", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("electorate")
        batch.drop_constraint("fk_meetings_agenda_ballot_id_ballots", type_="foreignkey")
        batch.drop_column("agenda_ballot_id")
        batch.drop_constraint("fk_meetings_chair_id_members", type_="foreignkey")
        batch.drop_column("chair_label")
        batch.drop_column("chair_id")
