"""Settings read from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,}$")
SUPPORTED_LOCALES = ("hu", "en")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///klaszter.db"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
#: Work-plan schedule settings and their keys in ``bot.services.schedule``.
WORKPLAN_SETTINGS = {
    "workplan_checkin": "checkin", "workplan_reminder_days": "reminders",
    "workplan_alert_time": "time", "workplan_escalation_days": "escalation",
    "workplan_digest_weekly": "weekly", "workplan_digest_monthly": "monthly",
}  # fmt: skip


SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def split_address(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8080`` for IPv6) as a pair; ValueError names the form."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be host:port, e.g. 0.0.0.0:8080")
    return host, int(port)


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram posts updates and where the bot listens for them."""

    url: str
    host: str
    port: int
    path: str
    secret: str


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """Every knob of the bot; names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    database_url: str = DEFAULT_DATABASE_URL
    bot_default_locale: str = "hu"
    bot_timezone: str = "Europe/Budapest"
    log_level: str = "INFO"
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 90)
    routing_max_per_minute: int = Field(default=10, ge=1, le=1000)
    kgy_quorum: str = "more_than_half"
    kgy_majority: str = "simple"
    st_quorum: str = "more_than_half"
    st_majority: str = "simple"
    ballot_reminder_hours: str = "24,2"
    group_update_seconds: float = Field(default=5.0, ge=0, le=600)
    proposal_discussion_days: int = Field(default=7, ge=1, le=90)
    proposal_ballot_days: int = Field(default=7, ge=1, le=90)
    #: Ptk. 3:20: the shortest voting period of a decision without a meeting.
    no_meeting_days: int = Field(default=8, ge=1, le=90)
    #: The invitation to a meeting goes at least this many days before it.
    meeting_notice_days: int = Field(default=8, ge=0, le=90)
    #: Minutes after a meeting's start when, still without a quorum, it is recorded as such.
    meeting_quorum_wait: int = Field(default=30, ge=0, le=24 * 60)
    #: The quorum of a reconvened meeting (megismételt ülés, Ptk. 3:76 (3)): ``none`` =
    #: quorate on the original agenda whatever the number present.
    meeting_reconvened_quorum: str = "none"
    #: Proxies at meetings (meghatalmazás, /meghatalmazas): off unless the bylaws allow them.
    meeting_proxies: bool = False
    #: How many members one proxy holder may represent at a meeting.
    meeting_proxies_per_holder: int = Field(default=1, ge=1, le=50)
    #: Where the minutes' PDF finds DejaVuSans.ttf and DejaVuSans-Bold.ttf (Debian:
    #: fonts-dejavu-core).
    minutes_font_dir: str = "/usr/share/fonts/truetype/dejavu"
    workplan_checkin: str = "MON 09:00"
    workplan_reminder_days: str = "7,1"
    workplan_alert_time: str = "09:00"
    workplan_escalation_days: str = "7"
    workplan_digest_weekly: str = "MON 08:00"
    workplan_digest_monthly: str = "1 08:00"
    retention_days: int = Field(default=365, ge=1, le=36500)
    privacy_notice_file: str | None = None
    #: Webhook mode (issue 19): the public URL Telegram posts to; unset: long polling.
    webhook_url: str | None = None
    #: Where the webhook server listens (host:port), behind the reverse proxy.
    webhook_listen: str | None = "0.0.0.0:8080"
    #: Telegram sends it in X-Telegram-Bot-Api-Secret-Token; a request without it is refused.
    webhook_secret: SecretStr | None = None
    #: Polling mode: where /healthz, /readyz and /metrics listen (host:port); unset: nowhere.
    http_listen: str | None = None
    #: "text" (one line a record) or "json" (one JSON object a line, for a log collector).
    log_format: str = "text"
    #: The transparency Mini App's public https:// URL (issue 20): /atlathatosag's button and the
    #: menu button open it; unset: the command says it is not set up.
    webapp_url: str | None = None
    #: How old (seconds) a Mini App's signed initData may be before the API refuses it.
    webapp_init_max_age: int = Field(default=86400, ge=60, le=7 * 86400)

    @field_validator("privacy_notice_file")
    @classmethod
    def _notice_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        language = info.data.get("bot_default_locale", "hu")
        path = Path(value.replace("{lang}", language)).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise ValueError(f"must be a readable UTF-8 text file ({path} is not)") from None
        if not text.strip():
            raise ValueError(f"{path} is empty")
        return value

    def privacy_notice_path(self, language: str) -> Path | None:
        """The cluster's own privacy notice for ``language`` (``{lang}`` in the setting), else
        the one of the default language; None: the built-in notice."""
        if self.privacy_notice_file is None:
            return None
        for code in (language, self.bot_default_locale):
            path = Path(self.privacy_notice_file.replace("{lang}", code)).expanduser()
            if path.is_file():
                return path
        return None

    @field_validator(
        "workplan_checkin", "workplan_reminder_days", "workplan_alert_time",
        "workplan_escalation_days", "workplan_digest_weekly", "workplan_digest_monthly",
    )  # fmt: skip
    @classmethod
    def _workplan_schedule(cls, value: str, info: ValidationInfo) -> str:
        from bot.services.schedule import check_value

        return check_value(WORKPLAN_SETTINGS[str(info.field_name)], value)

    @property
    def workplan_schedule(self) -> dict[str, str]:
        """The work plan's schedule defaults, by setting key (the KSz may override them)."""
        return {key: getattr(self, name) for name, key in WORKPLAN_SETTINGS.items()}

    @field_validator("kgy_quorum", "st_quorum", "meeting_reconvened_quorum")
    @classmethod
    def _known_quorum(cls, value: str) -> str:
        allowed = ("more_than_half", "two_thirds", "none")
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    @field_validator("kgy_majority", "st_majority")
    @classmethod
    def _known_majority(cls, value: str) -> str:
        allowed = ("simple", "absolute", "two_thirds", "three_quarters")
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    @field_validator("ballot_reminder_hours")
    @classmethod
    def _hours_list(cls, value: str) -> str:
        try:
            hours = [int(h) for h in value.split(",") if h.strip()]
        except ValueError:
            raise ValueError("must be whole hours separated by commas, e.g. 24,2") from None
        if any(h < 1 or h > 24 * 30 for h in hours):
            raise ValueError("each must be between 1 and 720 hours")
        return value

    @property
    def reminder_hours(self) -> list[int]:
        """Hours before a ballot's deadline when non-voters are reminded, largest first."""
        return sorted(
            {int(h) for h in self.ballot_reminder_hours.split(",") if h.strip()}, reverse=True
        )

    @field_validator("bot_default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("bot_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known IANA time zone") from exc
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("https://", "http://")) or not urlsplit(value).hostname:
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return value

    @field_validator("webapp_url")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith("https://") or not urlsplit(value).hostname:
            raise ValueError("must be the Mini App's public https:// URL (Telegram opens no other)")
        return value

    @field_validator("webhook_listen", "http_listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        split_address(value)
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not SECRET_RE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError("must be text or json")
        return value

    def webhook(self) -> Webhook | None:
        """Webhook mode's settings, checked; None: long polling."""
        if self.webhook_url is None:
            return None
        if self.webhook_secret is None:
            raise SettingsError(
                "WEBHOOK_SECRET is not set: webhook mode needs it, so that only Telegram can "
                "post updates (1-256 characters of A-Z, a-z, 0-9, _ and -)"
            )
        host, port = split_address(self.webhook_listen or "0.0.0.0:8080")
        path = urlsplit(self.webhook_url).path or "/"
        return Webhook(self.webhook_url, host, port, path, self.webhook_secret.get_secret_value())

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        """The cluster's time zone."""
        return ZoneInfo(self.bot_timezone)

    def logging_args(self) -> tuple[str, list[str], str]:
        """``bot.logs.configure``'s arguments: the level, the secrets to redact, the format (the
        child that upgrades the database gets them too, ``bot.cli.upgrade``)."""
        secrets = (self.telegram_bot_token, self.webhook_secret)
        return (
            self.log_level,
            [s.get_secret_value() for s in secrets if s is not None],
            self.log_format,
        )

    def token(self) -> str:
        """The bot token, checked; raises SettingsError naming the variable."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the "
                "environment or in .env"
            )
        token = self.telegram_bot_token.get_secret_value().strip()
        if not TOKEN_RE.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is malformed: expected the form 123456789:AAE... "
                "from @BotFather"
            )
        return token


def load_settings(**overrides: object) -> Settings:
    """Read settings; a validation problem becomes one SettingsError line naming the variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        raise SettingsError(f"{name} is invalid: {err['msg']}") from None
