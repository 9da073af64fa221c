"""members' sort keys recomputed: a doubled digraph (ssz, ccs, ggy…) is the digraph twice

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:00:00

``members.sort_key`` is derived from the name by ``bot.services.collation``; issue 14 corrected
the rule ("Kasza" before "Kassza"), so keys written before it put such names in the wrong place.
This recomputes every key with the rule of the code being migrated to (a later change of the
rule needs a migration like this one) and writes only those that differ.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.services.collation import hu_collation_string

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_members = sa.table(
    "members",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("sort_key", sa.String()),
)


def upgrade() -> None:
    """Only the names whose key changed are written (few: those with a doubled digraph)."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(_members.c.id, _members.c.name, _members.c.sort_key))
    changed = [
        {"member_id": member_id, "key": key}
        for member_id, name, old in rows
        if (key := hu_collation_string(name)) != old
    ]
    if changed:
        connection.execute(
            _members.update()
            .where(_members.c.id == sa.bindparam("member_id"))
            .values(sort_key=sa.bindparam("key")),
            changed,
        )


def downgrade() -> None:
    """Nothing to undo: the recomputed keys are right for the older schema too."""
