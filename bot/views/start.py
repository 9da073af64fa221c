"""Welcome, help and language texts."""

from __future__ import annotations

from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.commands import CommandSpec
from bot.i18n import N_, Phrase, Translator
from bot.services.roles import Permission, Standing

LANGUAGE_NAMES = {"hu": "Magyar", "en": "English"}


#: What the bot is and how to become a member.
welcome_stranger = Phrase(
    N_(
        "<b>Welcome to Klaszterbot!</b>\n\n"
        "This bot runs the day-to-day governance of the cluster: ballots, the register of "
        "resolutions, the work plan, workgroups and announcements.\n\n"
        "Membership is by invitation from the cluster management (KSz). If you have an "
        "invitation link, open it to connect your account. If not, you can ask to join with "
        "/join, adding a short introduction (name, organisation).\n\n"
        "/help lists what you can do here."
    )
)


#: Greeting for a known member.
welcome_member = Phrase(
    N_(
        "Hello, {name}! Good to see you.\n\n"
        "/help lists the commands you can use, /profile shows your rights."
    )
)


#: Greeting for a deactivated member.
welcome_inactive = Phrase(
    N_(
        "Hello, {name}. Your membership is currently inactive, so only the public commands "
        "are available. Please contact the KSz if this is a mistake."
    )
)


#: Confirmation after an invitation link bound the account.
bound = Phrase(
    N_(
        "<b>Your account is connected.</b> Welcome, {name}!\n\n"
        "/profile shows your membership and rights, /help lists your commands."
    )
)


def _section_title(t: Translator, permission: Permission) -> str:
    return {
        Permission.PUBLIC: t.gettext("For everyone"),
        Permission.MEMBER: t.gettext("For members"),
        Permission.VOTER: t.gettext("For voting members"),
        Permission.FOUNDER: t.gettext("For the Strategic Council"),
        Permission.ST_CHAIR: t.gettext("For the ST chair"),
        Permission.CATALYST: t.gettext("For catalysts"),
        Permission.KSZ: t.gettext("For the KSz"),
        Permission.ANNOUNCER: t.gettext("For the KSz and the ST chair"),
        Permission.BALLOT_CREATOR: t.gettext("For starting ballots (KSz, ST chair, founders)"),
        Permission.REPORTER: t.gettext("For catalysts and the KSz"),
    }[permission]


def help_text(t: Translator, specs: list[CommandSpec], standing: Standing) -> str:
    """The commands this caller may use, grouped by the role that grants them."""
    return _help_text(t, tuple(specs), standing.is_member)


@lru_cache(maxsize=64)  # a few languages times a few standings: built once each
def _help_text(t: Translator, specs: tuple[CommandSpec, ...], is_member: bool) -> str:
    english = t.language == "en"
    lines = [t.gettext("<b>Commands you can use</b>")]
    for permission in Permission:
        section = [s for s in specs if s.permission is permission]
        if not section:
            continue
        lines.append("")
        lines.append(f"<b>{_section_title(t, permission)}</b>")
        for spec in section:
            first = spec.english_name if english else spec.name
            shown = " ".join(f"/{n}" for n in dict.fromkeys((first, *spec.names)))
            lines.append(f"{shown} – {t.gettext(spec.description)}")
            if spec.help_note:
                lines.append(f"<i>{t.gettext(spec.help_note).format(command='/' + first)}</i>")
    if is_member:
        lines += ["", CATALYST_GLOSS(t)]
    else:
        lines.append("")
        lines.append(t.gettext("Members see more commands once their account is connected."))
    return "\n".join(lines)


#: What a katalizátor is, under the commands.
CATALYST_GLOSS = Phrase(
    N_(
        "<i>The catalyst (katalizátor) of a workgroup is the internal member who coordinates its "
        "work; /catalyst writes to the catalyst of yours.</i>"
    )
)


def language_prompt(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Choose a language."""
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=encode(Feature.LANGUAGE, "set", code))
                for code, label in LANGUAGE_NAMES.items()
            ]
        ]
    )
    return t.gettext("Choose the language of the bot:"), keyboard


#: Confirmation, in the newly chosen language.
language_set = Phrase(N_("From now on I will write to you in English."))
