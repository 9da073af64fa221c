"""Profile, directory, workgroup list, audit log and the KSz member card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import N_, Phrase, Translator
from bot.services.collation import hu_sort_key
from bot.services.identity import ChangePreview, Outcome, is_erased
from bot.services.text import clip
from bot.views.common import FIELDS, actor_label, field_label, nothing, page_row
from storage.models import AuditEntry, JoinRequest, Member, MemberKind, Workgroup

PAGE_SIZE = 20


LOG_PAGE_SIZE = 10


def kind_label(t: Translator, kind: MemberKind) -> str:
    """Membership kind in the cluster's own words."""
    if kind is MemberKind.INTERNAL:
        return t.gettext("internal associate member")
    return t.gettext("external supporting member")


def right_label(t: Translator, kind: MemberKind) -> str:
    """The right that follows from the kind."""
    if kind is MemberKind.INTERNAL:
        return t.gettext("a voting right")
    return t.gettext("advisory right (no vote)")


def offices(t: Translator, member: Member, catalyst_of: Sequence[str]) -> list[str]:
    """The member's offices, one phrase each."""
    result = []
    if member.is_st_chair:
        result.append(t.gettext("chair of the Strategic Council"))
    if member.is_founder:
        result.append(t.gettext("founding member, member of the Strategic Council"))
    if member.is_ksz:
        result.append(t.gettext("cluster management (KSz)"))
    for name in sorted(catalyst_of, key=hu_sort_key):
        result.append(t.gettext("catalyst: {workgroup}").format(workgroup=escape(name)))
    return result


def _offices_and_workgroups(t: Translator, member: Member, catalyst_of: Sequence[str]) -> list[str]:
    held = offices(t, member, catalyst_of)
    names = sorted((m.workgroup.name for m in member.memberships), key=hu_sort_key)
    return [
        t.gettext("Offices: {offices}").format(offices=", ".join(held) if held else nothing(t)),
        t.gettext("Workgroups: {workgroups}").format(
            workgroups=", ".join(escape(n) for n in names) if names else nothing(t)
        ),
    ]


def profile(t: Translator, member: Member, catalyst_of: Sequence[str]) -> str:
    """/profil: who I am and what I may do."""
    lines = [
        t.gettext("<b>Your profile</b>"),
        t.gettext("Name: {name}").format(name=escape(member.name)),
        t.gettext("Organisation: {organisation}").format(
            organisation=escape(member.organisation or nothing(t))
        ),
        t.gettext("Membership: {kind}").format(kind=kind_label(t, member.kind)),
        t.gettext("Rights: {right}").format(right=right_label(t, member.kind)),
        t.gettext("Member since: {date}").format(date=t.date(member.joined_on)),
    ]
    if not member.is_active:
        lines.append(t.gettext("Status: inactive"))
    lines += _offices_and_workgroups(t, member, catalyst_of)
    return "\n".join(lines)


def _member_line(t: Translator, member: Member) -> str:
    marks = []
    if member.is_st_chair:
        marks.append(t.pgettext("directory mark", "ST chair"))
    elif member.is_founder:
        marks.append(t.pgettext("directory mark", "founder"))
    if member.is_ksz:
        marks.append(t.pgettext("directory mark", "KSz"))
    kind = (
        t.pgettext("directory mark", "internal")
        if member.kind is MemberKind.INTERNAL
        else t.pgettext("directory mark", "external")
    )
    org = f" – {escape(clip(member.organisation, 60))}" if member.organisation else ""
    return f"• {escape(clip(member.name, 80))}{org} <i>({', '.join([kind, *marks])})</i>"


def directory(
    t: Translator, members: Sequence[Member], page: int, total: int, *, can_export: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/tagok: one page of the member directory."""
    pages = max(1, -(-total // PAGE_SIZE))
    lines = [
        t.ngettext(
            "<b>Members of the cluster</b> ({n} member)",
            "<b>Members of the cluster</b> ({n} members)",
            total,
        ).format(n=total)
    ]
    lines += [_member_line(t, m) for m in members]
    if pages > 1:
        lines.append(t.gettext("Page {page} of {pages}").format(page=page + 1, pages=pages))
    buttons = page_row(Feature.DIRECTORY, page, pages)
    rows = [buttons] if buttons else []
    if can_export:
        rows.append(
            [
                InlineKeyboardButton(
                    t.gettext("Export as CSV"), callback_data=encode(Feature.DIRECTORY, "csv")
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


def workgroups(t: Translator, groups: Sequence[Workgroup]) -> str:
    """/munkacsoportok: each workgroup with its katalizátor and members."""
    if not groups:
        return t.gettext("There are no workgroups yet.")
    lines = [t.gettext("<b>Workgroups</b>")]
    for group in sorted(groups, key=lambda g: hu_sort_key(g.name)):
        names = {link.member_id: link.member.name for link in group.memberships}
        catalyst = names.get(group.catalyst_id) if group.catalyst_id else None
        lines.append("")
        lines.append(f"<b>{escape(group.name)}</b>")
        if group.description:
            lines.append(f"<i>{escape(group.description)}</i>")
        lines.append(
            t.gettext("Catalyst: {name}").format(
                name=escape(catalyst) if catalyst else t.gettext("none yet")
            )
        )
        others = sorted(
            (n for mid, n in names.items() if mid != group.catalyst_id), key=hu_sort_key
        )
        lines.append(  # the count is of the names listed: the katalizátor has a line of its own
            t.ngettext("Member ({n}): {names}", "Members ({n}): {names}", len(others)).format(
                n=len(others), names=", ".join(escape(n) for n in others) or nothing(t)
            )
        )
    return "\n".join(lines)


#: The fields of the member card, as its change log names them.
CARD_FIELDS = {**FIELDS, "ksz": N_("KSz staff"), "active": N_("active")}


def _field_name(t: Translator, name: str) -> str:
    return field_label(t, name, CARD_FIELDS)


def _value(t: Translator, value: object) -> str:
    if value is True:
        return t.gettext("yes")
    if value is False:
        return t.gettext("no")
    if value in {MemberKind.INTERNAL.value, MemberKind.EXTERNAL.value}:
        return kind_label(t, MemberKind(str(value)))
    return escape(clip(str(value), 60)) if value not in (None, "") else nothing(t)


def audit_line(t: Translator, entry: AuditEntry) -> str:
    """One entry of /naplo in words."""
    d = entry.details or {}
    subject = escape(clip(entry.subject_label, 80))
    group = escape(clip(str(d.get("workgroup", "")), 60))
    texts = {
        "member_created": lambda: t.gettext("new member: {subject}"),
        "invitation_issued": lambda: t.gettext("invitation issued for {subject}"),
        "account_bound": lambda: t.gettext("Telegram account connected: {subject}"),
        "join_approved": lambda: t.gettext("request to join approved: {subject}"),
        "join_rejected": lambda: t.gettext("request to join rejected: {applicant}"),
        "workgroup_created": lambda: t.gettext("new workgroup: {workgroup}"),
        "workgroup_joined": lambda: t.gettext("{subject} joined the workgroup {workgroup}"),
        "workgroup_left": lambda: t.gettext("{subject} left the workgroup {workgroup}"),
        "catalyst_set": lambda: t.gettext("catalyst of the workgroup {workgroup}: {subject}"),
        "catalyst_cleared": lambda: t.gettext(
            "{subject} is no longer catalyst of the workgroup {workgroup}"
        ),
        "group_linked": lambda: t.gettext("Telegram group linked to the workgroup {workgroup}"),
        "main_group_linked": lambda: t.gettext("main group of the cluster linked"),
        "member_changed": lambda: t.gettext("{subject}: {field} {old} → {new}"),
        "struck_from_roll": lambda: t.gettext(
            "ballot #{ballot}: {subject} struck from the roll (no longer has the vote)"
        ),
        "member_erased": lambda: t.gettext("data erased, the records name them: {subject}"),
    }
    template = texts.get(entry.action, lambda: entry.action)()
    text = template.format(
        subject=subject,
        workgroup=group,
        applicant=escape(clip(str(d.get("applicant", "")), 80)),
        ballot=escape(str(d.get("ballot", ""))),
        field=_field_name(t, str(d.get("field", ""))),
        old=_value(t, d.get("old")),
        new=_value(t, d.get("new")),
    )
    return f"{t.datetime(entry.at)} – {text} <i>({actor_name(t, entry)})</i>"


def actor_name(t: Translator, entry: AuditEntry) -> str:
    """Who made a change, in words a member understands (not "CLI")."""
    return escape(clip(actor_label(t, entry.actor_label), 80))


def audit_log(
    t: Translator, entries: Sequence[AuditEntry], page: int, total: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/naplo: one page of the audit log, newest first."""
    if not entries:
        return t.gettext("The log is empty."), None
    pages = max(1, -(-total // LOG_PAGE_SIZE))
    lines = [t.gettext("<b>Log of membership and role changes</b>")]
    lines += [audit_line(t, e) for e in entries]
    if pages > 1:
        lines.append(t.gettext("Page {page} of {pages}").format(page=page + 1, pages=pages))
    buttons = page_row(Feature.AUDIT, page, pages)
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


def invitation(t: Translator, name: str, link: str, hours: int) -> str:
    """The link a KSz member forwards to the invitee."""
    return t.ngettext(
        "Invitation for {name} (valid for {n} hour, single use):\n{link}\n\n"
        "Please forward it to them; opening it connects their Telegram account.",
        "Invitation for {name} (valid for {n} hours, single use):\n{link}\n\n"
        "Please forward it to them; opening it connects their Telegram account.",
        hours,
    ).format(name=escape(name), link=escape(link), n=hours)


def join_request_for_ksz(
    t: Translator,
    request: JoinRequest,
    collision: Member | None = None,
    collision_catalyst_of: Sequence[str] = (),
) -> tuple[str, InlineKeyboardMarkup]:
    """A stranger's request, with the decision buttons; warns when the name is already taken."""
    lines = [
        t.gettext("<b>Request to join</b>"),
        t.gettext("Name on Telegram: {name}").format(name=escape(request.full_name)),
    ]
    if request.username:
        lines.append(t.gettext("Username: @{username}").format(username=escape(request.username)))
    lines.append(
        t.gettext("Introduction: {note}").format(
            note=escape(request.note) if request.note else nothing(t)
        )
    )
    if collision is not None:
        held = offices(t, collision, collision_catalyst_of)
        lines += [
            "",
            t.gettext(
                "⚠️ <b>Warning:</b> a member with this name already exists: {name} ({kind}; "
                "account connected: {connected})."
            ).format(
                name=escape(collision.name),
                kind=kind_label(t, collision.kind),
                connected=t.gettext("yes") if collision.telegram_id else t.gettext("no"),
            ),
            t.gettext("Offices: {offices}").format(offices=", ".join(held) if held else nothing(t)),
            t.gettext(
                "This request cannot be approved: a request never takes over an existing "
                "member. If the applicant is that member, send them their own invitation link "
                "({invite}); otherwise reject the request."
            ).format(invite=t.command("invite")),
        ]
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Approve: internal"),
                    callback_data=encode(Feature.JOIN, "ok", request.id, "i"),
                ),
                InlineKeyboardButton(
                    t.gettext("Approve: external"),
                    callback_data=encode(Feature.JOIN, "ok", request.id, "e"),
                ),
            ],
            [
                InlineKeyboardButton(
                    t.gettext("Reject"), callback_data=encode(Feature.JOIN, "no", request.id)
                )
            ],
        ]
    )
    return "\n".join(lines), keyboard


def member_card(
    t: Translator, member: Member, catalyst_of: Sequence[str]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The KSz's view of one member, with buttons to change kind, flags and offices (none for
    an erased member's record)."""
    lines = [
        f"<b>{escape(member.name)}</b>",
        t.gettext("Organisation: {organisation}").format(
            organisation=escape(member.organisation or nothing(t))
        ),
        t.gettext("Membership: {kind}").format(kind=kind_label(t, member.kind)),
        t.gettext("Status: {status}").format(
            status=t.gettext("active") if member.is_active else t.gettext("inactive")
        ),
        t.gettext("Telegram account: {state}").format(
            state=t.gettext("connected") if member.telegram_id else t.gettext("not connected")
        ),
    ]
    lines += _offices_and_workgroups(t, member, catalyst_of)

    def button(label: str, action: str, *args: object) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=encode(Feature.MEMBER, action, member.id, *args)
        )

    to_kind = "e" if member.kind is MemberKind.INTERNAL else "i"
    # Each button names what a press does ("Legyen alapító tag"): a state ("Alapító: igen") on a
    # member who is not one read as the current state.
    rows = [
        [
            button(
                t.gettext("Make external") if to_kind == "e" else t.gettext("Make internal"),
                "kind",
                to_kind,
            ),
            button(
                t.gettext("Remove founder status")
                if member.is_founder
                else t.gettext("Make founder"),
                "founder",
                int(not member.is_founder),
            ),
        ],
        [
            button(
                t.gettext("Remove from the KSz") if member.is_ksz else t.gettext("Add to the KSz"),
                "ksz",
                int(not member.is_ksz),
            ),
            button(
                t.gettext("Remove as ST chair")
                if member.is_st_chair
                else t.gettext("Make ST chair"),
                "chair",
                int(not member.is_st_chair),
            ),
        ],
        [
            button(t.gettext("Workgroups…"), "groups"),
            button(t.gettext("New invitation"), "invite"),
        ],
        [
            button(
                t.gettext("Deactivate") if member.is_active else t.gettext("Reactivate"),
                "active",
                int(not member.is_active),
            )
        ],
    ]
    if is_erased(member):  # a pseudonymous record: nothing on it changes any more
        lines.append(t.gettext("The member's data have been erased; only this record is left."))
        return "\n".join(lines), None
    rows.append(
        [
            InlineKeyboardButton(
                t.gettext("Erase data…"), callback_data=encode(Feature.ERASE, "ask", member.id)
            )
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def member_groups(
    t: Translator, member: Member, groups: Sequence[Workgroup]
) -> tuple[str, InlineKeyboardMarkup]:
    """Toggle a member's workgroups and catalyst offices."""
    mine = {link.workgroup_id for link in member.memberships}
    rows = []
    for group in sorted(groups, key=lambda g: hu_sort_key(g.name)):
        inside = group.id in mine
        is_catalyst = group.catalyst_id == member.id
        rows.append(
            [
                InlineKeyboardButton(
                    ("✓ " if inside else "") + clip(group.name, 40),
                    callback_data=encode(
                        Feature.MEMBER_GROUPS, "leave" if inside else "join", member.id, group.id
                    ),
                ),
                InlineKeyboardButton(
                    t.gettext("★ catalyst") if is_catalyst else t.gettext("☆ catalyst"),
                    callback_data=encode(
                        Feature.MEMBER_GROUPS,
                        "uncat" if is_catalyst else "cat",
                        member.id,
                        group.id,
                    ),
                ),
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                t.gettext("« Back"), callback_data=encode(Feature.MEMBER_GROUPS, "back", member.id)
            )
        ]
    )
    text = t.gettext("Workgroups of {name} (✓ = member, ★ = catalyst):").format(
        name=escape(member.name)
    )
    if not groups:
        text = t.gettext("There are no workgroups yet. Create one with /newworkgroup.")
    return text, InlineKeyboardMarkup(rows)


def change_question(t: Translator, preview: ChangePreview) -> str:
    """The confirmation question of a change on the member card, with its consequences."""
    name = escape(preview.member.name)
    value = preview.value
    if preview.what == "kind":
        assert isinstance(value, MemberKind)
        change = t.gettext("{name}: membership kind becomes {kind}.").format(
            name=name, kind=kind_label(t, value)
        )
    else:
        change = t.gettext("{name}: {field} {old} → {new}.").format(
            name=name,
            field=_field_name(t, preview.what),
            old=_value(t, not value),
            new=_value(t, value),
        )
    lines = [t.gettext("<b>Please confirm the change</b>"), change]
    if preview.previous_st_chair:
        lines.append(
            t.gettext("The office moves from the current chair: {name}.").format(
                name=escape(preview.previous_st_chair)
            )
        )
    if preview.drops_st_chair:
        lines.append(
            t.gettext(
                "⚠️ {name} chairs the Strategic Council: deactivation ends the office, and "
                "reactivation does not restore it. The ST has no chair until you appoint one."
            ).format(name=name)
        )
    for group in preview.clears_catalyst_of:
        lines.append(
            t.gettext("No longer catalyst of: {workgroup}").format(workgroup=escape(group))
        )
    if preview.offices_not_restored:
        lines.append(
            t.gettext(
                "Offices ended at deactivation (ST chair, catalyst) are not restored; "
                "assign them again if needed."
            )
        )
    return "\n".join(lines)


def change_keyboard(t: Translator, preview: ChangePreview, action: str) -> InlineKeyboardMarkup:
    """Confirm or cancel a change of the member card."""
    value = preview.value
    arg = (
        ("e" if value is MemberKind.EXTERNAL else "i")
        if isinstance(value, MemberKind)
        else int(value)
    )
    member_id = preview.member.id
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Yes, change it"),
                    callback_data=encode(Feature.MEMBER, "do", member_id, action, arg),
                ),
                InlineKeyboardButton(
                    t.gettext("Cancel"), callback_data=encode(Feature.MEMBER, "card", member_id)
                ),
            ]
        ]
    )


def member_not_found(t: Translator, name: str) -> str:
    """No member of that name, and how a new member joins the directory."""
    return "\n".join(
        [
            t.gettext("No member matches „{name}”.").format(name=escape(name)),
            t.gettext(
                "A new member is added by approving their request to join (they send /join to "
                "the bot), or at the command line: "
                '<code>klaszterbot members add "{name}" --kind internal</code> '
                "(or <code>--kind external</code>). /members lists the members."
            ).format(name=escape(name)),
        ]
    )


#: /profil in a group: where the answer went.
profile_sent_privately = Phrase(
    N_("Your profile is personal: I have sent it to you in a private message.")
)


#: /profil in a group from someone who never started the bot.
profile_needs_private_chat = Phrase(
    N_(
        "Your profile is personal, so I send it only in a private chat. Please open the chat "
        "with the bot, press Start, and send /profile there."
    )
)


def change_notes(t: Translator, outcome: Outcome) -> list[str]:
    """What else a saved change of the member card did: the office of ST chair moved or ended,
    catalyst roles cleared."""
    notes = []
    if outcome.previous_st_chair:
        notes.append(
            t.gettext("Previous ST chair: {name}").format(name=escape(outcome.previous_st_chair))
        )
    if outcome.dropped_st_chair:
        notes.append(
            t.gettext(
                "⚠️ The office of ST chair ended with the deactivation; reactivation does not "
                "restore it. The ST has no chair until you appoint one („Make ST chair” on a "
                "founder's card)."
            )
        )
    for name in outcome.cleared_catalyst_of:
        notes.append(t.gettext("No longer catalyst of: {workgroup}").format(workgroup=escape(name)))
    return notes


#: /join from someone who is a member already.
already_member = Phrase(N_("You are already a member: {name}."))


#: /join without an introduction.
join_usage = Phrase(
    N_(
        "Please add a short introduction after the command: your name and organisation.\n"
        "For example: <code>/join Kovács Anna, Példa Kft.</code>"
    )
)


#: The request went to the KSz.
join_requested = Phrase(
    N_(
        "Thank you! Your request has been sent to the cluster management (KSz). "
        "You will get a message here when they decide."
    )
)


def directory_caption(t: Translator, day: date) -> str:
    return t.gettext("Member directory ({date})").format(date=t.date(day))


def join_decided(t: Translator, ksz: str, request: JoinRequest, member: Member | None) -> str:
    """The KSz's copy of a decided join request (``member`` when approved)."""
    if member is not None:
        return t.gettext("Approved by {ksz}: {name} is now a member ({kind}).").format(
            ksz=escape(ksz), name=escape(member.name), kind=kind_label(t, member.kind)
        )
    return t.gettext("Rejected by {ksz}: {name}.").format(
        ksz=escape(ksz), name=escape(request.full_name)
    )


def join_decision_notice(t: Translator, member: Member | None) -> str:
    """To the applicant, in their language."""
    if member is not None:
        return t.gettext(
            "Your request to join has been approved. Welcome, {name}! "
            "/profile shows your membership and rights."
        ).format(name=escape(member.name))
    return t.gettext("We are sorry: the cluster management did not approve your request to join.")


saved = Phrase(N_("Saved."))


workgroup_created = Phrase(
    N_("Workgroup created: {name}. Add members from their card: /member Name.")
)


#: /csoport_osszekotes where the bot may not manage who joins.
needs_admin_rights = Phrase(
    N_(
        "I need to be an administrator of this group with the rights "
        "„Invite users via link” and „Ban users” to manage who may join."
    )
)


group_linked = Phrase(
    N_(
        "This group is now linked to the workgroup {name}. Join requests from its members "
        "are approved automatically, others are declined."
    )
)


#: To someone who asked to join a workgroup's group without being in the workgroup.
group_join_declined = Phrase(
    N_(
        "Your request to join the group of the workgroup {name} was declined: "
        "the group is open to the workgroup's members only. The KSz can add you to the workgroup."
    )
)
