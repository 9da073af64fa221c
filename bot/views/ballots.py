"""Ballot texts and keyboards: the ballot, the vote buttons, the result, the register."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import N_, Phrase, Translator
from bot.services.ballots import (
    AffectedVoter,
    AlreadyAffected,
    AlreadyVoted,
    BallotClosed,
    BallotDraft,
    Fate,
    NoMeetingEarlyClose,
    NoMeetingQuorum,
    NotNoMeeting,
    NotOnRoll,
    OptionFate,
    Represented,
    SecretBallot,
    Tally,
    VotedBeforeAffected,
    option_fates,
    quorum_needed,
    roman_month,
)
from bot.services.text import clip
from bot.views.common import page_row, register_error_text
from bot.views.csv_export import csv_document, delimiter_for, register_header
from storage.models import Member
from storage.models.ballots import (
    Ballot,
    BallotComment,
    BallotKind,
    BallotOption,
    BallotResult,
    BallotStatus,
    Body,
    Majority,
    Procedure,
    QuorumRule,
    Resolution,
)
from storage.models.proposals import Proposal

REGISTER_PAGE = 10


def body_name(t: Translator, body: Body) -> str:
    """Közgyűlés or Stratégiai Tanács."""
    if body is Body.KGY:
        return t.gettext("General Assembly")
    return t.gettext("Strategic Council")


def body_subject(t: Translator, body: Body) -> str:
    """The body as the subject that opens a sentence of the minutes: "A Közgyűlés …"."""
    if body is Body.KGY:
        return t.pgettext("sentence subject", "The General Assembly")
    return t.pgettext("sentence subject", "The Strategic Council")


def yes_no_labels(t: Translator) -> tuple[str, str, str]:
    """The options of a yes/no ballot, in the creator's language."""
    return (
        t.pgettext("ballot option", "Yes"),
        t.pgettext("ballot option", "No"),
        t.pgettext("ballot option", "Abstain"),
    )


def abstain_label(t: Translator) -> str:
    """The abstention option added to every ballot."""
    return t.pgettext("ballot option", "Abstain")


def kind_name(t: Translator, kind: BallotKind, max_choices: int = 1) -> str:
    """The kind of ballot in words."""
    if kind is BallotKind.YES_NO:
        return t.gettext("yes / no / abstain")
    if kind is BallotKind.SINGLE:
        return t.gettext("one option can be chosen")
    return t.gettext("at most {n} options can be chosen").format(n=max_choices)


def quorum_words(t: Translator, rule: QuorumRule, electorate: int | None = None) -> str:
    """The quorum rule, with the concrete number when the electorate is known."""
    words = {
        QuorumRule.MORE_THAN_HALF: t.gettext("more than half of the voting members"),
        QuorumRule.TWO_THIRDS: t.gettext("at least two-thirds of the voting members"),
        QuorumRule.NONE: t.gettext("no quorum required"),
    }[rule]
    if electorate is None or rule is QuorumRule.NONE:
        return words
    return t.gettext("{rule} (at least {n} of {total})").format(
        rule=words, n=quorum_needed(rule, electorate), total=electorate
    )


def majority_name(t: Translator, rule: Majority) -> str:
    """The majority rule's name (the result says it after the votes needed)."""
    return {
        Majority.SIMPLE: t.gettext("simple majority"),
        Majority.ABSOLUTE: t.gettext("absolute majority"),
        Majority.TWO_THIRDS: t.gettext("two-thirds majority"),
        Majority.THREE_QUARTERS: t.gettext("three-quarters majority"),
    }[rule]


def majority_line(t: Translator, rule: Majority) -> str:
    """The ``Többség:`` line of a ballot and its preview: the rule and what it counts, said once
    ("Többség: egyszerű – a leadott szavazatok több mint fele; …")."""
    return {
        Majority.SIMPLE: t.gettext(
            "Majority: simple – more than half of the votes cast; an abstention counts as a "
            "vote against"
        ),
        Majority.ABSOLUTE: t.gettext("Majority: absolute – more than half of all voting members"),
        Majority.TWO_THIRDS: t.gettext(
            "Majority: two-thirds – at least two-thirds of the votes cast"
        ),
        Majority.THREE_QUARTERS: t.gettext(
            "Majority: three-quarters – at least three-quarters of the votes cast"
        ),
    }[rule]


def percent(part: int, whole: int) -> str:
    """Integer percent (no decimals) or 0."""
    return f"{round(100 * part / whole) if whole else 0}%"


def turnout_line(t: Translator, turnout: int, electorate: int) -> str:
    """``Részvétel: 12/20 (60%)``."""
    return t.gettext("Turnout: {turnout}/{electorate} ({percent})").format(
        turnout=turnout, electorate=electorate, percent=percent(turnout, electorate)
    )


def ballot_text(
    t: Translator,
    ballot: Ballot,
    *,
    turnout: int | None = None,
    comments: int = 0,
    proposal: Proposal | None = None,
) -> str:
    """The ballot as voters, supporters and the main group see it (with the strategy proposal
    it decides, if any)."""
    lines = [
        t.gettext("<b>Ballot #{id} — {body}</b>").format(
            id=ballot.id, body=body_name(t, ballot.body)
        ),
    ]
    if proposal is not None:
        lines.append(
            t.gettext("On strategy proposal #{id}: {title} ({proposals})").format(
                id=proposal.id, title=escape(proposal.title), proposals=t.command("proposals")
            )
        )
    lines += [
        "",
        escape(ballot.question),
        "",
    ]
    if ballot.kind is not BallotKind.YES_NO:
        for number, option in enumerate(ballot.options, start=1):
            if not option.is_abstain:
                lines.append(f"{number}. {option_label(t, ballot, option)}")
        lines.append("")
    lines.append(
        t.gettext("Type: {kind}").format(kind=kind_name(t, ballot.kind, ballot.max_choices))
    )
    lines.append(t.gettext("Deadline: {date}").format(date=t.datetime(ballot.deadline)))
    if ballot.secret:
        lines.append(
            t.gettext("Secret ballot: a vote is final once cast, and results show counts only.")
        )
    else:
        lines.append(
            t.gettext("Open ballot: members can see who voted how.")
            + (
                " " + t.gettext("A vote can be changed until the deadline.")
                if ballot.changeable
                else ""
            )
        )
    if ballot.procedure is Procedure.MEETING:
        lines += meeting_vote_lines(t, ballot)
    else:
        lines.append(
            t.gettext("Quorum: {rule}").format(
                rule=quorum_words(t, ballot.quorum, ballot.electorate)
            )
        )
        lines.append(majority_line(t, ballot.majority))
    if ballot.procedure is Procedure.NO_MEETING:
        lines += no_meeting_lines(t, ballot)
    if turnout is not None:
        lines.append(turnout_line(t, turnout, ballot.electorate))
    if comments:
        lines.append(
            t.ngettext("Debate: {n} comment", "Debate: {n} comments", comments).format(n=comments)
        )
    return "\n".join(lines)


def meeting_vote_lines(t: Translator, ballot: Ballot) -> list[str]:
    """An agenda item's vote at a meeting: who votes and what adopts it (Ptk. 3:19 (1))."""
    return [
        t.gettext(
            "Vote at a meeting: the members with the vote present ({n}) vote; the meeting's "
            "quorum was checked when the vote opened."
        ).format(n=ballot.electorate),
        t.gettext("Majority: more than half of the members with the vote present"),
    ]


def no_meeting_lines(t: Translator, ballot: Ballot) -> list[str]:
    """What a decision without a meeting means for the voter (Ptk. 3:20)."""
    needed = quorum_needed(ballot.quorum, ballot.electorate)
    return [
        procedure_line(t),
        t.ngettext(
            "It is valid only if at least {n} vote arrives (what a meeting's quorum needs).",
            "It is valid only if at least {n} votes arrive (what a meeting's quorum needs).",
            needed,
        ).format(n=needed),
        t.gettext(
            "Any member with the vote may ask for a meeting instead with the „{button}” "
            "button; that stops this procedure."
        ).format(button=t.gettext("Ask for a meeting")),
    ]


def procedure_line(t: Translator) -> str:
    """``Eljárás: ülés tartása nélküli határozathozatal (Ptk. 3:20)``."""
    return t.gettext("Procedure: decision without a meeting (Ptk. 3:20)")


def _meeting_row(t: Translator, ballot: Ballot) -> list[list[InlineKeyboardButton]]:
    if ballot.procedure is not Procedure.NO_MEETING:
        return []
    return [[_button(t.gettext("Ask for a meeting"), "m", ballot.id)]]


def meeting_request_confirm(t: Translator, ballot: Ballot) -> tuple[str, InlineKeyboardMarkup]:
    """Ask before a request for a meeting stops the procedure."""
    text = t.gettext(
        "Do you ask for a meeting on ballot #{id}? The decision without a meeting stops at "
        "once for everyone, votes cast in it are not counted, and the KSz convenes a meeting."
    ).format(id=ballot.id)
    keyboard = InlineKeyboardMarkup(
        [
            [
                _button(t.gettext("Yes, a meeting"), "q", ballot.id),
                _button(t.gettext("Back"), "b", ballot.id),
            ]
        ]
    )
    return text, keyboard


def meeting_requested(t: Translator, ballot: Ballot) -> str:
    """To the member who asked for the meeting."""
    return t.gettext(
        "Your request is recorded: the decision without a meeting (ballot #{id}) has stopped, "
        "and the KSz has been asked to convene a meeting."
    ).format(id=ballot.id)


def stopped_for_meeting(t: Translator, ballot: Ballot) -> str:
    """To every member and the main group: the procedure stopped without a result."""
    return "\n".join(
        [
            t.gettext("<b>Ballot #{id}: the decision without a meeting has stopped</b>").format(
                id=ballot.id
            ),
            "",
            escape(ballot.question),
            "",
            t.gettext("A meeting was asked for (Ptk. 3:20) by: {name}.").format(
                name=escape(ballot.meeting_requested_by_label or "")
            ),
            t.gettext(
                "The ballot is closed without a result; the question will be decided at a "
                "meeting that the KSz convenes."
            ),
        ]
    )


def convene_meeting(t: Translator, ballot: Ballot, notice_days: int) -> str:
    """To the KSz: convene a meeting on the question."""
    return "\n".join(
        [
            t.gettext("<b>A meeting must be convened</b> (ballot #{id}, Ptk. 3:20)").format(
                id=ballot.id
            ),
            escape(ballot.question),
            t.gettext("Asked for by: {name}.").format(
                name=escape(ballot.meeting_requested_by_label or "")
            ),
            t.ngettext(
                "The invitation must go out at least {n} day before the meeting.",
                "The invitation must go out at least {n} days before the meeting.",
                notice_days,
            ).format(n=notice_days),
        ]
    )


def _button(text: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(Feature.VOTE, action, *args))


def _debate_row(t: Translator, ballot: Ballot) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            t.gettext("Comment"), callback_data=encode(Feature.DEBATE, "add", ballot.id)
        ),
        InlineKeyboardButton(
            t.gettext("Debate"), callback_data=encode(Feature.DEBATE, "show", ballot.id)
        ),
    ]


def _button_label(t: Translator, ballot: Ballot, option: BallotOption, number: int) -> str:
    """Button text (plain, not HTML): the number and the label, or the translated yes/no."""
    if option.is_abstain:
        return t.pgettext("ballot option", "Abstain")
    if ballot.kind is BallotKind.YES_NO:
        return yes_no_labels(t)[option.position]
    return f"{number}. {option.label}"


def voter_keyboard(
    t: Translator, ballot: Ballot, selected: Sequence[int] = ()
) -> InlineKeyboardMarkup:
    """Buttons for a member with the vote (multi-choice: toggles and a submit button)."""
    rows: list[list[InlineKeyboardButton]] = []
    if ballot.kind is BallotKind.MULTI:
        for number, option in enumerate(ballot.options, start=1):
            mark = "☑" if option.id in selected else "☐"
            label = _button_label(t, ballot, option, number)
            rows.append([_button(f"{mark} {clip(label, 40)}", "t", ballot.id, option.id)])
        rows.append([_button(t.gettext("Cast the vote"), "s", ballot.id)])
    else:
        rows += _choice_rows(t, ballot, "c")
    rows += _meeting_row(t, ballot)
    rows.append(_debate_row(t, ballot))
    return InlineKeyboardMarkup(rows)


def _choice_rows(
    t: Translator, ballot: Ballot, action: str, *extra: object
) -> list[list[InlineKeyboardButton]]:
    """One press casts one option: a yes/no ballot's three in a row, else one per row."""
    if ballot.kind is BallotKind.YES_NO:
        return [
            [
                _button(_button_label(t, ballot, o, 0), action, ballot.id, o.id, *extra)
                for o in ballot.options
            ]
        ]
    return [
        [_button(clip(_button_label(t, ballot, o, n), 48), action, ballot.id, o.id, *extra)]
        for n, o in enumerate(ballot.options, start=1)
    ]


def proxy_text(t: Translator, ballot: Ballot, name: str, note: str = "") -> str:
    """To a proxy holder: the ballot, on behalf of whom they vote with these buttons."""
    head = t.gettext(
        "By proxy (meghatalmazás): with the buttons below you vote for {name}, who is "
        "represented by you at the meeting. Your own vote is in the other message."
    ).format(name=escape(name))
    return ballot_text(t, ballot) + "\n\n" + head + ("\n\n" + note if note else "")


def proxy_keyboard(t: Translator, ballot: Ballot, principal_id: int) -> InlineKeyboardMarkup:
    """The proxy holder's buttons for the member they represent (a meeting's vote: one press
    casts one option; an open vote can be changed by pressing another)."""
    return InlineKeyboardMarkup(_choice_rows(t, ballot, "p", principal_id))


def proxy_vote_recorded(
    t: Translator, ballot: Ballot, option_ids: Sequence[int], name: str, changed: bool
) -> str:
    """Confirmation of a vote cast by proxy."""
    text = (
        t.gettext("The vote for {name} is changed: {choice}.")
        if changed
        else t.gettext("The vote for {name} is recorded: {choice}.")
    )
    return text.format(name=escape(name), choice=labels_of(t, ballot, option_ids))


def selected_in(markup: InlineKeyboardMarkup | None, ballot: Ballot) -> list[int]:
    """The options ticked on a multi-choice keyboard (read from the message Telegram holds)."""
    if markup is None:
        return []
    ids = {o.id for o in ballot.options}
    chosen = []
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data
            if isinstance(data, str) and button.text.startswith("☑"):
                option = data.rsplit(":", 1)[-1]
                if option.isdigit() and int(option) in ids:
                    chosen.append(int(option))
    return chosen


def info_keyboard(t: Translator, ballot: Ballot) -> InlineKeyboardMarkup:
    """External supporters (advisory right) and others without the vote: comment and debate."""
    return InlineKeyboardMarkup([_debate_row(t, ballot)])


#: Why a member gets the ballot without buttons to vote.
info_note = Phrase(
    N_("For information: you take part in the debate with an advisory right, without a vote.")
)


def option_text(t: Translator, ballot: Ballot, option: BallotOption) -> str:
    """An option's label in the reader's language (yes / no / abstain are translated), plain."""
    if option.is_abstain:
        return t.pgettext("ballot option", "Abstain")
    if ballot.kind is BallotKind.YES_NO:
        yes, no, _ = yes_no_labels(t)
        return yes if option.position == 0 else no
    return option.label


def option_label(t: Translator, ballot: Ballot, option: BallotOption) -> str:
    """An option's label in the reader's language, escaped for HTML."""
    return escape(option_text(t, ballot, option))


def labels_of(t: Translator, ballot: Ballot, option_ids: Sequence[int]) -> str:
    """The chosen options' labels, escaped, in ballot order."""
    return ", ".join(option_label(t, ballot, o) for o in ballot.options if o.id in option_ids)


def vote_recorded(t: Translator, ballot: Ballot, option_ids: Sequence[int], changed: bool) -> str:
    """Confirmation of an open vote, with the choice."""
    text = (
        t.gettext("Your vote is recorded: {choice}.")
        if not changed
        else t.gettext("Your vote is changed: {choice}.")
    )
    return text.format(choice=labels_of(t, ballot, option_ids))


def after_vote_keyboard(t: Translator, ballot: Ballot) -> InlineKeyboardMarkup:
    """Change or withdraw an open, changeable vote; the debate."""
    rows = []
    if ballot.changeable and not ballot.secret:
        rows.append(
            [
                _button(t.gettext("Change vote"), "r", ballot.id),
                _button(t.gettext("Withdraw vote"), "w", ballot.id),
            ]
        )
    rows += _meeting_row(t, ballot)
    rows.append(_debate_row(t, ballot))
    return InlineKeyboardMarkup(rows)


def secret_confirm(
    t: Translator, ballot: Ballot, option_ids: Sequence[int]
) -> tuple[str, InlineKeyboardMarkup]:
    """Second step of a secret vote: confirm the choice (the message is then cleared of it)."""
    text = t.gettext(
        "You chose: {choice}.\n\nThis is a secret ballot: once confirmed, the vote is final "
        "and your choice is not kept anywhere with your name."
    ).format(choice=labels_of(t, ballot, option_ids))
    keyboard = InlineKeyboardMarkup(
        [
            [
                _button(
                    t.gettext("Confirm"),
                    "k",
                    ballot.id,
                    "-".join(str(o.position) for o in ballot.options if o.id in option_ids),
                ),
                _button(t.gettext("Back"), "b", ballot.id),
            ]
        ]
    )
    return text, keyboard


#: After a secret vote: no trace of the choice in the chat.
secret_recorded = Phrase(N_("Your secret vote is recorded. Thank you for voting."))


#: Opening a ballot whose vote is final (secret, or not changeable) after voting.
already_voted = Phrase(N_("You have already voted in this ballot; your vote is final."))


#: After withdrawing an open vote.
withdrawn = Phrase(N_("Your vote is withdrawn. You can vote again until the deadline."))


#: A ballot's button pressed in a group: where the ballot went instead.
sent_privately = Phrase(
    N_("Voting happens in your private chat with the bot: the ballot is sent to you there.")
)


#: A ballot's button pressed in a group by someone who never started the bot.
start_private_first = Phrase(
    N_(
        "Voting happens in your private chat with the bot. Please open it and press Start "
        "first, then try again."
    )
)


def reminder(t: Translator, ballot: Ballot) -> str:
    """Reminder to a member who has not voted yet."""
    return t.gettext("Reminder: you have not voted yet in ballot #{id}. Deadline: {date}.").format(
        id=ballot.id, date=t.datetime(ballot.deadline)
    )


def resolution_label(t: Translator, resolution: Resolution) -> str:
    """``3/2026. (XI. 27.) Kgy. határozat``."""
    body = (
        t.pgettext("resolution body", "Kgy.")
        if resolution.body is Body.KGY
        else t.pgettext("resolution body", "ST")
    )
    return t.gettext("{number}/{year}. ({month}. {day}.) {body} resolution").format(
        number=resolution.number,
        year=resolution.year,
        month=roman_month(resolution.adopted_on),
        day=resolution.adopted_on.day,
        body=body,
    )


def plain(text: str) -> str:
    """A label as it is (CSV and Markdown: no HTML escaping)."""
    return text


def decision_lines(
    t: Translator,
    fates: Sequence[OptionFate],
    limit: int,
    *,
    esc: Callable[[str], str] = escape,
) -> list[str]:
    """What a choice ballot decided ("Nyertes: …"), and why each other option did not win
    (``esc`` escapes the labels: HTML by default, ``plain`` for CSV and Markdown). Options may be
    places or dates as well as people, so the winners are "Nyertes", never "Megválasztva"."""
    chosen = [esc(f.label) for f in fates if f.fate is Fate.CHOSEN]
    lines = []
    if chosen:
        lines.append(
            t.ngettext(
                "Winning option: {options}", "Winning options: {options}", len(chosen)
            ).format(options=", ".join(chosen))
        )
    failed = [f for f in fates if f.fate is not Fate.CHOSEN]
    if failed:
        lines.append(t.gettext("Did not win:"))
    for fate in failed:
        votes = t.ngettext("{n} vote", "{n} votes", fate.votes).format(n=fate.votes)
        if fate.fate is Fate.SHORT:
            why = t.gettext("fewer than the votes needed")
        elif fate.fate is Fate.TIE:
            why = t.gettext("tied for the last place")
        else:
            why = t.ngettext(
                "enough votes, but only {limit} option may be chosen and it had more",
                "enough votes, but only {limit} options may be chosen and they had more",
                limit,
            ).format(limit=limit)
        lines.append(
            t.gettext("• {label}: {votes} ({why})").format(
                label=esc(fate.label), votes=votes, why=why
            )
        )
    return lines


def yes_no_sentence(
    t: Translator, body: Body, counts: tuple[int, int, int], *, adopted: bool, unanimous: bool
) -> str:
    """The sentence of the minutes on a yes/no ballot that had a quorum: "A Közgyűlés 12 igen,
    2 nem szavazattal, 1 tartózkodás mellett elfogadta a javaslatot.", or "egyhangúlag" when it
    was adopted and ``unanimous`` (``services.ballots.Tally.unanimous``)."""
    yes, no, abstain = counts
    if adopted and unanimous:
        sentence = t.gettext("{body} adopted the proposal unanimously, {yes} for.")
    elif adopted:
        sentence = t.gettext(
            "{body} adopted the proposal: {yes} for, {no} against, {abstain} abstaining."
        )
    else:
        sentence = t.gettext(
            "{body} rejected the proposal: {yes} for, {no} against, {abstain} abstaining."
        )
    return sentence.format(body=body_subject(t, body), yes=yes, no=no, abstain=abstain)


def body_sentence(t: Translator, ballot: Ballot, tally: Tally) -> str:
    """What the body did, in one sentence that names it."""
    if not tally.quorum_met:
        return t.gettext("{body} made no decision.").format(body=body_subject(t, ballot.body))
    if ballot.kind is BallotKind.YES_NO:
        yes, no, abstain = (c.votes for c in tally.counts)
        adopted = tally.result is BallotResult.ADOPTED
        return yes_no_sentence(
            t, ballot.body, (yes, no, abstain), adopted=adopted, unanimous=tally.unanimous
        )
    if tally.result is BallotResult.ADOPTED:
        return t.gettext("{body} made a decision.").format(body=body_subject(t, ballot.body))
    return t.gettext("{body} made no decision: no option won.").format(
        body=body_subject(t, ballot.body)
    )


def votes_needed_line(t: Translator, ballot: Ballot, tally: Tally) -> str:
    """``Elfogadáshoz szükséges: 5 szavazat (egyszerű többség)``: the number the tally rules
    computed, and the rule's name (the ballot itself said what the rule counts)."""
    n, rule = tally.votes_needed, majority_name(t, ballot.majority)
    if ballot.procedure is Procedure.MEETING:
        rule = t.gettext("more than half of those present")
    if ballot.kind is BallotKind.YES_NO:
        text = t.ngettext(
            "Needed to adopt: {n} vote ({rule})", "Needed to adopt: {n} votes ({rule})", n
        )
    else:
        text = t.ngettext(
            "Needed to win: {n} vote ({rule})", "Needed to win: {n} votes ({rule})", n
        )
    return text.format(n=n, rule=rule)


def stored_fates(resolution: Resolution) -> list[OptionFate] | None:
    """The options' fates kept in the register, or None for a yes/no resolution (or one
    registered before the fates were kept)."""
    rows = resolution.counts.get("fates")
    if not rows or resolution.counts.get("kind") == BallotKind.YES_NO.value:
        return None
    return [OptionFate(str(label), int(votes), Fate(fate)) for label, votes, fate in rows]


def stored_counts(t: Translator, resolution: Resolution) -> list[tuple[str, int]]:
    """The votes kept in the register, labelled for the reader (not escaped): a yes/no
    ballot's options and every abstention (the last option) in the reader's language and the
    result's word ("Tartózkodás", not the button's "Tartózkodom")."""
    rows = [(str(label), int(n)) for label, n in resolution.counts.get("options", [])]
    if "kind" not in resolution.counts or not rows:  # registered before the kind was kept
        return rows
    if resolution.counts["kind"] == BallotKind.YES_NO.value and len(rows) == 3:
        yes, no, _ = yes_no_labels(t)
        rows[0], rows[1] = (yes, rows[0][1]), (no, rows[1][1])
    rows[-1] = (t.pgettext("result", "Abstentions"), rows[-1][1])
    return rows


def resolution_decision(
    t: Translator, resolution: Resolution, *, esc: Callable[[str], str] = escape
) -> list[str]:
    """The decision of a registered resolution, in lines (empty if not known)."""
    if resolution.counts.get("kind") == BallotKind.YES_NO.value:
        votes = [int(n) for _label, n in resolution.counts.get("options", [])]
        if len(votes) != 3:
            return []
        yes, no, abstain = votes  # in ballot order: yes, no, the abstention
        unanimous = yes == yes + no + abstain > 0  # Tally.unanimous: every vote cast was yes
        return [
            yes_no_sentence(
                t, resolution.body, (yes, no, abstain), adopted=True, unanimous=unanimous
            )
        ]
    fates = stored_fates(resolution)
    if fates is None:
        return []
    return decision_lines(t, fates, int(resolution.counts.get("limit", 1)), esc=esc)


def result_word(t: Translator, result: BallotResult, kind: BallotKind = BallotKind.YES_NO) -> str:
    """ELFOGADVA, ELUTASÍTVA or EREDMÉNYTELEN; a choice ballot decides or does not."""
    if kind is not BallotKind.YES_NO and result is not BallotResult.NO_QUORUM:
        if result is BallotResult.ADOPTED:
            return t.gettext("DECIDED")
        return t.gettext("NO DECISION (no option won)")
    return {
        BallotResult.ADOPTED: t.gettext("ADOPTED"),
        BallotResult.REJECTED: t.gettext("REJECTED"),
        BallotResult.NO_QUORUM: t.gettext("INVALID (no quorum)"),
    }[result]


def result_word_of(t: Translator, ballot: Ballot, tally: Tally) -> str:
    """The result's word; a decision without a meeting with too few votes is invalid for that."""
    if tally.result is BallotResult.ADOPTED and tally.unanimous:
        return t.gettext("ADOPTED UNANIMOUSLY")
    if tally.result is BallotResult.NO_QUORUM and ballot.procedure is Procedure.NO_MEETING:
        return t.gettext("INVALID (too few votes)")
    return result_word(t, tally.result, ballot.kind)


def quorum_lines(t: Translator, ballot: Ballot, tally: Tally) -> list[str]:
    """Whether the quorum was met; for a decision without a meeting, whether it was valid."""
    n = tally.quorum_needed
    if ballot.procedure is Procedure.MEETING:
        return [meeting_vote_lines(t, ballot)[0]]
    if ballot.procedure is not Procedure.NO_MEETING:
        if tally.quorum_met:
            return [t.gettext("The quorum was met (at least {n} needed).").format(n=n)]
        return [t.gettext("The quorum was not met (at least {n} needed).").format(n=n)]
    if tally.quorum_met:
        valid = t.gettext(
            "The procedure is valid: {turnout} votes arrived, at least {n} were needed (what a "
            "meeting's quorum needs)."
        )
    else:
        valid = t.gettext(
            "The procedure is invalid: {turnout} votes arrived, at least {n} were needed (what a "
            "meeting's quorum needs)."
        )
    return [procedure_line(t), valid.format(turnout=tally.turnout, n=n)]


def result_text(
    t: Translator,
    ballot: Ballot,
    tally: Tally,
    resolution: Resolution | None,
    affected: Sequence[str] = (),
) -> str:
    """The result in the wording of minutes: turnout and quorum, the counts, the votes needed,
    one sentence naming the body and what it did, the winners of a choice, the result word."""
    lines = [
        t.gettext("<b>Result of ballot #{id} — {body}</b>").format(
            id=ballot.id, body=body_name(t, ballot.body)
        ),
        "",
        escape(ballot.question),
        "",
        turnout_line(t, tally.turnout, tally.electorate),
    ]
    if affected:
        lines.append(affected_line(t, affected))
    lines += quorum_lines(t, ballot, tally)
    if ballot.procedure is Procedure.MEETING and affected and not tally.quorum_met:
        lines.append(
            t.gettext(
                "Without the affected members the item had no quorum: {present} present with "
                "the vote could vote, at least {n} were needed."
            ).format(present=tally.electorate, n=tally.quorum_needed)
        )
    labels = {o.id: option_label(t, ballot, o) for o in ballot.options}
    for count in tally.counts:
        if count.is_abstain:  # "Tartózkodás: 0", not the button's "Tartózkodom: 0 szavazat"
            label = t.pgettext("result", "Abstentions")
            lines.append(t.gettext("{label}: {n}").format(label=label, n=count.votes))
            continue
        lines.append(
            t.ngettext("{label}: {n} vote", "{label}: {n} votes", count.votes).format(
                label=labels.get(count.option_id, escape(count.label)), n=count.votes
            )
        )
    if tally.quorum_met:
        lines.append(votes_needed_line(t, ballot, tally))
    if tally.tie:
        lines.append(t.gettext("There was a tie for the last place; the tied options do not win."))
    lines += ["", body_sentence(t, ballot, tally)]
    if ballot.kind is not BallotKind.YES_NO and tally.quorum_met:
        lines += decision_lines(t, option_fates(tally, ballot.kind), ballot.max_choices)
    lines.append("")
    lines.append(
        t.gettext("Result: <b>{result}</b>").format(result=result_word_of(t, ballot, tally))
    )
    if resolution is not None:
        lines.append(
            t.gettext("Resolution number: {label}").format(label=resolution_label(t, resolution))
        )
        if ballot.procedure is Procedure.NO_MEETING:
            lines.append(
                t.gettext("Date of the decision (Ptk. 3:20 (4)): {date}").format(
                    date=t.date(resolution.adopted_on)
                )
            )
    return "\n".join(lines)


def affected_line(
    t: Translator, names: Sequence[str], *, esc: Callable[[str], str] = escape
) -> str:
    """Who did not vote for being affected, and was out of the quorum base (Ptk. 3:19 (2))."""
    return t.ngettext(
        "Affected, did not vote and is not counted for the quorum (Ptk. 3:19 (2)): {names}",
        "Affected, did not vote and are not counted for the quorum (Ptk. 3:19 (2)): {names}",
        len(names),
    ).format(names=", ".join(esc(n) for n in names))


def affected_recorded(
    t: Translator, ballot: Ballot, name: str, reason: str, *, themself: bool
) -> str:
    """The confirmation of a declaration (one's own, or another member's marked), with the
    quorum that applies: a meeting's vote has the meeting's, as its own lines say, not the
    ballot's rule (none: the meeting checks it)."""
    if themself:
        head = t.gettext(
            "Recorded: you are affected in ballot #{id} (Ptk. 3:19 (2)). You do not vote on it "
            "and are not counted for its quorum."
        ).format(id=ballot.id)
    else:
        head = t.gettext(
            "Recorded as affected in ballot #{id} (Ptk. 3:19 (2)): {name}. They do not vote on "
            "it and are not counted for its quorum; they have been told."
        ).format(id=ballot.id, name=escape(name))
    if ballot.procedure is Procedure.MEETING:
        quorum = meeting_vote_lines(t, ballot)[0]
    else:
        quorum = t.gettext("Quorum: {rule}").format(
            rule=quorum_words(t, ballot.quorum, ballot.electorate)
        )
    return "\n".join([head, t.gettext("Reason: {reason}").format(reason=escape(reason)), quorum])


def affected_notice(t: Translator, ballot: Ballot, by: str, reason: str) -> str:
    """To a member whom the KSz or the chair marked affected."""
    return "\n".join(
        [
            t.gettext(
                "You have been marked affected in ballot #{id} (Ptk. 3:19 (2)) by {by}. You "
                "cannot vote on it and are not counted for its quorum."
            ).format(id=ballot.id, by=escape(by)),
            escape(clip(ballot.question, 300)),
            t.gettext("Reason: {reason}").format(reason=escape(reason)),
        ]
    )


def details_text(
    t: Translator,
    ballot: Ballot,
    votes: Sequence[tuple[Member, list[int]]],
    by_proxy: Sequence[tuple[Member, Member]] = (),
) -> str:
    """Who voted how, for an open ballot (at a meeting: whose vote their proxy holder cast)."""
    holders = {m.id: h.name for m, h in by_proxy}
    lines = [
        t.gettext("<b>Votes in ballot #{id}</b> (open ballot)").format(id=ballot.id),
        escape(clip(ballot.question, 300)),
        "",
    ]
    if not votes:
        lines.append(t.gettext("Nobody has voted yet."))
    for member, option_ids in votes:
        name = member.name
        if member.id in holders:
            name = proxy_pair(t, name, holders[member.id])
        lines.append(f"• {escape(name)}: {labels_of(t, ballot, option_ids)}")
    return "\n".join(lines)


def proxy_pair(t: Translator, principal: str, holder: str) -> str:
    """``Kovács Anna (meghatalmazott: Nagy Béla)``, plain text (escape it for HTML)."""
    return t.gettext("{principal} (proxy holder: {holder})").format(
        principal=principal, holder=holder
    )


def debate_text(t: Translator, ballot: Ballot, comments: Sequence[BallotComment]) -> str:
    """The comments of a ballot."""
    lines = [
        t.gettext("<b>Debate of ballot #{id}</b>").format(id=ballot.id),
        escape(clip(ballot.question, 300)),
        "",
    ]
    if not comments:
        lines.append(t.gettext("No comments yet."))
    for comment in comments:
        lines.append(
            f"<b>{escape(comment.author_label)}</b> ({t.datetime(comment.created_at)}):\n"
            + escape(comment.text)
        )
    return "\n".join(lines)


def new_comment(t: Translator, ballot: Ballot, comment: BallotComment) -> str:
    """A comment as posted to the main group."""
    return t.gettext("<b>Comment on ballot #{id}</b>\nFrom: {author}\n\n{text}").format(
        id=ballot.id, author=escape(comment.author_label), text=escape(comment.text)
    )


def comment_prompt(t: Translator, ballot: Ballot) -> str:
    """Ask for the comment text."""
    return t.gettext(
        "Write your comment on ballot #{id} in one message (or {cancel} to cancel)."
    ).format(id=ballot.id, cancel=t.command("cancel"))


def excerpt(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut at a word boundary with "…" when longer than ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut and flat[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–—") + "…"


def close_question(t: Translator, ballot: Ballot) -> tuple[str, InlineKeyboardMarkup]:
    """Ask before closing a ballot early: everyone gets the result at once."""
    text = t.gettext(
        "Close ballot #{id} before its deadline?\n{question}\n\nThe result is counted now "
        "and sent to every member; this cannot be undone."
    ).format(id=ballot.id, question=escape(excerpt(ballot.question, 200)))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Close it"),
                    callback_data=encode(Feature.CLOSE_BALLOT, "ok", ballot.id),
                ),
                InlineKeyboardButton(
                    t.gettext("Keep it open"),
                    callback_data=encode(Feature.CLOSE_BALLOT, "no", ballot.id),
                ),
            ]
        ]
    )
    return text, keyboard


def closable_list(
    t: Translator, ballots: Sequence[Ballot]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The caller's ballots that can be closed early, one button each."""
    if not ballots:
        return t.gettext("You have no open ballot that you may close."), None
    rows = [
        [
            InlineKeyboardButton(
                f"#{b.id} {excerpt(b.question, 40)}",
                callback_data=encode(Feature.CLOSE_BALLOT, "ask", b.id),
            )
        ]
        for b in ballots
    ]
    return t.gettext("Which ballot do you want to close early?"), InlineKeyboardMarkup(rows)


def ballots_list(
    t: Translator, ballots: Sequence[Ballot], turnouts: dict[int, int]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Open and recent ballots."""
    if not ballots:
        return t.gettext("There are no ballots yet."), None
    lines = [t.gettext("<b>Ballots</b>")]
    rows = []
    for ballot in ballots:
        if ballot.meeting_requested_at is not None:
            state = t.gettext("stopped: a meeting was asked for")
        elif ballot.result is None:
            state = t.gettext("open until {date}").format(date=t.datetime(ballot.deadline))
        else:
            state = result_word(t, ballot.result, ballot.kind).lower()
        lines.append(
            f"#{ballot.id} – {body_name(t, ballot.body)} – {escape(excerpt(ballot.question))}\n   "
            f"{state}; {turnout_line(t, turnouts.get(ballot.id, 0), ballot.electorate)}"
        )
        if ballot.status is BallotStatus.OPEN:
            rows.append(
                [
                    InlineKeyboardButton(
                        t.gettext("Open #{id}").format(id=ballot.id),
                        callback_data=encode(Feature.VOTE, "o", ballot.id),
                    )
                ]
            )
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


def register_text(
    t: Translator,
    resolutions: Sequence[Resolution],
    page: int,
    total: int,
    query: str | None,
    *,
    can_export: bool,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The register of resolutions, a page at a time."""
    if not resolutions:
        if query:
            return t.gettext("No resolution matches „{query}”.").format(query=escape(query)), None
        return t.gettext("The register of resolutions is empty."), None
    pages = max(1, -(-total // REGISTER_PAGE))
    lines = [t.gettext("<b>Register of resolutions</b>")]
    for resolution in resolutions:
        summary = ", ".join(
            f"{escape(label)}: {votes}" for label, votes in stored_counts(t, resolution)
        )
        decision = "".join("\n" + line for line in resolution_decision(t, resolution))
        if resolution.counts.get("procedure") == Procedure.NO_MEETING.value:
            decision += "\n" + procedure_line(t)
        if resolution.counts.get("affected"):
            decision += "\n" + affected_line(t, resolution.counts["affected"])
        lines.append(
            f"<b>{resolution_label(t, resolution)}</b>\n"
            f"{escape(clip(resolution.text, 400))}\n<i>{summary}</i>{decision}"
        )
    if pages > 1:
        lines.append(t.gettext("Page {page} of {pages}").format(page=page + 1, pages=pages))
    rows = []
    nav = page_row(Feature.REGISTER, page, pages, forward=not query)
    if nav:
        rows.append(nav)
    if can_export:
        rows.append(
            [
                InlineKeyboardButton("CSV", callback_data=encode(Feature.REGISTER, "csv")),
                InlineKeyboardButton("Markdown", callback_data=encode(Feature.REGISTER, "md")),
            ]
        )
    return "\n\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


# --- the creation wizard -----------------------------------------------------------------


def draft_preview(t: Translator, draft: BallotDraft, electorate: int) -> str:
    """What the ballot will look like, with its rules, before publishing."""
    lines = [
        t.gettext("<b>Preview — {body}</b>").format(body=body_name(t, draft.body)),
        "",
        escape(draft.question),
        "",
    ]
    for number, option in enumerate(draft.options, start=1):
        lines.append(f"{number}. {escape(option)}")
    if draft.options:
        lines.append("")
    lines.append(t.gettext("Type: {kind}").format(kind=kind_name(t, draft.kind, draft.max_choices)))
    if draft.deadline is not None:
        deadline = (
            t.gettext("Deadline: {date} (rounded up to the quarter hour)")
            if draft.deadline_rounded
            else t.gettext("Deadline: {date}")
        )
        lines.append(deadline.format(date=t.datetime(draft.deadline)))
    lines.append(
        t.gettext("Secret: {value}").format(
            value=t.gettext("yes") if draft.secret else t.gettext("no")
        )
    )
    if not draft.secret:
        lines.append(
            t.gettext("Vote can be changed: {value}").format(
                value=t.gettext("yes") if draft.changeable else t.gettext("no")
            )
        )
    lines.append(t.gettext("Quorum: {rule}").format(rule=quorum_words(t, draft.quorum, electorate)))
    lines.append(majority_line(t, draft.majority))
    if draft.procedure is Procedure.NO_MEETING:
        lines.append(procedure_line(t))
    lines.append("")
    lines.append(
        t.ngettext(
            "{n} voting member will get the ballot.",
            "{n} voting members will get the ballot.",
            electorate,
        ).format(n=electorate)
    )
    return "\n".join(lines)


def preview_keyboard(t: Translator, draft: BallotDraft) -> InlineKeyboardMarkup:
    """Change the rules, publish or cancel."""

    def b(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text, callback_data=encode(Feature.NEW_BALLOT, action))

    quorum = [] if draft.procedure is Procedure.NO_MEETING else [b(t.gettext("Quorum ↻"), "quo")]
    rows = [
        [b(t.gettext("Majority ↻"), "maj"), *quorum],
        [b(t.gettext("Secret ↻"), "sec")]
        + ([] if draft.secret else [b(t.gettext("Changeable ↻"), "chg")]),
        [b(t.gettext("Procedure ↻"), "proc")],
        [b(t.gettext("Publish"), "pub"), b(t.gettext("Cancel"), "cancel")],
    ]
    return InlineKeyboardMarkup(rows)


def choice_keyboard(options: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One wizard choice per row: (label, value)."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=encode(Feature.NEW_BALLOT, "set", value))]
            for label, value in options
        ]
    )


register_error_text(BallotClosed, lambda t, e: t.gettext("This ballot is closed."))
register_error_text(
    NoMeetingQuorum,
    lambda t, e: t.gettext(
        "A decision without a meeting is valid only if as many votes arrive as a meeting of "
        "the body needs for its quorum (Ptk. 3:20 (2)), so its quorum is the body's meeting "
        "quorum: {rule}. No other quorum can be set for it."
    ).format(rule=quorum_words(t, e.rule)),
)
register_error_text(
    NotOnRoll,
    lambda t, e: t.gettext("You have no vote in this ballot: only the body's voting members vote."),
)
register_error_text(
    Represented,
    lambda t, e: t.gettext(
        "In this vote your proxy holder votes for you: you were not present when it opened. "
        "From the next vote on, if you are present, you vote yourself."
    ),
)
register_error_text(
    AlreadyVoted,
    lambda t, e: t.gettext("You have already voted, and this vote cannot be changed."),
)
register_error_text(
    AffectedVoter,
    lambda t, e: t.gettext(
        "You are affected in this decision (Ptk. 3:19 (2)), so you cannot vote on it. "
        "Reason: {reason}"
    ).format(reason=escape(clip(e.reason, 80))),
)
register_error_text(
    AlreadyAffected,
    lambda t, e: t.gettext("Already marked affected in ballot #{id}: {name}.").format(
        id=e.ballot_id, name=escape(e.name)
    ),
)


def _voted_before_affected(t: Translator, e: VotedBeforeAffected) -> str:
    text = t.gettext("Has already voted in ballot #{id}: {name}.").format(
        id=e.ballot_id, name=escape(e.name)
    )
    if e.withdrawable:
        return (
            text
            + " "
            + t.gettext(
                "An affected member may not vote: withdraw the vote first, then declare it."
            )
        )
    return (
        text
        + " "
        + t.gettext(
            "The vote is final (secret or not changeable), so it can no longer be excluded."
        )
    )


register_error_text(VotedBeforeAffected, _voted_before_affected)
register_error_text(
    NotNoMeeting,
    lambda t, e: t.gettext("Only a decision without a meeting can be stopped by asking for one."),
)
register_error_text(
    NoMeetingEarlyClose,
    lambda t, e: t.gettext(
        "A decision without a meeting cannot be closed early: it runs to its deadline, or closes "
        "by itself when every member with the vote has voted (Ptk. 3:20)."
    ),
)
register_error_text(
    SecretBallot,
    lambda t, e: t.gettext("This is a secret ballot: who voted how is never shown."),
)


def register_csv(t: Translator, resolutions: Sequence[Resolution]) -> tuple[bytes, str]:
    """The register as a CSV file for a spreadsheet (Hungarian headers and ``;`` in Hungarian)."""
    rows = []
    for r in resolutions:
        votes = "; ".join(f"{label}: {n}" for label, n in stored_counts(t, r))
        decision = "\n".join(resolution_decision(t, r, esc=plain))
        rows.append(
            [resolution_label(t, r), r.body.value, r.adopted_on.isoformat(), r.text,
             r.counts.get("turnout", ""), r.counts.get("electorate", ""), votes, decision]
        )  # fmt: skip
    return csv_document(register_header(t), rows, delimiter=delimiter_for(t)), "hatarozatok.csv"


def register_markdown(t: Translator, resolutions: Sequence[Resolution]) -> tuple[bytes, str]:
    """The register as a Markdown document."""
    lines = [f"# {t.gettext('Register of resolutions')}", ""]
    for r in resolutions:
        votes = ", ".join(f"{label}: {n}" for label, n in stored_counts(t, r))
        lines += [f"## {resolution_label(t, r)}", "", r.text, "", f"*{votes}*", ""]
        decision = resolution_decision(t, r, esc=plain)
        for line in decision:  # "• " items become a Markdown list
            lines += ["- " + line[2:]] if line.startswith("• ") else [line, ""]
        if decision:
            lines.append("")
    return "\n".join(lines).encode(), "hatarozatok.md"


# --- the new-ballot wizard -----------------------------------------------------------------


def question_prompt(t: Translator) -> str:
    """The wizard's first step."""
    return t.gettext(
        "<b>New ballot</b>\nWrite the question or the text of the draft resolution. "
        "({cancel} cancels.)\n\nTip: {help} shows how to give everything in one message."
    ).format(**t.commands("cancel", "help"))


def body_prompt(t: Translator, bodies: Sequence[Body]) -> tuple[str, InlineKeyboardMarkup]:
    """Which body decides (for a creator who may start ballots of several)."""
    return t.gettext("Which body decides?"), choice_keyboard(
        [(body_name(t, b), b.value) for b in bodies]
    )


def kind_prompt(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Yes/no, one choice or several."""
    return t.gettext("What kind of ballot?"), choice_keyboard(
        [
            (t.gettext("Yes / No / Abstain"), BallotKind.YES_NO.value),
            (t.gettext("One option can be chosen"), BallotKind.SINGLE.value),
            (t.gettext("Several options can be chosen"), BallotKind.MULTI.value),
        ]
    )


#: The options of a choice.
options_prompt = Phrase(
    N_(
        "Send the options in one message, separated by semicolons, e.g. "
        "<code>Budapest; Debrecen; Szeged</code> (2 to 10 options)."
    )
)


def max_prompt(t: Translator, options: int) -> tuple[str, InlineKeyboardMarkup]:
    """How many options a voter may tick."""
    return t.gettext("At most how many options may a voter choose?"), choice_keyboard(
        [(str(n), str(n)) for n in range(2, options + 1)]
    )


def secret_prompt(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Open or secret."""
    return t.gettext("Open or secret ballot?"), choice_keyboard(
        [
            (t.pgettext("ballot secrecy", "Open"), "open"),
            (t.pgettext("ballot secrecy", "Secret"), "secret"),
        ]
    )


def deadline_prompt(t: Translator, quick_days: Sequence[int]) -> tuple[str, InlineKeyboardMarkup]:
    """The deadline: a quick choice of days, or a typed date and time."""
    return t.gettext(
        "Deadline? Choose, or write a date and time such as <code>2026.12.05 18:00</code>."
    ), choice_keyboard(
        [(t.ngettext("{n} day", "{n} days", d).format(n=d), str(d)) for d in quick_days]
    )


# --- short answers -------------------------------------------------------------------------


not_published = Phrase(N_("The ballot was not published."))


published_short = Phrase(N_("Published."))


published = Phrase(N_("Ballot #{id} is published; the voting members are getting it now."))


nothing_to_cancel = Phrase(N_("There is nothing to cancel."))


choose_first = Phrase(N_("Choose at least one option first."))


vote_recorded_short = Phrase(N_("Vote recorded."))


comment_published = Phrase(N_("Thank you, your comment is published in the debate."))


stays_open = Phrase(N_("Ballot #{id} stays open."))


closed_early = Phrase(N_("Ballot #{id} is closed; the result is being sent to every member."))
