"""What the command-line tests share: a fresh SQLite database in a temporary working directory,
a token, and a way to run ``klaszterbot`` and read what it printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

CLI_TOKEN = "123456789:AAE-fake-token-for-the-cli-tests-000"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite database and a token, in a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", CLI_TOKEN)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("BOT_DEFAULT_LOCALE", "hu")
    return tmp_path


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``klaszterbot ARGV``: exit status, standard output, standard error."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err
