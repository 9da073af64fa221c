"""Members from a CSV file: every row checked first, then all imported in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.errors import DomainError, ImportFailed, InvalidInput, UnknownColumns
from bot.services.identity import (
    NAME_MAX,
    WORKGROUP_NAME_MAX,
    Actor,
    MemberSpec,
    Outcome,
    upsert_member,
)
from bot.services.text import clean_text, csv_reader
from storage.db import UnitOfWork
from storage.models import MemberKind
from storage.repositories import name_key

COLUMNS = (
    "name",
    "kind",
    "organisation",
    "founder",
    "ksz",
    "st_chair",
    "workgroups",
    "catalyst_of",
)
REQUIRED = ("name", "kind")
MAX_ROWS = 10_000

KINDS = {
    "internal": MemberKind.INTERNAL,
    "belső": MemberKind.INTERNAL,
    "belso": MemberKind.INTERNAL,
    "external": MemberKind.EXTERNAL,
    "külső": MemberKind.EXTERNAL,
    "kulso": MemberKind.EXTERNAL,
}
TRUE = {"1", "yes", "y", "true", "igen", "i", "x"}
FALSE = {"", "0", "no", "n", "false", "nem"}


@dataclass
class ParsedRow:
    """One valid row with its line number in the file."""

    row: int
    spec: MemberSpec


def parse_kind(value: str, row: int | None = None) -> MemberKind:
    """``internal``/``belső`` or ``external``/``külső``."""
    kind = KINDS.get(value.strip().casefold())
    if kind is None:
        raise InvalidInput("kind", "bad_kind" if value.strip() else "empty", row=row)
    return kind


def _bool(value: str, field: str, row: int, errors: list[InvalidInput]) -> bool:
    folded = value.strip().casefold()
    if folded in TRUE:
        return True
    if folded not in FALSE:
        errors.append(InvalidInput(field, "bad_bool", row=row))
    return False


def _names(value: str, field: str, row: int, errors: list[InvalidInput]) -> list[str]:
    names: list[str] = []
    for part in value.split(";"):
        if not part.strip():
            continue
        try:
            names.append(clean_text(part, field, WORKGROUP_NAME_MAX))
        except InvalidInput as exc:
            exc.row = row
            errors.append(exc)
    return names


def parse_members_csv(data: bytes) -> list[ParsedRow]:
    """Check every row; raise ImportFailed listing each problem, or return the rows."""
    reader = csv_reader(data, lambda name: name)
    if reader is None:
        raise ImportFailed([InvalidInput("file", "not_utf8")])
    header = list(reader.fieldnames or [])
    unknown = [h for h in dict.fromkeys(header) if h and h not in COLUMNS]
    if unknown:  # a misspelt column would otherwise be dropped without a word
        raise UnknownColumns(unknown, list(COLUMNS))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFailed([InvalidInput(c, "missing_column", row=1) for c in missing])
    errors: list[InvalidInput] = []
    rows: list[ParsedRow] = []
    seen: dict[str, int] = {}
    chairs: list[int] = []
    for line, record in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            errors.append(InvalidInput("file", "too_long", limit=MAX_ROWS, row=line))
            break
        values = {k: (v or "") for k, v in record.items() if k}
        if not any(v.strip() for v in values.values()):
            continue
        row_errors: list[InvalidInput] = []
        name = ""
        try:
            name = clean_text(values.get("name", ""), "name", NAME_MAX)
        except InvalidInput as exc:
            exc.row = line
            row_errors.append(exc)
        if name and name_key(name) in seen:
            row_errors.append(InvalidInput("name", "duplicate", row=line))
        seen.setdefault(name_key(name), line)
        kind: MemberKind | None = None
        try:
            kind = parse_kind(values.get("kind", ""), line)
        except InvalidInput as exc:
            row_errors.append(exc)
        organisation = values.get("organisation", "")
        try:
            organisation = clean_text(organisation, "organisation", NAME_MAX, required=False)
        except InvalidInput as exc:
            exc.row = line
            row_errors.append(exc)
        founder = _bool(values.get("founder", ""), "founder", line, row_errors)
        ksz = _bool(values.get("ksz", ""), "ksz", line, row_errors)
        chair = _bool(values.get("st_chair", ""), "st_chair", line, row_errors)
        if chair:
            chairs.append(line)
        spec = MemberSpec(
            name=name,
            kind=kind,
            organisation=organisation,
            founder=founder,
            ksz=ksz,
            st_chair=chair or None,
            workgroups=_names(values.get("workgroups", ""), "workgroups", line, row_errors),
            catalyst_of=_names(values.get("catalyst_of", ""), "catalyst_of", line, row_errors),
        )
        errors.extend(row_errors)
        if not row_errors:
            rows.append(ParsedRow(line, spec))
    if len(chairs) > 1:
        errors.extend(InvalidInput("st_chair", "duplicate", row=r) for r in chairs[1:])
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.row or 0))
    return rows


@dataclass
class RowFailure(DomainError):
    """A rule broke while importing a row."""

    row: int
    error: DomainError


async def import_members(
    uow: UnitOfWork, rows: list[ParsedRow], actor: Actor, now: datetime
) -> list[Outcome]:
    """Apply the rows; if any breaks a rule, raise (the caller's unit of work rolls back)."""
    outcomes: list[Outcome] = []
    failures: list[RowFailure] = []
    for parsed in rows:
        try:
            async with uow.session.begin_nested():
                outcomes.append(await upsert_member(uow, parsed.spec, actor, now))
        except DomainError as exc:
            failures.append(RowFailure(parsed.row, exc))
    if failures:
        raise ImportRuleFailed(failures)
    return outcomes


@dataclass
class ImportRuleFailed(DomainError):
    """Rows that passed the format checks but broke a rule; nothing was imported."""

    failures: list[RowFailure]

    def rules(self) -> list[tuple[int, DomainError]]:
        return [(f.row, f.error) for f in self.failures]
