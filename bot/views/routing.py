"""Texts and keyboards of the katalizátor routing: headers, signatures, notices, open threads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import N_, Phrase, Translator
from bot.services.collation import hu_sort_key
from bot.services.errors import RoutingRefused
from bot.services.routing import Destination, KszReason, ThreadSummary
from bot.services.text import clip
from bot.views.common import nothing
from storage.models import Workgroup
from storage.models.routing import Audience, RoutingThread, Signer, ThreadStatus

#: At most this many "resolved" buttons under /nyitott_kerdesek.
MAX_BUTTONS = 30


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


# --- choosing a workgroup, sessions ----------------------------------------------------------


def choose_workgroup(
    t: Translator, groups: Sequence[Workgroup]
) -> tuple[str, InlineKeyboardMarkup]:
    """Buttons for the workgroups whose katalizátor the member may write to."""
    rows = [
        [
            InlineKeyboardButton(
                clip(group.name, 40), callback_data=encode(Feature.ROUTING, "wg", group.id)
            )
        ]
        for group in groups
    ]
    text = t.gettext("Which workgroup's catalyst do you want to write to?")
    return text, InlineKeyboardMarkup(rows)


def no_workgroup(t: Translator, catalyst_of: Sequence[str]) -> str:
    """The member is in no workgroup whose katalizátor they could write to."""
    if catalyst_of:
        return t.gettext(
            "You are the catalyst of your workgroup ({workgroups}): the members' questions "
            "come to you here, and you answer them by replying to them."
        ).format(workgroups=", ".join(escape(n) for n in sorted(catalyst_of, key=hu_sort_key)))
    return t.gettext(
        "You are not a member of any workgroup yet, so there is no catalyst to write to. "
        "The KSz can add you to a workgroup."
    )


def reason_for_member(t: Translator, reason: KszReason | None) -> str:
    """Why the member's messages go to the KSz (empty when they go to the katalizátor)."""
    if reason is KszReason.NO_CATALYST:
        return t.gettext(
            "The workgroup has no catalyst at the moment, so your messages go to the "
            "cluster management (KSz)."
        )
    if reason is KszReason.NO_ACCOUNT:
        return t.gettext(
            "The catalyst has not connected a Telegram account yet, so your messages go to the "
            "cluster management (KSz)."
        )
    if reason is KszReason.HANDED:
        return t.gettext(
            "The catalyst has handed this conversation over to the cluster management (KSz)."
        )
    return ""


def session_opened(t: Translator, group: Workgroup, where: Destination) -> str:
    """The member now writes to the katalizátor (or the KSz) of ``group``."""
    if where.audience is Audience.CATALYST:
        title = t.gettext("<b>Writing to the catalyst</b>")
        who = t.gettext("Catalyst: {name}").format(name=escape(where.catalyst_name or ""))
    else:
        title = t.gettext("<b>Writing to the cluster management (KSz)</b>")
        who = reason_for_member(t, where.reason)
    return _join(
        title,
        t.gettext("Workgroup: {workgroup}").format(workgroup=escape(group.name)),
        who,
        "",
        t.gettext(
            "Send your messages here: text, photos, documents, voice and video messages go "
            "through. The answers arrive here as well. /done ends writing."
        ),
    )


def session_closed(t: Translator, group: Workgroup | None) -> str:
    """/kesz."""
    if group is None:
        return t.gettext("You were not writing to any catalyst. /catalyst starts.")
    return t.gettext(
        "Done: your messages are no longer passed on. Workgroup: {workgroup}\n"
        "Answers still arrive here; reply to one to continue the conversation."
    ).format(workgroup=escape(group.name))


def session_expired(t: Translator, minutes: int) -> str:
    """The member writes after the session ended by itself."""
    return t.ngettext(
        "This message was not passed on: nothing was sent for {n} minute, so writing to the "
        "catalyst has ended. Send /catalyst to write again.",
        "This message was not passed on: nothing was sent for {n} minutes, so writing to the "
        "catalyst has ended. Send /catalyst to write again.",
        minutes,
    ).format(n=minutes)


# --- confirmations and refusals for the member -----------------------------------------------


def sent(t: Translator, where: Destination) -> str:
    """The first message of a session (or a group question that went to the KSz) went out."""
    if where.audience is Audience.CATALYST:
        return t.gettext(
            "Sent to the catalyst: {name}. You can keep writing; /done ends writing."
        ).format(name=escape(where.catalyst_name or ""))
    return _join(
        t.gettext("Sent to the cluster management (KSz)."), reason_for_member(t, where.reason)
    )


def pending_notice(t: Translator, where: Destination) -> str:
    """The recipient cannot be reached: the message waits in the database."""
    if where.audience is Audience.CATALYST:
        return t.gettext(
            "The catalyst ({name}) cannot be reached by the bot right now: they have not started "
            "it or have blocked it. Your message is saved and will be delivered as soon as they "
            "start the bot. The KSz has been notified."
        ).format(name=escape(where.catalyst_name or ""))
    return t.gettext(
        "Nobody in the cluster management (KSz) can be reached by the bot right now. Your "
        "message is saved and will be delivered as soon as possible."
    )


#: The katalizátor's (or the KSz's) answer reached the member who asked.
answer_sent = Phrase(N_("Sent: {name}"))


def answer_pending(t: Translator, *, in_group: bool) -> str:
    """The member (or the group) cannot be reached: the answer waits."""
    if in_group:
        return t.gettext(
            "The bot cannot post in the workgroup's group right now. Your answer is saved and "
            "will be delivered when the bot is back in the group."
        )
    return t.gettext(
        "The member cannot be reached by the bot right now (they have blocked it). Your answer "
        "is saved and will be delivered when they start the bot again."
    )


#: Telegram refused the copy for good.
not_delivered = Phrase(N_("Telegram did not accept this message, so it could not be passed on."))


def slow_down(t: Translator, limit: int) -> str:
    """The flood limit was reached."""
    return t.ngettext(
        "Please slow down: at most {n} message a minute is passed on. The messages sent in the "
        "meantime were not passed on; please send them again in a minute.",
        "Please slow down: at most {n} messages a minute are passed on. The messages sent in "
        "the meantime were not passed on; please send them again in a minute.",
        limit,
    ).format(n=limit)


#: Stickers, polls, locations and the like.
unsupported = Phrase(
    N_(
        "Only text, photos, documents, voice and video messages can be passed on to the "
        "catalyst. Stickers, polls, locations and similar messages cannot."
    )
)


#: /katalizator in a group without a question.
group_usage = Phrase(
    N_(
        "Write your question after the command, for example "
        "<code>/catalyst When is the next meeting?</code>, or reply to one of my messages."
    )
)


def refused(t: Translator, err: RoutingRefused) -> str:
    """Why a message was not routed (or an action not taken)."""
    workgroup = escape(err.workgroup)
    if err.reason == "inactive":
        return t.gettext(
            "Your membership is inactive, so your messages are not passed on. Please contact "
            "the KSz if this is a mistake."
        )
    if err.reason == "own_workgroup":
        return t.gettext(
            "You are the catalyst of this workgroup ({workgroup}): its members' questions come "
            "to you."
        ).format(workgroup=workgroup)
    if err.reason == "not_handler":
        return t.gettext(
            "Only the catalyst of the workgroup or the KSz can answer or manage this "
            "conversation. Workgroup: {workgroup}"
        ).format(workgroup=workgroup)
    if err.reason == "resolved":
        return t.gettext("This conversation has already been marked resolved.")
    if err.reason == "handed":
        return t.gettext("This conversation has already been handed over to the KSz.")
    if err.reason == "nobody":
        return t.gettext(
            "Right now nobody can receive messages for this workgroup: it has no reachable "
            "catalyst and no KSz member has connected a Telegram account. "
            "Workgroup: {workgroup}"
        ).format(workgroup=workgroup)
    if err.reason == "unsupported":
        return unsupported(t)
    if err.reason == "no_workgroup":
        return t.gettext(
            "This group is not linked to a workgroup. Write to your catalyst in a private chat "
            "with the bot: /catalyst"
        )
    return t.gettext(
        "Only members of the workgroup can write to its catalyst. Workgroup: {workgroup}"
    ).format(workgroup=workgroup)


# --- what the katalizátor and the KSz receive ------------------------------------------------


def reason_for_ksz(t: Translator, thread: RoutingThread) -> str:
    """Why a question comes to the KSz."""
    if thread.status is ThreadStatus.HANDED_TO_KSZ:
        name = thread.handed_by.name if thread.handed_by else nothing(t)
        return t.gettext("Handed over to the KSz by: {name}").format(name=escape(name))
    if thread.workgroup.catalyst_id is None:
        return t.gettext("The workgroup has no catalyst, so the question comes to the KSz.")
    return t.gettext(
        "The catalyst has not connected a Telegram account, so the question comes to the KSz."
    )


def question_header(t: Translator, thread: RoutingThread, audience: Audience) -> str:
    """Who asks, from which organisation and workgroup (every user string escaped)."""
    member = thread.member
    return _join(
        t.gettext("📨 <b>Question from a workgroup member</b>"),
        t.gettext("Member: {name}").format(name=escape(member.name)),
        t.gettext("Organisation: {organisation}").format(
            organisation=escape(member.organisation or nothing(t))
        ),
        t.gettext("Workgroup: {workgroup}").format(workgroup=escape(thread.workgroup.name)),
        t.gettext("Asked in the workgroup's Telegram group.") if thread.in_group else "",
        reason_for_ksz(t, thread) if audience is Audience.KSZ else "",
        t.gettext("<i>Reply to this message to answer.</i>"),
    )


def handler_keyboard(t: Translator, thread_id: int, audience: Audience) -> InlineKeyboardMarkup:
    """Under a question: hand to the KSz (katalizátor only), mark resolved."""
    resolve = InlineKeyboardButton(
        t.gettext("Resolved"), callback_data=encode(Feature.ROUTING, "ok", thread_id)
    )
    if audience is Audience.CATALYST:
        hand = InlineKeyboardButton(
            t.gettext("Hand to the KSz"), callback_data=encode(Feature.ROUTING, "ksz", thread_id)
        )
        return InlineKeyboardMarkup([[hand, resolve]])
    return InlineKeyboardMarkup([[resolve]])


def signature(t: Translator, signer: Signer, name: str, workgroup: str) -> str:
    """The line under an answer: who answered, in which capacity."""
    if signer is Signer.CATALYST:
        text = t.gettext("— {name}, catalyst ({workgroup})")
    else:
        text = t.gettext("— {name}, cluster management (KSz)")
    return "<i>" + text.format(name=escape(name), workgroup=escape(workgroup)) + "</i>"


def waiting_intro(t: Translator, n: int) -> str:
    """Before the messages that waited for someone who just started the bot."""
    return t.ngettext(
        "While the bot could not reach you, {n} message arrived for you:",
        "While the bot could not reach you, {n} messages arrived for you:",
        n,
    ).format(n=n)


# --- notices ---------------------------------------------------------------------------------


#: Told to the member when their thread goes to the KSz.
handed_notice = Phrase(
    N_(
        "Your conversation has been handed over to the cluster management (KSz); the answers "
        "will arrive here. Workgroup: {workgroup}"
    )
)


def resolved_notice(t: Translator, workgroup: str, *, in_group: bool) -> str:
    """Told to the member when their thread is marked resolved."""
    if in_group:
        return t.gettext("✅ This question has been marked resolved.")
    return t.gettext(
        "✅ Your conversation has been marked resolved. Workgroup: {workgroup}\n"
        "If you have a new question, send /catalyst."
    ).format(workgroup=escape(workgroup))


def unreachable_alert(
    t: Translator, catalyst: str, workgroup: str, member: str, thread_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    """To the KSz: a katalizátor cannot be reached, a question waits."""
    text = _join(
        t.gettext("⚠️ <b>A catalyst cannot be reached</b>"),
        t.gettext("Catalyst: {name}").format(name=escape(catalyst)),
        t.gettext("Workgroup: {workgroup}").format(workgroup=escape(workgroup)),
        t.gettext("Question from: {name}").format(name=escape(member)),
        "",
        t.gettext(
            "The bot cannot write to the catalyst: they have not started the bot or have "
            "blocked it. The messages are saved and will be delivered when they start the bot. "
            "Please ask them to open the bot and press Start, or take the conversation over."
        ),
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Take over"), callback_data=encode(Feature.ROUTING, "ksz", thread_id)
                )
            ]
        ]
    )
    return text, keyboard


def group_problem(t: Translator, workgroup: str, problem: str) -> str:
    """One linked group whose settings keep questions from reaching the bot."""
    if problem == "absent":
        text = t.gettext(
            "{workgroup}: the bot is not in the linked group, so questions from the group cannot "
            "reach the catalyst and answers cannot be posted there."
        )
    else:
        text = t.gettext(
            "{workgroup}: the bot is not an administrator of the linked group and privacy mode "
            "is on, so messages that mention the bot or use #catalyst do not reach it (replies "
            "to its messages and {catalyst} do). Make the bot an administrator, or turn privacy "
            "mode off in @BotFather (/setprivacy)."
        )
    return text.format(workgroup=escape(workgroup), **t.commands("catalyst"))


def group_alert(t: Translator, workgroup: str, problem: str) -> str:
    """To the KSz when the bot loses sight of a linked group."""
    return _join(
        t.gettext("⚠️ <b>Workgroup group settings</b>"), group_problem(t, workgroup, problem)
    )


# --- /nyitott_kerdesek -----------------------------------------------------------------------


def age(t: Translator, value: timedelta) -> str:
    """How long a thread has been open, in minutes, hours or days ("most nyílt" under a
    minute, not "0 perce nyitott")."""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return t.gettext("just opened")
    if minutes < 60:
        return t.ngettext("open for {n} minute", "open for {n} minutes", minutes).format(n=minutes)
    hours = minutes // 60
    if hours < 48:
        return t.ngettext("open for {n} hour", "open for {n} hours", hours).format(n=hours)
    days = hours // 24
    return t.ngettext("open for {n} day", "open for {n} days", days).format(n=days)


def _thread_line(t: Translator, item: ThreadSummary) -> str:
    thread = item.thread
    member = thread.member
    org = f" ({escape(clip(member.organisation, 60))})" if member.organisation else ""
    details = [
        age(t, item.age),
        t.ngettext("{n} message", "{n} messages", item.messages).format(n=item.messages),
        t.gettext("with the KSz")
        if thread.status is ThreadStatus.HANDED_TO_KSZ or thread.workgroup.catalyst_id is None
        else t.gettext("with the catalyst"),
    ]
    if thread.in_group:
        details.append(t.gettext("from the group"))
    if item.pending:
        details.append(
            t.ngettext("{n} waiting for delivery", "{n} waiting for delivery", item.pending).format(
                n=item.pending
            )
        )
    head = f"• <b>{escape(clip(thread.workgroup.name, 60))}</b> – {escape(clip(member.name, 80))}"
    return f"{head}{org}\n   <i>{' · '.join(details)}</i>"


def open_threads(
    t: Translator, items: Sequence[ThreadSummary], problems: Sequence[str]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The open threads with their age, and a button to mark each resolved."""
    if items:
        lines = [
            t.ngettext(
                "<b>Open questions</b> ({n})", "<b>Open questions</b> ({n})", len(items)
            ).format(n=len(items))
        ]
        lines += [_thread_line(t, item) for item in items]
    else:
        lines = [t.gettext("There are no open questions.")]
    if problems:
        lines += ["", t.gettext("⚠️ <b>Workgroup group settings</b>"), *problems]
    rows = [
        [
            InlineKeyboardButton(
                "✓ " + clip(f"{item.thread.workgroup.name} – {item.thread.member.name}", 40),
                callback_data=encode(Feature.ROUTING, "ok", item.thread.id, "list"),
            )
        ]
        for item in items[:MAX_BUTTONS]
    ]
    if rows:
        lines += ["", t.gettext("Press a button to mark the question resolved.")]
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


handed_over = Phrase(N_("Handed over to the KSz."))


marked_resolved = Phrase(N_("Marked resolved."))
