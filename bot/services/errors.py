"""Typed domain errors. They carry data, never user-facing text: the edge translates them."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of every rule violation a user can cause."""


@dataclass
class InvalidInput(DomainError):
    """A value failed validation; ``field`` names it, ``reason`` is a code such as ``too_long``."""

    field: str
    reason: str
    limit: int | None = None
    row: int | None = None


@dataclass
class NotFound(DomainError):
    """A member, workgroup or request does not exist; ``what`` says which kind."""

    what: str
    key: str = ""


@dataclass
class Ambiguous(DomainError):
    """A name matched several records."""

    what: str
    key: str
    candidates: list[str] = field(default_factory=list)


@dataclass
class NotAllowed(DomainError):
    """The caller lacks the right; ``permission`` names the missing one, ``rule`` (when the
    service knows it) the rule that refuses, e.g. ``st_ballot_founders`` or ``ballot_close``,
    so the answer can say the real reason rather than the permission's audience."""

    permission: str
    rule: str = ""


@dataclass
class InvitationProblem(DomainError):
    """An invitation cannot be used: ``reason`` is ``unknown``, ``used`` or ``expired``."""

    reason: str


@dataclass
class AccountAlreadyBound(DomainError):
    """The Telegram account already belongs to another member."""

    member_name: str


@dataclass
class AlreadyMember(DomainError):
    """The account is already bound to a member (for example it asked to join again)."""

    member_name: str


class AlreadyPending(DomainError):
    """A request of the same account is already waiting for a decision."""


@dataclass
class AlreadyDecided(DomainError):
    """A join request was decided before; ``status`` is the decision."""

    status: str


@dataclass
class RuleViolation(DomainError):
    """An organisational rule would break, e.g. ``st_chair_not_founder``."""

    rule: str
    subject: str = ""


@dataclass
class UnknownColumns(DomainError):
    """A file has columns the import does not know (``org`` for ``organisation``)."""

    columns: list[str]
    expected: list[str]


@dataclass
class ImportFailed(DomainError):
    """A file had errors; nothing was imported. ``errors`` lists each row's problems."""

    errors: list[InvalidInput]


@dataclass
class RoutingRefused(DomainError):
    """A message to a katalizátor cannot be routed; ``reason`` is a code such as
    ``inactive``, ``not_in_workgroup``, ``own_workgroup``, ``no_workgroup``, ``not_handler``,
    ``resolved``, ``handed`` or ``nobody``; ``workgroup`` names the workgroup when known."""

    reason: str
    workgroup: str = ""


@dataclass
class OfficeHolder(DomainError):
    """A member's data cannot be erased while they hold an office: ``offices`` are ``ksz``,
    ``st_chair`` and ``catalyst`` (of ``workgroups``)."""

    member_name: str
    offices: list[str]
    workgroups: list[str] = field(default_factory=list)


@dataclass
class MemberErased(DomainError):
    """The member's data was erased: the record that stays under the pseudonym is not changed
    any more (nor erased again)."""

    member_name: str


@dataclass
class ReservedName(DomainError):
    """A name of the form the records of erased members use ("Volt tag #17")."""

    name: str
