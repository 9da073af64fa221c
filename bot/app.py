"""The one start-up module: builds the Application from settings; no I/O at import time."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot import handlers, jobs, logs, metrics
from bot.commands import CommandRegistry
from bot.concurrency import PerChatUpdateProcessor
from bot.context import BotContext, BotData, UserData
from bot.courier import Courier
from bot.errors import on_error
from bot.i18n import Translations
from bot.ops import OpsServer, ServingUpdater
from bot.request import RetryingRequest
from bot.scheduler import ClockJobQueue
from bot.services import cluster
from bot.services.clock import Clock, SystemClock
from bot.services.roles import Permission
from bot.settings import Settings, split_address
from bot.views import transparency as transparency_views
from storage.db import Database, IdentityGeneration
from storage.replica import Replica

log = logging.getLogger(__name__)

BotApp = Application[Any, BotContext, UserData, dict[Any, Any], BotData, Any]

MENU_PERMISSIONS = (Permission.PUBLIC, Permission.MEMBER)
#: Seconds a stop waits for background deliveries (ballots, results) before cancelling them.
SHUTDOWN_GRACE = 10.0


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    database: Database | None = None,
    clock: Clock | None = None,
    rate_limiter: bool = True,
) -> BotApp:
    """Wire settings, storage, translations and every feature into one Application."""
    clock = clock or SystemClock()
    token = settings.token()
    logs.protect(token)  # whoever configured logging: the token never reaches a log line
    if settings.webhook_url is not None or settings.http_listen is not None:
        metrics.serve()  # someone will scrape /metrics; otherwise nothing is recorded
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot", 1))
        .context_types(ContextTypes(context=BotContext, bot_data=BotData, user_data=UserData))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=settings.tz,
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(PerChatUpdateProcessor())
        .job_queue(ClockJobQueue(clock))
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    # Every call but long polling retries 5xx answers, timeouts and network errors.
    builder = builder.request(RetryingRequest(request or HTTPXRequest(connection_pool_size=256)))
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    app: BotApp = builder.build()
    if app.updater is not None:  # /healthz, /readyz and /metrics beside the webhook
        app.updater = ServingUpdater(app)

    data = app.bot_data
    data.settings = settings
    data.db = database or Database(settings.database_url)
    data.translations = Translations(settings.bot_default_locale, settings.tz)
    data.commands = CommandRegistry()
    data.clock = clock
    data.courier = Courier(app)
    data.replica = Replica(data.db.url)

    handlers.register_all(app)
    jobs.register(app)
    app.add_error_handler(on_error)
    return app


async def _post_init(app: BotApp) -> None:
    """Open the database, learn our username and set the command menus."""
    data = app.bot_data
    data.db.open()
    # PostgreSQL: this replica's lock (its outbox claims) and its ear for other replicas'
    # changes of roles and memberships (the caller cache forgets them at once).
    await data.replica.start(
        IdentityGeneration.bump, data.db.known_ids.add, data.db.session_members.add
    )
    me = await app.bot.get_me()
    data.bot_username = me.username
    async with data.db.unit() as uow:  # the command line makes invitation links without Telegram
        await cluster.remember_bot_username(uow, me.username)
    await set_menus(app)
    await data.courier.start()
    await jobs.startup(app)
    _start_ops_server(app)
    # What start-up built lives as long as the bot: keep it out of the collector's full
    # passes, which otherwise walk it all and hold the loop for tens of milliseconds.
    gc.collect()
    gc.freeze()
    log.info("bot @%s ready", me.username)


async def set_menus(app: BotApp) -> None:
    """Hungarian menu by default, English for English clients; the Mini App's menu button."""
    data = app.bot_data
    specs = [s for s in data.commands if s.in_menu and s.permission in MENU_PERMISSIONS]
    for language in ("hu", "en"):
        t = data.translations.get(language)
        commands = [
            BotCommand(s.name if language == "hu" else s.english_name, t.gettext(s.description))
            for s in specs
        ]
        if language == data.settings.bot_default_locale:
            await app.bot.set_my_commands(commands)
        else:
            await app.bot.set_my_commands(commands, language_code=language)
    url = data.settings.webapp_url
    if url is not None:  # the button beside the message field opens the transparency page
        t = data.translations.get(data.settings.bot_default_locale)
        await app.bot.set_chat_menu_button(menu_button=transparency_views.menu_button(t, url))


def _start_ops_server(app: BotApp) -> None:
    """Polling mode with HTTP_LISTEN: the operations endpoints on their own address (in webhook
    mode they live on the webhook server)."""
    settings = app.bot_data.settings
    if settings.http_listen is None or settings.webhook_url is not None:
        return
    host, port = split_address(settings.http_listen)
    app.bot_data.ops_server = OpsServer(app, host, port)
    app.bot_data.ops_server.start()


async def _post_stop(app: BotApp) -> None:
    """Let background deliveries and the sends in flight finish while the bot can still send."""
    await app.bot_data.settle(grace=SHUTDOWN_GRACE)
    await app.bot_data.courier.stop(grace=SHUTDOWN_GRACE)


async def _post_shutdown(app: BotApp) -> None:
    """Close what ``_post_init`` opened."""
    server, app.bot_data.ops_server = app.bot_data.ops_server, None
    if server is not None:
        await server.stop()
    await app.bot_data.replica.stop()
    await app.bot_data.db.close()


@asynccontextmanager
async def running(app: BotApp) -> AsyncIterator[BotApp]:
    """Start ``app`` as ``run_polling`` would, minus the polling (tests, demo, benchmarks)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
