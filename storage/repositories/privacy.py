"""Personal data across the tables, addressed by table and column name: what an export reads,
what an erasure deletes or rewrites, and what the retention deletes.

The rules (which columns of which table point to a person, and what an erasure does with them)
are in ``bot.services.privacy``; this module only runs the queries they need. A reference is a
``(column, value)`` pair, or ``(column, [values])``; a row matches when any reference does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Enum,
    String,
    Table,
    Text,
    cast,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeEngine

from storage.models import AuditEntry, Base, JoinRequest, Member, TelegramUser
from storage.models.announcements import AnnouncementDelivery, DeliveryState
from storage.models.ballots import Ballot, BallotStatus, RollEntry
from storage.models.outbox import OutboxMessage
from storage.models.routing import RoutedMessage, RoutingThread
from storage.repositories.base import Repository, _escape_like

Ref = tuple[str, Any]
#: Ids per ``IN (...)`` list.
CHUNK = 500


def table(name: str) -> Table:
    """A table of the schema by name."""
    return Base.metadata.tables[name]


def is_text(kind: TypeEngine[Any]) -> bool:
    """A column that can hold free text: strings (not enums) and JSON."""
    return isinstance(kind, JSON) or (isinstance(kind, String) and not isinstance(kind, Enum))


def _matches(source: Table, refs: Sequence[Ref]) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for column, value in refs:
        if isinstance(value, list | tuple | set | frozenset):
            if value:
                conditions.append(source.c[column].in_(list(value)))
        elif value is not None:
            conditions.append(source.c[column] == value)
    return or_(*conditions) if conditions else false()


def _key(source: Table) -> list[Any]:
    return list(source.primary_key.columns)


class PrivacyRepository(Repository):
    """Rows about a person in any table; the retention's deletions."""

    async def rows(self, name: str, refs: Sequence[Ref]) -> list[dict[str, Any]]:
        """Every row of the table that any reference matches, in primary-key order."""
        source = table(name)
        result = await self.session.execute(
            select(source).where(_matches(source, refs)).order_by(*_key(source))
        )
        return [dict(row) for row in result.mappings()]

    async def count(self, name: str, refs: Sequence[Ref]) -> int:
        source = table(name)
        return int(
            await self.session.scalar(
                select(func.count()).select_from(source).where(_matches(source, refs))
            )
            or 0
        )

    async def delete(self, name: str, refs: Sequence[Ref]) -> int:
        """Delete the rows any reference matches (the database cascades to their children)."""
        source = table(name)
        result = await self.session.execute(
            delete(source)
            .where(_matches(source, refs))
            .execution_options(synchronize_session=False)
        )
        return max(int(getattr(result, "rowcount", 0) or 0), 0)

    async def update(self, name: str, refs: Sequence[Ref], values: dict[str, Any]) -> int:
        """Set ``values`` in the rows any reference matches."""
        source = table(name)
        result = await self.session.execute(
            update(source)
            .where(_matches(source, refs))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return max(int(getattr(result, "rowcount", 0) or 0), 0)

    async def containing(
        self, name: str, column: str, needles: Sequence[str]
    ) -> list[tuple[dict[str, Any], Any]]:
        """Rows whose ``column`` (text, or JSON as stored) may contain one of ``needles`` in
        any letter case: each row's primary key and the column's value. A superset: the caller
        matches the values itself (see ``_any_case``). JSON is searched as its stored text,
        where ``json.dumps`` may have escaped non-ASCII letters, so both spellings are looked
        for."""
        source = table(name)
        target = source.c[column]
        is_json = isinstance(target.type, JSON)
        searched = func.lower(cast(target, Text) if is_json else target)
        patterns = {_any_case(n) for n in needles}
        if is_json:
            patterns |= {_any_case(n, json_escaped=True) for n in needles}
        condition = or_(*(searched.like(p, escape="\\") for p in sorted(patterns)))
        result = await self.session.execute(
            select(*_key(source), target).where(condition).order_by(*_key(source))
        )
        keys = [c.name for c in _key(source)]
        return [(dict(zip(keys, row[:-1], strict=True)), row[-1]) for row in result]

    async def names_containing(
        self, needles: Sequence[str], *, member_id: int, telegram_id: int | None
    ) -> list[str]:
        """The names of the members but ``member_id``, and of the Telegram accounts but
        ``telegram_id`` in both orders ("last first", "first last"), that may contain one of
        ``needles`` in any letter case: a superset, as ``containing`` finds."""
        patterns = sorted({_any_case(n) for n in needles})

        def like(text: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
            return or_(*(func.lower(text).like(p, escape="\\") for p in patterns))

        names = await self.session.scalars(
            select(Member.name).where(Member.id != member_id, like(Member.name))
        )
        first, last = TelegramUser.first_name, func.coalesce(TelegramUser.last_name, "")
        accounts = await self.session.execute(
            select(first, last).where(
                TelegramUser.id != (telegram_id or 0),
                or_(like(last + " " + first), like(first + " " + last)),
            )
        )
        found = list(names)
        for given, family in accounts:
            found += [f"{family} {given}".strip(), f"{given} {family}".strip()]
        return found

    async def set_value(self, name: str, key: dict[str, Any], column: str, value: Any) -> None:
        """Write one column of the row with primary key ``key``."""
        source = table(name)
        await self.session.execute(
            update(source)
            .where(*(source.c[k] == v for k, v in key.items()))
            .values({column: value})
            .execution_options(synchronize_session=False)
        )

    async def awaiting_votes(self, member_id: int) -> int:
        """Open ballots on whose roll the member is and has not voted (a deactivation strikes
        them off those rolls)."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(RollEntry)
                .join(Ballot, Ballot.id == RollEntry.ballot_id)
                .where(
                    RollEntry.member_id == member_id,
                    RollEntry.has_voted.is_(False),
                    Ballot.status == BallotStatus.OPEN,
                )
            )
            or 0
        )

    async def stop_announcement_deliveries(self, member_id: int) -> int:
        """The member's announcement copies still waiting to go will not: ``no_account``."""
        result = await self.session.execute(
            update(AnnouncementDelivery)
            .where(
                AnnouncementDelivery.member_id == member_id,
                AnnouncementDelivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
            )
            .values(state=DeliveryState.NO_ACCOUNT)
            .execution_options(synchronize_session=False)
        )
        return max(int(getattr(result, "rowcount", 0) or 0), 0)

    async def audit_details(self, subject_id: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The details of every audit entry about the member, by primary key."""
        result = await self.session.execute(
            select(AuditEntry.id, AuditEntry.details)
            .where(AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.id)
        )
        return [({"id": row[0]}, dict(row[1] or {})) for row in result]

    # --- retention -------------------------------------------------------------------------------

    async def delete_routed_before(self, cutoff: datetime) -> tuple[int, int]:
        """Routed messages written before ``cutoff`` (with their deliveries and copies), then the
        threads left empty whose last activity was before it; returns (messages, threads)."""
        messages = await self.session.execute(
            delete(RoutedMessage)
            .where(RoutedMessage.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        empty = ~exists(select(RoutedMessage.id).where(RoutedMessage.thread_id == RoutingThread.id))
        # Locked first, deleted by a second statement that asks again whether they are empty:
        # on PostgreSQL a message being written to such a thread right now (a follow-up, which
        # does not write the thread itself) holds a lock the first statement waits for, and
        # only a statement begun after that message committed sees it.
        stale = await self.session.scalars(
            select(RoutingThread.id)
            .where(RoutingThread.last_activity_at < cutoff, empty)
            .with_for_update()
        )
        ids, threads = list(stale), 0
        for start in range(0, len(ids), 500):
            deleted = await self.session.execute(
                delete(RoutingThread)
                .where(RoutingThread.id.in_(ids[start : start + 500]), empty)
                .execution_options(synchronize_session=False)
            )
            threads += max(int(getattr(deleted, "rowcount", 0) or 0), 0)
        return max(int(getattr(messages, "rowcount", 0) or 0), 0), threads

    async def delete_join_cards(self, request_ids: Sequence[int]) -> None:
        """The cards about these join requests that went to the KSz through the outbox (batch
        ``join:<id>``, see ``bot.handlers.members``): the applicant's name and introduction."""
        for start in range(0, len(request_ids), CHUNK):
            part = request_ids[start : start + CHUNK]
            await self.session.execute(
                delete(OutboxMessage)
                .where(OutboxMessage.batch.in_([f"join:{i}" for i in part]))
                .execution_options(synchronize_session=False)
            )

    async def delete_join_requests_before(self, cutoff: datetime) -> int:
        """Join requests made before ``cutoff``, with their cards; returns how many."""
        ids = list(
            (
                await self.session.execute(
                    select(JoinRequest.id).where(JoinRequest.created_at < cutoff)
                )
            ).scalars()
        )
        await self.delete_join_cards(ids)
        for start in range(0, len(ids), CHUNK):
            await self.session.execute(
                delete(JoinRequest)
                .where(JoinRequest.id.in_(ids[start : start + CHUNK]))
                .execution_options(synchronize_session=False)
            )
        return len(ids)


def _any_case(needle: str, *, json_escaped: bool = False) -> str:
    """A LIKE pattern that finds ``needle`` in a lower-cased column whatever its letter case:
    ASCII as lower case, any other character as a wildcard (SQLite's ``lower()`` folds ASCII
    only), one for each character ``json.dumps`` writes for it if ``json_escaped``."""
    pattern = []
    for char in needle:
        spelt = json.dumps(char)[1:-1] if json_escaped else char
        pattern.append(_escape_like(spelt.lower()) if char.isascii() else "_" * len(spelt))
    return f"%{''.join(pattern)}%"
