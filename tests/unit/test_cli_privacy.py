"""`klaszterbot members erase NAME`: one line for every answer, no traceback; without --yes it
only says what would happen; an office holder is refused with the reason."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import Database
from tests.unit.test_cli import FAKES, env, run

__all__ = ["env"]  # the fixture, used by name


def _bind(path: Path, name: str, telegram_id: int, chat_id: int | None = None) -> int:
    async def work() -> int:
        db = Database(f"sqlite+aiosqlite:///{path / 'cli.db'}")
        db.open()
        async with db.unit() as uow:
            member = await uow.members.by_name(name)
            assert member is not None
            member.telegram_id = telegram_id
            if chat_id is not None:
                group = await uow.workgroups.by_name("Export")
                assert group is not None
                group.telegram_chat_id = chat_id
            member_id = member.id
        await db.close()
        return member_id

    return asyncio.run(work())


def test_erase_asks_for_yes_then_erases_in_one_line(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tg = FAKES[env]
    user = tg.add_user(first_name="Béla", last_name="Nagy", username="nagy_bela")
    owner = tg.add_user(first_name="Anna", last_name="Kovács")
    group = tg.add_group("Export csoport", members=[owner, user], bot_is_admin=True)
    run(["members", "add", "Nagy Béla", "--kind", "internal", "--org", "Béla Kft.",
         "--workgroup", "Export"], capsys)  # fmt: skip
    member_id = _bind(env, "Nagy Béla", user.id, group.id)

    code, out, err = run(["members", "erase", "Nagy Béla"], capsys)
    assert code == 1 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("klaszterbot: erasing Nagy Béla cannot be undone.")
    assert f"keep as Volt tag #{member_id}" in line
    assert line.endswith("Run again with --yes to erase.")
    assert "workgroup memberships: 1" in line
    code, out, _ = run(["members", "list"], capsys)
    assert "Nagy Béla" in out  # nothing changed

    code, out, err = run(["members", "erase", "Nagy Béla", "--yes"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"erased: Nagy Béla is now Volt tag #{member_id} in the records that stay; "
        "removed from 1 linked group(s)"
    ]
    assert [c.method for c in tg.calls if "ChatMember" in c.method] == [
        "banChatMember",
        "unbanChatMember",
    ]
    code, out, _ = run(["members", "list"], capsys)
    assert "Nagy Béla" not in out and f"Volt tag #{member_id}" in out and "Béla Kft." not in out

    code, out, err = run(["members", "erase", f"Volt tag #{member_id}", "--yes"], capsys)
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"„Volt tag #{member_id}” adatait már töröltük; a megmaradt nyilvántartás nem változik."
    ]


def test_erase_refuses_an_office_holder_and_an_unknown_name(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["members", "add", "Kovács Anna", "--kind", "internal", "--ksz"], capsys)
    run(["members", "add", "Nagy Béla", "--kind", "internal", "--workgroup", "Export",
         "--catalyst"], capsys)  # fmt: skip
    for name, office in (("Kovács Anna", "klasztermenedzsment szervezet (KSz)"),
                         ("Nagy Béla", "katalizátor: Export")):  # fmt: skip
        for yes in ([], ["--yes"]):
            code, out, err = run(["members", "erase", name, *yes], capsys)
            assert code == 1 and out == "" and "Traceback" not in err
            [line] = err.strip().splitlines()
            assert line.startswith(f"{name} tisztséget visel – {office} –"), line
    code, _, err = run(["members", "erase", "Senki Sem", "--yes"], capsys)
    assert code == 1 and err.strip().splitlines() == ["Nincs ilyen nevű tag: „Senki Sem”."]
