"""Typed ORM models.

Timestamps are UTC. ``name_key`` holds the casefolded name for lookups, ``sort_key`` the
Hungarian alphabetical order (see ``bot.services.collation``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, _enum


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

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
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
    __table_args__ = (
        Index(
            "uq_members_st_chair",
            "is_st_chair",
            unique=True,
            sqlite_where=text("is_st_chair"),
            postgresql_where=text("is_st_chair"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    sort_key: Mapped[str] = mapped_column(String(700), index=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[MemberKind] = mapped_column(_enum(MemberKind, "member_kind"))
    is_founder: Mapped[bool] = mapped_column(Boolean, default=False)
    is_ksz: Mapped[bool] = mapped_column(Boolean, default=False)
    is_st_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_on: Mapped[date] = mapped_column(Date)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime]

    memberships: Mapped[list[WorkgroupMember]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )


class Workgroup(Base):
    """A munkacsoport with its katalizátor and, optionally, a linked Telegram group."""

    __tablename__ = "workgroups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    catalyst_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime]

    memberships: Mapped[list[WorkgroupMember]] = relationship(
        back_populates="workgroup", cascade="all, delete-orphan"
    )


class WorkgroupMember(Base):
    """Membership of a member in a workgroup."""

    __tablename__ = "workgroup_members"

    workgroup_id: Mapped[int] = mapped_column(
        ForeignKey("workgroups.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime]

    workgroup: Mapped[Workgroup] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship(back_populates="memberships")


class Invitation(Base):
    """A single-use, expiring invitation; only a hash of the token is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class JoinRequest(Base):
    """A stranger's request to join, decided by the KSz."""

    __tablename__ = "join_requests"
    __table_args__ = (
        Index(
            "uq_join_requests_pending",
            "telegram_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[JoinStatus] = mapped_column(_enum(JoinStatus, "join_status"))
    created_at: Mapped[datetime] = mapped_column(index=True)  # the retention's question
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class AuditEntry(Base):
    """One identity or role change: who changed what, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    subject_label: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ClusterSetting(Base):
    """A cluster-wide value set from the bot (for example ``main_group_chat_id``)."""

    __tablename__ = "cluster_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
