"""secret ballots: an urn of unlinked papers while a ballot is open, counted at the close

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The urn. Secret ballots open at the upgrade keep their counters: the close adds them."""
    op.create_table(
        "ballot_urn",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_urn_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["ballot_options.id"],
            name=op.f("fk_ballot_urn_option_id_ballot_options"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_urn")),
    )


def downgrade() -> None:
    """Drop the urn (papers of open secret ballots are lost: close them first)."""
    op.drop_table("ballot_urn")
