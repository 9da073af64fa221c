"""Operations: /healthz, /readyz and /metrics (polling mode on HTTP_LISTEN, webhook mode on the
webhook server), the metrics that move (updates, Bot API calls and errors by method, job lag,
outbox depth), JSON logs without the token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from datetime import timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.app import build_application, running
from bot.ops import readiness
from bot.services.clock import FakeClock
from bot.settings import load_settings
from fakeapi import FakeTelegram
from fakeapi.http import serve
from fakeapi.webhook import pushing
from storage.db import Database
from tests.e2e.harness import TOKEN
from tests.e2e.processes import free_port, start_bot, until, webhook_env


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text body by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_endpoints_in_polling_mode(db: Database, tg: FakeTelegram, clock: FakeClock) -> None:
    port = free_port()
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=db.url,
        telegram_api_base_url="https://api.telegram.example/bot",
        http_listen=f"127.0.0.1:{port}",
    )
    app = build_application(
        settings, request=tg.request(), updates_request=tg.request(), clock=clock
    )
    async with running(app), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        scraped = await client.get("/metrics")
    assert (health.status_code, health.text) == (200, "ok\n")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    assert scraped.headers["content-type"].startswith("text/plain")
    found = samples(scraped.text)
    assert found[("klaszterbot_bot_api_calls_total", (("method", "getMe"),))] >= 1
    assert found[("klaszterbot_bot_api_calls_total", (("method", "setMyCommands"),))] >= 2
    assert found[("klaszterbot_outbox_depth", (("outbox", "messages"),))] == 0
    assert found[("klaszterbot_outbox_depth", (("outbox", "announcements"),))] == 0
    # Stopped: the address is free again.
    async with httpx.AsyncClient() as client:
        try:
            await client.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except httpx.ConnectError:
            pass
        else:
            raise AssertionError("the operations server outlived the bot")


async def test_not_ready_without_migrations_or_database(tmp_path: Path) -> None:
    bare = Database(f"sqlite+aiosqlite:///{tmp_path / 'bare.db'}")
    bare.open()
    try:
        assert (await readiness(bare) or "").startswith("database schema at None, migrations at")
    finally:
        await bare.close()
    away = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    away.open()
    try:
        assert (await readiness(away) or "").startswith("database unreachable")
    finally:
        await away.close()


async def test_job_lag_is_observed(clock: FakeClock) -> None:
    from bot.scheduler import ClockJobQueue

    metrics.serve()  # as a process that serves /metrics

    before = metrics.JOB_LAG._sum.get(), sum(b.get() for b in metrics.JOB_LAG._buckets)
    ran: list[int] = []
    queue = ClockJobQueue(clock)
    queue.scheduler.start()
    try:

        async def job() -> None:
            ran.append(1)

        queue.scheduler.add_job(job, "date", run_date=clock.now() + timedelta(seconds=10))
        clock.advance(seconds=70)  # due 60 seconds ago
        queue.scheduler.process_now()
        await until(lambda: bool(ran), 5)
    finally:
        queue.scheduler.shutdown(wait=False)
    total = sum(b.get() for b in metrics.JOB_LAG._buckets)
    assert total == before[1] + 1
    assert metrics.JOB_LAG._sum.get() - before[0] == 60.0


async def test_bot_api_errors_are_counted_by_method() -> None:
    from telegram.error import TimedOut
    from telegram.request import BaseRequest

    from bot.request import RetryingRequest

    class Answers(BaseRequest):
        def __init__(self, *results: object) -> None:
            self.results = list(results)

        read_timeout = None

        async def initialize(self) -> None: ...

        async def shutdown(self) -> None: ...

        async def do_request(self, *args: object, **kwargs: object) -> tuple[int, bytes]:
            result = self.results.pop(0)
            if isinstance(result, Exception):
                raise result
            return result  # type: ignore[return-value]

    metrics.serve()  # as a process that serves /metrics

    def count(name: str, method: str) -> float:
        return getattr(metrics, name).labels(method)._value.get()  # type: ignore[no-any-return]

    calls, errors = count("API_CALLS", "banChatMember"), count("API_ERRORS", "banChatMember")
    url = "https://api.telegram.org/bot1:x/banChatMember"
    refused = RetryingRequest(Answers((400, b"{}")), delays=())
    assert (await refused.do_request(url, "POST"))[0] == 400
    away = RetryingRequest(Answers(TimedOut()), delays=())
    with contextlib.suppress(TimedOut):
        await away.do_request(url, "POST")
    fine = RetryingRequest(Answers((200, b"{}")), delays=())
    await fine.do_request(url, "POST")
    assert count("API_CALLS", "banChatMember") == calls + 3
    assert count("API_ERRORS", "banChatMember") == errors + 2


WEBHOOK_TOKEN = "434343434:AAE-fake-token-for-the-operations-t0"


async def test_webhook_server_answers_operations_and_logs_json(tmp_path: Path) -> None:
    """The real process in webhook mode: the three endpoints on the webhook port, updates and
    Bot API calls counted, every log line one JSON object, no token in any."""
    tg = FakeTelegram(token=WEBHOOK_TOKEN, bot_username="klaszter_ops_bot")
    tg.webhook_allow_http = True
    anna = tg.add_user(first_name="Anna", last_name="Kovács", language_code="hu")
    port = free_port()
    env = webhook_env(port, "ops-secret")
    async with serve(tg) as base_url, pushing(tg):
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"
        process = await start_bot(
            tmp_path, WEBHOOK_TOKEN, base_url, database_url, "DEBUG", LOG_FORMAT="json", **env
        )
        try:
            await until(lambda: bool(tg.calls_to("setWebhook")))
            tg.message(anna, "/start")
            tg.message(anna, "/nincs_ilyen")
            await until(lambda: len(tg.outbox(anna)) == 2)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                health = await client.get("/healthz")
                ready = await client.get("/readyz")
                scraped = await client.get("/metrics")
                page = await client.get("/webapp/")  # the transparency Mini App (issue 20)
                refused = await client.get("/webapp/api/ballots")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert health.status_code == ready.status_code == 200
    assert page.status_code == 200 and "app.js" in page.text
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
    found = samples(scraped.text)
    assert found[("klaszterbot_updates_total", ())] == 2
    assert found[("klaszterbot_update_seconds_count", ())] == 2
    assert found[("klaszterbot_bot_api_calls_total", (("method", "sendMessage"),))] == 2
    assert found[("klaszterbot_bot_api_calls_total", (("method", "setWebhook"),))] == 1
    log = stderr.decode()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    assert any(x["message"] == "bot @klaszter_ops_bot ready" for x in lines)
    assert WEBHOOK_TOKEN not in log and WEBHOOK_TOKEN.split(":", 1)[1] not in log
    assert "ops-secret" not in log
