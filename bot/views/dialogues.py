"""Texts about dialogues: which one a new command ended, and hints for unexpected messages."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import N_, Translator

BALLOT_COMMENT = N_("the comment on a ballot")
NEW_BALLOT = N_("the new ballot")
ANNOUNCEMENT = N_("the announcement you were composing")
PROGRESS_NOTE = N_("the note on your progress report")
PROPOSAL_COMMENT = N_("the comment on a proposal")
CATALYST_SESSION = N_("writing to the catalyst")


def ended_notice(t: Translator, labels: Sequence[str]) -> str:
    """What a new command (or a button) ended."""
    return t.gettext("Stopped: {what}. Your next message no longer goes there.").format(
        what="; ".join(t.gettext(label) for label in labels)
    )


# --- hints for what no handler took (``bot.handlers.fallback``) -------------------------------


def unknown_command(t: Translator, name: str) -> str:
    """A command the bot does not know (``name`` without the slash; may be empty)."""
    if not name:
        return t.gettext("Please type a command after the slash. The commands: {help}").format(
            **t.commands("help")
        )
    return t.gettext("Unknown command: /{name}. The commands you can use: {help}").format(
        name=escape(name), **t.commands("help")
    )


def use_buttons(t: Translator) -> str:
    """Text arrived where the pending dialogue expects a button."""
    return t.gettext(
        "Please answer with the buttons above, or cancel with {cancel}. Help: {help}"
    ).format(**t.commands("cancel", "help"))


def unexpected_text(t: Translator) -> str:
    """Free text that nothing waited for."""
    return t.gettext(
        "Nothing was waiting for this message, so it was neither saved nor passed on. "
        "To write to your catalyst, start with {catalyst}; to add a note to a progress "
        "report, first press “Add a note” under it. What you can do: {help}"
    ).format(**t.commands("catalyst", "help"))


def unsupported(t: Translator) -> str:
    """A sticker, a poll, a location... that nothing waited for."""
    return t.gettext(
        "The bot does nothing with this kind of message. What you can do: {help}"
    ).format(**t.commands("help"))


def addressed_hint(t: Translator) -> str:
    """A group message addressed to the bot that no feature took."""
    return t.gettext("In this group the bot answers commands. What you can do: {help}").format(
        **t.commands("help")
    )
