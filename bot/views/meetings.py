"""Meetings: the invitation, reminders, the attendance and quorum lines, the agenda's votes."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import Translator
from bot.services.meetings import (
    AgendaDecided,
    AgendaNotAdopted,
    AgendaState,
    ItemDecided,
    MeetingNotOver,
    MeetingOver,
    NoMeetingNow,
    NotPresent,
    NotQuorate,
    NotReconvenable,
    Officers,
    OfficersElected,
    OfficersFirst,
    Quorum,
    VoteInProgress,
    chair_label,
)
from bot.views.ballots import body_name, quorum_words
from bot.views.common import register_error_text
from storage.models.ballots import Ballot, QuorumRule
from storage.models.meetings import Meeting, MeetingItem


def where_lines(t: Translator, meeting: Meeting) -> list[str]:
    """Time, place, online link."""
    lines = [t.gettext("Time: {date}").format(date=t.datetime(meeting.starts_at))]
    if meeting.place:
        lines.append(t.gettext("Place: {place}").format(place=escape(meeting.place)))
    if meeting.link:
        lines.append(t.gettext("Online: {link}").format(link=escape(meeting.link)))
    return lines


def agenda_lines(t: Translator, meeting: Meeting) -> list[str]:
    """The agenda, each item with its draft resolution."""
    lines = [t.gettext("<b>Agenda</b>")]
    for item in meeting.items:
        lines.append(f"{item.position}. {escape(item.title)}")
        if item.draft:
            lines.append(
                "   " + t.gettext("Draft resolution: {text}").format(text=escape(item.draft))
            )
    return lines


def invitation(t: Translator, meeting: Meeting, electorate: int) -> str:
    """The meghívó (Ptk. 3:17): who convenes what, when, where, the agenda, the quorum rule."""
    lines = [
        t.gettext("<b>Invitation — meeting #{id}</b>").format(id=meeting.id),
        t.gettext("Body: {body}").format(body=body_name(t, meeting.body)),
        t.gettext("Convened by: {name}").format(name=escape(meeting.created_by_label)),
        "",
        *where_lines(t, meeting),
        "",
        *agenda_lines(t, meeting),
        "",
        t.gettext("Quorum: {rule}").format(rule=quorum_words(t, meeting.quorum, electorate)),
        t.gettext(
            "Check in from 30 minutes before the start with {present}; leaving early: {leave}."
        ).format(**t.commands("present", "leave")),
        reconvened_note(t, meeting)
        or t.gettext(
            "If the meeting has no quorum, a reconvened meeting can be called on the same agenda."
        ),
    ]
    return "\n".join(lines)


def reconvened_note(t: Translator, meeting: Meeting) -> str:
    """A reconvened meeting (megismételt ülés) says so, with the consequence of staying away;
    empty for an ordinary meeting."""
    if meeting.reconvenes_id is None:
        return ""
    if meeting.quorum is QuorumRule.NONE:
        return t.gettext(
            "This is the reconvened meeting of meeting #{id}, which had no quorum: on the "
            "original agenda it has a quorum whatever the number of members present."
        ).format(id=meeting.reconvenes_id)
    return t.gettext(
        "This is the reconvened meeting of meeting #{id}, which had no quorum."
    ).format(id=meeting.reconvenes_id)


def reminder(t: Translator, meeting: Meeting, kind: str) -> str:
    """A day or an hour before."""
    head = (
        t.gettext("Reminder: meeting #{id} ({body}) is tomorrow.")
        if kind == "day"
        else t.gettext("Reminder: meeting #{id} ({body}) starts in an hour.")
    )
    return "\n".join(
        [
            head.format(id=meeting.id, body=body_name(t, meeting.body)),
            *where_lines(t, meeting),
            t.gettext("Check in with {present} from 30 minutes before the start.").format(
                **t.commands("present")
            ),
        ]
    )


def quorum_line(t: Translator, quorum: Quorum) -> str:
    """``Jelen: 3 a 4 szavazásra jogosultból (legalább 3 kell): határozatképes``."""
    text = (
        t.gettext("Present with the vote: {present} of {electorate} ({needed} needed): quorate.")
        if quorum.met
        else t.gettext(
            "Present with the vote: {present} of {electorate} ({needed} needed): no quorum yet."
        )
    )
    return text.format(present=quorum.present, electorate=quorum.electorate, needed=quorum.needed)


def checked_in(t: Translator, meeting: Meeting, name: str, quorum: Quorum, *, self: bool) -> str:
    """The answer to /jelen."""
    head = (
        t.gettext("You are on the attendance sheet of meeting #{id}.")
        if self
        else t.gettext("On the attendance sheet of meeting #{id}: {name}.")
    )
    return head.format(id=meeting.id, name=escape(name)) + "\n" + quorum_line(t, quorum)


def checked_out(t: Translator, meeting: Meeting, quorum: Quorum) -> str:
    """The answer to /tavozom."""
    return (
        t.gettext(
            "You have left meeting #{id}: the following votes are counted without you."
        ).format(id=meeting.id)
        + "\n"
        + quorum_line(t, quorum)
    )


def quorate_now(t: Translator, meeting: Meeting, quorum: Quorum) -> str:
    """To the present members: the meeting has a quorum and runs."""
    return (
        t.gettext("Meeting #{id} has a quorum and is open.").format(id=meeting.id)
        + "\n"
        + quorum_line(t, quorum)
    )


def not_quorate(t: Translator, meeting: Meeting, quorum: Quorum) -> str:
    """To every invitee: the meeting was not quorate."""
    return "\n".join(
        [
            t.gettext("<b>Meeting #{id} ({body}) had no quorum</b>").format(
                id=meeting.id, body=body_name(t, meeting.body)
            ),
            quorum_line(t, quorum),
            t.gettext(
                "It is recorded as not quorate; the KSz can call a reconvened meeting on the same "
                "agenda."
            ),
        ]
    )


def vote_opened(t: Translator, meeting: Meeting, item: MeetingItem, ballot: Ballot) -> str:
    """To the chair: the item's vote is open for those present."""
    text = _item_vote_opened(t, meeting, item, ballot.id)
    if ballot.secret:
        text += "\n" + t.gettext("The vote is secret: only the counts will be known.")
    return text


def _item_vote_opened(t: Translator, meeting: Meeting, item: MeetingItem, ballot_id: int) -> str:
    return t.gettext(
        "The vote on agenda item {n} of meeting #{meeting} is open as ballot #{ballot}; the "
        "members with the vote present got it privately. Close it with {close}."
    ).format(
        n=item.position,
        meeting=meeting.id,
        ballot=ballot_id,
        close=t.command("closeballot") + f" {ballot_id}",
    )


def officers_question(t: Translator, meeting: Meeting, officers: Officers) -> str:
    """The question of the officers' election (stored as the ballot's text, not escaped)."""
    first, second = officers.authenticators
    return t.gettext(
        "Election of the officers of meeting #{id} — chair: {chair}; minute-taker: {taker}; "
        "authenticators: {first}, {second}."
    ).format(
        id=meeting.id, chair=chair_label(meeting, officers), taker=officers.minute_taker.name,
        first=first.name, second=second.name,
    )  # fmt: skip


def agenda_question(t: Translator, meeting: Meeting) -> str:
    """The question of the agenda's adoption (stored as the ballot's text, not escaped)."""
    items = "; ".join(f"{i.position}. {i.title}" for i in meeting.items)
    return t.gettext("Adoption of the agenda of meeting #{id}: {items}").format(
        id=meeting.id, items=items
    )


def agenda_vote_opened(t: Translator, meeting: Meeting, ballot_id: int) -> str:
    """To the chair: the agenda's vote is open for those present."""
    return t.gettext(
        "The vote on the agenda of meeting #{meeting} is open as ballot #{ballot}; the members "
        "with the vote present got it privately. Once it is adopted, open the items' votes with "
        "{item_vote}."
    ).format(meeting=meeting.id, ballot=ballot_id, item_vote=t.command("itemvote"))


def officers_vote_opened(t: Translator, meeting: Meeting, ballot_id: int) -> str:
    """To the chair: the officers' election is open for those present."""
    return t.gettext(
        "The election of the officers of meeting #{meeting} is open as ballot #{ballot}; the "
        "members with the vote present got it privately."
    ).format(meeting=meeting.id, ballot=ballot_id)


def confirm_request(t: Translator, meeting: Meeting) -> tuple[str, InlineKeyboardMarkup]:
    """To an elected authenticator after the close: read the minutes, then confirm them."""
    text = t.gettext(
        "You are an authenticator of the minutes of meeting #{id}. Read them ({minutes} {id}); "
        "if they are right, confirm them."
    ).format(id=meeting.id, minutes=t.command("minutes"))
    button = InlineKeyboardButton(
        t.gettext("Confirm the minutes"), callback_data=encode(Feature.MINUTES, "ok", meeting.id)
    )
    return text, InlineKeyboardMarkup([[button]])


def confirmed(t: Translator, meeting: Meeting) -> str:
    """The answer to the confirmation."""
    return t.gettext("Recorded: you confirmed the minutes of meeting #{id}.").format(id=meeting.id)


def convened(t: Translator, meeting: Meeting, invited: int) -> str:
    """To the convener."""
    return t.ngettext(
        "Meeting #{id} convened; the invitation goes to {n} member.",
        "Meeting #{id} convened; the invitation goes to {n} members.",
        invited,
    ).format(id=meeting.id, n=invited)


def meeting_closed(t: Translator, meeting: Meeting) -> str:
    """To every invitee: the meeting is over, the minutes can be had."""
    return t.gettext("Meeting #{id} ({body}) is closed. The minutes: {minutes} {id}").format(
        id=meeting.id, body=body_name(t, meeting.body), minutes=t.command("minutes")
    )


def minutes_caption(t: Translator, meeting: Meeting) -> str:
    """The caption of the minutes sent to every member once final."""
    return t.gettext("The minutes of meeting #{id} ({body}).").format(
        id=meeting.id, body=body_name(t, meeting.body)
    )


def meetings_text(t: Translator, meetings: Sequence[Meeting]) -> str:
    """The meetings convened or running."""
    if not meetings:
        return t.gettext("No meeting is convened.")
    parts = []
    for meeting in meetings:
        parts.append(
            "\n".join(
                [
                    t.gettext("<b>Meeting #{id} — {body}</b>").format(
                        id=meeting.id, body=body_name(t, meeting.body)
                    ),
                    *where_lines(t, meeting),
                    *agenda_lines(t, meeting),
                ]
            )
        )
    return "\n\n".join(parts)


register_error_text(
    NotReconvenable,
    lambda t, e: t.gettext(
        "Only a meeting recorded as not quorate can be reconvened, once; meeting #{id} cannot."
    ).format(id=e.meeting_id),
)
register_error_text(
    NoMeetingNow,
    lambda t, e: t.gettext("No meeting takes check-ins now (from 30 minutes before its start)."),
)
register_error_text(
    MeetingOver,
    lambda t, e: t.gettext("Meeting #{id} is over.").format(id=e.meeting_id),
)
register_error_text(
    NotQuorate,
    lambda t, e: t.gettext(
        "The meeting has no quorum now: {present} present with the vote, {needed} needed."
    ).format(present=e.present, needed=e.needed),
)
register_error_text(
    ItemDecided,
    lambda t, e: t.gettext("Agenda item {n} has had its vote.").format(n=e.position),
)
register_error_text(
    VoteInProgress,
    lambda t, e: t.gettext("Ballot #{id} of this meeting is still open: close it first.").format(
        id=e.ballot_id
    ),
)
register_error_text(
    MeetingNotOver,
    lambda t, e: t.gettext(
        "Meeting #{id} is not over yet: its minutes are made after the close."
    ).format(id=e.meeting_id),
)
register_error_text(
    OfficersElected,
    lambda t, e: t.gettext(
        "Meeting #{id} has elected its officers; they are not elected again."
    ).format(id=e.meeting_id),
)
register_error_text(
    OfficersFirst,
    lambda t, e: t.gettext(
        "Meeting #{id} adopts its agenda after electing its officers: first {officers} {id}."
    ).format(id=e.meeting_id, officers=t.command("officers")),
)
register_error_text(
    AgendaDecided,
    lambda t, e: (
        t.gettext("Meeting #{id} has adopted its agenda.")
        if e.adopted
        else t.gettext(
            "Meeting #{id} rejected its agenda; it is not voted on again: the meeting can only "
            "be closed ({close} {id})."
        )
    ).format(id=e.meeting_id, close=t.command("closemeeting")),
)
register_error_text(
    AgendaNotAdopted,
    lambda t, e: (
        t.gettext(
            "Meeting #{id} rejected its agenda, so it decides no item: it can only be closed "
            "({close} {id})."
        )
        if e.state is AgendaState.REJECTED
        else t.gettext(
            "The items of meeting #{id} are voted on after the agenda is adopted: first "
            "{agenda} {id}."
        )
    ).format(id=e.meeting_id, close=t.command("closemeeting"), agenda=t.command("agenda")),
)
register_error_text(
    NotPresent,
    lambda t, e: t.gettext("You are not on the attendance sheet of meeting #{id}.").format(
        id=e.meeting_id
    ),
)
