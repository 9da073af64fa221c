"""Feature modules; each exposes ``register(app)``. Order matters: see ``register_all``."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.handlers import cluster, members, start


def register_all(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every feature in a deliberate order.

    ``start`` first: /start carries invitation links and must not be shadowed. ``members`` next.
    Features that route free text (workgroup chat) must come last, so commands win over text.
    """
    start.register(app)
    members.register(app)
    cluster.register(app)
