"""Texts shared by every feature: refusals and translated domain errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import singledispatch
from html import escape
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import InlineKeyboardButton

from bot.callbacks import Feature, encode
from bot.i18n import N_, Phrase, Translator
from bot.services.ballots import MIN_LEAD_MINUTES
from bot.services.errors import (
    AccountAlreadyBound,
    AlreadyDecided,
    AlreadyMember,
    AlreadyPending,
    Ambiguous,
    DomainError,
    ImportFailed,
    InvalidInput,
    InvitationProblem,
    NotAllowed,
    NotFound,
    RuleViolation,
    UnknownColumns,
)
from bot.services.identity import CLI_ACTOR
from bot.services.roles import Permission

if TYPE_CHECKING:
    from bot.commands import CommandSpec

CLI_LABEL = CLI_ACTOR.label

E = TypeVar("E", bound=DomainError)


def refusal(t: Translator, permission: Permission | str) -> str:
    """A polite refusal that says who may do this."""
    who = {
        Permission.MEMBER: t.gettext("members of the cluster"),
        Permission.VOTER: t.gettext("voting members"),
        Permission.FOUNDER: t.gettext("members of the Strategic Council"),
        Permission.ST_CHAIR: t.gettext("the chair of the Strategic Council"),
        Permission.CATALYST: t.gettext("catalysts"),
        Permission.KSZ: t.gettext("the cluster management (KSz)"),
        Permission.ANNOUNCER: t.gettext("the KSz and the ST chair"),
        Permission.REPORTER: t.gettext("catalysts and the KSz"),
        Permission.BALLOT_CREATOR: t.gettext("the KSz, the ST chair and the founders"),
    }.get(permission, t.gettext("members of the cluster"))  # type: ignore[call-overload]
    return t.gettext("Sorry, only {who} can do this.").format(who=who)


def refusal_for_rule(t: Translator, rule: str) -> str | None:
    """The refusal that names the rule a service applied (None: say who may, instead)."""
    texts = {
        "st_ballot_founders": lambda: t.gettext(
            "Sorry, a ballot of the Strategic Council (ST) can be started by a founding member "
            "only."
        ),
        "kgy_ballot_ksz_chair": lambda: t.gettext(
            "Sorry, a ballot of the General Assembly can be started by the KSz or the ST chair "
            "only."
        ),
        "ballot_close": lambda: t.gettext(
            "Sorry, only the initiator of the ballot or the ST chair can close it early."
        ),
        "meeting_chair": lambda: t.gettext(
            "Sorry, only the chair of the meeting can do this: the chair it elected, or until "
            "then its convener or the KSz."
        ),
        "minutes_authenticator": lambda: t.gettext(
            "Sorry, only the authenticators the meeting elected confirm its minutes."
        ),
        "affected_others": lambda: t.gettext(
            "Sorry, only the KSz or the chair can mark another member as affected; members "
            "declare it themselves."
        ),
    }
    text = texts.get(rule)
    return text() if text else None


def nothing(t: Translator) -> str:
    """An empty value in a list of facts ("nincs"; "none")."""
    return t.pgettext("empty value", "none")


def actor_label(t: Translator, label: str) -> str:
    """The stored name of who made a change, for people: the command line is "parancssor
    (KSz)" (the operator is the cluster management), not "CLI". Not escaped."""
    if label == CLI_LABEL:
        return t.gettext("command line (KSz)")
    return label


def usage_text(t: Translator, spec: CommandSpec | None) -> str:
    """How to call a command, naming it as the reader knows it (its English alias in English)."""
    if spec is None or spec.usage is None:
        return t.gettext("Please check the command and try again.")
    name = spec.english_name if t.language == "en" else spec.name
    return t.gettext(spec.usage).format(command="/" + name)


def private_only_text(t: Translator, *, private: bool) -> str:
    """Why a command did not run in this kind of chat."""
    if private:
        return t.gettext("Please use this command in a private chat with the bot.")
    return t.gettext("Please use this command in the group.")


#: A personal or privileged button pressed in a group: nothing there changed.
private_button_text = Phrase(N_("Please use this button in a private chat with the bot."))


#: A button pressed in a group whose answer went to the presser's private chat.
sent_privately = Phrase(N_("Sent to your private chat with the bot."))


def page_row(feature: Feature, page: int, pages: int, *, forward: bool = True) -> list[Any]:
    """◀ / ▶ buttons of a paged listing (callback ``<feature>:page:<n>``)."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀", callback_data=encode(feature, "page", page - 1)))
    if forward and page + 1 < pages:
        row.append(InlineKeyboardButton("▶", callback_data=encode(feature, "page", page + 1)))
    return row


#: A button that no longer fits (old, forged or already used).
stale_button = Phrase(N_("This button is no longer valid."))


#: The names of the fields people fill in or change, for error messages and change logs.
FIELDS: dict[str, str] = {
    "name": N_("name"),
    "organisation": N_("organisation"),
    "kind": N_("membership kind"),
    "workgroup": N_("workgroup"),
    "description": N_("description"),
    "note": N_("introduction"),
    "founder": N_("founder"),
    "ksz": N_("KSz"),
    "st_chair": N_("ST chair"),
    "catalyst_of": N_("catalyst of"),
    "workgroups": N_("workgroups"),
    "file": N_("file"),
    "ballot": N_("ballot"),
    "question": N_("question"),
    "options": N_("options"),
    "deadline": N_("deadline"),
    "secret": N_("secret ballot"),
    "changeable": N_("changeable vote"),
    "majority": N_("majority"),
    "quorum": N_("quorum"),
    "max": N_("number of choices"),
    "body": N_("body"),
    "form": N_("form"),
    "choice": N_("choice"),
    "comment": N_("comment"),
    "reason": N_("reason"),
    "procedure": N_("procedure"),
    "time": N_("time"),
    "place": N_("place"),
    "link": N_("online link"),
    "item": N_("agenda item"),
    "minutes": N_("minutes"),
    "officers": N_("officers"),
    "meeting": N_("meeting"),
    "title": N_("title"),
    "text": N_("text"),
}


def field_label(t: Translator, name: str, fields: Mapping[str, str] = FIELDS) -> str:
    """The translated name of a field (``fields`` maps names to ``N_()`` texts)."""
    return t.gettext(fields[name]) if name in fields else escape(name)


def describe_input(t: Translator, err: InvalidInput) -> str:
    """One invalid value, in words."""
    label = field_label(t, err.field)
    if err.reason == "empty":
        text = t.gettext("{field}: this is required.").format(field=label)
    elif err.reason == "too_long":
        text = t.gettext("{field}: at most {limit} characters.").format(
            field=label, limit=err.limit
        )
    elif err.reason == "control_chars":
        text = t.gettext("{field}: contains invisible control characters.").format(field=label)
    elif err.reason == "bad_kind":
        text = t.gettext("{field}: use internal or external.").format(field=label)
    elif err.reason == "bad_bool":
        text = t.gettext("{field}: use yes or no.").format(field=label)
    elif err.reason == "duplicate":
        text = t.gettext("{field}: appears more than once.").format(field=label)
    elif err.reason == "missing_column":
        text = t.gettext("{field}: the column is missing.").format(field=label)
    elif err.reason == "not_utf8":
        text = t.gettext("{field}: not a UTF-8 text file.").format(field=label)
    elif err.reason == "too_few":
        text = t.gettext("{field}: give at least {limit}.").format(field=label, limit=err.limit)
    elif err.reason == "too_many" and err.field == "choice":
        text = t.ngettext(
            "You can tick at most {limit} option.",
            "You can tick at most {limit} options.",
            err.limit or 0,
        ).format(limit=err.limit)
    elif err.reason == "window":
        text = t.gettext(
            "{field}: must be at least {minutes} minutes and at most {days} days from now."
        ).format(field=label, minutes=MIN_LEAD_MINUTES, days=err.limit)
    elif err.reason == "too_many":
        text = t.gettext("{field}: at most {limit}.").format(field=label, limit=err.limit)
    elif err.reason == "bad_date":
        text = t.gettext(
            "{field}: not a valid date. Write it like 2026.12.05 18:00, or give a number of days."
        ).format(field=label)
    elif err.reason == "past":
        text = t.gettext("{field}: must be in the future.").format(field=label)
    elif err.reason == "too_far":
        text = t.gettext("{field}: at most {limit} days ahead.").format(
            field=label, limit=err.limit
        )
    elif err.reason == "out_of_range":
        text = t.gettext("{field}: must be between 1 and {limit}.").format(
            field=label, limit=err.limit
        )
    elif err.reason == "no_meeting_days":
        text = t.ngettext(
            "{field}: a decision without a meeting gives at least {limit} day to vote.",
            "{field}: a decision without a meeting gives at least {limit} days to vote.",
            err.limit or 0,
        ).format(field=label, limit=err.limit)
    elif err.reason == "notice":
        text = t.ngettext(
            "{field}: the invitation must go out at least {limit} day before the meeting.",
            "{field}: the invitation must go out at least {limit} days before the meeting.",
            err.limit or 0,
        ).format(field=label, limit=err.limit)
    elif err.reason == "vote_minutes":
        text = t.gettext("{field}: from {low} to {limit} minutes.").format(
            field=label, low=MIN_LEAD_MINUTES + 1, limit=err.limit
        )
    elif err.reason == "reconvene_window":
        text = t.gettext(
            "{field}: a reconvened meeting is held 3 to {limit} days after the original start."
        ).format(field=label, limit=err.limit)
    elif err.reason == "unknown_meeting_line":
        text = t.gettext(
            "{field}: a line has no known label. Use Time:, Place:, Online:, Item:, Body:."
        ).format(field=label)
    elif err.reason == "two_authenticators":
        text = t.gettext("{field}: name two different authenticators.").format(field=label)
    elif err.reason == "needs_options":
        text = t.gettext("{field}: only with options.").format(field=label)
    elif err.reason == "unknown_line":
        text = t.gettext(
            "{field}: a line has no known label. Use Question:, Deadline:, Secret:, Options:."
        ).format(field=label)
    elif err.reason == "unknown_option":
        text = t.gettext("{field}: this option is not on the ballot.").format(field=label)
    elif err.reason == "abstain_alone":
        text = t.gettext("{field}: abstention cannot be combined with other options.").format(
            field=label
        )
    else:
        text = t.gettext("{field}: invalid value.").format(field=label)
    if err.row is not None:
        return t.gettext("Row {row}: {problem}").format(row=err.row, problem=text)
    return text


@singledispatch
def _error_text(err: DomainError, t: Translator) -> str:
    return t.gettext("This could not be done.")


def register_error_text(cls: type[E], render: Callable[[Translator, E], str]) -> None:
    """Let a feature say what one of its domain errors means to the user (a subclass without
    a text of its own is described as its nearest registered base)."""
    _error_text.register(cls)(lambda err, t: render(t, err))


def describe_error(t: Translator, err: DomainError) -> str:
    """The user-facing text of a domain error (HTML, user data escaped)."""
    return _error_text(err, t)


def _not_found(t: Translator, err: NotFound) -> str:
    if err.what == "workgroup":
        return t.gettext("No workgroup is called „{name}”.").format(name=escape(err.key))
    if err.what == "member":
        return t.gettext("No member matches „{name}”.").format(name=escape(err.key))
    if err.what == "meeting":
        return t.gettext("There is no meeting #{id}.").format(id=escape(err.key))
    if err.what == "item":
        return t.gettext("The agenda has no item {n}.").format(n=escape(err.key))
    return t.gettext("It no longer exists.")


def _ambiguous(t: Translator, err: Ambiguous) -> str:
    names = ", ".join(escape(n) for n in err.candidates[:10])
    return t.gettext("Several members match „{name}”: {names}. Please be more specific.").format(
        name=escape(err.key), names=names
    )


def _invitation(t: Translator, err: InvitationProblem) -> str:
    if err.reason == "used":
        return t.gettext("This invitation link has already been used. Ask the KSz for a new one.")
    if err.reason == "expired":
        return t.gettext("This invitation link has expired. Ask the KSz for a new one.")
    return t.gettext("This invitation link is not valid. Please check it or ask the KSz.")


def _unknown_columns(t: Translator, err: UnknownColumns) -> str:
    return t.ngettext(
        "Unknown column: {columns}. The columns are: {expected}. Nothing was imported.",
        "Unknown columns: {columns}. The columns are: {expected}. Nothing was imported.",
        len(err.columns),
    ).format(columns=", ".join(escape(c) for c in err.columns), expected=", ".join(err.expected))


def _import_failed(t: Translator, err: ImportFailed) -> str:
    lines = [describe_input(t, e) for e in err.errors]
    return "\n".join([t.gettext("Nothing was imported. Problems:"), *lines])


register_error_text(InvalidInput, describe_input)
register_error_text(NotFound, _not_found)
register_error_text(Ambiguous, _ambiguous)
register_error_text(
    NotAllowed, lambda t, e: refusal_for_rule(t, e.rule) or refusal(t, e.permission)
)
register_error_text(InvitationProblem, _invitation)
register_error_text(
    AccountAlreadyBound,
    lambda t, e: t.gettext(
        "This Telegram account already belongs to another member ({name}). "
        "One account can belong to one member only."
    ).format(name=escape(e.member_name)),
)
register_error_text(
    AlreadyMember,
    lambda t, e: t.gettext("This account already belongs to a member: {name}.").format(
        name=escape(e.member_name)
    ),
)
register_error_text(
    AlreadyPending,
    lambda t, e: t.gettext("Your request is already waiting for the KSz's decision."),
)
register_error_text(
    AlreadyDecided, lambda t, e: t.gettext("This request has already been decided.")
)
register_error_text(UnknownColumns, _unknown_columns)
register_error_text(ImportFailed, _import_failed)


def describe_rule(t: Translator, err: RuleViolation) -> str:
    """An organisational rule that the request would break."""
    subject = escape(err.subject)
    texts = {
        "st_chair_not_founder": t.gettext(
            "The ST chair must be a founding member; {name} is not one."
        ),
        "st_chair_must_be_founder": t.gettext(
            "{name} chairs the ST, so must stay a founder. Choose another chair first."
        ),
        "founder_not_internal": t.gettext(
            "Only an internal associate member can be a founder: the Strategic Council is made "
            "of the internal founders, who have the vote. {name} is an external supporting "
            "member; make them internal first."
        ),
        "founder_stays_internal": t.gettext(
            "{name} is a founder, a member of the Strategic Council, and a founder must be an "
            "internal associate member. Remove the founder status first."
        ),
        "last_st_chair": t.gettext(
            "{name} chairs the Strategic Council. The office is not simply removed: open the "
            "card of the new chair and press „Make ST chair”, which moves the office."
        ),
        "last_ksz": t.gettext(
            "{name} is the only active member of the cluster management (KSz); without a KSz "
            "nobody could manage the cluster. Make someone else KSz first."
        ),
        "catalyst_not_internal": t.gettext(
            "A catalyst must be an internal associate member; {name} is not one."
        ),
        "inactive": t.gettext("{name} is not an active member."),
        "workgroup_exists": t.gettext("A workgroup called „{name}” already exists."),
        "chat_linked_elsewhere": t.gettext(
            "This group is already linked to another workgroup ({name})."
        ),
        "join_name_taken": t.gettext(
            "A member called „{name}” already exists; a request to join cannot take their place. "
            "If it is them, send them their invitation link ({invite}); if not, reject it."
        ),
    }
    return texts.get(err.rule, t.gettext("This would break a rule of the cluster.")).format(
        name=subject, invite=t.command("invite")
    )


register_error_text(RuleViolation, describe_rule)
