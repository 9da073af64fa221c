"""A person's own data in words: the files of /adataim (every row as JSON, and a readable
summary), the privacy notice of /adatvedelem, the erasure's confirmation and answer, and the
texts of the privacy errors."""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from html import escape, unescape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import Translator
from bot.services.errors import MemberErased, OfficeHolder, ReservedName
from bot.services.privacy import PERSONAL_DATA, Erased, ErasurePlan, Export
from bot.views.common import register_error_text
from bot.views.members import audit_line, kind_label
from storage.models import AuditEntry

Row = dict[str, Any]

#: The format of the JSON file, for whoever reads it with a program.
FORMAT = "klaszterbot-adatok/1"


# --- /adataim ------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def export_json(made: Export) -> bytes:
    """Every row about the person, by table, with what was left out and what the ids name."""
    document = {
        "format": FORMAT,
        "made_at": made.made_at,
        "person": {"member_id": made.person.member_id, "telegram_id": made.person.telegram_id},
        "tables": made.tables,
        "about": {name: PERSONAL_DATA[name].why for name in made.tables},
        "omitted": {
            name: {"columns": columns, "why": _omitted_why(name)}
            for name, columns in made.omitted.items()
        },
        "context": made.context,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=_json_value).encode()


def _omitted_why(table: str) -> str:
    if table == "invitations":
        return "a fingerprint of the secret link, of no use to anyone"
    if table == "outbox_messages":
        return "the texts the bot sent you are in your Telegram chat"
    return "not personal"


def file_name(t: Translator, extension: str) -> str:
    """``adataim.json`` / ``mydata.json``."""
    stem = t.pgettext("file name", "mydata")
    return f"{stem}.{extension}"


def export_files(t: Translator, made: Export, retention_days: int) -> list[tuple[str, bytes, str]]:
    """The two documents of /adataim: (file name, content, caption)."""
    return [
        (file_name(t, "json"), export_json(made), t.gettext("All your data (JSON)")),
        (
            file_name(t, "txt"),
            summary(t, made, retention_days).encode(),
            t.gettext("A readable summary"),
        ),
    ]


def export_intro(t: Translator) -> str:
    """The message before the two files."""
    return t.gettext(
        "Here is everything the bot stores about you: all of it in a machine-readable file "
        "(JSON), and a readable summary. The files hold personal data: please keep them safe."
    )


def _plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def _rows(made: Export, table: str, **where: Any) -> list[Row]:
    return [
        row
        for row in made.tables.get(table, [])
        if all(row.get(key) == value for key, value in where.items())
    ]


def _section(lines: list[str], title: str, body: Sequence[str]) -> None:
    if body:
        lines += ["", title, "-" * len(title), *body]


def summary(t: Translator, made: Export, retention_days: int) -> str:
    """The readable summary: what other members see of the person, what the KSz or a
    katalizátor sees, what only the bot keeps, and how long."""
    lines = [
        t.gettext("My data in Klaszterbot"),
        t.gettext("Made: {date}").format(date=t.datetime(made.made_at)),
        "",
        t.gettext(
            "This summary lists everything the bot stores about you; the JSON file beside it "
            "holds the same, row by row."
        ),
    ]
    _section(lines, t.gettext("What other members see"), _public(t, made))
    _section(lines, t.gettext("What the KSz or a katalizátor sees"), _restricted(t, made))
    _section(lines, t.gettext("What only the bot keeps"), _private(t, made))
    _section(lines, t.gettext("How long"), [_retention(t, retention_days)])
    return "\n".join(lines) + "\n"


def _member_lines(t: Translator, made: Export) -> list[str]:
    member = _rows(made, "members")
    if not member:
        return [t.gettext("You are not a member of the cluster.")]
    row = member[0]
    groups = made.context.get("workgroups", {})
    catalyst = [groups.get(r["id"], "") for r in _rows(made, "workgroups")]
    memberships = [groups.get(r["workgroup_id"], "") for r in _rows(made, "workgroup_members")]
    offices = [
        label
        for label, held in (
            (t.gettext("chair of the Strategic Council"), row["is_st_chair"]),
            (t.gettext("founding member, member of the Strategic Council"), row["is_founder"]),
            (t.gettext("cluster management (KSz)"), row["is_ksz"]),
        )
        if held
    ] + [t.gettext("catalyst: {workgroup}").format(workgroup=g) for g in catalyst]
    return [
        t.gettext("Name: {name}").format(name=row["name"]),
        t.gettext("Organisation: {organisation}").format(organisation=row["organisation"] or "—"),
        t.gettext("Membership: {kind}").format(kind=kind_label(t, row["kind"])),
        t.gettext("Member since: {date}").format(date=t.date(row["joined_on"])),
        t.gettext("Status: {status}").format(
            status=t.gettext("active") if row["is_active"] else t.gettext("inactive")
        ),
        t.gettext("Offices: {offices}").format(offices=", ".join(offices) or "—"),
        t.gettext("Workgroups: {workgroups}").format(workgroups=", ".join(memberships) or "—"),
    ]


def _public(t: Translator, made: Export) -> list[str]:
    me = made.person.member_id
    lines = [
        t.gettext("In the directory ({command}) and on your profile:").format(
            command=t.command("members")
        ),
        *_member_lines(t, made),
    ]
    log = [
        "• " + _plain(audit_line(t, AuditEntry(**row)))
        for row in _rows(made, "audit_log", subject_id=me)
    ]
    if log and me is not None:
        title = t.gettext("In the log ({command}), the entries about you:")
        lines += ["", title.format(command=t.command("log")), *log]
    ballots = made.context.get("ballots", {})
    options = made.context.get("options", {})
    votes = []
    for vote in _rows(made, "ballot_votes"):
        chosen = [
            options.get(c["option_id"], "?") for c in _rows(made, "ballot_vote_choices")
            if c["vote_id"] == vote["id"]
        ]  # fmt: skip
        votes.append(
            f"• #{vote['ballot_id']} {ballots.get(vote['ballot_id'], '')} — "
            f"{', '.join(chosen)} ({t.datetime(vote['cast_at'])})"
        )
    if votes:
        title = t.gettext("Your votes in open ballots ({command} shows them):")
        lines += [
            "",
            title.format(command=t.command("ballotdetails")),
            *votes,
        ]
    lines += _written(t, made)
    return lines


def _written(t: Translator, made: Export) -> list[str]:
    """What the person wrote that others read."""
    ballots = made.context.get("ballots", {})
    proposals = made.context.get("proposals", {})
    found: list[str] = []
    groups: list[tuple[str, list[str]]] = [
        (
            t.gettext("Your comments in ballot debates (those in the debate read them):"),
            [
                f"• #{r['ballot_id']} {ballots.get(r['ballot_id'], '')} — "
                f"{t.datetime(r['created_at'])}: {r['text']}"
                for r in _rows(made, "ballot_comments")
            ],
        ),
        (
            t.gettext("Your comments on strategy proposals (every member reads them):"),
            [
                f"• {proposals.get(r['proposal_id'], '')} — {t.datetime(r['created_at'])}: "
                f"{r['text']}"
                for r in _rows(made, "proposal_comments")
            ],
        ),
        (
            t.gettext("Your strategy proposals:"),
            [f"• {r['title']} — {t.datetime(r['created_at'])}" for r in _rows(made, "proposals")],
        ),
        (
            t.gettext("Your announcements:"),
            [f"• {t.datetime(r['created_at'])}: {r['text']}" for r in _rows(made, "announcements")],
        ),
    ]
    for title, body in groups:
        if body:
            found += ["", title, *body]
    return found


def _restricted(t: Translator, made: Export) -> list[str]:
    groups = made.context.get("workgroups", {})
    own_threads = {
        r["id"]: groups.get(r["workgroup_id"], "")
        for r in _rows(made, "routing_threads", member_id=made.person.member_id)
    }
    found: list[str] = []
    requests = [
        f"• {t.datetime(r['created_at'])}: {r['full_name']}"
        + (f" (@{r['username']})" if r["username"] else "")
        + f" — {r['note']}"
        for r in made.tables.get("join_requests", [])
        if r["telegram_id"] == made.person.telegram_id
    ]
    if requests:
        found += [t.gettext("Your requests to join (the KSz read them):"), *requests]
    messages = [
        f"• {t.datetime(r['created_at'])} — {own_threads.get(r['thread_id'], '…')}: "
        f"{_plain(r['body_html']) or '[' + r['kind'] + ']'}"
        for r in _rows(made, "routing_messages")
    ]
    if messages:
        found += [
            t.gettext(
                "Your messages to and from katalizátors (the workgroup's katalizátor read "
                "them, and the KSz if it was handed over):"
            ),
            *messages,
        ]
    invitations = [
        f"• {t.datetime(r['created_at'])}"
        for r in _rows(made, "invitations", member_id=made.person.member_id)
    ]
    if invitations:
        found += [t.gettext("Invitation links made for you by the KSz:"), *invitations]
    return found


def _private(t: Translator, made: Export) -> list[str]:
    found: list[str] = []
    account = _rows(made, "telegram_users")
    if account:
        row = account[0]
        found += [
            t.gettext("Your Telegram account: id {id}, name {name}, username {username}").format(
                id=row["id"],
                name=" ".join(p for p in (row["last_name"], row["first_name"]) if p),
                username=f"@{row['username']}" if row["username"] else "—",
            ),
            t.gettext("Language: {language} (Telegram's: {code})").format(
                language=row["language"] or "—", code=row["language_code"] or "—"
            ),
        ]
        if row["started_at"]:
            found.append(
                t.gettext("First private message: {date}").format(
                    date=t.datetime(row["started_at"])
                )
            )
    roll = made.tables.get("ballot_roll", [])
    if roll:
        found.append(
            t.gettext(
                "On the electoral roll of {n} ballots, voted in {voted}. In a secret ballot the "
                "bot keeps only that you voted: nothing links you to your choice."
            ).format(n=len(roll), voted=sum(1 for r in roll if r["has_voted"]))
        )
    counts = [
        (t.gettext("Messages the bot queued or sent you: {n}"), "outbox_messages"),
        (t.gettext("Announcements delivered to you: {n}"), "announcement_deliveries"),
        (t.gettext("Your changes in the work plan: {n}"), "workplan_task_events"),
        (t.gettext("Ballots you started or closed: {n}"), "ballots"),
    ]
    for text, table in counts:
        if made.tables.get(table):
            found.append(text.format(n=len(made.tables[table])))
    done = [r for r in made.tables.get("audit_log", []) if r["subject_id"] != made.person.member_id]
    if done:
        found.append(t.gettext("Changes you made that the log records: {n}").format(n=len(done)))
    return found


def _retention(t: Translator, days: int) -> str:
    return t.gettext(
        "Messages to katalizátors and requests to join are deleted after {days} days. Everything "
        "else is kept while you are a member. When you leave, you may ask the KSz to erase your "
        "data: what the cluster must keep (resolutions, votes in open ballots, the log) then "
        "stays under a pseudonym such as „Volt tag #17”."
    ).format(days=days)


# --- /adatvedelem --------------------------------------------------------------------------


def default_notice(t: Translator, retention_days: int) -> str:
    """The built-in privacy notice (HTML)."""
    mydata = t.command("mydata")
    return "\n\n".join(
        [
            t.gettext("<b>Privacy notice</b>"),
            t.gettext(
                "The cluster management organisation (KSz) runs this bot for the cluster and "
                "decides what it is used for. Questions and requests go to the KSz."
            ),
            t.gettext(
                "<b>What the bot stores</b>\n"
                "• your Telegram account as Telegram shows it to the bot: id, name, username, "
                "language;\n"
                "• your membership: name, organisation, kind, offices, workgroups, the date you "
                "joined, and the log of their changes;\n"
                "• your votes in open ballots (who voted how); in a secret ballot only whether "
                "you voted: nothing links you to your choice;\n"
                "• your comments in debates and discussions, your proposals and announcements;\n"
                "• your messages to a katalizátor (the text, or a reference to a file, which "
                "stays on Telegram) and the answers;\n"
                "• your request to join, and a fingerprint of each invitation link;\n"
                "• which messages the bot sent you, and when."
            ),
            t.gettext(
                "<b>Why</b>\n"
                "So that the cluster can work as its bylaws say: to know who may vote on what, "
                "to count the votes and keep the register of resolutions, to pass questions to "
                "the katalizátors, and to keep the members informed."
            ),
            t.gettext(
                "<b>How long</b>\n"
                "Messages to katalizátors and requests to join: {days} days, then the bot deletes "
                "them. Everything else: while you are a member. When you leave, you may ask for "
                "your data to be erased: the account link, contact data, messages and comments "
                "are deleted; what the cluster must keep (resolutions, votes in open ballots, the "
                "log) stays under a pseudonym such as „Volt tag #17”."
            ).format(days=retention_days),
            t.gettext(
                "<b>Who sees it</b>\n"
                "Members: the directory, the workgroups, the log, the votes of open ballots and "
                "the comments of debates (an ST ballot's debate only the ST). The KSz: requests "
                "to join and the directory's export. The workgroup's katalizátor (and the KSz if "
                "it is handed over): the messages written to them. How anyone voted in a secret "
                "ballot nobody sees."
            ),
            t.gettext(
                "<b>Your rights</b>\n"
                "{mydata} sends you a file with everything the bot stores about you. To have your "
                "data corrected or erased, or to object, contact the KSz. You may also complain "
                "to the data protection authority (in Hungary: NAIH)."
            ).format(mydata=mydata),
        ]
    )


def notice_from_file(text: str) -> str:
    """The cluster's own notice: plain text, shown as written."""
    return escape(text.strip())


# --- erasure -------------------------------------------------------------------------------


def table_label(t: Translator, table: str) -> str:
    """What a table's rows are, in words (the erasure's counts)."""
    labels: dict[str, Callable[[], str]] = {
        "telegram_users": lambda: t.pgettext("erasure", "Telegram account link"),
        "workgroup_members": lambda: t.pgettext("erasure", "workgroup memberships"),
        "invitations": lambda: t.pgettext("erasure", "invitation links"),
        "join_requests": lambda: t.pgettext("erasure", "requests to join"),
        "ballot_comments": lambda: t.pgettext("erasure", "comments in ballot debates"),
        "proposal_comments": lambda: t.pgettext("erasure", "comments on proposals"),
        "outbox_messages": lambda: t.pgettext("erasure", "messages queued or sent by the bot"),
        "routing_threads": lambda: t.pgettext("erasure", "conversations with a katalizátor"),
        "routing_messages": lambda: t.pgettext("erasure", "messages to a katalizátor"),
        "routing_deliveries": lambda: t.pgettext("erasure", "routed messages received"),
        "routing_copies": lambda: t.pgettext("erasure", "copies of routed messages"),
        "routing_sessions": lambda: t.pgettext("erasure", "open chat with a katalizátor"),
        "routing_flood": lambda: t.pgettext("erasure", "message counter"),
        "audit_log": lambda: t.pgettext("erasure", "lines of the log"),
        "ballot_roll": lambda: t.pgettext("erasure", "places on electoral rolls"),
        "ballot_votes": lambda: t.pgettext("erasure", "votes in open ballots"),
        "ballots": lambda: t.pgettext("erasure", "ballots started or closed"),
        "announcements": lambda: t.pgettext("erasure", "announcements"),
        "announcement_deliveries": lambda: t.pgettext("erasure", "announcements received"),
        "proposals": lambda: t.pgettext("erasure", "strategy proposals"),
        "workplans": lambda: t.pgettext("erasure", "work plans created"),
        "workplan_versions": lambda: t.pgettext("erasure", "work-plan versions made"),
        "workplan_task_events": lambda: t.pgettext("erasure", "work-plan reports"),
    }
    label = labels.get(table)
    return label() if label else table


def _counts(t: Translator, counts: dict[str, int]) -> list[str]:
    return [f"• {table_label(t, name)}: {n}" for name, n in counts.items()]


def erase_question(t: Translator, plan: ErasurePlan) -> tuple[str, InlineKeyboardMarkup]:
    """The KSz confirms an erasure, seeing what goes and what stays."""
    name = escape(plan.member.name)
    lines = [
        t.gettext("<b>Erasing the data of {name}</b>").format(name=name),
        t.gettext(
            "This cannot be undone. The member is deactivated and leaves every workgroup and "
            "linked group."
        ),
        "",
        t.gettext("Deleted:"),
        *(_counts(t, plan.deleted) or ["—"]),
        "",
        t.gettext("Kept, under the name „{pseudonym}”:").format(pseudonym=plan.pseudonym),
        *(_counts(t, plan.kept) or ["—"]),
        "",
        t.gettext(
            "Every other text that names them (a resolution, a comment) gets the pseudonym too."
        ),
    ]
    member_id = plan.member.id
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Erase for good"),
                    callback_data=encode(Feature.ERASE, "ok", member_id),
                ),
                InlineKeyboardButton(
                    t.gettext("Cancel"), callback_data=encode(Feature.MEMBER, "card", member_id)
                ),
            ]
        ]
    )
    return "\n".join(lines), keyboard


def back_to_card(t: Translator, member_id: int) -> InlineKeyboardMarkup:
    """The button back to the member card."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("« Back"), callback_data=encode(Feature.MEMBER, "card", member_id)
                )
            ]
        ]
    )


def erase_refused(
    t: Translator, refused: OfficeHolder, member_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    """Why an office holder is not erased, with the way back to the card."""
    return _offices(t, refused), back_to_card(t, member_id)


def erased(t: Translator, done: Erased, unremoved: int = 0) -> str:
    """The KSz's answer: done, and the name the kept records use (never the old name)."""
    lines = [
        t.gettext(
            "The member's data have been erased. The records that stay name them „{pseudonym}”."
        ).format(pseudonym=done.pseudonym),
        "",
        t.gettext("Deleted:"),
        *(_counts(t, done.deleted) or ["—"]),
    ]
    if unremoved:
        lines += [
            "",
            t.ngettext(
                "⚠️ The bot could not remove the account from {n} linked group; please remove it "
                "there by hand.",
                "⚠️ The bot could not remove the account from {n} linked groups; please remove it "
                "there by hand.",
                unremoved,
            ).format(n=unremoved),
        ]
    return "\n".join(lines)


def _offices(t: Translator, err: OfficeHolder) -> str:
    words = {
        "ksz": t.gettext("cluster management (KSz)"),
        "st_chair": t.gettext("chair of the Strategic Council"),
    }
    held = [words[o] for o in err.offices if o in words]
    held += [t.gettext("catalyst: {workgroup}").format(workgroup=escape(g)) for g in err.workgroups]
    return t.gettext(
        "{name} holds an office ({offices}), so their data cannot be erased. Hand the office to "
        "someone else first (on the member cards), then erase."
    ).format(name=escape(err.member_name), offices=", ".join(held))


register_error_text(OfficeHolder, _offices)
register_error_text(
    MemberErased,
    lambda t, e: t.gettext(
        "The data of „{name}” have already been erased; the record that stays does not change."
    ).format(name=escape(e.member_name)),
)
register_error_text(
    ReservedName,
    lambda t, e: t.gettext(
        "„{name}” cannot be a member's name: names like it stand for erased former members."
    ).format(name=escape(e.name)),
)
