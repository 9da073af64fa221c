from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

GOOD = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "BOT_DEFAULT_LOCALE", "BOT_TIMEZONE", "TELEGRAM_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None, telegram_bot_token=GOOD)
    assert settings.database_url == "sqlite+aiosqlite:///klaszter.db"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.bot_default_locale == "hu"
    assert str(settings.tz) == "Europe/Budapest"
    assert settings.token() == GOOD


def test_missing_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN is not set"):
        load_settings(_env_file=None).token()


@pytest.mark.parametrize("token", ["abc", "123:short", "12345:has spaces in it 000000000000000"])
def test_malformed_token_names_the_variable(token: str) -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN is malformed"):
        load_settings(_env_file=None, telegram_bot_token=token).token()


@pytest.mark.parametrize(
    ("name", "value"),
    [("bot_timezone", "Mars/Olympus"), ("bot_default_locale", "de"), ("log_level", "LOUD"),
     ("telegram_api_base_url", "ftp://x"), ("webapp_url", "http://bot.example/app/"),
     ("webapp_init_max_age", "10")],
)  # fmt: skip
def test_invalid_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name.upper()):
        load_settings(_env_file=None, **{name: value})


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD)
    monkeypatch.setenv("BOT_DEFAULT_LOCALE", "en")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    settings = load_settings(_env_file=None)
    assert settings.bot_default_locale == "en"
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"


def test_retention_and_the_privacy_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RETENTION_DAYS", "PRIVACY_NOTICE_FILE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.retention_days == 365
    assert settings.privacy_notice_path("hu") is None
    with pytest.raises(SettingsError, match="RETENTION_DAYS"):
        load_settings(_env_file=None, retention_days=0)
    with pytest.raises(SettingsError, match=r"PRIVACY_NOTICE_FILE is invalid.*readable UTF-8"):
        load_settings(_env_file=None, privacy_notice_file=str(tmp_path / "nincs.txt"))
    (tmp_path / "ures.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"PRIVACY_NOTICE_FILE is invalid.*empty"):
        load_settings(_env_file=None, privacy_notice_file=str(tmp_path / "ures.txt"))
    # {lang}: the reader's language, else the default language's file
    (tmp_path / "adatvedelem.hu.txt").write_text("Tájékoztató", encoding="utf-8")
    settings = load_settings(
        _env_file=None, privacy_notice_file=str(tmp_path / "adatvedelem.{lang}.txt")
    )
    assert settings.privacy_notice_path("en") == tmp_path / "adatvedelem.hu.txt"
    (tmp_path / "adatvedelem.en.txt").write_text("Notice", encoding="utf-8")
    assert settings.privacy_notice_path("en") == tmp_path / "adatvedelem.en.txt"
