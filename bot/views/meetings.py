"""Meetings: the invitation, reminders, the attendance and quorum lines, the agenda's votes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import Translator
from bot.services.ballots import QUESTION_MAX
from bot.services.meetings import (
    AgendaDecided,
    AgendaNotAdopted,
    AgendaState,
    ItemDecided,
    MeetingNotOpen,
    MeetingNotOver,
    MeetingOver,
    NoMeetingForProxy,
    NoMeetingNow,
    NoProxy,
    NotPresent,
    NotQuorate,
    NotReconvenable,
    Officers,
    OfficersElected,
    OfficersFirst,
    ProxiesOff,
    ProxyRefused,
    Quorum,
    VoteInProgress,
    chair_label,
)
from bot.views.ballots import body_name, proxy_pair, quorum_words
from bot.views.common import register_error_text
from storage.models import Member
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
    text = text.format(present=quorum.present, electorate=quorum.electorate, needed=quorum.needed)
    if quorum.represented:
        text += " " + represented_note(t, quorum.represented)
    return text


def represented_note(t: Translator, n: int) -> str:
    """``Ebből 1 meghatalmazással képviselve.``"""
    return t.ngettext(
        "Of them {n} represented by a proxy holder present.",
        "Of them {n} represented by proxy holders present.",
        n,
    ).format(n=n)


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
    """The question of the agenda's adoption (stored as the ballot's text, not escaped): the
    items listed, or, when the list would not fit a ballot's question (QUESTION_MAX; an agenda
    may hold ITEMS_MAX items of TITLE_MAX characters), the agenda by reference to the
    invitation, so that it can always be put to the vote."""
    items = "; ".join(f"{i.position}. {i.title}" for i in meeting.items)
    listed = t.gettext("Adoption of the agenda of meeting #{id}: {items}").format(
        id=meeting.id, items=items
    )
    if len(listed) <= QUESTION_MAX:
        return listed
    n = len(meeting.items)
    return t.ngettext(
        "Adoption of the agenda of meeting #{id} ({n} item, as in the invitation)",
        "Adoption of the agenda of meeting #{id} ({n} items, as in the invitation)",
        n,
    ).format(id=meeting.id, n=n)


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


def meetings_text(
    t: Translator,
    meetings: Sequence[Meeting],
    proxies: Mapping[int, Sequence[tuple[Member, Member]]] | None = None,
) -> str:
    """The meetings convened or running, with the proxies given for each."""
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
                    *proxy_lines(t, (proxies or {}).get(meeting.id, ())),
                ]
            )
        )
    return "\n\n".join(parts)


def proxy_lines(t: Translator, proxies: Sequence[tuple[Member, Member]]) -> list[str]:
    """Who is represented by whom at the meeting (empty without proxies)."""
    if not proxies:
        return []
    return [t.gettext("<b>Proxies</b>")] + [
        "• " + escape(proxy_pair(t, p.name, h.name)) for p, h in proxies
    ]


def proxy_given(t: Translator, meeting: Meeting, holder: str) -> tuple[str, InlineKeyboardMarkup]:
    """To the principal: the proxy is recorded; it can be revoked until the start."""
    text = "\n".join(
        [
            t.gettext("Proxy recorded: {holder} represents you at meeting #{id} ({body}).").format(
                holder=escape(holder), id=meeting.id, body=body_name(t, meeting.body)
            ),
            *where_lines(t, meeting),
            t.gettext(
                "While {holder} is present and you are not, your vote counts for the quorum and "
                "{holder} casts it; if you check in yourself, you vote yourself. You can revoke "
                "it until the meeting starts: {command} or the button."
            ).format(holder=escape(holder), command=revoke_command(t, meeting.id)),
        ]
    )
    button = InlineKeyboardButton(
        t.gettext("Revoke the proxy"), callback_data=encode(Feature.PROXY, "rv", meeting.id)
    )
    return text, InlineKeyboardMarkup([[button]])


def revoke_command(t: Translator, meeting_id: int) -> str:
    """``/meghatalmazas visszavonas 3``."""
    word = t.pgettext("proxy command", "revoke")
    return f"{t.command('proxy')} {word} {meeting_id}"


def proxy_revoked(t: Translator, meeting: Meeting, holder: str) -> str:
    """To the principal: the proxy is revoked."""
    return t.gettext("Proxy revoked: {holder} no longer represents you at meeting #{id}.").format(
        holder=escape(holder), id=meeting.id
    )


def proxy_notice(t: Translator, meeting: Meeting, principal: str, *, given: bool) -> str:
    """To the holder: a member authorised them, or revoked it."""
    if not given:
        return t.gettext(
            "{principal} revoked the proxy: you no longer represent them at meeting #{id}."
        ).format(principal=escape(principal), id=meeting.id)
    return "\n".join(
        [
            t.gettext(
                "{principal} authorised you (meghatalmazás) to represent them at meeting #{id} "
                "({body})."
            ).format(principal=escape(principal), id=meeting.id, body=body_name(t, meeting.body)),
            *where_lines(t, meeting),
            t.gettext(
                "When you check in ({present}), their vote counts as present; at each vote you "
                "get a second message with buttons to cast it. When you leave ({leave}), their "
                "vote leaves with you."
            ).format(**t.commands("present", "leave")),
        ]
    )


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
    MeetingNotOpen,
    lambda t, e: t.gettext(
        "Meeting #{id} has not opened (it has had no quorum), so it cannot be closed. A meeting "
        "that reaches no quorum is recorded as not quorate when the waiting time after its "
        "start is over; then a reconvened meeting can be called ({reconvene})."
    ).format(id=e.meeting_id, reconvene=t.command("reconvene")),
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
register_error_text(
    ProxiesOff,
    lambda t, e: t.gettext(
        "Thank you, but this cluster's rules do not allow proxies at meetings: members vote "
        "in person."
    ),
)
register_error_text(
    NoMeetingForProxy,
    lambda t, e: t.gettext(
        "No meeting is convened, before its start, of a body in which you have the vote: there "
        "is nothing to give a proxy for."
    ),
)
register_error_text(
    NoProxy,
    lambda t, e: t.gettext("You have given no proxy for a meeting that could be revoked."),
)


def _proxy_refused(t: Translator, e: ProxyRefused) -> str:
    texts = {
        "self": t.gettext("You cannot authorise yourself."),
        "principal_no_vote": t.gettext(
            "Only a member with the vote of the meeting's body can give a proxy for meeting #{id}."
        ),
        "holder_no_vote": t.gettext(
            "{name} has no vote in the body of meeting #{id}: only a member with the vote can "
            "hold a proxy."
        ),
        "started": t.gettext(
            "Meeting #{id} has started (or is over): proxies are given and revoked before the "
            "start."
        ),
        "given": t.gettext(
            "You have already authorised {name} for meeting #{id}. To change it, revoke that "
            "one first: {command}"
        ),
        "principal_holds": t.gettext(
            "You represent other members at meeting #{id}, so you cannot give your own vote on: "
            "a proxy holder acts in person."
        ),
        "holder_gave": t.gettext(
            "{name} has given a proxy for meeting #{id}, so cannot hold one: a proxy cannot be "
            "passed on."
        ),
    }
    if e.reason == "limit":
        return t.ngettext(
            "{name} already represents {n} member at meeting #{id}, the most allowed.",
            "{name} already represents {n} members at meeting #{id}, the most allowed.",
            e.limit,
        ).format(name=escape(e.name), n=e.limit, id=e.meeting_id)
    return texts[e.reason].format(
        name=escape(e.name), id=e.meeting_id, command=revoke_command(t, e.meeting_id)
    )


register_error_text(ProxyRefused, _proxy_refused)
