"""Texts of the cluster's main group."""

from __future__ import annotations

from bot.i18n import N_, Phrase

#: /fo_csoport where the bot may not pin messages.
needs_pin_rights = Phrase(
    N_(
        "I need to be an administrator of this group with the right „Pin messages” "
        "to post ballots and announcements here."
    )
)


main_group_set = Phrase(
    N_(
        "This is now the main group of the cluster: ballots, results and announcements "
        "will be posted here."
    )
)
