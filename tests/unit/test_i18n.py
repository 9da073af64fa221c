"""The catalogs: complete Hungarian, pinned plural forms, in sync with the code, correct dates."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import BABEL_LOCALES, LOCALES_DIR, Translations, format_pattern
from bot.proc import run

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"N_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
TZ = ZoneInfo("Europe/Budapest")


def _code_messages() -> set[tuple[str | None, str]]:
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid))
    return found


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _ids(catalog) -> set[tuple[str | None, str]]:  # type: ignore[no-untyped-def]
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog if m.id}


def test_every_message_in_the_code_has_a_hungarian_translation() -> None:
    catalog = _catalog("hu")
    translated = {
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id
        and not m.fuzzy
        and (all(m.string) if isinstance(m.string, tuple) else bool(m.string))
    }
    missing = _code_messages() - translated
    assert not missing, f"untranslated (run tools/update_catalogs.sh and translate): {missing}"


@pytest.mark.parametrize("language", ["hu", "en"])
def test_catalogs_hold_no_message_the_code_no_longer_has(language: str) -> None:
    stale = _ids(_catalog(language)) - _code_messages()
    assert not stale, f"stale entries in {language}: {stale}"


def test_english_catalog_knows_every_message() -> None:
    assert _code_messages() <= _ids(_catalog("en"))


CATALOGS = [
    LOCALES_DIR / "messages.pot",
    *(LOCALES_DIR / language / "LC_MESSAGES" / "messages.po" for language in ("hu", "en")),
]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name or p.name)
def test_msgfmt_check_accepts_every_catalog(path: Path) -> None:
    """GNU gettext's own check (``msgfmt --check``: formats, header, domain), as a translator's
    tools run it. .ci/run installs Debian's ``gettext`` where it is missing."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt is not installed (Debian package gettext)")
    done = run(["msgfmt", "--check", "-o", "/dev/null", str(path)], timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("language", ["hu", "en"])
def test_no_message_is_taken_for_a_percent_format(language: str) -> None:
    """We format with ``str.format``. A msgid with "60% for" or "100% is" reads to gettext
    tools as a %-placeholder (``% f``, ``% i``): Babel marks it ``python-format`` at every
    extraction and msgfmt then rejects a translation such as "60%-os". Rephrase the English
    ("sets task 12 to 60%.") instead; Babel's own checkers must find nothing either."""
    catalog = _catalog(language)
    marked = [m.id for m in catalog if m.id and "python-format" in m.flags]
    assert not marked, f"rephrase so that no % is followed by a format letter: {marked}"
    assert [(m.id, errors) for m, errors in catalog.check()] == []


def test_hungarian_plural_forms_are_pinned() -> None:
    text = (LOCALES_DIR / "hu" / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in text


def test_placeholders_survive_translation() -> None:
    for message in _catalog("hu"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"\{(\w+)\}", ids[-1]))
        for string in strings:
            assert set(re.findall(r"\{(\w+)\}", string)) == wanted, message.id


def test_hungarian_register_is_formal_without_on() -> None:
    for message in _catalog("hu"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert not re.search(r"\b(Ön|Önt|Önnek|Önök|te|neked|téged)\b", string), string


def test_dates_in_hungarian_house_style() -> None:
    t = Translations("hu", TZ).get("hu")
    assert t.datetime(datetime(2026, 11, 27, 13, 30, tzinfo=UTC)) == "2026. november 27., 14:30"
    assert t.datetime(datetime(2026, 7, 1, 7, 5, tzinfo=UTC)) == "2026. július 1., 9:05"
    assert t.date(date(2026, 11, 27)) == "2026. november 27."


def test_english_dates() -> None:
    t = Translations("hu", TZ).get("en")
    assert t.datetime(datetime(2026, 11, 27, 13, 30, tzinfo=UTC)) == "27 November 2026, 14:30"


@pytest.mark.parametrize("language", ["hu", "en"])
def test_dates_as_babel_formats_them(language: str) -> None:
    """The bot formats dates without Babel's CLDR data (5 MiB a process): day by day through a
    leap year, in both catalogs' patterns, every hour and minute's padding, its text is Babel's."""
    from babel.dates import format_date, format_datetime, get_day_names

    t = Translations("hu", TZ).get(language)
    locale = BABEL_LOCALES[language]
    datetime_pattern = t.pgettext("datetime format", "d MMMM y, HH:mm")
    date_pattern = t.pgettext("date format", "d MMMM y")
    start = datetime(2027, 12, 31, 22, 59, tzinfo=UTC)
    for step in range(367):
        moment = start + timedelta(days=step, hours=step % 24, minutes=step % 60)
        day = moment.date()
        assert t.datetime(moment) == format_datetime(
            moment, datetime_pattern, tzinfo=TZ, locale=locale
        )
        assert t.date(day) == format_date(day, date_pattern, locale=locale)
    for weekday in range(7):
        assert t.weekday(weekday) == get_day_names("wide", locale=locale)[weekday]
    naive = datetime(2026, 3, 29, 0, 30)  # Babel reads a naive time as UTC, so does the bot
    assert t.datetime(naive) == format_datetime(naive, datetime_pattern, tzinfo=TZ, locale=locale)


def test_date_patterns_fields_and_literals() -> None:
    moment = datetime(2026, 3, 7, 8, 5)
    assert format_pattern(moment, "EEEE, yyyy-MM-dd HH:mm 'o''clock'", "en") == (
        "Saturday, 2026-03-07 08:05 o'clock"
    )
    assert format_pattern(moment.date(), "y. M. d.", "hu") == "2026. 3. 7."
    with pytest.raises(ValueError, match="field 'h' is not supported"):
        format_pattern(moment, "h:mm a", "en")
    with pytest.raises(ValueError, match="needs a time"):
        format_pattern(moment.date(), "HH:mm", "en")


def test_language_choice_order() -> None:
    translations = Translations("hu", TZ)
    assert translations.pick("en", "hu").language == "en"
    assert translations.pick(None, "en-GB").language == "en"
    assert translations.pick(None, "de").language == "hu"
    assert translations.pick(None, None).language == "hu"


def test_hungarian_plural_keeps_noun_singular() -> None:
    t = Translations("hu", TZ).get("hu")
    text = t.ngettext(
        "<b>Members of the cluster</b> ({n} member)",
        "<b>Members of the cluster</b> ({n} members)",
        5,
    ).format(n=5)
    assert text == "<b>A klaszter tagjai</b> (5 tag)"


def test_no_full_stop_after_a_hungarian_date() -> None:
    """A Hungarian date ends in a full stop (``2027. január 22.``): a template that puts one after a
    date, a period or a deadline prints ``22..`` (issue 21)."""
    for message in _catalog("hu"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert not re.search(r"\{(date|deadline|period|when|until)\}\.", string), string


@pytest.mark.parametrize("language", ["hu", "en"])
def test_translator_header_is_filled_in(language: str) -> None:
    text = (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    header = text.split('msgid ""', 1)[0] + text.split("\n\n", 1)[0]
    assert "FULL NAME" not in header and "EMAIL@ADDRESS" not in header and "LL@li.org" not in header
    if language == "hu":
        assert "magázó" in header and "„Ön” nélkül" in header  # the register is stated


def test_catalogs_compiled_at_build_are_served_and_a_stale_one_is_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The container compiles the .mo files at build; the bot serves them, but compiles the .po
    in memory when a .mo is older than its .po."""
    import gettext
    import os
    import shutil

    from bot import i18n

    copy = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = i18n.compile_catalogs(copy)
    assert sorted(p.parent.parent.name for p in written) == ["en", "hu"]
    hu_mo = copy / "hu" / "LC_MESSAGES" / "messages.mo"
    with hu_mo.open("rb") as handle:
        built = gettext.GNUTranslations(handle)
    assert built.gettext("Nothing was imported.") == i18n._catalog("hu").gettext(
        "Nothing was imported."
    )
    original = i18n.LOCALES_DIR
    try:
        i18n.LOCALES_DIR = copy
        i18n._catalog.cache_clear()
        hu_mo.write_bytes(b"not a catalog")  # served if fresh: it fails to load
        os.utime(hu_mo, (1, 1))  # older than the .po: not read at all
        assert i18n._catalog("hu").gettext("Nothing was imported.") != "Nothing was imported."
    finally:
        i18n.LOCALES_DIR = original
        i18n._catalog.cache_clear()
