"""Strategy proposal texts and keyboards."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import N_, Phrase, Translator
from bot.services.proposals import WrongStage
from bot.services.text import clip
from bot.views.common import register_error_text
from storage.models.proposals import Proposal, ProposalComment, ProposalStage


def stage_name(t: Translator, stage: ProposalStage) -> str:
    """The stage in words."""
    return {
        ProposalStage.DRAFT: t.gettext("draft in the Strategic Council"),
        ProposalStage.ST_VOTE: t.gettext("Strategic Council ballot"),
        ProposalStage.DISCUSSION: t.gettext("discussion before the General Assembly"),
        ProposalStage.KGY_VOTE: t.gettext("General Assembly ballot"),
        ProposalStage.ADOPTED: t.gettext("adopted"),
        ProposalStage.REJECTED: t.gettext("rejected"),
    }[stage]


def card(t: Translator, proposal: Proposal, comments: Sequence[ProposalComment]) -> str:
    """The proposal with its stage and discussion."""
    lines = [
        t.gettext("<b>Strategy proposal #{id}: {title}</b>").format(
            id=proposal.id, title=escape(proposal.title)
        ),
        t.gettext("Proposed by: {name}").format(name=escape(proposal.author_label)),
        t.gettext("Stage: {stage}").format(stage=stage_name(t, proposal.stage)),
    ]
    if proposal.stage is ProposalStage.DISCUSSION and proposal.discussion_until is not None:
        lines.append(
            t.gettext("Discussion until: {date}").format(date=t.datetime(proposal.discussion_until))
        )
    steps = (
        (t.gettext("ST ballot"), proposal.st_ballot_id),
        (t.gettext("General Assembly ballot"), proposal.kgy_ballot_id),
    )
    for label, ballot_id in steps:
        if ballot_id is not None:
            lines.append(f"{label}: #{ballot_id}")
    lines += ["", escape(proposal.text)]
    if comments:
        lines += ["", t.gettext("<b>Discussion</b>")]
        for item in comments:
            lines.append(f"<b>{escape(item.author_label)}</b> ({t.datetime(item.created_at)}):")
            lines.append(escape(item.text))
    return "\n".join(lines)


def card_keyboard(t: Translator, proposal: Proposal) -> InlineKeyboardMarkup | None:
    """The next steps the stage allows (the service checks who may take them)."""

    def b(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text, callback_data=encode(Feature.PROPOSAL, action, proposal.id)
        )

    if proposal.stage is ProposalStage.DRAFT:
        return InlineKeyboardMarkup(
            [[b(t.gettext("ST ballot"), "st")], [b(t.gettext("Submit (ST chair)"), "submit")]]
        )
    if proposal.stage is ProposalStage.DISCUSSION:
        return InlineKeyboardMarkup([[b(t.gettext("Comment"), "comment")]])
    return None


def listing(
    t: Translator, proposals: Sequence[Proposal]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/javaslatok: each proposal's stage."""
    if not proposals:
        return t.gettext("There are no strategy proposals yet."), None
    lines = [t.gettext("<b>Strategy proposals</b>")]
    rows = []
    for proposal in proposals:
        lines.append(
            f"#{proposal.id} {escape(clip(proposal.title, 80))} – {stage_name(t, proposal.stage)}"
        )
        rows.append(
            [
                InlineKeyboardButton(
                    t.gettext("Open #{id}").format(id=proposal.id),
                    callback_data=encode(Feature.PROPOSAL, "show", proposal.id),
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def discussion_opened(t: Translator, proposal: Proposal) -> str:
    """Sent to every member when the discussion starts."""
    assert proposal.discussion_until is not None
    return t.gettext(
        "<b>Strategy proposal for discussion #{id}: {title}</b>\n\n{text}\n\n"
        "Every member can comment until {date}; then the General Assembly votes on it."
    ).format(
        id=proposal.id,
        title=escape(proposal.title),
        text=escape(proposal.text),
        date=t.datetime(proposal.discussion_until),
    )


register_error_text(
    WrongStage, lambda t, e: t.gettext("This step is not possible at the proposal's current stage.")
)


def comment_prompt(t: Translator) -> str:
    """Asking for a comment on a proposal."""
    return t.gettext("Write your comment in one message (or {cancel} to cancel).").format(
        **t.commands("cancel")
    )


st_ballot_started = Phrase(N_("The Strategic Council ballot has started."))


discussion_started = Phrase(N_("The discussion has started."))
