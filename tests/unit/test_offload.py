"""The worker process for charts does the work off the loop and never outlives the bot."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot import offload
from bot.proc import run as run_process

ROOT = Path(__file__).resolve().parents[2]
KILLED = """
import asyncio, os, signal
from bot import offload
async def main():
    print(await offload.run(os.getpid), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
if __name__ == "__main__":
    asyncio.run(main())
"""


async def test_work_runs_in_another_process() -> None:
    assert await offload.run(os.getpid) != os.getpid()


async def test_the_worker_ends_when_the_bot_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "killed.py"
    script.write_text(KILLED, encoding="utf-8")
    result = run_process(
        [sys.executable, str(script)], timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )
    assert result.returncode == -9, result.stderr
    worker = int(result.stdout.strip())
    for _ in range(100):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"worker {worker} outlived the killed bot")
