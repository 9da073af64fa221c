"""The transparency Mini App's texts (issue 20): JSON-ready values in the reader's language.

The page (``bot/webapp/static``) shows what these return and nothing of its own: its fixed
words come from ``strings``, so the catalogs stay the one source of every text. Values are
plain text (the page sets ``textContent``, never HTML), so nothing here is HTML-escaped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo

from bot.i18n import Translator
from bot.services.roles import Role
from bot.services.transparency import BallotState, RegisterPage, Viewer
from bot.services.workplan import Summary, responsible_label
from bot.views.ballots import (
    body_name,
    option_text,
    percent,
    plain,
    resolution_decision,
    resolution_label,
    result_word,
    stored_counts,
    turnout_line,
)
from bot.views.workplan import plan_status_name, status_name, task_count
from storage.models.ballots import Ballot, BallotOption, BallotStatus, Body
from storage.models.meetings import Meeting
from storage.models.workplan import TaskStatus

Json = dict[str, Any]


def strings(t: Translator) -> Json:
    """The page's own words."""
    return {
        "title": t.gettext("Transparency"),
        "register": t.gettext("Register"),
        "ballots": t.gettext("Ballots"),
        "workplan": t.gettext("Work plan"),
        "meeting": t.gettext("Next meeting"),
        "search": t.gettext("Search in the resolutions"),
        "all_bodies": t.gettext("All bodies"),
        "all_years": t.gettext("All years"),
        "open_ballots": t.gettext("Open ballots"),
        "closed_ballots": t.gettext("Closed ballots"),
        "no_open": t.gettext("No ballot is open now."),
        "no_closed": t.gettext("No ballot has been closed yet."),
        "to_ballot": t.gettext("The ballot"),
        "back": t.gettext("Back"),
        "previous": t.gettext("Previous page"),
        "next": t.gettext("Next page"),
        "loading": t.gettext("Loading…"),
        "failed": t.gettext("The page could not be loaded. Please try again later."),
        "by_responsible": t.gettext("Progress by responsible"),
        "tasks": t.gettext("Tasks"),
        "no_telegram": t.gettext("Please open this page from the bot in Telegram."),
    }


def role_names(t: Translator, viewer: Viewer) -> list[str]:
    """What the viewer is in the cluster, for the page's header."""
    names = {
        Role.STRANGER: t.gettext("not a member"),
        Role.EXTERNAL: t.gettext("external supporting member (advisory right)"),
        Role.INTERNAL: t.gettext("internal member (with the vote)"),
        Role.FOUNDER: t.gettext("member of the Strategic Council"),
        Role.ST_CHAIR: t.gettext("chair of the Strategic Council"),
        Role.CATALYST: t.gettext("catalyst"),
        Role.KSZ: t.gettext("KSz"),
    }
    order = list(Role)
    return [names[role] for role in sorted(viewer.standing.roles(), key=order.index)]


def me(t: Translator, viewer: Viewer) -> Json:
    """The header: the viewer's name and roles, the language, the page's words."""
    return {
        "language": t.language,
        "name": viewer.standing.name,
        "member": viewer.standing.is_member,
        "roles": role_names(t, viewer),
        "strings": strings(t),
    }


def refusal(t: Translator, status: int) -> Json:
    """The JSON body of a 401 (no valid initData) or a 403 (not a member)."""
    if status == 401:
        message = t.gettext(
            "This page works only when opened from the bot in Telegram. Please open it again."
        )
        return {"error": "unauthorized", "message": message}
    message = t.gettext("This page is for the members of the cluster.")
    return {"error": "forbidden", "message": message}


def not_found(t: Translator) -> Json:
    return {"error": "not_found", "message": t.gettext("There is no such ballot.")}


# --- the register ------------------------------------------------------------------------------


def _minutes(t: Translator, meeting_id: int | None) -> str | None:
    """Where a meeting's resolution is recorded: the meeting and the command for its minutes."""
    if meeting_id is None:
        return None
    return t.gettext("Adopted at meeting #{id}; its minutes: {minutes} {id}").format(
        id=meeting_id, **t.commands("minutes")
    )


def register(t: Translator, page: RegisterPage) -> Json:
    """A page of the register with its filters."""
    items = [
        {
            "label": resolution_label(t, r),
            "body": r.body.value,
            "body_name": body_name(t, r.body),
            "adopted_on": t.date(r.adopted_on),
            "text": r.text,
            "counts": ", ".join(f"{label}: {votes}" for label, votes in stored_counts(t, r)),
            "decision": resolution_decision(t, r, esc=plain),
            "ballot_id": r.ballot_id,
            "minutes": _minutes(t, page.minutes.get(r.ballot_id)),
        }
        for r in page.resolutions
    ]
    if page.total:
        summary = t.ngettext("{n} resolution", "{n} resolutions", page.total).format(n=page.total)
    elif page.query.text or page.query.body or page.query.year:
        summary = t.gettext("No resolution matches the search.")
    else:
        summary = t.gettext("The register of resolutions is empty.")
    return {
        "items": items,
        "total": page.total,
        "summary": summary,
        "page": page.query.page,
        "pages": page.pages,
        "bodies": [{"value": b.value, "name": body_name(t, b)} for b in Body],
        "years": page.years,
    }


# --- ballots -----------------------------------------------------------------------------------


def _own_part(t: Translator, state: BallotState) -> str | None:
    if state.voted is None or not state.is_open:
        return None
    if state.voted:
        return t.gettext("You have voted.")
    return t.gettext("You have not voted yet: the bot sent you the ballot in the private chat.")


def _count_label(t: Translator, b: Ballot, option: BallotOption) -> str:
    """A result's label: the options, and "Tartózkodás" (as in the register), not the button's
    "Tartózkodom"."""
    return t.pgettext("result", "Abstentions") if option.is_abstain else option_text(t, b, option)


def ballot(t: Translator, state: BallotState) -> Json:
    """A ballot: its question and turnout; once closed, its counts and result."""
    b = state.ballot
    options = {o.id: o for o in b.options}
    winners = set(state.tally.winners) if state.tally is not None else set()
    counts = [
        {
            "label": _count_label(t, b, options[c.option_id]),
            "votes": c.votes,
            "percent": percent(c.votes, state.turnout),
            "winner": c.option_id in winners,
        }
        for c in state.counts
    ]
    if b.status is BallotStatus.OPEN:
        state_text = t.gettext("open until {date}").format(date=t.datetime(b.deadline))
    elif b.result is None:  # a decision without a meeting stopped by a request for one
        state_text = t.gettext("stopped: a meeting was asked for")
    else:
        state_text = result_word(t, b.result, b.kind)
    return {
        "id": b.id,
        "open": state.is_open,
        "body_name": body_name(t, b.body),
        "question": b.question,
        "secret": b.secret,
        "secret_note": t.gettext("Secret ballot: only the counts are known.") if b.secret else None,
        "state": state_text,
        "turnout": state.turnout,
        "electorate": b.electorate,
        "turnout_text": turnout_line(t, state.turnout, b.electorate),
        "turnout_percent": round(100 * state.turnout / b.electorate) if b.electorate else 0,
        "counts": counts,
        "resolution": resolution_label(t, state.resolution) if state.resolution else None,
        "own": _own_part(t, state),
    }


def ballots(t: Translator, states: list[BallotState]) -> Json:
    """The open ballots and the latest closed ones."""
    return {
        "open": [ballot(t, s) for s in states if s.is_open],
        "closed": [ballot(t, s) for s in states if not s.is_open],
        "empty": t.gettext("There are no ballots yet.") if not states else None,
    }


# --- the work plan and the next meeting --------------------------------------------------------


def workplan(t: Translator, summary: Summary | None, today: date) -> Json:
    """The plan's tasks and each responsible's average progress (the chart)."""
    if summary is None:
        return {"plan": None, "empty": t.gettext("There is no work plan yet.")}
    plan, names = summary.plan, summary.names
    late = {task.id for task in summary.late}
    tasks = [
        {
            "id": task.id,
            "title": task.title,
            "responsible": responsible_label(task.workgroup_id, names),
            "deadline": t.gettext("Deadline: {date}").format(date=t.date(task.deadline)),
            "status": task.status.value,
            "status_name": status_name(t, TaskStatus.LATE if task.id in late else task.status),
            "late": task.id in late,
            "progress": task.progress,
        }
        for task in summary.tasks
    ]
    groups = [
        {
            "name": g.name,
            "average": g.average,
            "detail": t.gettext("{tasks}, {done} done, {late} late").format(
                tasks=task_count(t, g.tasks), done=g.done, late=g.late
            ),
        }
        for g in summary.groups
    ]
    heading = t.gettext("{title} ({period}), {status}").format(
        title=plan.title, period=plan.period, status=plan_status_name(t, plan)
    )
    overall = t.gettext("Overall progress: {percent}%").format(percent=summary.average)
    return {"plan": heading, "overall": overall, "average": summary.average, "tasks": tasks,
            "groups": groups}  # fmt: skip


def meeting(t: Translator, found: Meeting | None) -> Json:
    """The next meeting and its agenda, as plain text (the page puts it in with textContent)."""
    empty = t.gettext("No meeting has been called yet.")
    if found is None:
        return {"meeting": None, "empty": empty}
    title = t.gettext("Meeting #{id}: {body}").format(id=found.id, body=body_name(t, found.body))
    where = [p for p in (found.place, found.link) if p]
    return {
        "meeting": {
            "id": found.id,
            "title": title,
            "when": t.datetime(found.starts_at),
            "place": " · ".join(where),
            "agenda": [item.title for item in found.items],
        },
        "empty": empty,
    }


# --- in the chat: /atlathatosag and the menu button --------------------------------------------


def button_text(t: Translator) -> str:
    return t.gettext("Transparency")


def open_page(t: Translator, url: str) -> tuple[str, InlineKeyboardMarkup]:
    """The private answer: what the page shows, and the button that opens it in Telegram."""
    text = t.gettext(
        "<b>Transparency</b>\nThe register of resolutions, the ballots with their turnout, "
        "the work plan with its progress and the next meeting, on one page."
    )
    button = InlineKeyboardButton(button_text(t), web_app=WebAppInfo(url))
    return text, InlineKeyboardMarkup([[button]])


def open_privately(t: Translator, bot_username: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """In a group: Telegram opens Mini Apps from private chats only, so point there."""
    text = t.gettext(
        "The transparency page opens in the private chat with the bot: please send {command} there."
    ).format(command=t.command("transparency"))
    if not bot_username:
        return text, None
    button = InlineKeyboardButton(
        t.gettext("To the private chat"), url=f"https://t.me/{bot_username}"
    )
    return text, InlineKeyboardMarkup([[button]])


def not_set_up(t: Translator) -> str:
    return t.gettext("The transparency page is not set up yet: the operator has to set WEBAPP_URL.")


def menu_button(t: Translator, url: str) -> MenuButtonWebApp:
    """The bot's menu button (beside the message field) that opens the page."""
    return MenuButtonWebApp(button_text(t), WebAppInfo(url))
