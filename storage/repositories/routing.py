"""Queries of the routing feature (threads, routed messages, deliveries, copies, sessions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CursorResult,
    Integer,
    Select,
    Table,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from storage.models import Member, TelegramUser, Workgroup, WorkgroupMember
from storage.models.routing import (
    DeliveryStatus,
    Direction,
    RoutedMessage,
    RoutingCopy,
    RoutingDelivery,
    RoutingFlood,
    RoutingSession,
    RoutingThread,
    ThreadStatus,
)
from storage.prepared import Prepared
from storage.repositories.base import Repository, execute_last
from storage.types import UTCDateTime

OPEN_STATUSES = (ThreadStatus.OPEN, ThreadStatus.HANDED_TO_KSZ)


def _thread_query() -> Select[RoutingThread]:
    return select(RoutingThread).options(
        selectinload(RoutingThread.workgroup),
        selectinload(RoutingThread.member)
        .selectinload(Member.memberships)
        .selectinload(WorkgroupMember.workgroup),
        selectinload(RoutingThread.handed_by),
    )


def _delivery_query() -> Select[RoutingDelivery]:
    # Every step is many-to-one: one SELECT with joins, not a SELECT ... IN per step.
    thread = joinedload(RoutingDelivery.message).joinedload(RoutedMessage.thread)
    return select(RoutingDelivery).options(
        joinedload(RoutingDelivery.message).joinedload(RoutedMessage.author),
        thread.joinedload(RoutingThread.workgroup),
        thread.joinedload(RoutingThread.member),
        thread.joinedload(RoutingThread.handed_by),
    )


class AccountState(NamedTuple):
    """What sending to a private chat needs of its account."""

    id: int
    language: str | None
    language_code: str | None
    blocked_at: datetime | None


_ACCOUNT = (
    TelegramUser.id,
    TelegramUser.language,
    TelegramUser.language_code,
    TelegramUser.blocked_at,
)


class ChatState(NamedTuple):
    """A recipient chat as a question's deliveries found it when they were written."""

    account: AccountState | None
    #: Another delivery waits there (older, or another recorder's not yet sent).
    others_wait: bool


class Waiting(NamedTuple):
    """What waits for a chat, and the chat's account (None: a group, or no account)."""

    account: AccountState | None
    deliveries: list[RoutingDelivery]


# The hot path's writes as Core statements built once: an ORM flush of a new object costs more
# than the statement, and a statement built per call costs its construction and cache key.
_THREADS = cast(Table, RoutingThread.__table__)
_MESSAGES = cast(Table, RoutedMessage.__table__)
_DELIVERIES = cast(Table, RoutingDelivery.__table__)
_SESSIONS = cast(Table, RoutingSession.__table__)
_FLOOD = cast(Table, RoutingFlood.__table__)
_INSERT_THREAD = Prepared(insert(_THREADS).returning(_THREADS.c.id))
_INSERT_MESSAGE = Prepared(insert(_MESSAGES).returning(_MESSAGES.c.id))
_INSERT_DELIVERIES = insert(_DELIVERIES).returning(RoutingDelivery.id, sort_by_parameter_order=True)
_INSERT_COPIES = Prepared(insert(cast(Table, RoutingCopy.__table__)))


def _of_chat(sql: str, type_: Any) -> ColumnElement[Any]:
    """A subquery about the chat of the delivery an INSERT ... RETURNING writes. Its text names
    the INSERT's table itself: SQLAlchemy renders a subquery in RETURNING with no correlation
    to that table (and, for SQLite, without table names), which would read every row."""
    return literal_column(sql.replace("{chat}", "routing_deliveries.chat_id"), type_)


#: A question's deliveries, each with what its recorder needs to send it itself: whether another
#: delivery waits for the chat (SQLite's subquery also sees the rows the statement wrote before
#: it, PostgreSQL's none of them), and the chat's account (None: a group, or no account).
_INSERT_QUESTION_DELIVERIES = Prepared(
    insert(_DELIVERIES).returning(
        _DELIVERIES.c.id,
        _of_chat(
            "EXISTS (SELECT 1 FROM routing_deliveries AS waiting WHERE waiting.chat_id = {chat}"
            f" AND waiting.status = '{DeliveryStatus.PENDING.value}'"
            " AND waiting.id <> routing_deliveries.id)",
            Boolean(),
        ),
        *(
            _of_chat(f"(SELECT {c} FROM telegram_users WHERE telegram_users.id = {{chat}})", c.type)
            for c in (each.expression for each in _ACCOUNT)
        ),
        sort_by_parameter_order=True,
    )
)
_COUNT_IN_SESSION = Prepared(
    update(_SESSIONS)
    .where(
        _SESSIONS.c.member_id == bindparam("member"),
        _SESSIONS.c.workgroup_id == bindparam("workgroup"),
    )
    .values(last_activity_at=bindparam("now"), messages=_SESSIONS.c.messages + 1)
    .returning(_SESSIONS.c.messages)
)


def _is_open(status: Any) -> ColumnElement[bool]:
    """``status IN OPEN_STATUSES`` as equalities: SQLAlchemy sends an IN of constants as an
    expanding parameter, rewritten into the statement's text (a regex) at every execution."""
    return or_(*(status == each for each in OPEN_STATUSES))


# The hot path's reads, built once with bound parameters.
_OPEN_THREAD = (
    select(RoutingThread)
    .where(
        RoutingThread.workgroup_id == bindparam("workgroup"),
        RoutingThread.member_id == bindparam("member"),
        RoutingThread.origin_chat_id == bindparam("chat"),
        _is_open(RoutingThread.status),
    )
    .order_by(RoutingThread.id.desc())
    .limit(1)
)
_WAITING = (
    _delivery_query()
    .add_columns(*_ACCOUNT)
    .outerjoin(TelegramUser, TelegramUser.id == RoutingDelivery.chat_id)
    .where(
        RoutingDelivery.chat_id == bindparam("chat"),
        RoutingDelivery.status == DeliveryStatus.PENDING,
    )
    .order_by(RoutingDelivery.id)
)
_SESSION_OF = (
    select(RoutingSession)
    .where(RoutingSession.member_id == bindparam("member"))
    .options(joinedload(RoutingSession.workgroup).joinedload(Workgroup.catalyst))
)
_EARLIER = aliased(RoutingThread)
_LATEST_OPEN_OF_SESSION = (
    select(_EARLIER.id)
    .where(
        _EARLIER.workgroup_id == RoutingSession.workgroup_id,
        _EARLIER.member_id == RoutingSession.member_id,
        _EARLIER.origin_chat_id == bindparam("chat"),
        _is_open(_EARLIER.status),
    )
    .order_by(_EARLIER.id.desc())
    .limit(1)
    .scalar_subquery()
)
#: The member's session as ``_SESSION_OF`` reads it, with their open thread (``_OPEN_THREAD``)
#: with the session's workgroup from a chat beside it: a message in a session needs both.
_SESSION_AND_THREAD = _SESSION_OF.add_columns(RoutingThread).outerjoin(
    RoutingThread, RoutingThread.id == _LATEST_OPEN_OF_SESSION
)
_SET_STATUS = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("delivery"))
    .values(status=bindparam("status"))
)
_SET_DELIVERED = Prepared(_SET_STATUS.values(delivered_at=bindparam("at")))

#: The flood count's upsert, built once per dialect (``ON CONFLICT`` is the dialect's own).
_COUNT_MESSAGE: dict[str, Prepared] = {}


def _count_message(upsert: Any) -> Prepared:
    """``RoutingRepository.count_message``'s statement, with its values as bound parameters."""
    flood = _FLOOD.c
    now = bindparam("now", type_=UTCDateTime())
    stale = or_(
        flood.window_start <= bindparam("window_from", type_=UTCDateTime()),
        flood.window_start > now,
    )
    over = flood.count >= bindparam("limit", type_=Integer())
    first, first_over = (
        bindparam("first", type_=Integer()),
        bindparam("first_over", type_=Boolean()),
    )
    told, silent = bindparam("told", type_=Integer()), bindparam("silent", type_=Integer())
    return Prepared(
        upsert.values(
            member_id=bindparam("member"), window_start=now, count=first, notified=first_over
        )
        .on_conflict_do_update(
            index_elements=["member_id"],
            set_={
                "window_start": case((stale, now), else_=flood.window_start),
                "count": case(
                    (stale, first),
                    (over, case((flood.notified, silent), else_=told)),
                    else_=flood.count + 1,
                ),
                "notified": case((stale, first_over), (over, true()), else_=flood.notified),
            },
        )
        .returning(flood.count)
    )


class RoutingRepository(Repository):
    """Threads, routed messages, deliveries, copies, sessions and flood counters."""

    # --- threads -------------------------------------------------------------------------------

    async def thread(self, thread_id: int, *, lock: bool = False) -> RoutingThread | None:
        query = _thread_query().where(RoutingThread.id == thread_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def open_thread(
        self, workgroup_id: int, member_id: int, origin_chat_id: int
    ) -> RoutingThread | None:
        """The member's unresolved thread with this workgroup from this chat, if any (its own
        columns: recording a question needs no more)."""
        values = {"workgroup": workgroup_id, "member": member_id, "chat": origin_chat_id}
        result = await self.session.execute(_OPEN_THREAD, values)
        return result.scalar_one_or_none()

    async def open_threads(self) -> Sequence[RoutingThread]:
        """Every unresolved thread, oldest first."""
        result = await self.session.execute(
            _thread_query()
            .where(RoutingThread.status.in_(OPEN_STATUSES))
            .order_by(RoutingThread.created_at, RoutingThread.id)
        )
        return result.scalars().all()

    async def insert_thread(self, values: dict[str, Any]) -> RoutingThread:
        """One ``INSERT ... RETURNING``, no ORM flush: the new thread as written, its id filled
        in (not attached to the unit: a later change to it in the unit would not be written)."""
        thread_id = (await _INSERT_THREAD.run(self.session, values)).scalar()
        return RoutingThread(id=thread_id, **values)

    # --- routed messages -----------------------------------------------------------------------

    async def insert_message(self, values: dict[str, Any]) -> RoutedMessage:
        """One ``INSERT ... RETURNING``, no ORM flush: the message as written, its id filled in
        (not attached to the unit)."""
        message_id = (await _INSERT_MESSAGE.run(self.session, values)).scalar()
        return RoutedMessage(id=message_id, **values)

    @staticmethod
    def link_question(
        thread: RoutingThread,
        message: RoutedMessage,
        deliveries: Sequence[RoutingDelivery],
        related: dict[str, Any],
    ) -> None:
        """Join the rows a question was recorded as the way a read of them joins them (delivery
        to message to thread; ``related``: the thread's ``workgroup``, ``member`` and
        ``handed_by``, and the message's ``author``), so that they can be sent after the unit
        without reading them back. Nothing is left to flush; what the thread had loaded stays."""
        for key in ("workgroup", "member", "handed_by"):
            if key not in thread.__dict__:
                set_committed_value(thread, key, related[key])
        set_committed_value(message, "thread", thread)
        set_committed_value(message, "author", related["author"])
        for delivery in deliveries:
            set_committed_value(delivery, "message", message)

    async def recent_questions(self, thread_id: int, limit: int) -> Sequence[RoutedMessage]:
        """The thread's last ``limit`` questions, oldest first."""
        result = await self.session.execute(
            select(RoutedMessage)
            .where(
                RoutedMessage.thread_id == thread_id,
                RoutedMessage.direction == Direction.QUESTION,
            )
            .order_by(RoutedMessage.id.desc())
            .limit(limit)
        )
        return list(reversed(result.scalars().all()))

    async def last_question(self, thread_id: int) -> RoutedMessage | None:
        found = await self.recent_questions(thread_id, 1)
        return found[0] if found else None

    async def count_messages(self, thread_ids: Sequence[int]) -> dict[int, int]:
        """How many messages each thread holds."""
        if not thread_ids:
            return {}
        result = await self.session.execute(
            select(RoutedMessage.thread_id, func.count())
            .where(RoutedMessage.thread_id.in_(thread_ids))
            .group_by(RoutedMessage.thread_id)
        )
        return {thread_id: int(n) for thread_id, n in result.all()}

    # --- deliveries ----------------------------------------------------------------------------

    async def insert_deliveries(self, rows: list[dict[str, Any]]) -> list[RoutingDelivery]:
        """One ``INSERT ... RETURNING`` for all of them, no ORM flush: the deliveries as written,
        in the order given, their ids filled in (not attached to the unit)."""
        if not rows:
            return []
        ids = (await self.session.execute(_INSERT_DELIVERIES, rows)).scalars().all()
        return [RoutingDelivery(id=i, **row) for i, row in zip(ids, rows, strict=True)]

    async def insert_question_deliveries(
        self, rows: list[dict[str, Any]]
    ) -> tuple[list[RoutingDelivery], dict[int, ChatState]]:
        """``insert_deliveries``, and what the same statement found of each recipient chat:
        whether anything else waits there, and its account."""
        if not rows:
            return [], {}
        found = (await _INSERT_QUESTION_DELIVERIES.run(self.session, rows)).all()
        deliveries: list[RoutingDelivery] = []
        chats: dict[int, ChatState] = {}
        for (delivery_id, others, *account), values in zip(found, rows, strict=True):
            deliveries.append(RoutingDelivery(id=delivery_id, **values))
            chat = values["chat_id"]  # two deliveries to one chat: the second waits
            chats[chat] = ChatState(
                AccountState(*account) if account[0] is not None else None,
                bool(others) or chat in chats,
            )
        return deliveries, chats

    async def statuses(self, delivery_ids: Sequence[int]) -> dict[int, DeliveryStatus]:
        """Where each delivery stands now."""
        rows = await self.session.execute(
            select(RoutingDelivery.id, RoutingDelivery.status).where(
                RoutingDelivery.id.in_(list(delivery_ids))
            )
        )
        return {row[0]: row[1] for row in rows}

    async def delivery(self, delivery_id: int) -> RoutingDelivery | None:
        result = await self.session.execute(
            _delivery_query().where(RoutingDelivery.id == delivery_id)
        )
        return result.scalar_one_or_none()

    async def set_delivery_status(self, delivery_id: int, status: DeliveryStatus) -> bool:
        """One UPDATE, nothing loaded; False when the delivery is gone (retention). A delivered
        one is marked with its copies by ``record_delivered``."""
        values = {"delivery": delivery_id, "status": status}
        result = await self.session.execute(_SET_STATUS, values)
        return bool(cast(CursorResult[Any], result).rowcount)

    async def waiting(self, chat_id: int) -> Waiting:
        """Deliveries waiting for one chat, in the order they were made, and the chat's account
        beside them: one statement (the account is None with nothing waiting)."""
        rows = (await self.session.execute(_WAITING, {"chat": chat_id})).all()
        account = AccountState(*rows[0][1:]) if rows and rows[0][1] is not None else None
        return Waiting(account, [row[0] for row in rows])

    async def pending_chats(self) -> Sequence[int]:
        """Chats with a pending delivery whose account is not known to have blocked the bot."""
        blocked = select(TelegramUser.id).where(TelegramUser.blocked_at.is_not(None))
        result = await self.session.execute(
            select(RoutingDelivery.chat_id)
            .where(
                RoutingDelivery.status == DeliveryStatus.PENDING,
                RoutingDelivery.chat_id.not_in(blocked),
            )
            .group_by(RoutingDelivery.chat_id)
            .order_by(func.min(RoutingDelivery.id))
        )
        return result.scalars().all()

    async def count_pending(self, thread_id: int, chat_id: int | None = None) -> int:
        """Pending deliveries of a thread (to one chat, or to any)."""
        query = (
            select(func.count())
            .select_from(RoutingDelivery)
            .join(RoutedMessage, RoutedMessage.id == RoutingDelivery.message_id)
            .where(
                RoutedMessage.thread_id == thread_id,
                RoutingDelivery.status == DeliveryStatus.PENDING,
            )
        )
        if chat_id is not None:
            query = query.where(RoutingDelivery.chat_id == chat_id)
        return int(await self.session.scalar(query) or 0)

    async def pending_by_thread(self, thread_ids: Sequence[int]) -> dict[int, int]:
        """How many deliveries of each thread are waiting."""
        if not thread_ids:
            return {}
        result = await self.session.execute(
            select(RoutedMessage.thread_id, func.count())
            .join(RoutingDelivery, RoutingDelivery.message_id == RoutedMessage.id)
            .where(
                RoutedMessage.thread_id.in_(thread_ids),
                RoutingDelivery.status == DeliveryStatus.PENDING,
            )
            .group_by(RoutedMessage.thread_id)
        )
        return {thread_id: int(n) for thread_id, n in result.all()}

    async def copy(self, chat_id: int, message_id: int) -> RoutingCopy | None:
        """The copy the bot sent as ``message_id`` in ``chat_id``, with its delivery and thread."""
        thread = (
            joinedload(RoutingCopy.delivery)
            .joinedload(RoutingDelivery.message)
            .joinedload(RoutedMessage.thread)
        )
        result = await self.session.execute(
            select(RoutingCopy)
            .where(RoutingCopy.chat_id == chat_id, RoutingCopy.message_id == message_id)
            .options(
                thread.joinedload(RoutingThread.workgroup),
                thread.joinedload(RoutingThread.member),
            )
        )
        return result.scalar_one_or_none()

    # --- sessions ------------------------------------------------------------------------------

    async def session_of(self, member_id: int) -> RoutingSession | None:
        result = await self.session.execute(_SESSION_OF, {"member": member_id})
        return result.scalar_one_or_none()

    async def session_and_open_thread(
        self, member_id: int, chat_id: int
    ) -> tuple[RoutingSession, RoutingThread | None] | None:
        """The member's session (``session_of``) and their open thread with its workgroup from
        ``chat_id`` (``open_thread``), in one statement; None without a session."""
        values = {"member": member_id, "chat": chat_id}
        row = (await self.session.execute(_SESSION_AND_THREAD, values)).one_or_none()
        return None if row is None else (row[0], row[1])

    async def session_activity(self, member_id: int) -> datetime | None:
        """When the member's session (if any) last carried a message: one column."""
        return await self.session.scalar(
            select(RoutingSession.last_activity_at).where(RoutingSession.member_id == member_id)
        )

    async def count_in_session(
        self, member_id: int, workgroup_id: int, now: datetime
    ) -> int | None:
        """One more message in the member's session with this workgroup: one UPDATE ...
        RETURNING, the session's count of messages after it (None: no such session). A session
        loaded in this unit says so without anything left to flush."""
        values = {"member": member_id, "workgroup": workgroup_id, "now": now}
        count: int | None = (await _COUNT_IN_SESSION.run(self.session, values)).scalar()
        loaded = self.session.identity_map.get(identity_key(RoutingSession, member_id))
        if count is not None and loaded is not None:
            set_committed_value(loaded, "last_activity_at", now)
            set_committed_value(loaded, "messages", count)
        return count

    def add_session(self, session: RoutingSession) -> None:
        """A new session: its member joins ``SessionMembers`` when this unit commits."""
        self.session.add(session)
        self.session.info.setdefault("new_sessions", set()).add(session.member_id)

    async def session_members(self) -> set[int]:
        """Every member with a session, expired or not (``storage.db.SessionMembers``)."""
        return set(await self.session.scalars(select(RoutingSession.member_id)))

    async def delete_session(self, session: RoutingSession) -> None:
        await self.session.delete(session)

    # --- flood ---------------------------------------------------------------------------------

    async def count_message(
        self, member_id: int, now: datetime, window_from: datetime, limit: int
    ) -> int:
        """Count one more message of the member in the current window, in one statement (an
        upsert; the row is locked while the unit lasts): a window that started at or before
        ``window_from``, or after ``now``, starts again at ``now``. Returns the count after it:
        up to ``limit`` the message is within the limit; over it the count stays at ``limit + 1``
        for the first message over the limit (``notified`` is set by it) and ``limit + 2`` for
        any later one, so that the caller knows whether it is the one to tell the member."""
        statement = self.on_conflict(_COUNT_MESSAGE, _FLOOD, _count_message)
        first = 1 if limit >= 1 else limit + 1  # the count of a window's first message
        values = {"member": member_id, "now": now, "window_from": window_from, "limit": limit}
        values.update(first=first, first_over=first > limit, told=limit + 1, silent=limit + 2)
        return int((await statement.run(self.session, values)).scalar() or 0)


async def record_delivered(
    executor: AsyncSession | AsyncConnection,
    delivery_id: int,
    chat_id: int,
    message_ids: Sequence[int],
    at: datetime,
) -> None:
    """The bot sent the delivery as ``message_ids``: it is delivered, and each message is a
    copy a reply can be traced back by (nothing when the delivery is gone: retention). Core
    statements, on a unit's session or a bare connection (``Database.statements``: they are
    then the whole unit, and the copies take its ``COMMIT`` along, ``execute_last``)."""
    values = {"delivery": delivery_id, "status": DeliveryStatus.DELIVERED, "at": at}
    result = await _SET_DELIVERED.run(executor, values)
    if result.rowcount and message_ids:
        rows = [
            {"delivery_id": delivery_id, "chat_id": chat_id, "message_id": m} for m in message_ids
        ]
        if isinstance(executor, AsyncConnection):
            await execute_last(executor, _INSERT_COPIES, rows)
        else:
            await _INSERT_COPIES.run(executor, rows)
