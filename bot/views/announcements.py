"""Announcements: the message recipients get, the composing steps, the report and the list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import N_, Phrase, Translator
from bot.services.announcements import (
    AnnouncementKind,
    AudienceGroup,
    AudiencePreview,
    DeliveryState,
    Draft,
    Report,
    Summary,
)
from bot.services.collation import hu_sort_key
from bot.services.errors import InvalidInput
from bot.services.text import clip
from bot.views.common import nothing
from bot.views.split import visible_length

PAGE_SIZE = 5
EXCERPT = 160
#: Main-group errors that have a text of their own (others are shown as Telegram gave them).
NOT_LINKED = "not_linked"
PIN_FAILED = "pin: "


# --- what recipients see ---------------------------------------------------------------------


def kind_label(t: Translator, kind: AnnouncementKind | str) -> str:
    """The kind in a sentence or a list."""
    if AnnouncementKind(kind) is AnnouncementKind.STRATEGIC:
        return t.gettext("strategic (ST chair)")
    return t.gettext("operational (KSz)")


def header(t: Translator, kind: AnnouncementKind, author: str) -> str:
    """The first lines of every announcement: its kind (who speaks) and its author."""
    title = (
        t.gettext("📢 <b>Strategic announcement — the ST chair</b>")
        if kind is AnnouncementKind.STRATEGIC
        else t.gettext("📢 <b>Announcement — KSz</b>")
    )
    return "\n".join([title, t.gettext("From: {name}").format(name=escape(author))])


def message(t: Translator, kind: AnnouncementKind, author: str, body_html: str) -> str:
    """Exactly what recipients get: the header, an empty line, the author's text."""
    return f"{header(t, kind, author)}\n\n{body_html}"


def overhead(t: Translator, author: str, kinds: Iterable[AnnouncementKind]) -> int:
    """Characters the header takes from Telegram's limit (the longest of the given kinds)."""
    return max((visible_length(header(t, k, author)) + 2 for k in kinds), default=0)


# --- composing -------------------------------------------------------------------------------


def _cancel(t: Translator, serial: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        t.gettext("✖ Cancel"), callback_data=encode(Feature.ANNOUNCE, "cancel", serial)
    )


def content_prompt(t: Translator, serial: int) -> tuple[str, InlineKeyboardMarkup]:
    """Step 1: ask for the text (or a photo or document with the text as its caption)."""
    text = t.gettext(
        "<b>New announcement</b>\n"
        "Please send the text of the announcement. A photo or a document also works: then "
        "write the text as its caption. Formatting (bold, italics, links) is kept."
    )
    return text, InlineKeyboardMarkup([[_cancel(t, serial)]])


#: The author sent something that cannot be an announcement (a sticker, a voice note...).
unsupported = Phrase(N_("Please send text, a photo or a document."))


def problem(t: Translator, err: InvalidInput, length: int = 0) -> str:
    """Bad input while composing, in words."""
    if err.field == "audience" and err.reason == "empty":
        return t.gettext("Choose at least one audience.")
    if err.field == "audience":
        return t.gettext(
            "No one in this audience has a connected Telegram account: there is no one to send "
            "the announcement to."
        )
    if err.reason == "empty" and err.field == "caption":
        return t.gettext(
            "The announcement needs a text: please send the photo or document again with the "
            "text as its caption."
        )
    if err.reason == "empty":
        return t.gettext("The announcement needs a text. Please send it again.")
    if err.field == "caption":
        return t.gettext(
            "The caption is too long ({length} characters): next to a photo or a document it may "
            "have at most {limit}. Please send it again, shorter."
        ).format(length=length, limit=err.limit)
    return t.gettext(
        "The text is too long ({length} characters): it may have at most {limit}. "
        "Please send it again, shorter."
    ).format(length=length, limit=err.limit)


def _group_label(t: Translator, group: AudienceGroup | str) -> str:
    return {
        AudienceGroup.ALL: t.gettext("all members"),
        AudienceGroup.VOTERS: t.gettext("voting members"),
        AudienceGroup.EXTERNAL: t.gettext("external supporting members"),
        AudienceGroup.ST: t.gettext("the Strategic Council"),
        AudienceGroup.CATALYSTS: t.gettext("all catalysts"),
    }[AudienceGroup(group)]


def _group_button(t: Translator, group: AudienceGroup) -> str:
    return {
        AudienceGroup.ALL: t.pgettext("audience button", "All members"),
        AudienceGroup.VOTERS: t.pgettext("audience button", "Voting members"),
        AudienceGroup.EXTERNAL: t.pgettext("audience button", "External supporters"),
        AudienceGroup.ST: t.pgettext("audience button", "Strategic Council"),
        AudienceGroup.CATALYSTS: t.pgettext("audience button", "All catalysts"),
    }[group]


def audience_label(t: Translator, audience: dict[str, Any]) -> str:
    """The stored audience of an announcement in words."""
    parts = [_group_label(t, g) for g in audience.get("groups", [])]
    parts += [
        t.gettext("{name} workgroup").format(name=escape(str(w.get("name", ""))))
        for w in sorted(
            audience.get("workgroups", []), key=lambda w: hu_sort_key(str(w.get("name", "")))
        )
    ]
    return ", ".join(parts) or nothing(t)


def draft_audience_label(t: Translator, draft: Draft, workgroups: dict[int, str]) -> str:
    """The audience of a draft in words."""
    return audience_label(
        t,
        {
            "groups": [g.value for g in AudienceGroup if g in draft.groups],
            "workgroups": [{"name": workgroups.get(i, "?")} for i in sorted(draft.workgroup_ids)],
        },
    )


def audience_picker(
    t: Translator, draft: Draft, workgroups: Sequence[tuple[int, str]]
) -> tuple[str, InlineKeyboardMarkup]:
    """Step 2: toggle audiences (several may be chosen), then Next."""

    def mark(on: bool, label: str) -> str:
        return f"✓ {label}" if on else label

    serial = draft.serial
    rows = [
        [
            InlineKeyboardButton(
                mark(g in draft.groups, _group_button(t, g)),
                callback_data=encode(Feature.ANNOUNCE, "aud", serial, g.value),
            )
        ]
        for g in AudienceGroup
    ]
    pair: list[InlineKeyboardButton] = []
    for group_id, name in sorted(workgroups, key=lambda w: hu_sort_key(w[1])):
        pair.append(
            InlineKeyboardButton(
                mark(group_id in draft.workgroup_ids, "👥 " + clip(name, 28)),
                callback_data=encode(Feature.ANNOUNCE, "wg", serial, group_id),
            )
        )
        if len(pair) == 2:
            rows.append(pair)
            pair = []
    if pair:
        rows.append(pair)
    rows.append(
        [
            _cancel(t, serial),
            InlineKeyboardButton(
                t.gettext("Next ▶"), callback_data=encode(Feature.ANNOUNCE, "next", serial)
            ),
        ]
    )
    text = t.gettext(
        "<b>Audience</b>\n"
        "Who should get the announcement? Choose one or more audiences (👥 = workgroup), then "
        "press Next. Everyone gets it once, even if in several of them."
    )
    return text, InlineKeyboardMarkup(rows)


def kind_picker(
    t: Translator, serial: int, kinds: Sequence[AnnouncementKind]
) -> tuple[str, InlineKeyboardMarkup]:
    """Step 3 (only for someone who may send both kinds)."""
    buttons = [
        InlineKeyboardButton(
            kind_label(t, k), callback_data=encode(Feature.ANNOUNCE, "kind", serial, k.value)
        )
        for k in kinds
    ]
    text = t.gettext(
        "<b>Type</b>\n"
        "An operational announcement speaks for the KSz, a strategic one for the ST chair. "
        "Which is this?"
    )
    return text, InlineKeyboardMarkup([buttons, [_cancel(t, serial)]])


def preview_panel(
    t: Translator,
    draft: Draft,
    audience: str,
    counted: AudiencePreview,
    *,
    main_group_linked: bool,
    kinds: Sequence[AnnouncementKind],
) -> tuple[str, InlineKeyboardMarkup]:
    """Step 4: under the exact message, who gets it, and the confirm / cancel buttons."""
    assert draft.kind is not None
    lines = [
        t.gettext("<b>Preview</b>: the message above is exactly what the recipients will get."),
        t.gettext("Type: {kind}").format(kind=kind_label(t, draft.kind)),
        t.gettext("Audience: {audience}").format(audience=audience),
        t.gettext("Recipients: {n}").format(n=counted.recipients),
    ]
    if counted.without_account:
        names = ", ".join(escape(n) for n in counted.names_without_account)
        more = counted.without_account - len(counted.names_without_account)
        if more > 0:
            names += " " + t.gettext("…and {n} more").format(n=more)
        lines.append(
            t.ngettext(
                "Has no connected Telegram account, so will not get it ({n}): {names}",
                "Have no connected Telegram account, so will not get it ({n}): {names}",
                counted.without_account,
            ).format(n=counted.without_account, names=names)
        )
    if main_group_linked:
        lines.append(
            t.gettext("Main group: it will be posted and pinned there too.")
            if draft.to_main_group
            else t.gettext("Main group: no.")
        )
    serial = draft.serial
    rows = []
    if main_group_linked:
        rows.append(
            [
                InlineKeyboardButton(
                    ("☑ " if draft.to_main_group else "☐ ") + t.gettext("Main group, pinned"),
                    callback_data=encode(Feature.ANNOUNCE, "main", serial),
                )
            ]
        )
    others = [k for k in kinds if k is not draft.kind]
    if others:
        rows.append(
            [
                InlineKeyboardButton(
                    "⇄ " + kind_label(t, others[0]),
                    callback_data=encode(Feature.ANNOUNCE, "kind", serial, others[0].value),
                )
            ]
        )
    rows.append(
        [
            _cancel(t, serial),
            InlineKeyboardButton(
                t.gettext("✅ Send"), callback_data=encode(Feature.ANNOUNCE, "send", serial)
            ),
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def started(t: Translator, recipients: int) -> str:
    """After confirming."""
    return t.ngettext(
        "<b>Sending has started</b> ({n} recipient). You will get a delivery report when it is "
        "done.",
        "<b>Sending has started</b> ({n} recipients). You will get a delivery report when it is "
        "done.",
        recipients,
    ).format(n=recipients)


cancelled = Phrase(N_("The announcement was discarded; nothing was sent."))


# --- after delivery --------------------------------------------------------------------------


def state_label(t: Translator, state: DeliveryState) -> str:
    """Why a member did not get the announcement."""
    return {
        DeliveryState.BLOCKED: t.gettext("blocked the bot"),
        DeliveryState.NEVER_STARTED: t.gettext("never started the bot"),
        DeliveryState.FAILED: t.gettext("delivery failed"),
        DeliveryState.NO_ACCOUNT: t.gettext("no connected Telegram account"),
    }.get(state, state.value)


def _main_group_line(t: Translator, state: DeliveryState | None, error: str | None) -> str:
    if state is DeliveryState.SENT and error and error.startswith(PIN_FAILED):
        return t.gettext("Main group: posted, but it could not be pinned.")
    if state is DeliveryState.SENT:
        return t.gettext("Main group: posted and pinned.")
    if error == NOT_LINKED:
        return t.gettext("Main group: not posted, no main group is linked.")
    return t.gettext("Main group: could not be posted ({error}).").format(
        error=escape(error or "?")
    )


def report(t: Translator, rep: Report) -> str:
    """The delivery report for the author: counts per state and who could not be reached."""
    a = rep.announcement
    c = rep.counts
    lines = [
        t.gettext("<b>Delivery report</b>"),
        t.gettext("Announcement: {date}, {kind}").format(
            date=t.datetime(a.created_at), kind=kind_label(t, a.kind)
        ),
        t.gettext("Audience: {audience}").format(audience=audience_label(t, a.audience)),
        f"<i>{escape(clip(' '.join(a.text.split()), EXCERPT))}</i>",
        "",
        t.gettext("Delivered: {n}").format(n=c.get(DeliveryState.SENT, 0)),
        t.gettext("Blocked the bot: {n}").format(n=c.get(DeliveryState.BLOCKED, 0)),
        t.gettext("Never started the bot: {n}").format(n=c.get(DeliveryState.NEVER_STARTED, 0)),
        t.gettext("Failed: {n}").format(n=c.get(DeliveryState.FAILED, 0)),
        t.gettext("No connected Telegram account: {n}").format(
            n=c.get(DeliveryState.NO_ACCOUNT, 0)
        ),
    ]
    if a.to_main_group:
        lines.append(_main_group_line(t, a.main_state, a.main_error))
    if rep.unreachable:
        lines.append("")
        lines.append(t.gettext("<b>Could not be reached</b> (please contact them another way):"))
        lines += [
            f"• {escape(name)} – {state_label(t, state)}" for name, state, _ in rep.unreachable
        ]
        more = rep.unreachable_total - len(rep.unreachable)
        if more > 0:
            lines.append(t.gettext("…and {n} more").format(n=more))
    return "\n".join(lines)


def history(
    t: Translator, items: Sequence[Summary], page: int, total: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/kozlemenyek: one page of past announcements, newest first."""
    if not items:
        return t.gettext("There are no announcements yet."), None
    pages = max(1, -(-total // PAGE_SIZE))
    lines = [t.gettext("<b>Announcements</b>")]
    for item in items:
        a = item.announcement
        c = item.counts
        sent = c.get(DeliveryState.SENT, 0)
        missed = sum(
            c.get(s, 0)
            for s in (
                DeliveryState.BLOCKED,
                DeliveryState.NEVER_STARTED,
                DeliveryState.FAILED,
                DeliveryState.NO_ACCOUNT,
            )
        )
        lines += [
            "",
            f"<b>{t.datetime(a.created_at)}</b> – {kind_label(t, a.kind)}",
            t.gettext("From: {name}").format(name=escape(a.author_name)),
            t.gettext("Audience: {audience}").format(audience=audience_label(t, a.audience)),
            f"<i>{escape(clip(' '.join(a.text.split()), EXCERPT))}</i>",
        ]
        delivery = t.gettext("Delivered: {sent} of {total}").format(
            sent=sent, total=sum(c.values())
        )
        if missed:
            delivery += "; " + t.gettext("not reached: {n}").format(n=missed)
        # in progress while a row waits or is being sent: the counts, not the worker's mark
        # (set a moment after the last send, or at the next start after a stop), tell
        if c.get(DeliveryState.QUEUED, 0) + c.get(DeliveryState.SENDING, 0):
            delivery += " " + t.gettext("(in progress)")
        lines.append(delivery)
    if pages > 1:
        lines.append("")
        lines.append(t.gettext("Page {page} of {pages}").format(page=page + 1, pages=pages))
    buttons = []
    if page > 0:
        buttons.append(
            InlineKeyboardButton("◀", callback_data=encode(Feature.ANNOUNCEMENTS, "page", page - 1))
        )
    if page + 1 < pages:
        buttons.append(
            InlineKeyboardButton("▶", callback_data=encode(Feature.ANNOUNCEMENTS, "page", page + 1))
        )
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None
