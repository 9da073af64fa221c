"""The command line: settings errors, members add/import/invite/set/list, db upgrade."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from telegram import Bot

from bot.cli import members as cli_members
from bot.proc import run as run_process
from fakeapi import FakeTelegram
from tests.unit.conftest import CLI_TOKEN, run_cli

TOKEN = CLI_TOKEN
LINK = re.compile(r"https://t\.me/klaszter_cli_bot\?start=[A-Za-z0-9_-]{20,}")


@pytest.fixture
def env(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line's database and token, and a Bot that talks to the fake API."""
    tmp_path = cli_env
    tg = FakeTelegram(token=TOKEN, bot_username="klaszter_cli_bot")
    monkeypatch.setattr(
        cli_members, "bot_factory", lambda settings: Bot(TOKEN, request=tg.request())
    )
    FAKES[tmp_path] = tg
    return tmp_path


FAKES: dict[Path, FakeTelegram] = {}


run = run_cli


def test_run_without_token_exits_with_one_line(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = run_process(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=environment, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "klaszterbot: TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the "
        "environment or in .env"
    ]


def test_run_with_malformed_token(tmp_path: Path) -> None:
    environment = dict(os.environ, TELEGRAM_BOT_TOKEN="nem-token")
    result = run_process(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=environment, timeout=60
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is malformed" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_upgrades_in_a_child_process(cli_env: Path) -> None:
    """The bot's own process never loads Alembic (about 12 MiB for its life, issue 16): a child
    upgrades the database and says which head it reached, what /readyz compares with."""
    from sqlalchemy import create_engine, text

    from bot.cli.upgrade import upgrade_apart
    from bot.settings import load_settings
    from storage import migrate

    before = list(migrate.known_heads)
    try:
        migrate.known_heads.clear()
        upgrade_apart(load_settings())
        assert migrate.known_heads == [migrate.head_revision()]
    finally:
        migrate.known_heads[:] = before
    engine = create_engine(f"sqlite:///{cli_env / 'cli.db'}")
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert version == migrate.head_revision()


def test_run_with_an_unreachable_database_exits_with_one_line(tmp_path: Path) -> None:
    environment = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=CLI_TOKEN,
        DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
    )
    result = run_process(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=environment, timeout=60
    )
    assert result.returncode == 2
    assert "klaszterbot: the database upgrade failed: " in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["db", "upgrade"], capsys)
    assert code == 0 and "up to date" in out
    assert (env / "cli.db").exists()


def test_members_add_prints_a_deep_link(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["members", "add", "Kovács Anna", "--kind", "internal", "--org", "Példa Kft.",
         "--founder", "--ksz", "--st-chair", "--workgroup", "Innováció", "--catalyst"],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert "created: Kovács Anna (internal, founder, KSz, ST chair)" in out
    assert "new workgroup: Innováció" in out
    assert LINK.search(out)
    code, out, _ = run(["members", "list"], capsys)
    assert "Kovács Anna\tPélda Kft.\tinternal, founder, KSz, ST chair\tInnováció" in out
    code, out, _ = run(["workgroups", "list"], capsys)
    assert "Innováció\tcatalyst: Kovács Anna\tmembers: 1" in out


def test_members_add_refuses_a_rule_break(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["members", "add", "Nem Alapító", "--kind", "internal", "--st-chair"], capsys
    )
    assert code == 1
    assert "Az ST elnöke csak alapító tag lehet" in err
    code, out, _ = run(["members", "list"], capsys)
    assert "0 member(s)" in out


def test_members_invite_and_set(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["members", "add", "Nagy Béla", "--kind", "internal"], capsys)
    code, out, _ = run(["members", "invite", "nagy béla"], capsys)
    assert code == 0 and out.startswith("Nagy Béla: https://t.me/klaszter_cli_bot?start=")
    run(["workgroups", "add", "Export", "--description", "Külpiac"], capsys)
    code, out, _ = run(
        ["members", "set", "Nagy Béla", "--founder", "--add-workgroup", "Export",
         "--catalyst-of", "Export"],
        capsys,
    )  # fmt: skip
    assert code == 0
    # a founder must be internal: refused alone, done together with --no-founder
    code, _, err = run(["members", "set", "Nagy Béla", "--kind", "external"], capsys)
    assert code == 1 and "Távolítsa el előbb az alapítói státuszt" in err
    code, out, _ = run(
        ["members", "set", "Nagy Béla", "--kind", "external", "--no-founder"], capsys
    )
    assert "no longer catalyst of: Export" in out
    code, _, err = run(["members", "invite", "Senki"], capsys)
    assert code == 1 and "Nincs ilyen nevű tag" in err


def test_import_with_errors_imports_nothing(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = env / "bad.csv"
    bad.write_text("name;kind\nJó Sor;belső\nRossz Sor;tag\n;külső\n", encoding="utf-8")
    code, _, err = run(["members", "import", str(bad)], capsys)
    assert code == 1
    assert "3. sor: tagsági forma: belső (internal) vagy külső (external) lehet." in err
    assert "4. sor: név: kötelező megadni." in err
    code, out, _ = run(["members", "list"], capsys)
    assert "0 member(s)" in out


def test_import_good_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = env / "good.csv"
    good.write_text(
        "name,kind,organisation,founder,st_chair,workgroups\n"
        "Első Elnök,internal,A Kft.,yes,yes,Export\n"
        "Második Tag,external,B Bt.,,,Export\n",
        encoding="utf-8",
    )
    code, out, _ = run(["members", "import", str(good)], capsys)
    assert code == 0
    assert "imported 2 member(s)" in out
    assert len(LINK.findall(out)) == 2


def test_import_missing_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["members", "import", "nincs.csv"], capsys)
    assert code == 2 and "cannot read" in err


def test_deactivation_removes_from_linked_groups(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from storage.db import Database

    tg = FAKES[env]
    user = tg.add_user(first_name="Béla", last_name="Nagy")
    owner = tg.add_user(first_name="Anna", last_name="Kovács")
    group = tg.add_group("Export csoport", members=[owner, user], bot_is_admin=True)
    run(["members", "add", "Nagy Béla", "--kind", "internal", "--workgroup", "Export"], capsys)

    async def bind() -> None:
        db = Database(f"sqlite+aiosqlite:///{env / 'cli.db'}")
        db.open()
        async with db.unit() as uow:
            member = await uow.members.by_name("Nagy Béla")
            export = await uow.workgroups.by_name("Export")
            assert member is not None and export is not None
            member.telegram_id = user.id
            export.telegram_chat_id = group.id
        await db.close()

    asyncio.run(bind())
    code, out, _ = run(["members", "set", "Nagy Béla", "--inactive"], capsys)
    assert code == 0
    assert "removed from 1 linked group(s)" in out
    assert [c.method for c in tg.calls if "ChatMember" in c.method] == [
        "banChatMember",
        "unbanChatMember",
    ]


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once (no network)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _members_csv(env: Path) -> Path:
    path = env / "tagok.csv"
    path.write_text("name,kind\nElső Tag,internal\nMásodik Tag,external\n", encoding="utf-8")
    return path


def test_import_with_telegram_unreachable_says_so_in_one_line(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{_closed_port()}/bot")
    monkeypatch.setattr(cli_members, "bot_factory", cli_members.make_bot)  # real HTTP, refused
    code, out, err = run(["members", "import", str(_members_csv(env))], capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and TOKEN not in err
    assert "could not reach Telegram" in err and "nothing was imported" in err
    code, out, _ = run(["members", "list"], capsys)
    assert "0 member(s)" in out


def test_import_with_a_wrong_token_says_so_in_one_line(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = FAKES[env]
    wrong = "123456789:AAE-this-is-not-the-token-of-the-bot-0"
    monkeypatch.setattr(cli_members, "bot_factory", lambda s: Bot(wrong, request=tg.request()))
    code, out, err = run(["members", "import", str(_members_csv(env))], capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    assert "TELEGRAM_BOT_TOKEN" in err and "nothing was imported" in err
    assert wrong not in err
    code, out, _ = run(["members", "list"], capsys)
    assert "0 member(s)" in out


def test_cli_uses_the_username_from_the_bots_last_start(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once learned (here by a first command), the username needs no Telegram any more."""
    code, out, _ = run(["members", "add", "Első Tag", "--kind", "internal"], capsys)
    assert code == 0 and LINK.search(out)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{_closed_port()}/bot")
    monkeypatch.setattr(cli_members, "bot_factory", cli_members.make_bot)
    code, out, err = run(["members", "import", str(_members_csv(env))], capsys)
    assert code == 0, err
    assert "imported 2 member(s)" in out
    assert len(LINK.findall(out)) == 2


def test_import_refuses_an_unknown_column(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = env / "tagok.csv"
    path.write_text("name,kind,org\nElső Tag,internal,A Kft.\n", encoding="utf-8")
    code, out, err = run(["members", "import", str(path)], capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    assert "org" in err and "organisation" in err and "catalyst_of" in err
    assert "Nem importáltunk semmit" in err
    code, out, _ = run(["members", "list"], capsys)
    assert "0 member(s)" in out
