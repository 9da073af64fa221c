"""Work off the loop runs in a child process per task, which never outlives the bot."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot import offload
from bot.proc import run as run_process

ROOT = Path(__file__).resolve().parents[2]
KILLED = """
import asyncio, os, signal
from bot import offload
async def main():
    me = os.getpid()
    task = asyncio.create_task(offload.run(signal.pause))
    children = ""
    while not children:
        await asyncio.sleep(0.05)
        with open(f"/proc/{me}/task/{me}/children") as listing:
            children = listing.read().strip()
    await asyncio.sleep(0.5)
    print(children, flush=True)
    os.kill(me, signal.SIGKILL)
if __name__ == "__main__":
    asyncio.run(main())
"""


async def test_work_runs_in_another_process_and_ends_with_it() -> None:
    worker = await offload.run(os.getpid)
    assert worker != os.getpid()
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)  # the child ended with its task: nothing stays resident


async def test_the_works_exception_is_raised_here() -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        await offload.run(int, "nem szám")


async def test_a_child_ends_when_the_bot_is_killed_mid_task(tmp_path: Path) -> None:
    script = tmp_path / "killed.py"
    script.write_text(KILLED, encoding="utf-8")
    result = run_process(
        [sys.executable, str(script)], timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )
    assert result.returncode == -9, result.stderr
    worker = int(result.stdout.split()[0])
    for _ in range(100):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"worker {worker} outlived the killed bot")
