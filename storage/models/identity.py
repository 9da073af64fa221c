"""Typed ORM models.

Timestamps are UTC. ``name_key`` holds the casefolded name for lookups, ``sort_key`` the
Hungarian alphabetical order (see ``bot.services.collation``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import (
    Base,
    BigInt,
    IntPK,
    Label,
    LongText,
    _enum,
    cascade,
    partial_unique_index,
    set_null,
)


class MemberKind(enum.StrEnum):
    """Membership kind: internal associates vote, external supporters advise."""

    INTERNAL = "internal"
    EXTERNAL = "external"


class JoinStatus(enum.StrEnum):
    """State of a stranger's request to join."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class TelegramUser(Base):
    """A Telegram account that has talked to the bot, member or not."""

    __tablename__ = "telegram_users"

    id: Mapped[BigInt] = mapped_column(primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    last_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    started_at: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]


class Member(Base):
    """A member of the cluster; ``telegram_id`` is set once their account is bound."""

    __tablename__ = "members"
    __table_args__ = (partial_unique_index("uq_members_st_chair", "is_st_chair", "is_st_chair"),)

    id: Mapped[IntPK]
    name: Mapped[Label]
    name_key: Mapped[Label] = mapped_column(unique=True)
    sort_key: Mapped[str] = mapped_column(String(700), index=True)
    organisation: Mapped[Label | None]
    kind: Mapped[MemberKind] = mapped_column(_enum(MemberKind, "member_kind"))
    is_founder: Mapped[bool] = mapped_column(default=False)
    is_ksz: Mapped[bool] = mapped_column(default=False)
    is_st_chair: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    joined_on: Mapped[date]
    telegram_id: Mapped[BigInt | None] = mapped_column(unique=True)
    created_at: Mapped[datetime]

    memberships: Mapped[list[WorkgroupMember]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )


class Workgroup(Base):
    """A munkacsoport with its katalizátor and, optionally, a linked Telegram group."""

    __tablename__ = "workgroups"

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[LongText] = mapped_column(default="")
    catalyst_id: Mapped[int | None] = set_null("members")
    telegram_chat_id: Mapped[BigInt | None] = mapped_column(unique=True)
    created_at: Mapped[datetime]

    memberships: Mapped[list[WorkgroupMember]] = relationship(
        back_populates="workgroup", cascade="all, delete-orphan"
    )
    #: Read only, loaded where asked for (a routed message's session reads it with its
    #: workgroup); ``catalyst_id`` is what is written.
    catalyst: Mapped[Member | None] = relationship(foreign_keys=[catalyst_id], viewonly=True)


class WorkgroupMember(Base):
    """Membership of a member in a workgroup."""

    __tablename__ = "workgroup_members"

    workgroup_id: Mapped[int] = cascade("workgroups", primary_key=True)
    member_id: Mapped[int] = cascade("members", primary_key=True, index=True)
    joined_at: Mapped[datetime]

    workgroup: Mapped[Workgroup] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship(back_populates="memberships")


class Invitation(Base):
    """A single-use, expiring invitation; only a hash of the token is stored."""

    __tablename__ = "invitations"

    id: Mapped[IntPK]
    member_id: Mapped[int] = cascade("members", index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_telegram_id: Mapped[BigInt | None]
    created_by_id: Mapped[int | None] = set_null("members")


class JoinRequest(Base):
    """A stranger's request to join, decided by the KSz."""

    __tablename__ = "join_requests"
    __table_args__ = (
        partial_unique_index("uq_join_requests_pending", "telegram_id", "status = 'pending'"),
    )

    id: Mapped[IntPK]
    telegram_id: Mapped[BigInt] = mapped_column(index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[LongText] = mapped_column(default="")
    status: Mapped[JoinStatus] = mapped_column(_enum(JoinStatus, "join_status"))
    created_at: Mapped[datetime] = mapped_column(index=True)  # the retention's question
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = set_null("members")
    member_id: Mapped[int | None] = set_null("members")


class AuditEntry(Base):
    """One identity or role change: who changed what, when."""

    __tablename__ = "audit_log"

    id: Mapped[IntPK]
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = set_null("members")
    actor_label: Mapped[Label]
    action: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = set_null("members")
    subject_label: Mapped[Label] = mapped_column(default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ClusterSetting(Base):
    """A cluster-wide value set from the bot (for example ``main_group_chat_id``)."""

    __tablename__ = "cluster_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
