"""A real `klaszterbot run` against a loopback fake Bot API, for the kill tests."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.services import identity
from bot.services.identity import CLI_ACTOR, MemberSpec
from fakeapi import FakeTelegram
from storage.db import UnitOfWork
from storage.models import MemberKind


async def until(predicate: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait (asyncio, never time.sleep) until ``predicate()`` holds."""
    async with asyncio.timeout(seconds):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.02)


async def start_bot(
    cwd: Path,
    token: str,
    base_url: str,
    database_url: str,
    log_level: str = "WARNING",
    **extra: str,
) -> asyncio.subprocess.Process:
    """`python -m bot run` with the given token, Bot API and database (and more settings in
    ``extra``: ``WEBHOOK_URL=...``); stderr is piped."""
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL=log_level,
        **extra,
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def free_port() -> int:
    """A loopback port nobody listens on (for a bot process's webhook or HTTP server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_env(port: int, secret: str) -> dict[str, str]:
    """The settings of webhook mode on a loopback port."""
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "WEBHOOK_SECRET": secret,
    }


async def seed_crowd(uow: UnitOfWork, tg: FakeTelegram, crowd: int, now: datetime) -> int:
    """``crowd + 1`` internal members who started the bot, the first one KSz ("Tömeg Tag000");
    returns the first one's member id."""
    first = 0
    for i in range(crowd + 1):
        user = tg.add_user(first_name=f"Tag{i:03d}", last_name="Tömeg")
        user.started = True
        spec = MemberSpec(f"Tömeg Tag{i:03d}", MemberKind.INTERNAL, ksz=i == 0)
        outcome = await identity.upsert_member(uow, spec, CLI_ACTOR, now)
        outcome.member.telegram_id = user.id
        await uow.flush()
        first = first or outcome.member.id
    return first
