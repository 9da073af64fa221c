"""Issue 14: a text that names a command names it as the reader types it (/megse in Hungarian,
/cancel in English), and no English msgid carries a Hungarian command name or value."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

from bot.handlers import FEATURES
from bot.i18n import HUNGARIAN_COMMANDS, LOCALES_DIR, Translations
from bot.views import dialogues

TRANSLATIONS = Translations("hu", ZoneInfo("Europe/Budapest"))
HU = TRANSLATIONS.get("hu")
EN = TRANSLATIONS.get("en")
SPECS = [spec for feature in FEATURES for spec in getattr(feature, "COMMANDS", [])]


def test_the_table_of_names_agrees_with_every_command() -> None:
    assert set(HUNGARIAN_COMMANDS) == {spec.english_name for spec in SPECS}
    for spec in SPECS:
        assert HUNGARIAN_COMMANDS[spec.english_name] in spec.names, spec.name
        if spec.english is not None:
            assert HUNGARIAN_COMMANDS[spec.english] == spec.name


def test_a_command_is_named_in_the_readers_language() -> None:
    assert HU.command("cancel") == "/megse" and EN.command("cancel") == "/cancel"
    assert HU.command("help") == "/sugo" and EN.command("help") == "/help"
    assert dialogues.use_buttons(HU).endswith("vagy szakítsa meg: /megse. Súgó: /sugo")
    assert dialogues.use_buttons(EN).endswith("cancel with /cancel. Help: /help")


HUNGARIAN_ONLY = sorted(
    {hu for en, hu in HUNGARIAN_COMMANDS.items() if hu != en}, key=len, reverse=True
)
#: Words of the Hungarian input that an English text would show instead of its English one.
HUNGARIAN_VALUES = re.compile(
    r"\b(ki|igen|nem|heti|havi|alap|bejelentkezes|emlekezteto|eszkalacio|tervezett|folyamatban"
    r"|késésben|felfüggesztve|törölve|cím|leírás|felelős|határidő|állapot|Kérdés|Határidő"
    r"|Titkos|Opciók|Lehetőségek|Választható|Testület|Többség|Határozatképesség|Módosítható"
    r"|nyílt|titkos|katalizator)\b"
)


def test_no_english_message_names_a_hungarian_command_or_value() -> None:
    command = re.compile(r"/(" + "|".join(HUNGARIAN_ONLY) + r")\b")
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        catalog = read_po(handle)
    found = []
    for message in catalog:
        if not message.id:
            continue
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            if command.search(msgid) or HUNGARIAN_VALUES.search(msgid):
                found.append(msgid)
    assert not found, found
