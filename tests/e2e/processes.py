"""A real `klaszterbot run` against a loopback fake Bot API, for the kill tests."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path


async def until(predicate: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait (asyncio, never time.sleep) until ``predicate()`` holds."""
    async with asyncio.timeout(seconds):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.02)


async def start_bot(
    cwd: Path, token: str, base_url: str, database_url: str, log_level: str = "WARNING"
) -> asyncio.subprocess.Process:
    """`python -m bot run` with the given token, Bot API and database; stderr is piped."""
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL=log_level,
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
