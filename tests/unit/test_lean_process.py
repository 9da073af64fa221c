"""What a bot process does not load (issue 16, memory): Prometheus when nothing serves
``/metrics``, and Babel's CLDR data (5 MiB) even after formatting a date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys, zoneinfo
from datetime import datetime, UTC
from bot.app import build_application
from bot.settings import load_settings
settings = load_settings(
    _env_file=None, telegram_bot_token="123456:AAEexampleexampleexampleexample12345",
    database_url="sqlite+aiosqlite:///:memory:", {extra}
)
app = build_application(settings)
t = app.bot_data.translations.get("hu")
t.datetime(datetime(2026, 11, 27, 13, 30, tzinfo=UTC)), t.weekday(0)
cldr = sys.modules.get("babel.localedata")  # compiling a .po loads the module, not the data
print(" ".join(["prometheus_client"] * ("prometheus_client" in sys.modules)
               + sorted(cldr._cache if cldr else ())))
"""


def _loaded(extra: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(extra=extra)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return done.stdout.strip()


def test_polling_bot_without_http_listen_loads_neither_prometheus_nor_cldr_data() -> None:
    assert _loaded() == ""


def test_metrics_are_real_where_they_are_served() -> None:
    assert _loaded('http_listen="127.0.0.1:9999",') == "prometheus_client"
