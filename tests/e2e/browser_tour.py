"""The browser side of the transparency page's test, as its own process: Selenium waits with
``time.sleep``, which fails under the suite's libfaketime run, so the test starts this module
without libfaketime while its own event loop serves the page.

    python -m tests.e2e.browser_tour PROFILE SHOTS MEMBER_URL STRANGER_URL BARE_URL

prints one JSON object: what the member saw on each page, and the two refusals.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--window-size=412,915",
    # No network beyond this machine: telegram.org's script fails at once, as the page allows.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)  # fmt: skip


@contextmanager
def browser(profile: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def member_tour(driver: WebDriver, url: str, shots: Path) -> dict[str, str]:
    """Open the page and every tab as a member; what each shows."""
    d = driver
    seen: dict[str, str] = {}
    waiting = WebDriverWait(d, 20)

    class wait:
        @staticmethod
        def until(check: Callable[[WebDriver], bool]) -> None:
            try:
                waiting.until(check)
            except TimeoutException:
                logs = d.get_log("browser")  # type: ignore[attr-defined]  # Chrome only
                raise AssertionError(
                    f"the page shows {seen.get('last')!r}; console: {logs}"
                ) from None

    def view_shows(text: str) -> Callable[[WebDriver], bool]:
        def check(drv: WebDriver) -> bool:
            shown = drv.find_element(By.ID, "view").text
            seen["last"] = shown
            return text in shown

        return check

    d.get(url)
    wait.until(view_shows("1/2026. (XI. 27.) Kgy. határozat"))
    seen["header"] = d.find_element(By.TAG_NAME, "header").text
    seen["register"] = d.find_element(By.ID, "view").text
    d.save_screenshot(str(shots / "register.png"))
    d.find_element(By.ID, "search").send_keys("Győr")
    wait.until(view_shows("Nincs a keresésnek megfelelő határozat."))
    d.find_element(By.ID, "search").clear()
    d.find_element(By.ID, "search").send_keys("költségvetés")
    wait.until(view_shows("1 határozat"))
    d.find_element(By.CSS_SELECTOR, ".resolution button.link").click()
    wait.until(view_shows("Titkos szavazás"))
    seen["linked ballot"] = d.find_element(By.ID, "view").text
    for tab, marker in (("ballots", "Lezárt szavazások"), ("workplan", "Készültség felelősönként"),
                        ("meeting", "Még nincs összehívott ülés.")):  # fmt: skip
        d.find_element(By.ID, f"tab-{tab}").click()
        wait.until(view_shows(marker))
        seen[tab] = d.find_element(By.ID, "view").text
        d.save_screenshot(str(shots / f"{tab}.png"))
        if tab == "workplan":
            bars = d.find_elements(By.CSS_SELECTOR, "#chart .bar > span")
            seen["chart widths"] = " ".join(b.get_attribute("style") or "" for b in bars)
    background = d.execute_script(
        "return getComputedStyle(document.querySelector('.tabs button[aria-selected=true]'))"
        ".backgroundColor"
    )
    seen["accent"] = str(background)
    return seen


def refusal(driver: WebDriver, url: str) -> str:
    driver.get("about:blank")  # a new fragment alone would not reload
    driver.get(url)
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "error"))
    return str(driver.find_element(By.ID, "error").text)


def main(argv: list[str]) -> int:
    profile, shots, member, stranger, bare = argv
    with browser(Path(profile)) as driver:
        seen = {
            "member": member_tour(driver, member, Path(shots)),
            "stranger": refusal(driver, stranger),
            "bare": refusal(driver, bare),
        }
    print(json.dumps(seen, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
