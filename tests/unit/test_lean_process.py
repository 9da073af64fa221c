"""What a bot process does not load (issue 16, memory): Prometheus when nothing serves
``/metrics``, Babel's CLDR data (5 MiB) even after formatting a date, and, on SQLite, the
PostgreSQL dialect (2 MiB)."""

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
               + ["postgresql"] * ("sqlalchemy.dialects.postgresql" in sys.modules)
               + sorted(cldr._cache if cldr else ())))
"""


def _loaded(extra: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(extra=extra)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return done.stdout.strip()


def test_polling_bot_on_sqlite_loads_neither_prometheus_nor_cldr_data_nor_postgresql() -> None:
    assert _loaded() == ""


def test_metrics_are_real_where_they_are_served() -> None:
    assert _loaded('http_listen="127.0.0.1:9999",') == "prometheus_client"


def test_partial_indexes_keep_their_condition_on_postgresql() -> None:
    """The PostgreSQL ``WHERE`` of a partial index is given when a PostgreSQL engine is made
    (``storage.models.base.postgresql_options``), not at import."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from storage.db import make_engine
    from storage.models import Base

    make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # connects to nothing
    [index] = [
        i for i in Base.metadata.tables["members"].indexes if i.name == "uq_members_st_chair"
    ]
    ddl = str(CreateIndex(index).compile(dialect=postgresql.dialect()))
    assert ddl.endswith("ON members (is_st_chair) WHERE is_st_chair")
