"""Feature modules; each exposes ``register(app)``: its commands, buttons and dialogues.
Scheduled and background work lives in ``bot.jobs``.

Order matters: see ``register_all``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from telegram.ext import Application

from bot import dialogues
from bot.handlers import (
    announcements,
    ballots,
    cluster,
    conflicts,
    fallback,
    meetings,
    members,
    privacy,
    proposals,
    routing,
    start,
    transparency,
    workplan,
)

#: Registration order. ``start`` first: /start carries invitation links and must not be
#: shadowed. Features that consume free text must come after the command features, and register
#: their text handlers in the handler groups of ``bot.access.Group``.
#: ``announcements`` before ``ballots``: its conversation must see /megse before the ballots'
#: "nothing to cancel" answer does; ``workplan`` before ``ballots`` for the same reason (its
#: progress-note conversation). ``privacy`` (/adataim, /adatvedelem, the erasure buttons)
#: takes no free text; nor do ``conflicts`` (/erintett), ``meetings`` and ``transparency``
#: (/atlathatosag). ``fallback`` last: its handlers (``Group.FALLBACK``) answer what no other
#: handler took.
FEATURES: tuple[ModuleType, ...] = (
    start,
    members,
    cluster,
    announcements,
    workplan,
    ballots,
    conflicts,
    meetings,
    proposals,
    routing,
    privacy,
    transparency,
    fallback,
)


def register_all(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every feature in the order of ``FEATURES`` (after the dialogue hook)."""
    dialogues.register(app)
    for feature in FEATURES:
        feature.register(app)
