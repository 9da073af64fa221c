"""The transparency Mini App in a real headless browser (Debian's chromium and chromium-driver,
through Selenium): a member opens each page with valid initData, as Telegram would open it,
and sees the register, the ballots, the work plan with its chart and the next meeting; a
stranger and a browser without initData see the refusal. Screenshots go to the test's
temporary folder, or to ``TRANSPARENCY_SCREENSHOTS`` when set (``docs/transparency.png`` is
the work plan's, taken this way)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
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
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--window-size=412,915",
    # No network beyond this machine: telegram.org's script fails at once, as the page allows.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)  # fmt: skip


@contextmanager
def browser(profile: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # Not under the suite's libfaketime run: the browser keeps the real clock.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_PRELOAD", "FAKETIME"))}
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER), env=env))
    try:
        yield driver
    finally:
        driver.quit()


def page_url(port: int, data: str | None) -> str:
    fragment = "" if data is None else f"#tgWebAppData={quote(data, safe='')}"
    if data is not None:
        fragment += f"&tgWebAppVersion=9.0&tgWebAppThemeParams={quote(json.dumps(THEME))}"
    return f"http://127.0.0.1:{port}/webapp/{fragment}"


def member_tour(driver: object, url: str, shots: Path) -> dict[str, str]:
    """Open the page and every tab as a member; what each shows (blocking: run in a thread)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    d: object = driver
    seen: dict[str, str] = {}
    waiting = WebDriverWait(d, 20)  # type: ignore[arg-type]

    class wait:
        @staticmethod
        def until(check: Callable[[object], bool]) -> None:
            try:
                waiting.until(check)
            except TimeoutException:
                logs = d.get_log("browser")  # type: ignore[attr-defined]
                raise AssertionError(
                    f"the page shows {seen.get('last')!r}; console: {logs}"
                ) from None

    def view_shows(text: str) -> Callable[[object], bool]:
        def check(drv: object) -> bool:
            shown = drv.find_element(By.ID, "view").text  # type: ignore[attr-defined]
            seen["last"] = shown
            return text in shown

        return check

    d.get(url)  # type: ignore[attr-defined]
    wait.until(view_shows("1/2026. (XI. 27.) Kgy. határozat"))
    seen["header"] = d.find_element(By.TAG_NAME, "header").text  # type: ignore[attr-defined]
    seen["register"] = d.find_element(By.ID, "view").text  # type: ignore[attr-defined]
    d.save_screenshot(str(shots / "register.png"))  # type: ignore[attr-defined]
    d.find_element(By.ID, "search").send_keys("Győr")  # type: ignore[attr-defined]
    wait.until(view_shows("Nincs a keresésnek megfelelő határozat."))
    d.find_element(By.ID, "search").clear()  # type: ignore[attr-defined]
    d.find_element(By.ID, "search").send_keys("költségvetés")  # type: ignore[attr-defined]
    wait.until(view_shows("1 határozat"))
    d.find_element(By.CSS_SELECTOR, ".resolution button.link").click()  # type: ignore[attr-defined]
    wait.until(view_shows("Titkos szavazás"))
    seen["linked ballot"] = d.find_element(By.ID, "view").text  # type: ignore[attr-defined]
    for tab, marker in (("ballots", "Lezárt szavazások"), ("workplan", "Készültség felelősönként"),
                        ("meeting", "Még nincs összehívott ülés.")):  # fmt: skip
        d.find_element(By.ID, f"tab-{tab}").click()  # type: ignore[attr-defined]
        wait.until(view_shows(marker))
        seen[tab] = d.find_element(By.ID, "view").text  # type: ignore[attr-defined]
        d.save_screenshot(str(shots / f"{tab}.png"))  # type: ignore[attr-defined]
        if tab == "workplan":
            bars = d.find_elements(By.CSS_SELECTOR, "#chart .bar > span")  # type: ignore[attr-defined]
            seen["chart widths"] = " ".join(b.get_attribute("style") for b in bars)
    background = d.execute_script(  # type: ignore[attr-defined]
        "return getComputedStyle(document.querySelector('.tabs button[aria-selected=true]'))"
        ".backgroundColor"
    )
    seen["accent"] = str(background)
    return seen


def refusal(driver: object, url: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")  # type: ignore[attr-defined]  # a new fragment alone would not reload
    driver.get(url)  # type: ignore[attr-defined]
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "error"))  # type: ignore[arg-type]
    return str(driver.find_element(By.ID, "error").text)  # type: ignore[attr-defined]


async def test_a_member_sees_every_page(
    db: Database, tg: FakeTelegram, clock: FakeClock, cast: Cast, tmp_path: Path
) -> None:
    world = await build(db, clock, cast)
    shots = Path(os.environ.get("TRANSPARENCY_SCREENSHOTS") or tmp_path)
    await asyncio.to_thread(shots.mkdir, parents=True, exist_ok=True)
    port = free_port()
    async with bot_on(db, tg, clock, http_listen=f"127.0.0.1:{port}"):
        with browser(tmp_path / "profile") as driver:
            member = page_url(port, init_data(cast.internal, clock))
            seen = await asyncio.to_thread(member_tour, driver, member, shots)
            stranger = await asyncio.to_thread(
                refusal, driver, page_url(port, init_data(cast.stranger, clock))
            )
            bare = await asyncio.to_thread(refusal, driver, page_url(port, None))
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
