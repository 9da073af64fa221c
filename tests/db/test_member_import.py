"""CSV import: every row checked, errors reported by row, nothing imported on any error."""

from __future__ import annotations

import pytest

from bot.services.clock import FakeClock
from bot.services.errors import ImportFailed, UnknownColumns
from bot.services.identity import CLI_ACTOR
from bot.services.member_import import ImportRuleFailed, import_members, parse_members_csv
from storage.db import Database

GOOD = (
    "name;kind;organisation;founder;ksz;st_chair;workgroups;catalyst_of\n"
    "Kovács Anna;belső;Alfa Kft.;igen;nem;igen;Innováció;\n"
    "Nagy Béla;internal;Béta Zrt.;;;;Innováció;Export\n"
    "Külső Kata;külső;Gamma Bt.;;igen;;;\n"
).encode()


async def test_good_file_imports_everything(db: Database, clock: FakeClock) -> None:
    rows = parse_members_csv(GOOD)
    async with db.unit() as uow:
        outcomes = await import_members(uow, rows, CLI_ACTOR, clock.now())
    assert [o.member.name for o in outcomes] == ["Kovács Anna", "Nagy Béla", "Külső Kata"]
    async with db.unit() as uow:
        chair = await uow.members.st_chair()
        assert chair is not None and chair.name == "Kovács Anna"
        export = await uow.workgroups.by_name("Export")
        assert export is not None and export.catalyst_id == outcomes[1].member.id


def test_comma_separated_with_bom_is_accepted() -> None:
    data = "\ufeffname,kind\nTeszt Elek,external\n".encode()
    assert [r.spec.name for r in parse_members_csv(data)] == ["Teszt Elek"]


def test_errors_are_reported_row_by_row() -> None:
    data = (
        "name;kind;founder;st_chair\n"
        "Jó Sor;belső;;\n"
        ";belső;;\n"
        "Rossz Fajta;tag;;\n"
        "Rossz Bool;belső;talán;\n"
        "Jó Sor;külső;;\n"
        "Egyik;belső;igen;igen\n"
        "Másik;belső;igen;igen\n"
    ).encode()
    with pytest.raises(ImportFailed) as err:
        parse_members_csv(data)
    problems = [(e.row, e.field, e.reason) for e in err.value.errors]
    assert problems == [
        (3, "name", "empty"),
        (4, "kind", "bad_kind"),
        (5, "founder", "bad_bool"),
        (6, "name", "duplicate"),
        (8, "st_chair", "duplicate"),
    ]


def test_missing_columns_and_bad_encoding() -> None:
    with pytest.raises(ImportFailed) as err:
        parse_members_csv(b"organisation;ksz\nx;y\n")
    assert {e.field for e in err.value.errors} == {"name", "kind"}
    with pytest.raises(ImportFailed) as err:
        parse_members_csv("name;kind\nÁrvíztűrő;belső\n".encode("iso8859-2"))
    assert err.value.errors[0].reason == "not_utf8"


def test_unknown_columns_refuse_the_file() -> None:
    """A misspelt column (``org`` for ``organisation``) is not dropped without a word."""
    with pytest.raises(UnknownColumns) as err:
        parse_members_csv(b"name;kind;org;Tipus\nx;belso;A Kft.;y\n")
    assert err.value.columns == ["org", "tipus"]
    assert err.value.expected[:3] == ["name", "kind", "organisation"]
    with pytest.raises(UnknownColumns):
        parse_members_csv(b"nev;tipus\nx;y\n")


async def test_rule_violation_in_any_row_imports_nothing(db: Database, clock: FakeClock) -> None:
    data = (
        "name;kind;founder;st_chair;catalyst_of\n"
        "Első Rendben;belső;igen;;\n"
        "Nem Alapító Elnök;belső;nem;igen;\n"
        "Külső Katalizátor;külső;;;Export\n"
    ).encode()
    rows = parse_members_csv(data)
    with pytest.raises(ImportRuleFailed) as err:
        async with db.unit() as uow:
            await import_members(uow, rows, CLI_ACTOR, clock.now())
    assert [row for row, _ in err.value.rules()] == [3, 4]
    async with db.unit() as uow:
        assert list(await uow.members.all()) == []
        assert list(await uow.workgroups.all()) == []
