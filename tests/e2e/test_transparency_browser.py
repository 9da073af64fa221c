"""The transparency Mini App in a real headless browser (Debian's chromium and chromium-driver,
through Selenium): a member opens each page with valid initData, as Telegram would open it,
and sees the register, the ballots, the work plan with its chart and the next meeting; a
stranger and a browser without initData see the refusal. Screenshots go to the test's
temporary folder, or to ``TRANSPARENCY_SCREENSHOTS`` when set (``docs/transparency.png`` is
the work plan's, taken this way). The browser is driven from its own process,
``tests/e2e/browser_tour.py``."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot.services.clock import FakeClock
from fakeapi import FakeTelegram
from storage.db import Database
from tests.e2e.conftest import bot_on
from tests.e2e.people import Cast
from tests.e2e.processes import free_port
from tests.e2e.transparency_world import build, init_data

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
    "chromium-driver; .ci/run installs them)",
)

#: Telegram's light theme, passed in the fragment as Telegram passes it.
THEME = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#707579",
         "link_color": "#3390ec", "button_color": "#3390ec", "button_text_color": "#ffffff",
         "secondary_bg_color": "#f4f4f5"}  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]


def page_url(port: int, data: str | None) -> str:
    fragment = "" if data is None else f"#tgWebAppData={quote(data, safe='')}"
    if data is not None:
        fragment += f"&tgWebAppVersion=9.0&tgWebAppThemeParams={quote(json.dumps(THEME))}"
    return f"http://127.0.0.1:{port}/webapp/{fragment}"


async def tour(profile: Path, shots: Path, urls: list[str]) -> dict[str, Any]:
    """Run ``tests.e2e.browser_tour`` without libfaketime (the suite's run with the clock
    moved), while this event loop serves the page; what it saw."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_PRELOAD", "FAKETIME"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.e2e.browser_tour", str(profile), str(shots), *urls,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode == 0, err.decode()[-3000:]
    return dict(json.loads(out))


async def test_a_member_sees_every_page(
    db: Database, tg: FakeTelegram, clock: FakeClock, cast: Cast, tmp_path: Path
) -> None:
    world = await build(db, clock, cast)
    shots = Path(os.environ.get("TRANSPARENCY_SCREENSHOTS") or tmp_path)
    await asyncio.to_thread(shots.mkdir, parents=True, exist_ok=True)
    port = free_port()
    urls = [
        page_url(port, init_data(cast.internal, clock)),
        page_url(port, init_data(cast.stranger, clock)),
        page_url(port, None),
    ]
    async with bot_on(db, tg, clock, http_listen=f"127.0.0.1:{port}"):
        found = await tour(tmp_path / "profile", shots, urls)
    seen, stranger, bare = found["member"], found["stranger"], found["bare"]
    assert "Belső Béla" in seen["header"] and "belső tag (szavazati joggal)" in seen["header"]
    assert "Elfogadja a Közgyűlés a 2027. évi költségvetést?" in seen["register"]
    assert "Igen: 3, Nem: 1, Tartózkodás: 0" in seen["register"]
    assert f"#{world.secret_adopted.id}" in seen["linked ballot"]
    assert "ELFOGADVA" in seen["linked ballot"]
    ballots = seen["ballots"]
    assert "Csatlakozzon a klaszter a regionális innovációs hálózathoz?" in ballots
    assert "Részvétel: 1/4 (25%)" in ballots and "Már szavazott." in ballots
    assert ballots.index("Folyamatban lévő szavazások") < ballots.index("Csatlakozzon")
    assert "ELUTASÍTVA" in ballots and "Költözzön a klaszter irodája Győrbe?" in ballots
    plan = seen["workplan"]
    assert "A KSz 2027. évi munkaterve (2027)" in plan
    assert "Innováció" in plan and "60%" in plan and "késésben" in plan
    assert "Piackutatás" in plan and "Határidő: 2026. december 8." in plan
    assert "width: 5%" in seen["chart widths"] and "width: 60%" in seen["chart widths"]
    assert seen["accent"] == "rgb(51, 144, 236)"  # Telegram's button colour from the theme
    assert "Még nincs összehívott ülés." in seen["meeting"]
    assert stranger == "Ez az oldal a klaszter tagjainak szól."
    assert bare.startswith("Ez az oldal csak a Telegramban")
    assert (shots / "workplan.png").stat().st_size > 10_000
