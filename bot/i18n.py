"""Translations (catalogs compiled from the .po files at start) and locale-aware formatting."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from html import escape
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LOCALES_DIR = Path(__file__).with_name("locales")
DOMAIN = "messages"
LANGUAGES = ("hu", "en")
#: The CLDR locale each language's names and patterns follow.
BABEL_LOCALES = {"hu": "hu_HU", "en": "en_GB"}

#: CLDR's wide month and weekday names of each language (format context), the only locale data
#: the bot formats with. Babel's ``format_datetime`` would load the whole CLDR data of both
#: locales (about 5 MiB that each process keeps) for these 38 words;
#: ``tests/unit/test_i18n.py`` checks them against Babel's, day by day.
MONTHS: dict[str, tuple[str, ...]] = {
    "hu": (
        "január", "február", "március", "április", "május", "június", "július", "augusztus",
        "szeptember", "október", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ),
}  # fmt: skip
WEEKDAYS: dict[str, tuple[str, ...]] = {
    "hu": ("hétfő", "kedd", "szerda", "csütörtök", "péntek", "szombat", "vasárnap"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

#: The pattern fields ``format_pattern`` knows.
_FIELDS = {"y", "yyyy", "M", "MM", "MMMM", "d", "dd", "H", "HH", "mm", "EEEE"}

#: A CLDR date pattern's parts: a quoted literal, a run of one field letter, other text.
_PATTERN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


@cache
def _pattern(pattern: str) -> tuple[str, ...]:
    """The parts of a CLDR pattern: fields as their letters (``MMMM``), literals as ``"=text"``;
    a field the formatter does not know is refused here, when the catalog's pattern is first
    used, rather than shown wrong."""
    parts = []
    for match in _PATTERN.finditer(pattern):
        token = match.group(0)
        if match.group(1) is None:
            literal = token[1:-1].replace("''", "'") if token.startswith("'") else token
            parts.append("=" + (literal or "'"))
        elif token in _FIELDS:
            parts.append(token)
        else:
            raise ValueError(f"date pattern {pattern!r}: field {token!r} is not supported")
    return tuple(parts)


def format_pattern(value: date | datetime, pattern: str, language: str) -> str:
    """``value`` by a CLDR pattern (``y. MMMM d., H:mm``) in ``language``: years, months (by
    number or name), days, hours, minutes and weekday names."""
    out = []
    for part in _pattern(pattern):
        match part:
            case "y" | "yyyy":
                out.append(str(value.year).zfill(len(part)))
            case "M":
                out.append(str(value.month))
            case "MM":
                out.append(f"{value.month:02d}")
            case "MMMM":
                out.append(MONTHS[language][value.month - 1])
            case "d":
                out.append(str(value.day))
            case "dd":
                out.append(f"{value.day:02d}")
            case "EEEE":
                out.append(WEEKDAYS[language][value.weekday()])
            case "H" | "HH" | "mm" if not isinstance(value, datetime):
                raise ValueError(f"date pattern field {part!r} needs a time")
            case "H":
                out.append(str(value.hour))  # type: ignore[union-attr]
            case "HH":
                out.append(f"{value.hour:02d}")  # type: ignore[union-attr]
            case "mm":
                out.append(f"{value.minute:02d}")  # type: ignore[union-attr]
            case _:
                out.append(part[1:])
    return "".join(out)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


class Phrase:
    """A fixed text of a view, translated where it is shown: ``SAVED = Phrase(N_("Saved."))``,
    then ``SAVED(t)``. Keyword values fill its ``{placeholders}``; strings are HTML-escaped (they
    came from users), numbers are not."""

    __slots__ = ("msgid",)

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid

    def __call__(self, t: Translator, **values: object) -> str:
        text = t.gettext(self.msgid)
        if not values:
            return text
        return text.format(**{k: escape(v) if isinstance(v, str) else v for k, v in values.items()})


#: Every command by the name an English reader types, with the name a Hungarian reader types
#: (the spec's Hungarian ``name``; for /help its alias /sugo). A text that names a command says
#: ``{cancel}`` and is formatted with ``t.commands("cancel")``, so no English msgid says /megse
#: and the Hungarian msgstr keeps the placeholder. tests/unit/test_command_names.py keeps this in
#: step with every ``CommandSpec``'s ``english=``.
HUNGARIAN_COMMANDS: dict[str, str] = {
    "start": "start", "help": "sugo", "language": "nyelv", "join": "csatlakozas",
    "profile": "profil", "members": "tagok", "workgroups": "munkacsoportok", "log": "naplo",
    "invite": "meghivo", "member": "tag", "newworkgroup": "munkacsoport_uj",
    "linkgroup": "csoport_osszekotes", "maingroup": "fo_csoport", "announce": "kozlemeny",
    "announcements": "kozlemenyek", "workplan": "munkaterv", "progress": "elorehaladas",
    "task": "feladat", "workplanversions": "munkaterv_verziok", "newworkplan": "munkaterv_uj",
    "newtask": "feladat_uj", "edittask": "feladat_modositas", "workplanvote": "munkaterv_szavazas",
    "schedule": "utemezes", "newpoll": "szavazas_uj", "ballots": "szavazasok",
    "ballotdetails": "szavazas_reszletek", "closeballot": "szavazas_lezaras",
    "resolutions": "hatarozatok", "affected": "erintett", "newmeeting": "ules_uj",
    "reconvene": "ules_megismetelt",
    "meetings": "ulesek", "present": "jelen", "leave": "tavozom", "itemvote": "ules_szavazas",
    "closemeeting": "ules_zaras", "minutes": "jegyzokonyv", "officers": "ules_tisztsegviselok",
    "agenda": "ules_napirend",
    "proxy": "meghatalmazas",
    "cancel": "megse",
    "proposal": "javaslat",
    "proposals": "javaslatok", "catalyst": "katalizator", "done": "kesz",
    "openquestions": "nyitott_kerdesek", "mydata": "adataim", "privacy": "adatvedelem",
    "transparency": "atlathatosag",
}  # fmt: skip


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    """The language's catalog: the ``.mo`` compiled at build (the container image) when it is
    newer than its ``.po``, else the ``.po`` compiled in memory, so a stale ``.mo`` is never
    served."""
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo_path = po_path.with_suffix(".mo")
    if mo_path.is_file() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    return gettext.GNUTranslations(BytesIO(_compiled(po_path, language)))


def _compiled(po_path: Path, language: str) -> bytes:
    # Babel's catalog tools load only where a catalog is compiled (a container has its .mo).
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_catalogs(locales: Path = LOCALES_DIR) -> list[Path]:
    """Write each language's ``.mo`` beside its ``.po`` (the Dockerfile runs this at build, so
    a container starts without compiling); returns the files written."""
    written = []
    for po_path in sorted(locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        mo_path.write_bytes(_compiled(po_path, po_path.parent.parent.name))
        written.append(mo_path)
    return written


@dataclass(frozen=True, slots=True)
class Translator:
    """Everything a view needs to speak one language: gettext and formatting."""

    language: str
    tz: ZoneInfo

    @property
    def _t(self) -> gettext.NullTranslations:
        return _catalog(self.language)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._t.pgettext(context, message)

    def command(self, english: str) -> str:
        """A command named inside a text, as this reader types it: ``command("cancel")`` is
        ``/megse`` in Hungarian and ``/cancel`` in English."""
        return "/" + (english if self.language == "en" else HUNGARIAN_COMMANDS[english])

    def commands(self, *english: str) -> dict[str, str]:
        """The placeholders of the commands a text names: ``text.format(**t.commands("cancel",
        "help"))`` fills ``{cancel}`` and ``{help}``."""
        return {name: self.command(name) for name in english}

    def datetime(self, value: datetime) -> str:
        """``2026. november 27., 14:30`` in Hungarian; the pattern is in the catalog."""
        pattern = self.pgettext("datetime format", "d MMMM y, HH:mm")
        if value.tzinfo is None:  # as Babel reads one: UTC
            value = value.replace(tzinfo=UTC)
        return format_pattern(value.astimezone(self.tz), pattern, self.language)

    def date(self, value: date) -> str:
        """``2026. november 27.`` in Hungarian."""
        pattern = self.pgettext("date format", "d MMMM y")
        return format_pattern(value, pattern, self.language)

    def weekday(self, weekday: int) -> str:
        """``hétfő`` / ``Monday`` for 0."""
        return WEEKDAYS[self.language][weekday]


class Translations:
    """The translators of every language, built once."""

    def __init__(self, default: str, tz: ZoneInfo) -> None:
        if default not in LANGUAGES:
            raise ValueError(f"unknown default language {default!r}")
        self.default = default
        self._by_language = {lang: Translator(lang, tz) for lang in LANGUAGES}
        for lang in LANGUAGES:
            _catalog(lang)

    def get(self, language: str | None) -> Translator:
        """The translator for ``language``, or the default one."""
        return self._by_language.get(language or "", self._by_language[self.default])

    def for_account(self, account: Any | None) -> Translator:
        """The translator of a Telegram account (``storage.models.TelegramUser``): its stored
        choice, else its Telegram language; the default when there is no account."""
        if account is None:
            return self.get(None)
        return self.pick(account.language, account.language_code)

    def pick(self, stored: str | None, telegram_code: str | None) -> Translator:
        """The user's stored choice, else Telegram's language when we have it, else the default."""
        if stored in self._by_language:
            return self._by_language[stored]
        code = (telegram_code or "").split("-")[0].lower()
        return self.get(code if code in self._by_language else None)
