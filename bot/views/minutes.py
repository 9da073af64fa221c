"""The minutes of a meeting (jegyzőkönyv) as a PDF: the text in the reader's language, then the
rendering, which runs in the worker process (``bot.offload``) from plain, picklable data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.i18n import Translator
from bot.services.ballots import OptionCount
from bot.services.meetings import ItemRecord, Record
from bot.views.ballots import body_name, option_label, proxy_pair, resolution_label, result_word
from bot.views.meetings import reconvened_note, represented_note
from storage.models import MemberKind
from storage.models.ballots import Ballot, BallotKind, BallotResult
from storage.models.meetings import MeetingStatus

SIGNATURE = "……………………………………"


@dataclass(frozen=True)
class MinutesDoc:
    """The minutes as blocks of plain text: ``(style, text)`` with style ``title``, ``h`` (a
    heading), ``p`` or ``sign``; the attendance sheet as a table for the annex."""

    blocks: tuple[tuple[str, str], ...]
    sheet_title: str
    sheet_header: tuple[str, ...]
    sheet_rows: tuple[tuple[str, ...], ...]


def counts_text(t: Translator, ballot: Ballot, counts: Sequence[OptionCount]) -> str:
    """``7 igen, 0 nem, 0 tartózkodás (egyhangúlag)``."""
    if ballot.kind is BallotKind.YES_NO and len(counts) == 3:
        yes, no, abstain = (c.votes for c in counts)
        text = t.gettext("{yes} for, {no} against, {abstain} abstaining").format(
            yes=yes, no=no, abstain=abstain
        )
        if yes > 0 and no == abstain == 0:
            text += " " + t.gettext("(unanimously)")
        return text
    return ", ".join(
        f"{option_label(t, ballot, o)}: {c.votes}"
        for o, c in zip(ballot.options, counts, strict=True)
    )


def _item_blocks(t: Translator, item: ItemRecord) -> list[tuple[str, str]]:
    blocks = [
        (
            "h",
            t.gettext("Agenda item {n}: {title}").format(
                n=item.item.position, title=item.item.title
            ),
        )
    ]
    if item.ballot is None:
        blocks.append(("p", t.gettext("No vote was taken on this item.")))
        return blocks
    ballot = item.ballot
    blocks.append(("p", t.gettext("Draft resolution: {text}").format(text=ballot.question)))
    if ballot.secret:
        blocks.append(("p", t.gettext("Secret vote (a personnel matter): counts only.")))
    blocks.append(
        ("p", t.gettext("Members with the vote present: {n}").format(n=ballot.electorate))
    )
    if item.represented:
        pairs = "; ".join(
            proxy_pair(t, principal, holder) for principal, holder in item.represented
        )
        blocks.append(("p", t.gettext("Voted by proxy: {pairs}").format(pairs=pairs)))
    if item.affected:
        blocks.append(
            (
                "p",
                t.gettext("Affected, did not vote and not counted (Ptk. 3:19 (2)): {names}").format(
                    names=", ".join(item.affected)
                ),
            )
        )
    counts = counts_text(t, ballot, item.counts)
    blocks.append(("p", t.gettext("Votes: {counts}").format(counts=counts)))
    if item.resolution is not None:
        blocks.append(
            (
                "p",
                t.gettext("Adopted, resolution number: {label}. Its text: {text}").format(
                    label=resolution_label(t, item.resolution), text=item.resolution.text
                ),
            )
        )
    elif ballot.result is not None:
        if ballot.result is BallotResult.NO_QUORUM and item.affected:
            blocks.append(("p", t.gettext("Without the affected members the item had no quorum.")))
        blocks.append(("p", result_word(t, ballot.result, ballot.kind).capitalize()))
    return blocks


def _agenda_block(t: Translator, record: Record) -> str:
    """The agenda's adoption by an open vote of those present, with its counts."""
    vote = record.agenda
    if vote is None:
        return t.gettext("The meeting did not vote on its agenda.")
    counts = counts_text(t, vote.ballot, vote.counts)
    if vote.resolution is not None:
        return t.gettext(
            "The meeting adopted the agenda by an open vote of those present: {counts}; "
            "resolution number: {label}."
        ).format(counts=counts, label=resolution_label(t, vote.resolution))
    return t.gettext(
        "The meeting did not adopt the agenda ({counts}); it decided no item and was closed."
    ).format(counts=counts)


def _officer_blocks(t: Translator, record: Record) -> list[tuple[str, str]]:
    """The minute-taker and the authenticators, if the meeting elected them."""
    meeting = record.meeting
    if record.officers is None:
        return [("p", t.gettext("The meeting elected no officers; its convener chaired it."))]
    return [
        ("p", t.gettext("Minute-taker: {name}").format(name=meeting.minute_taker_label)),
        (
            "p",
            t.gettext("Authenticators: {first}, {second}").format(
                first=meeting.authenticator1_label, second=meeting.authenticator2_label
            ),
        ),
        (
            "p",
            t.gettext("Elected by an open vote of those present: {label}").format(
                label=resolution_label(t, record.officers)
            ),
        ),
    ]


def _quorum_block(t: Translator, record: Record) -> str:
    """The quorum statement: from whether the meeting reached a quorum, never from its status
    (a meeting closed before that, as one could be, was not quorate)."""
    quorum = record.quorum
    if record.meeting.quorum_reached_at is None:
        if record.meeting.status is not MeetingStatus.NOT_QUORATE:
            return t.gettext(
                "The meeting had no quorum: {present} members with the vote were present (of "
                "{electorate}), {needed} were needed."
            ).format(present=quorum.present, electorate=quorum.electorate, needed=quorum.needed)
        return t.gettext(
            "The meeting had no quorum: {present} members with the vote were present (of "
            "{electorate}), {needed} were needed. A reconvened meeting can be called on the same "
            "agenda."
        ).format(present=quorum.present, electorate=quorum.electorate, needed=quorum.needed)
    stated = t.gettext(
        "The chair states that the meeting has a quorum: {present} members with the vote are "
        "present (of {electorate}; {needed} needed)."
    ).format(present=quorum.present, electorate=quorum.electorate, needed=quorum.needed)
    if quorum.represented:
        stated += " " + represented_note(t, quorum.represented)
    if record.meeting.reconvenes_id is None:
        return stated
    return stated + " " + reconvened_note(t, record.meeting)


def minutes_doc(t: Translator, record: Record) -> MinutesDoc:
    """The minutes' text: place and time, officers, the quorum statement, the agenda, each
    item with its resolution and counts, signature lines; the attendance sheet as the annex."""
    meeting = record.meeting
    blocks: list[tuple[str, str]] = [
        ("title", t.gettext("MINUTES")),
        (
            "p",
            t.gettext("Meeting #{id}, body: {body}").format(
                body=body_name(t, meeting.body), id=meeting.id
            ),
        ),
        ("p", t.gettext("Time: {date}").format(date=t.datetime(meeting.starts_at))),
    ]
    if meeting.place:
        blocks.append(("p", t.gettext("Place: {place}").format(place=meeting.place)))
    if meeting.link:
        blocks.append(("p", t.gettext("Online: {link}").format(link=meeting.link)))
    blocks += [
        ("p", t.gettext("Chair: {name}").format(name=record.chair)),
        *_officer_blocks(t, record),
        ("p", t.gettext("Attendance: see the attendance sheet in the annex.")),
        *_proxy_blocks(t, record),
        ("p", _quorum_block(t, record)),
        ("h", t.gettext("Agenda")),
        *[("p", f"{i.position}. {i.title}") for i in meeting.items],
    ]
    if meeting.quorum_reached_at is not None:
        blocks.append(("p", _agenda_block(t, record)))
        for item in record.items:
            blocks += _item_blocks(t, item)
    signers = [t.gettext("chair"), t.gettext("minute-taker")] + 2 * [t.gettext("authenticator")]
    blocks += [("h", t.gettext("Signatures"))]
    blocks += [("sign", SIGNATURE + "\n" + signer) for signer in signers]
    blocks += [
        (
            "p",
            t.gettext("Confirmed by the authenticator {name} ({date})").format(
                name=c.member_label, date=t.datetime(c.confirmed_at)
            ),
        )
        for c in record.confirmations
    ]
    return MinutesDoc(
        blocks=tuple(blocks),
        sheet_title=t.gettext("Annex: attendance sheet"),
        sheet_header=(
            t.gettext("Name"),
            t.gettext("Right"),
            t.gettext("Arrived"),
            t.gettext("Left"),
            t.gettext("Recorded by"),
        ),
        sheet_rows=_sheet_rows(t, record),
    )


def _proxy_blocks(t: Translator, record: Record) -> list[tuple[str, str]]:
    """The proxies given for the meeting (meghatalmazás), if any."""
    if not record.proxies:
        return []
    pairs = "; ".join(proxy_pair(t, p.name, h.name) for p, h in record.proxies)
    return [("p", t.gettext("Proxies given for the meeting: {pairs}").format(pairs=pairs))]


def _sheet_rows(t: Translator, record: Record) -> tuple[tuple[str, ...], ...]:
    """The attendance sheet: who checked in; then each member represented by proxy who did not,
    with their holder's arrival and departure (they were present through the holder)."""
    rows = [
        (
            m.name,
            t.gettext("vote") if m.kind is MemberKind.INTERNAL else t.gettext("advisory"),
            t.datetime(a.arrived_at),
            t.datetime(a.left_at) if a.left_at else "",
            a.recorded_by_label,
        )
        for m, a in record.sheet
    ]
    on_sheet = {m.id: a for m, a in record.sheet}
    for principal, holder in record.proxies:
        held = on_sheet.get(holder.id)
        if principal.id in on_sheet or held is None:
            continue
        rows.append(
            (
                principal.name,
                t.gettext("vote"),
                t.datetime(held.arrived_at),
                t.datetime(held.left_at) if held.left_at else "",
                t.gettext("by proxy: {holder}").format(holder=holder.name),
            )
        )
    return tuple(rows)


def minutes_name(t: Translator, meeting_id: int) -> str:
    """The file's name."""
    return t.gettext("minutes-meeting-{id}.pdf").format(id=meeting_id)


_STYLES = {"title": ("B", 16), "h": ("B", 12), "p": ("", 10), "sign": ("", 10)}


def render_pdf(doc: MinutesDoc, font_dir: str) -> bytes:
    """The PDF (fpdf2, DejaVu Sans: every Hungarian letter). CPU work: run it in the worker
    process (``bot.offload.run``)."""
    from fpdf import FPDF  # imported in the worker, not at the bot's start

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(Path(font_dir) / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(Path(font_dir) / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    for style, text in doc.blocks:
        weight, size = _STYLES[style]
        pdf.set_font("DejaVu", weight, size)
        if style in ("h", "sign"):
            pdf.ln(4 if style == "h" else 8)
        align = "C" if style == "title" else "L"
        pdf.multi_cell(0, 6, text, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(0, 8, doc.sheet_title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(44, 26, 40, 40, 40)) as table:
        for row in (doc.sheet_header, *doc.sheet_rows):
            cells = table.row()
            for value in row:
                cells.cell(value)
    return bytes(pdf.output())
