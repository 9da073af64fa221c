"""Members, workgroups, invitations, join requests, the audit log and cluster settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, String, bindparam, cast, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from storage.models.identity import (
    AuditEntry,
    ClusterSetting,
    Invitation,
    JoinRequest,
    JoinStatus,
    Member,
    MemberKind,
    TelegramUser,
    Workgroup,
    WorkgroupMember,
)
from storage.repositories.base import Repository, _escape_like, name_key


class ClusterSettingsRepository(Repository):
    """Cluster-wide values set from the bot, such as the linked main group."""

    async def get(self, key: str) -> Any:
        row = await self.session.get(ClusterSetting, key)
        return None if row is None else row.value

    async def put(self, key: str, value: Any) -> None:
        row = await self.session.get(ClusterSetting, key)
        if row is None:
            self.session.add(ClusterSetting(key=key, value=value))
        else:
            row.value = value

    async def stamp(self, key: str, value: Any) -> None:
        """Insert or overwrite in one statement: two writers at once never collide."""
        statement = self.insert(ClusterSetting).values(key=key, value=value)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"value": value})
        )


class AccountRow(NamedTuple):
    """An account's columns as a plain row: what an update needs to know of it."""

    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    language: str | None
    started_at: datetime | None
    blocked_at: datetime | None


_ACCOUNT_COLUMNS = tuple(getattr(TelegramUser, name) for name in AccountRow._fields)

# Statements built once with bound parameters: building one with its loader options costs about
# as much as running it.
_ACCOUNT_STATE_OF = select(*_ACCOUNT_COLUMNS).where(TelegramUser.id == bindparam("telegram_id"))
#: Members with their workgroups (``MemberRepository``'s queries start from it).
_WITH_GROUPS = select(Member).options(
    selectinload(Member.memberships).joinedload(WorkgroupMember.workgroup)
)
_MEMBER_OF_ACCOUNT = _WITH_GROUPS.where(Member.telegram_id == bindparam("telegram_id"))
_LED_BY = select(Workgroup).where(Workgroup.catalyst_id == bindparam("member_id"))
_LED_IDS = select(Workgroup.id).where(Workgroup.catalyst_id == bindparam("member_id"))
#: What a miss of the caller cache reads (a member's first update in half an hour: in a ballot
#: burst, most presses): the member with their workgroups, their account and the ids of the
#: workgroups they lead, in one statement. Read apart (``state``, ``by_telegram_id`` and
#: ``catalyst_of``: four statements, the selectin loader's among them) they took 3.8 ms of CPU
#: together, this one 1.5 ms.
_IDENTITY = (
    select(
        Member,
        select(func.aggregate_strings(cast(Workgroup.id, String), ","))
        .where(Workgroup.catalyst_id == Member.id)
        .correlate(Member)
        .scalar_subquery(),
        *_ACCOUNT_COLUMNS,
    )
    .outerjoin(TelegramUser, TelegramUser.id == Member.telegram_id)
    .options(joinedload(Member.memberships).joinedload(WorkgroupMember.workgroup))
    .where(Member.telegram_id == bindparam("telegram_id"))
)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a Telegram account is: its stored state, its member (with their workgroups) and the
    ids of the workgroups the member leads as katalizátor."""

    account: AccountRow | None
    member: Member | None
    catalyst_of: frozenset[int]


class TelegramUserRepository(Repository):
    """Telegram accounts that have talked to the bot."""

    async def get(self, telegram_id: int) -> TelegramUser | None:
        return await self.session.get(TelegramUser, telegram_id)

    async def state(self, telegram_id: int) -> AccountRow | None:
        """The account's columns as a plain row (or None), without building an ORM object."""
        row = (await self.session.execute(_ACCOUNT_STATE_OF, {"telegram_id": telegram_id})).first()
        return None if row is None else AccountRow(*row)

    async def identity(self, telegram_id: int) -> Identity:
        """Who ``telegram_id`` is (every miss of the caller cache asks this): one statement
        for a member, two for an account with no member."""
        result = await self.session.execute(_IDENTITY, {"telegram_id": telegram_id})
        row = result.unique().first()
        if row is None:
            return Identity(await self.state(telegram_id), None, frozenset())
        member, led, *account = row
        state = None if account[0] is None else AccountRow(*account)
        return Identity(state, member, frozenset(map(int, led.split(","))) if led else frozenset())

    async def known_ids(self) -> set[int]:
        """Every Telegram id with an account or a member (``storage.db.KnownIds``)."""
        statement = select(TelegramUser.id).union(
            select(Member.telegram_id).where(Member.telegram_id.is_not(None))
        )
        found: set[int] = set()
        async for part in (await self.session.stream_scalars(statement)).partitions(5000):
            found.update(part)
        return found

    async def languages(self, ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
        """Each account's stored language and Telegram language code (500 ids a query)."""
        found: dict[int, tuple[str | None, str | None]] = {}
        for start in range(0, len(ids), 500):
            rows = await self.session.execute(
                select(TelegramUser.id, TelegramUser.language, TelegramUser.language_code).where(
                    TelegramUser.id.in_(ids[start : start + 500])
                )
            )
            found.update({row[0]: (row[1], row[2]) for row in rows})
        return found

    async def reachable_members(
        self, kind: MemberKind | None = None, partition: int = 2000
    ) -> AsyncIterator[Sequence[tuple[int, int, str | None, str | None]]]:
        """Every active member with an account (of ``kind``) as plain rows (member id, chat id,
        language, language code), in partitions: no ORM objects for 100,000 members."""
        statement = (
            select(Member.id, Member.telegram_id, TelegramUser.language, TelegramUser.language_code)
            .outerjoin(TelegramUser, TelegramUser.id == Member.telegram_id)
            .where(Member.is_active.is_(True), Member.telegram_id.is_not(None))
            .order_by(Member.id)
        )
        if kind is not None:
            statement = statement.where(Member.kind == kind)
        result = await self.session.stream(statement)
        async for part in result.partitions(partition):
            yield [(row[0], row[1] or 0, row[2], row[3]) for row in part]

    async def upsert(
        self,
        telegram_id: int,
        *,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> TelegramUser:
        """Create or refresh the account's profile as Telegram reports it."""
        return self.refresh(
            await self.get(telegram_id), telegram_id, first_name=first_name,
            last_name=last_name, username=username, language_code=language_code,
        )  # fmt: skip

    def refresh(
        self,
        user: TelegramUser | None,
        telegram_id: int,
        *,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> TelegramUser:
        """``upsert`` for an account already read (None: not there): no second look-up."""
        if user is None:
            user = TelegramUser(id=telegram_id)
            self.session.add(user)
        user.first_name = first_name
        user.last_name = last_name
        user.username = username
        user.language_code = language_code
        return user

    async def mark_blocked(self, telegram_id: int, now: datetime) -> None:
        """Remember that sending to this account failed with 403 (blocked or never started)."""
        user = await self.get(telegram_id)
        if user is None:
            self.session.add(TelegramUser(id=telegram_id, first_name="", blocked_at=now))
        else:
            user.blocked_at = now

    async def reachable(self, telegram_id: int) -> bool:
        """Whether the account has started the bot and not blocked it since."""
        user = await self.get(telegram_id)
        return user is not None and user.started_at is not None and user.blocked_at is None


class MemberRepository(Repository):
    """Members of the cluster."""

    def _with_groups(self) -> Select[Member]:
        return _WITH_GROUPS

    async def get(self, member_id: int) -> Member | None:
        result = await self.session.execute(self._with_groups().where(Member.id == member_id))
        return result.scalar_one_or_none()

    async def bare(self, member_id: int) -> Member | None:
        """The member's own columns only (its memberships are not loaded): one statement, none
        when the unit has already loaded it."""
        return await self.session.get(Member, member_id)

    async def directory_rows(self) -> list[Any]:
        """Every member as a plain row, in Hungarian alphabetical order, read in partitions
        (the event loop gets a turn between them)."""
        statement = select(
            Member.id, Member.name, Member.kind, Member.organisation, Member.is_founder,
            Member.is_ksz, Member.is_st_chair, Member.is_active, Member.joined_on,
            Member.telegram_id,
        ).order_by(Member.sort_key, Member.id)  # fmt: skip
        found: list[Any] = []
        async for part in (await self.session.stream(statement)).partitions(2000):
            found.extend(part)
        return found

    async def membership_names(self) -> dict[int, list[str]]:
        """Each member's workgroups by name."""
        statement = (
            select(WorkgroupMember.member_id, Workgroup.name)
            .join(Workgroup, Workgroup.id == WorkgroupMember.workgroup_id)
            .order_by(Workgroup.name)
        )
        found: dict[int, list[str]] = {}
        async for part in (await self.session.stream(statement)).partitions(2000):
            for member_id, name in part:
                found.setdefault(member_id, []).append(name)
        return found

    async def by_telegram_id(self, telegram_id: int) -> Member | None:
        result = await self.session.execute(_MEMBER_OF_ACCOUNT, {"telegram_id": telegram_id})
        return result.scalar_one_or_none()

    async def by_name(self, name: str) -> Member | None:
        result = await self.session.execute(
            self._with_groups().where(Member.name_key == name_key(name))
        )
        return result.scalar_one_or_none()

    async def search(self, text: str, limit: int = 20) -> Sequence[Member]:
        """Members whose name or organisation contains ``text`` (case-insensitive)."""
        pattern = f"%{_escape_like(text.casefold())}%"
        result = await self.session.execute(
            self._with_groups()
            .where(
                or_(
                    Member.name_key.like(pattern, escape="\\"),
                    func.lower(Member.organisation).like(pattern, escape="\\"),
                )
            )
            .order_by(Member.sort_key, Member.id)
            .limit(limit)
        )
        return result.scalars().all()

    async def all(self, *, active_only: bool = False) -> Sequence[Member]:
        query = self._with_groups().order_by(Member.sort_key, Member.id)
        if active_only:
            query = query.where(Member.is_active.is_(True))
        return (await self.session.execute(query)).scalars().all()

    async def active(
        self, *, kind: MemberKind | None = None, founders: bool = False
    ) -> Sequence[Member]:
        """Active members (optionally of one kind, or founders only), without their
        workgroups: for deliveries, which need ids, accounts and kinds only."""
        query = select(Member).where(Member.is_active.is_(True)).order_by(Member.sort_key)
        if kind is not None:
            query = query.where(Member.kind == kind)
        if founders:
            query = query.where(Member.is_founder.is_(True))
        return (await self.session.execute(query)).scalars().all()

    async def page(self, offset: int, limit: int) -> tuple[Sequence[Member], int]:
        """One page of active members (callers sort for display) and the total count."""
        total = await self.session.scalar(
            select(func.count()).select_from(Member).where(Member.is_active.is_(True))
        )
        result = await self.session.execute(
            self._with_groups()
            .where(Member.is_active.is_(True))
            .order_by(Member.sort_key, Member.id)
            .offset(offset)
            .limit(limit)
        )
        return result.scalars().all(), int(total or 0)

    async def st_chair(self) -> Member | None:
        result = await self.session.execute(self._with_groups().where(Member.is_st_chair.is_(True)))
        return result.scalar_one_or_none()

    async def ksz(self) -> Sequence[Member]:
        """Active KSz staff."""
        result = await self.session.execute(
            select(Member)
            .where(Member.is_ksz.is_(True), Member.is_active.is_(True))
            .order_by(Member.sort_key, Member.id)
        )
        return result.scalars().all()

    async def voter_ids(self, *, founders: bool) -> list[int]:
        """The electoral roll: active internal members, or active internal founders for the ST."""
        condition = Member.is_founder.is_(True) if founders else true()
        result = await self.session.execute(
            select(Member.id)
            .where(Member.is_active.is_(True), Member.kind == MemberKind.INTERNAL, condition)
            .order_by(Member.id)
        )
        return list(result.scalars().all())

    async def count_voters(self) -> int:
        """Active internal associate members: the base of every quorum."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Member)
                .where(Member.is_active.is_(True), Member.kind == MemberKind.INTERNAL)
            )
            or 0
        )

    def add(self, member: Member) -> None:
        self.session.add(member)


class WorkgroupRepository(Repository):
    """Workgroups and their memberships."""

    def _full(self) -> Select[Workgroup]:
        return select(Workgroup).options(
            selectinload(Workgroup.memberships).joinedload(WorkgroupMember.member)
        )

    async def get(self, workgroup_id: int) -> Workgroup | None:
        result = await self.session.execute(self._full().where(Workgroup.id == workgroup_id))
        return result.scalar_one_or_none()

    async def bare(self, workgroup_id: int) -> Workgroup | None:
        """The workgroup's own columns only (its members are not loaded)."""
        return await self.session.get(Workgroup, workgroup_id)

    async def by_name(self, name: str) -> Workgroup | None:
        result = await self.session.execute(
            self._full().where(Workgroup.name_key == name_key(name))
        )
        return result.scalar_one_or_none()

    async def by_chat(self, chat_id: int) -> Workgroup | None:
        result = await self.session.execute(
            self._full().where(Workgroup.telegram_chat_id == chat_id)
        )
        return result.scalar_one_or_none()

    async def all(self) -> Sequence[Workgroup]:
        result = await self.session.execute(self._full().order_by(Workgroup.name_key))
        return result.scalars().all()

    async def catalyst_of(self, member_id: int) -> Sequence[Workgroup]:
        result = await self.session.execute(_LED_BY, {"member_id": member_id})
        return result.scalars().all()

    async def led_ids(self, member_id: int) -> frozenset[int]:
        """The ids of the workgroups ``member_id`` leads (what a standing needs)."""
        result = await self.session.execute(_LED_IDS, {"member_id": member_id})
        return frozenset(result.scalars())

    def add(self, workgroup: Workgroup) -> None:
        self.session.add(workgroup)

    async def add_member(self, workgroup: Workgroup, member: Member, now: datetime) -> bool:
        """Add ``member``; False when already there."""
        if any(m.member_id == member.id for m in workgroup.memberships):
            return False
        link = WorkgroupMember(workgroup=workgroup, member=member, joined_at=now)
        self.session.add(link)
        return True

    async def remove_member(self, workgroup: Workgroup, member: Member) -> bool:
        """Remove ``member``; False when not there."""
        for link in list(workgroup.memberships):
            if link.member_id == member.id:
                workgroup.memberships.remove(link)
                if link in member.memberships:
                    member.memberships.remove(link)
                await self.session.delete(link)
                return True
        return False


class InvitationRepository(Repository):
    """Invitation tokens (hashed)."""

    async def by_hash(self, token_hash: str) -> Invitation | None:
        result = await self.session.execute(
            select(Invitation).where(Invitation.token_hash == token_hash).with_for_update()
        )
        return result.scalar_one_or_none()

    def add(self, invitation: Invitation) -> None:
        self.session.add(invitation)

    async def revoke_open(self, member_id: int, now: datetime) -> int:
        """Expire the member's unused invitations (a fresh link replaces them)."""
        result = await self.session.execute(
            select(Invitation).where(
                Invitation.member_id == member_id,
                Invitation.used_at.is_(None),
                Invitation.expires_at > now,
            )
        )
        count = 0
        for invitation in result.scalars():
            invitation.expires_at = now
            count += 1
        return count


class JoinRequestRepository(Repository):
    """Strangers' requests to join."""

    async def get(self, request_id: int) -> JoinRequest | None:
        result = await self.session.execute(
            select(JoinRequest).where(JoinRequest.id == request_id).with_for_update()
        )
        return result.scalar_one_or_none()

    async def pending_for(self, telegram_id: int) -> JoinRequest | None:
        result = await self.session.execute(
            select(JoinRequest).where(
                JoinRequest.telegram_id == telegram_id,
                JoinRequest.status == JoinStatus.PENDING,
            )
        )
        return result.scalar_one_or_none()

    def add(self, request: JoinRequest) -> None:
        self.session.add(request)


class AuditRepository(Repository):
    """The append-only audit log."""

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    async def recent(self, offset: int, limit: int) -> tuple[Sequence[AuditEntry], int]:
        total = await self.session.scalar(select(func.count()).select_from(AuditEntry))
        result = await self.session.execute(
            select(AuditEntry)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return result.scalars().all(), int(total or 0)
