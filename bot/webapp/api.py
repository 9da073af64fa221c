"""The Mini App's JSON API: initData checked, the viewer loaded, the section allowed, then a
service reads and a view renders. Nothing here queries or decides who may: that is
``services.transparency`` (``SECTIONS``, ``roles.allows``).

401: no or invalid initData (bad signature, too old); 403: valid, but the section is not for
this person (a stranger, a deactivated member). Both answer JSON ``{"error", "message"}`` in
the viewer's language as far as it is known.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any, ClassVar

import tornado.web

from bot.i18n import Translator
from bot.services import transparency
from bot.services.errors import NotFound
from bot.services.initdata import InitDataError, WebAppUser, validate
from bot.services.transparency import Section, Viewer
from bot.views import transparency as views

log = logging.getLogger(__name__)


class Refused(Exception):
    """The request is answered with ``status`` and a JSON refusal."""

    def __init__(self, status: int, t: Translator) -> None:
        super().__init__(status)
        self.status, self.t = status, t


class ApiHandler(tornado.web.RequestHandler):
    """One section of the API; subclasses say which and answer ``respond``."""

    section: ClassVar[Section]

    def initialize(self, app: Any) -> None:
        self.app = app
        self.data = app.bot_data

    def log_exception(self, *args: Any) -> None:
        log.error("Mini App request failed", exc_info=args if args[0] else None)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self._json({"error": "server_error"}, status_code)

    def _json(self, body: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body, ensure_ascii=False))

    def _user(self) -> WebAppUser:
        """The Telegram user of the request's initData; 401 without a valid one."""
        scheme, _, init_data = self.request.headers.get("Authorization", "").partition(" ")
        settings = self.data.settings
        try:
            if scheme.lower() != "tma":
                raise InitDataError("missing")
            max_age = timedelta(seconds=settings.webapp_init_max_age)
            return validate(init_data.strip(), settings.token(), self.data.clock.now(), max_age)
        except InitDataError as exc:
            log.info("Mini App request refused: initData %s", exc.reason)
            raise Refused(401, self.data.translations.get(None)) from None

    async def _viewer(self) -> tuple[Viewer, Translator]:
        user = self._user()
        async with self.data.db.unit() as uow:
            viewer = await transparency.viewer(uow, user.id)
        t = self.data.translations.pick(viewer.language, user.language_code)
        if not viewer.may_see(self.section):
            log.info("Mini App %s refused to %s", self.section, user.id)
            raise Refused(403, t)
        return viewer, t

    async def get(self, *args: str) -> None:
        try:
            viewer, t = await self._viewer()
        except Refused as refused:
            self._json(views.refusal(refused.t, refused.status), refused.status)
            return
        try:
            self._json(await self.respond(viewer, t, *args))
        except NotFound:
            self._json(views.not_found(t), 404)

    async def respond(self, viewer: Viewer, t: Translator, *args: str) -> dict[str, Any]:
        raise NotImplementedError


class MeHandler(ApiHandler):
    """Who is looking, and the page's words in their language."""

    section = Section.STRINGS

    async def respond(self, viewer: Viewer, t: Translator, *args: str) -> dict[str, Any]:
        return views.me(t, viewer)


class RegisterHandler(ApiHandler):
    """The register of resolutions: ``?q=words&body=kgy&year=2026&page=0``."""

    section = Section.REGISTER

    async def respond(self, viewer: Viewer, t: Translator, *args: str) -> dict[str, Any]:
        query = transparency.register_query(
            *(self.get_query_argument(name, "") for name in ("q", "body", "year", "page"))
        )
        async with self.data.db.unit() as uow:
            page = await transparency.register(uow, query)
        return views.register(t, page)


class BallotsHandler(ApiHandler):
    """Open ballots with their turnout, closed ones with their results."""

    section = Section.BALLOTS

    async def respond(self, viewer: Viewer, t: Translator, *args: str) -> dict[str, Any]:
        async with self.data.db.unit() as uow:
            states = await transparency.recent_ballots(uow, viewer.standing.member_id)
        return views.ballots(t, states)


class BallotHandler(ApiHandler):
    """One ballot (the register's link)."""

    section = Section.BALLOTS

    async def respond(self, viewer: Viewer, t: Translator, *args: str) -> dict[str, Any]:
        async with self.data.db.unit() as uow:
            state = await transparency.one_ballot(uow, int(args[0]), viewer.standing.member_id)
        return views.ballot(t, state)


class WorkPlanHandler(ApiHandler):
    """The work plan's tasks and the progress per responsible."""

    section = Section.WORKPLAN

    async def respond(self, viewer: Viewer, t: Translator, *args: str) -> dict[str, Any]:
        now, tz = self.data.clock.now(), self.data.settings.tz
        async with self.data.db.unit() as uow:
            summary = await transparency.plan(uow, now, tz)
        return views.workplan(t, summary, now.astimezone(tz).date())


class MeetingHandler(ApiHandler):
    """The next meeting the viewer is invited to, and its agenda."""

    section = Section.MEETING

    async def respond(self, viewer: Viewer, t: Translator, *args: str) -> dict[str, Any]:
        async with self.data.db.read() as uow:
            found = await transparency.next_meeting(uow, viewer)
        return views.meeting(t, found)


ROUTES: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/me", MeHandler),
    (r"/api/register", RegisterHandler),
    (r"/api/ballots", BallotsHandler),
    (r"/api/ballots/([0-9]{1,9})", BallotHandler),
    (r"/api/workplan", WorkPlanHandler),
    (r"/api/meeting", MeetingHandler),
]
