"""The transparency Mini App (issue 20): static pages and a small JSON API on the bot's web
server (the webhook server, or ``HTTP_LISTEN`` in polling mode; ``bot.ops.routes`` adds
``routes``).

``/webapp/``               the page (``static/``: plain HTML, CSS and JS; no build step)
``/webapp/api/<section>``  JSON; every request carries Telegram's initData in
                           ``Authorization: tma <initData>`` (``bot.webapp.api``)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web

from bot.webapp import api

STATIC = Path(__file__).parent / "static"
PREFIX = "/webapp"


class StaticHandler(tornado.web.StaticFileHandler):
    """The page's files, with a policy that lets them talk to this server only (and load
    Telegram's own script from telegram.org, as Telegram asks Mini Apps to)."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' https://telegram.org; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors https://web.telegram.org",
        )
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-cache")


def routes(app: Any) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
    """The Mini App's routes: the API first, then the static files."""
    shared = {"app": app}
    return [
        *[(PREFIX + path, handler, shared) for path, handler in api.ROUTES],
        (PREFIX, tornado.web.RedirectHandler, {"url": PREFIX + "/"}),
        (PREFIX + "/(.*)", StaticHandler, {"path": str(STATIC), "default_filename": "index.html"}),
    ]
