"""Operations: liveness, readiness and Prometheus metrics over HTTP.

``GET /healthz``  200 while the process serves (liveness: restart it when this fails).
``GET /readyz``   200 when the database answers and its schema is at the migrations' head;
                  503 with the reason otherwise (a load balancer sends it no traffic).
``GET /metrics``  Prometheus text format (``prometheus-client``).

In webhook mode the three live on the webhook server itself (``ServingUpdater`` adds them next
to PTB's webhook path); in polling mode on ``HTTP_LISTEN`` when it is set (``OpsServer``).

The update path stays cheap: an update costs one counter and one histogram observation
(``PerChatUpdateProcessor``), a Bot API call one counter (``RetryingRequest``), a job one
histogram observation (``ClockScheduler``). The outbox depth, which needs a query, is read only
when ``/metrics`` is scraped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import tornado.web
from sqlalchemy import text
from telegram.ext import Updater
from tornado.httpserver import HTTPServer

from bot import metrics, webapp

log = logging.getLogger(__name__)


async def refresh_outbox_depth(db: Any) -> None:
    """Set the outbox gauges from the database (at scrape time, never per update)."""
    async with db.unit() as uow:
        messages = await uow.outbox.depth()
        deliveries = await uow.announcements.depth()
    metrics.OUTBOX_DEPTH.labels("messages").set(messages)
    metrics.OUTBOX_DEPTH.labels("announcements").set(deliveries)


async def readiness(db: Any) -> str | None:
    """None when ready; else why not (the database does not answer, or is not migrated)."""
    from storage.migrate import current_revision, known_head

    try:
        async with asyncio.timeout(5), db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            current = await conn.run_sync(current_revision)
    except Exception as exc:  # any failure means "not ready"; say which kind
        return f"database unreachable: {type(exc).__name__}"
    head = known_head()
    if current != head:
        return f"database schema at {current}, migrations at {head}"
    return None


class _Handler(tornado.web.RequestHandler):
    def initialize(self, app: Any) -> None:
        self.app = app

    def log_exception(self, *args: Any) -> None:  # PTB's server logs nothing per request
        log.error("operations endpoint failed", exc_info=args if args[0] else None)


class HealthHandler(_Handler):
    """Liveness: the process serves."""

    async def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok\n")


class ReadyHandler(_Handler):
    """Readiness: the database answers and is migrated."""

    async def get(self) -> None:
        problem = await readiness(self.app.bot_data.db)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        if problem is not None:
            self.set_status(503)
            self.finish(problem + "\n")
        else:
            self.finish("ready\n")


class MetricsHandler(_Handler):
    """Prometheus metrics."""

    async def get(self) -> None:
        try:
            await refresh_outbox_depth(self.app.bot_data.db)
        except Exception:
            log.warning("metrics: the outbox depth could not be read", exc_info=True)
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest())


def routes(app: Any) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
    """The operations endpoints of ``app``, and the transparency Mini App (issue 20)."""
    shared = {"app": app}
    return [
        (r"/healthz", HealthHandler, shared),
        (r"/readyz", ReadyHandler, shared),
        (r"/metrics", MetricsHandler, shared),
        *webapp.routes(app),
    ]


class OpsServer:
    """The endpoints on their own address (polling mode, ``HTTP_LISTEN``)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server = HTTPServer(tornado.web.Application(routes(app)))

    def start(self) -> None:
        self._server.listen(self.port, address=self.host)
        log.info("operations endpoints on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()


class ServingUpdater(Updater):
    """PTB's ``Updater`` whose webhook server also answers /healthz, /readyz and /metrics."""

    __slots__ = ("application",)

    def __init__(self, application: Any) -> None:
        super().__init__(bot=application.bot, update_queue=application.update_queue)
        self.application = application

    async def start_webhook(self, *args: Any, **kwargs: Any) -> asyncio.Queue[object]:
        queue = await super().start_webhook(*args, **kwargs)
        server = self._httpd
        assert server is not None, "start_webhook returned without a server"
        # PTB's tornado Application: the webhook path is its only route until now.
        server._http_server.request_callback.add_handlers(r".*", routes(self.application))
        return queue
