"""Routing workgroup chat to the katalizátor: who may write where, where a question goes,
threads, deliveries that wait for unreachable recipients, and flood limiting.

Telegram-free: the handlers send what the deliveries describe and report back what happened.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.services.collation import hu_sort_key
from bot.services.errors import NotFound, RoutingRefused
from storage.db import Statements, UnitOfWork
from storage.models import Member, Workgroup
from storage.models.routing import (
    Audience,
    DeliveryStatus,
    Direction,
    RoutedMessage,
    RoutingCopy,
    RoutingDelivery,
    RoutingSession,
    RoutingThread,
    Signer,
    ThreadStatus,
)
from storage.repositories.routing import (
    ChatState,
    RoutingRepository,
    Waiting,
    record_delivered,
)

#: A private "writing to the katalizátor" session ends after this long without a message.
SESSION_IDLE = timedelta(minutes=30)
#: The window of the flood limit.
FLOOD_WINDOW = timedelta(minutes=1)
#: How many of a thread's latest questions the KSz receives when the thread is handed over.
HANDOVER_HISTORY = 5
#: What a katalizátor can use. Stickers, polls, dice, locations, contacts, games... are refused.
SUPPORTED_KINDS = frozenset(
    {"text", "photo", "document", "voice", "video", "video_note", "audio", "animation"}
)


class KszReason(enum.StrEnum):
    """Why a question goes to the KSz instead of the katalizátor."""

    NO_CATALYST = "no_catalyst"
    NO_ACCOUNT = "no_account"
    HANDED = "handed"


class Admission(enum.Enum):
    """The flood limit's verdict on one more message."""

    OK = "ok"
    SLOW_DOWN = "slow_down"  # over the limit: tell the member once
    SILENT = "silent"  # over the limit, already told in this window


@dataclass(frozen=True, slots=True)
class Recipient:
    """A member who receives questions, with the chat to send them to."""

    member_id: int
    telegram_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Destination:
    """Where the questions of a thread go now, and why."""

    audience: Audience
    recipients: tuple[Recipient, ...]
    reason: KszReason | None = None
    catalyst_name: str | None = None


@dataclass
class Routed:
    """A recorded message and the deliveries to make for it. ``thread`` is for reading: a new
    thread is built from what its ``INSERT`` wrote and is not in the unit, so a change to it
    would not be written (load it again to change it)."""

    thread: RoutingThread
    message: RoutedMessage
    deliveries: list[RoutingDelivery]
    destination: Destination | None = None
    first_in_session: bool = False
    #: A question's recipient chats as its deliveries found them (``ready_to_send``).
    chats: dict[int, ChatState] = field(default_factory=dict)


@dataclass
class HandOver:
    """A thread handed to the KSz: the KSz deliveries of its latest questions."""

    thread: RoutingThread
    deliveries: list[RoutingDelivery] = field(default_factory=list)
    destination: Destination | None = None


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """One line of /nyitott_kerdesek."""

    thread: RoutingThread
    messages: int
    pending: int
    age: timedelta


# --- who may write where ---------------------------------------------------------------------


def writable_workgroups(member: Member, catalyst_of: Iterable[int]) -> list[Workgroup]:
    """The workgroups whose katalizátor this member may write to, in Hungarian order."""
    if not member.is_active:
        return []
    own = set(catalyst_of)
    groups = [link.workgroup for link in member.memberships if link.workgroup_id not in own]
    return sorted(groups, key=lambda g: hu_sort_key(g.name))


def ensure_may_write(member: Member | None, workgroup: Workgroup) -> Member:
    """Only active members of the workgroup (other than its katalizátor) may write to it."""
    if member is None:
        raise RoutingRefused("not_in_workgroup", workgroup.name)
    if not member.is_active:
        raise RoutingRefused("inactive", workgroup.name)
    if workgroup.catalyst_id == member.id:
        raise RoutingRefused("own_workgroup", workgroup.name)
    if not any(link.workgroup_id == workgroup.id for link in member.memberships):
        raise RoutingRefused("not_in_workgroup", workgroup.name)
    return member


def answering_as(member: Member | None, workgroup: Workgroup) -> Signer:
    """The capacity in which ``member`` may answer or manage a thread of ``workgroup``."""
    if member is None or not member.is_active:
        raise RoutingRefused("not_handler", workgroup.name)
    if workgroup.catalyst_id == member.id:
        return Signer.CATALYST
    if member.is_ksz:
        return Signer.KSZ
    raise RoutingRefused("not_handler", workgroup.name)


async def find_workgroup(uow: UnitOfWork, workgroup_id: int) -> Workgroup:
    """The workgroup (its own columns: who may write is read from the member's memberships)."""
    group = await uow.workgroups.bare(workgroup_id)
    if group is None:
        raise NotFound("workgroup", str(workgroup_id))
    return group


# --- where a question goes -------------------------------------------------------------------


async def ksz_recipients(uow: UnitOfWork, exclude: int | None = None) -> list[Recipient]:
    """Active KSz members with a Telegram account (``exclude``: the author of the question)."""
    return [
        Recipient(m.id, m.telegram_id, m.name)
        for m in await uow.members.ksz()
        if m.telegram_id is not None and m.id != exclude
    ]


async def destination(
    uow: UnitOfWork, workgroup: Workgroup, status: ThreadStatus, author_id: int | None
) -> Destination:
    """The katalizátor, or the KSz when there is none, it has no account, or it handed over."""
    if status is ThreadStatus.HANDED_TO_KSZ:
        return Destination(
            Audience.KSZ, tuple(await ksz_recipients(uow, author_id)), KszReason.HANDED
        )
    if workgroup.catalyst_id is None:
        return Destination(
            Audience.KSZ, tuple(await ksz_recipients(uow, author_id)), KszReason.NO_CATALYST
        )
    catalyst = await uow.members.bare(workgroup.catalyst_id)
    if catalyst is None or catalyst.telegram_id is None or not catalyst.is_active:
        return Destination(
            Audience.KSZ,
            tuple(await ksz_recipients(uow, author_id)),
            KszReason.NO_ACCOUNT,
            catalyst.name if catalyst else None,
        )
    return Destination(
        Audience.CATALYST,
        (Recipient(catalyst.id, catalyst.telegram_id, catalyst.name),),
        None,
        catalyst.name,
    )


# --- private sessions ------------------------------------------------------------------------


async def open_session(
    uow: UnitOfWork, member: Member, workgroup_id: int, now: datetime
) -> tuple[Workgroup, Destination]:
    """Start (or switch) the member's "writing to the katalizátor of X" session."""
    group = await find_workgroup(uow, workgroup_id)
    ensure_may_write(member, group)
    repo = uow.routing
    session = await repo.session_of(member.id)
    if session is None:
        repo.add_session(
            RoutingSession(
                member_id=member.id,
                workgroup_id=group.id,
                opened_at=now,
                last_activity_at=now,
                messages=0,
            )
        )
    else:
        session.workgroup_id = group.id
        session.opened_at = session.last_activity_at = now
        session.messages = 0
    where = await destination(uow, group, ThreadStatus.OPEN, member.id)
    if not where.recipients:
        raise RoutingRefused("nobody", group.name)
    await uow.flush()
    return group, where


async def current_session(
    uow: UnitOfWork, member_id: int, now: datetime
) -> tuple[RoutingSession | None, bool]:
    """The member's open session, and whether one has just expired (it is then removed)."""
    return await _unexpired(uow, await uow.routing.session_of(member_id), now)


async def _unexpired(
    uow: UnitOfWork, session: RoutingSession | None, now: datetime
) -> tuple[RoutingSession | None, bool]:
    if session is None:
        return None, False
    if now - session.last_activity_at > SESSION_IDLE:
        await uow.routing.delete_session(session)
        return None, True
    return session, False


@dataclass(frozen=True, slots=True)
class OpenThread:
    """The member's open thread with a workgroup from a chat, as this unit read it (``thread``
    None: there is none): ``record_question`` continues it without reading it again."""

    workgroup_id: int
    member_id: int
    origin_chat_id: int
    thread: RoutingThread | None

    @property
    def key(self) -> tuple[int, int, int]:
        """What it is the open thread of: the workgroup, the member and the chat."""
        return self.workgroup_id, self.member_id, self.origin_chat_id


async def session_to_write(
    uow: UnitOfWork, member_id: int, chat_id: int, now: datetime
) -> tuple[RoutingSession | None, bool, OpenThread | None]:
    """``current_session``, and with a session the member's open thread with its workgroup
    from ``chat_id``: one statement for what a message in a session needs first."""
    found = await uow.routing.session_and_open_thread(member_id, chat_id)
    session, expired = await _unexpired(uow, found[0] if found else None, now)
    if session is None or found is None:
        return None, expired, None
    return session, False, OpenThread(session.workgroup_id, member_id, chat_id, found[1])


async def session_live(uow: UnitOfWork, member_id: int, now: datetime) -> bool:
    """Whether the member has a session that has not expired (reads only; ``current_session``
    removes an expired one when the member next writes)."""
    last = await uow.routing.session_activity(member_id)
    return last is not None and now - last <= SESSION_IDLE


async def close_session(uow: UnitOfWork, member_id: int) -> Workgroup | None:
    """End the member's session; returns its workgroup, or None when there was none."""
    repo = uow.routing
    session = await repo.session_of(member_id)
    if session is None:
        return None
    group = session.workgroup
    await repo.delete_session(session)
    return group


# --- flood limit -----------------------------------------------------------------------------


async def admit(uow: UnitOfWork, member_id: int, now: datetime, limit: int) -> Admission:
    """Count one more message of the member in the current minute (fixed one-minute windows):
    over the limit, the member is told once per window."""
    count = await uow.routing.count_message(member_id, now, now - FLOOD_WINDOW, limit)
    if count <= limit:
        return Admission.OK
    return Admission.SLOW_DOWN if count == limit + 1 else Admission.SILENT


# --- questions and answers -------------------------------------------------------------------


async def record_question(
    uow: UnitOfWork,
    member: Member,
    workgroup: Workgroup,
    *,
    origin_chat_id: int,
    origin_message_id: int,
    in_group: bool,
    kind: str,
    body_html: str,
    now: datetime,
    thread_id: int | None = None,
    reply_to: Mapping[int, int] | None = None,
    known: OpenThread | None = None,
) -> Routed:
    """Record a member's message in their thread and make a delivery for every recipient.

    ``thread_id`` continues a given thread (a reply to an answer); otherwise the member's open
    thread with the workgroup from this chat is continued, or a new one is started.
    ``reply_to`` maps a recipient chat to the message the copy should reply to there;
    ``known``: the open thread as this unit has read it (``session_to_write``).
    The deliveries come whole (their message, its thread with the workgroup, the asker and
    who handed it over), so that they can be sent after the unit without a read.
    """
    ensure_may_write(member, workgroup)
    if kind not in SUPPORTED_KINDS:
        raise RoutingRefused("unsupported", workgroup.name)
    repo = uow.routing
    thread: RoutingThread | None = None
    if thread_id is not None:
        thread = await repo.thread(thread_id, lock=True)
        if thread is None or thread.member_id != member.id or thread.workgroup_id != workgroup.id:
            raise NotFound("thread", str(thread_id))
    elif known is not None and known.key == (workgroup.id, member.id, origin_chat_id):
        thread = known.thread
    else:
        thread = await repo.open_thread(workgroup.id, member.id, origin_chat_id)
    # Where it goes, before anything is written: a refusal leaves the unit as it found it.
    status = ThreadStatus.OPEN
    if thread is not None and thread.status is not ThreadStatus.RESOLVED:
        status = thread.status
    where = await destination(uow, workgroup, status, member.id)
    if not where.recipients:
        raise RoutingRefused("nobody", workgroup.name)
    if thread is None:
        thread = await repo.insert_thread(
            {
                "workgroup_id": workgroup.id, "member_id": member.id,
                "origin_chat_id": origin_chat_id, "in_group": in_group,
                "status": ThreadStatus.OPEN, "created_at": now, "last_activity_at": now,
            }
        )  # fmt: skip
    elif thread.status is ThreadStatus.RESOLVED:  # reopened: the unit writes the change
        thread.status = ThreadStatus.OPEN
        thread.resolved_at = None
        thread.resolved_by_id = None
        thread.last_activity_at = now
    message = await _record_message(
        uow, thread, Direction.QUESTION, member.id, Signer.MEMBER, now,
        (origin_chat_id, origin_message_id, kind, body_html),
    )  # fmt: skip
    first = False
    if not in_group:
        first = await repo.count_in_session(member.id, workgroup.id, now) == 1
    handed = thread.handed_by_id
    related = {
        "workgroup": workgroup,
        "member": member,
        "author": member,
        "handed_by": None if handed is None else await uow.members.bare(handed),
    }
    # Written last: the statement also tells whether anything else waits for each chat
    # (``Routed.chats``), and that is looked at as late in the unit as before.
    deliveries, chats = await repo.insert_question_deliveries(
        _delivery_rows(
            now, where.audience,
            [(message.id, r.telegram_id, (reply_to or {}).get(r.telegram_id))
             for r in where.recipients],
        )
    )  # fmt: skip
    repo.link_question(thread, message, deliveries, related)
    return Routed(thread, message, deliveries, where, first, chats)


async def _record_message(
    uow: UnitOfWork,
    thread: RoutingThread,
    direction: Direction,
    author_id: int,
    signer: Signer,
    now: datetime,
    origin: tuple[int, int, str, str],
) -> RoutedMessage:
    """A question or an answer of the thread: ``origin`` is the chat and message it was written
    in, its kind and its HTML body."""
    chat_id, message_id, kind, body_html = origin
    return await uow.routing.insert_message(
        {
            "thread_id": thread.id, "direction": direction, "author_id": author_id,
            "signer": signer, "origin_chat_id": chat_id, "origin_message_id": message_id,
            "kind": kind, "body_html": body_html, "created_at": now,
        }
    )  # fmt: skip


async def _deliveries(
    repo: RoutingRepository,
    now: datetime,
    audience: Audience,
    rows: Iterable[tuple[int, int, int | None]],
) -> list[RoutingDelivery]:
    """Pending deliveries, one statement for all: ``rows`` are (message, chat, the message to
    reply to there)."""
    return await repo.insert_deliveries(_delivery_rows(now, audience, rows))


def _delivery_rows(
    now: datetime, audience: Audience, rows: Iterable[tuple[int, int, int | None]]
) -> list[dict[str, Any]]:
    return [
        {
            "message_id": message_id, "chat_id": chat_id, "audience": audience,
            "reply_to_message_id": reply_to, "status": DeliveryStatus.PENDING,
            "created_at": now, "delivered_at": None,
        }
        for message_id, chat_id, reply_to in rows
    ]  # fmt: skip


async def find_copy(uow: UnitOfWork, chat_id: int, message_id: int) -> RoutingCopy | None:
    """The routed message behind a bot message, so that a reply to it finds its way back."""
    return await uow.routing.copy(chat_id, message_id)


async def record_answer(
    uow: UnitOfWork,
    copy: RoutingCopy,
    replier: Member | None,
    *,
    origin_chat_id: int,
    origin_message_id: int,
    kind: str,
    body_html: str,
    now: datetime,
) -> Routed:
    """The katalizátor (or the KSz) answered a question: deliver it to where it was asked."""
    question = copy.delivery.message
    thread = question.thread
    signer = answering_as(replier, thread.workgroup)
    assert replier is not None
    if kind not in SUPPORTED_KINDS:
        raise RoutingRefused("unsupported", thread.workgroup.name)
    repo = uow.routing
    message = await _record_message(
        uow, thread, Direction.ANSWER, replier.id, signer, now,
        (origin_chat_id, origin_message_id, kind, body_html),
    )  # fmt: skip
    audience = Audience.GROUP if thread.in_group else Audience.MEMBER
    deliveries = await _deliveries(
        repo, now, audience, [(message.id, question.origin_chat_id, question.origin_message_id)]
    )
    return Routed(thread, message, deliveries)


# --- deliveries ------------------------------------------------------------------------------


async def waiting_for(uow: UnitOfWork, chat_id: int) -> Waiting:
    """What waits for one chat, oldest first (with message, thread, workgroup and member), and
    the chat's account: its language, and whether it is known to block the bot."""
    return await uow.routing.waiting(chat_id)


async def chats_with_pending(uow: UnitOfWork) -> Sequence[int]:
    """Chats with something waiting whose account is not known to have blocked the bot."""
    return await uow.routing.pending_chats()


async def outcome(uow: UnitOfWork, delivery_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """Which of the deliveries were sent and which Telegram refused, whoever sent them."""
    found = await uow.routing.statuses(list(delivery_ids))
    delivered = {d for d, status in found.items() if status is DeliveryStatus.DELIVERED}
    failed = {d for d, status in found.items() if status is DeliveryStatus.FAILED}
    return delivered, failed


async def mark_delivered(
    uow: UnitOfWork | Statements,
    delivery_id: int,
    chat_id: int,
    message_ids: Sequence[int],
    now: datetime,
) -> None:
    """The bot sent the delivery as ``message_ids``: remember them, so replies find their way
    (in a unit of work, or a unit of statements: ``Database.statements``)."""
    executor = uow.session if isinstance(uow, UnitOfWork) else uow
    await record_delivered(executor, delivery_id, chat_id, message_ids, now)


async def mark_failed(uow: UnitOfWork, delivery_id: int) -> None:
    """Telegram refused the delivery for good (not a 403): stop retrying it."""
    await uow.routing.set_delivery_status(delivery_id, DeliveryStatus.FAILED)


async def mark_unreachable(uow: UnitOfWork, chat_id: int, now: datetime) -> None:
    """A private chat answered 403 (never started or blocked): its deliveries wait."""
    if chat_id > 0:
        await uow.telegram_users.mark_blocked(chat_id, now)


async def pending_in_thread(uow: UnitOfWork, thread_id: int, chat_id: int) -> int:
    """How many deliveries of the thread wait for this chat."""
    return await uow.routing.count_pending(thread_id, chat_id)


class Ack(enum.Enum):
    """How the asker learns what became of a routed message."""

    SENT = "sent"  # "Elküldve: …" naming where it went
    REACT = "react"  # a quiet reaction on the message
    NOT_DELIVERED = "not_delivered"  # Telegram refused every copy
    PENDING = "pending"  # it waits until the recipient can be reached


def acknowledgement(
    wanted: Iterable[int],
    delivered: set[int],
    failed: set[int],
    *,
    in_group: bool,
    audience: Audience,
    first_in_session: bool,
) -> Ack:
    """The reply rule: a delivered message is named when it is the first of a private session
    or a group's question that went to the KSz, otherwise acknowledged with a reaction; when
    nothing was delivered, the asker hears whether it failed or waits."""
    wanted = set(wanted)
    if delivered & wanted:
        named = (in_group and audience is Audience.KSZ) or (not in_group and first_in_session)
        return Ack.SENT if named else Ack.REACT
    return Ack.NOT_DELIVERED if wanted <= failed else Ack.PENDING


async def unreachable_catalyst(
    uow: UnitOfWork, destination: Destination, thread_id: int
) -> Recipient | None:
    """The katalizátor to report to the KSz because a question waits for them: only for the
    first message of the thread that waits, so the KSz is alerted once per thread."""
    if destination.audience is not Audience.CATALYST:
        return None
    catalyst = destination.recipients[0]
    waiting = await pending_in_thread(uow, thread_id, catalyst.telegram_id)
    return catalyst if waiting == 1 else None


# --- handing over and resolving --------------------------------------------------------------


async def load_thread(uow: UnitOfWork, thread_id: int) -> RoutingThread:
    thread = await uow.routing.thread(thread_id, lock=True)
    if thread is None:
        raise NotFound("thread", str(thread_id))
    return thread


async def hand_to_ksz(uow: UnitOfWork, thread_id: int, actor: Member, now: datetime) -> HandOver:
    """The katalizátor (or a KSz member taking over) hands the thread to the KSz."""
    thread = await load_thread(uow, thread_id)
    signer = answering_as(actor, thread.workgroup)
    if thread.status is ThreadStatus.RESOLVED:
        raise RoutingRefused("resolved", thread.workgroup.name)
    if thread.status is ThreadStatus.HANDED_TO_KSZ:
        raise RoutingRefused("handed", thread.workgroup.name)
    thread.status = ThreadStatus.HANDED_TO_KSZ
    thread.handed_by_id = actor.id
    thread.last_activity_at = now
    await uow.flush()
    # A KSz member who takes a thread over wants its questions too; a katalizátor has them.
    exclude = actor.id if signer is Signer.CATALYST else thread.member_id
    where = await destination(uow, thread.workgroup, thread.status, exclude)
    repo = uow.routing
    questions = await repo.recent_questions(thread.id, HANDOVER_HISTORY)
    deliveries = await _deliveries(
        repo,
        now,
        Audience.KSZ,
        [(q.id, r.telegram_id, None) for q in questions for r in where.recipients],
    )
    return HandOver(thread, deliveries, where)


async def resolve(uow: UnitOfWork, thread_id: int, actor: Member, now: datetime) -> RoutingThread:
    """Mark a thread resolved (the KSz, or the workgroup's katalizátor)."""
    thread = await load_thread(uow, thread_id)
    answering_as(actor, thread.workgroup)
    if thread.status is ThreadStatus.RESOLVED:
        raise RoutingRefused("resolved", thread.workgroup.name)
    thread.status = ThreadStatus.RESOLVED
    thread.resolved_at = now
    thread.resolved_by_id = actor.id
    thread.last_activity_at = now
    await uow.flush()
    return thread


async def last_question(uow: UnitOfWork, thread_id: int) -> RoutedMessage | None:
    """The thread's latest question (a group thread's notices reply to it)."""
    return await uow.routing.last_question(thread_id)


async def open_threads(uow: UnitOfWork, now: datetime) -> list[ThreadSummary]:
    """Unresolved threads, oldest first, with their size, waiting deliveries and age."""
    repo = uow.routing
    threads = await repo.open_threads()
    ids = [t.id for t in threads]
    counts = await repo.count_messages(ids)
    pending = await repo.pending_by_thread(ids)
    return [
        ThreadSummary(
            t, counts.get(t.id, 0), pending.get(t.id, 0), max(now - t.created_at, timedelta())
        )
        for t in threads
    ]
