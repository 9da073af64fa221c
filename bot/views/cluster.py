"""Texts of the cluster's main group."""

from __future__ import annotations

from bot.i18n import Translator


def needs_pin_rights(t: Translator) -> str:
    """/fo_csoport where the bot may not pin messages."""
    return t.gettext(
        "I need to be an administrator of this group with the right „Pin messages” "
        "to post ballots and announcements here."
    )


def main_group_set(t: Translator) -> str:
    return t.gettext(
        "This is now the main group of the cluster: ballots, results and announcements "
        "will be posted here."
    )
