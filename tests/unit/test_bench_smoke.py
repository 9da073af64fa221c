"""The benchmarks work (a seconds-long smoke run); their figures live in bench/RESULTS.md."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.proc import run as run_process

ROOT = Path(__file__).resolve().parents[2]

ROWS = (
    "| overhead (sqlite) | /help",
    "| overhead (sqlite) | vote",
    "| vote burst (sqlite)",
    "| broadcast |",
    "| growth | 100 members",
    "| growth | 200 members",
    "| loop stall | monthly digest to 200 members",
    "| cpu per update (sqlite) | stranger /help",
    "| cpu per update (sqlite) | member /help, repeat",
    "| cpu per update (sqlite) | vote press",
    "| cpu per update (sqlite) | routed message, follow-up",
    "| routing (sqlite) |",
    "| memory (sqlite) | monthly digest sent to 30 members",
    "| memory (sqlite) | idle, 200 members",
)


def test_python_m_bench_smoke_prints_the_table() -> None:
    result = run_process(
        [sys.executable, "-m", "bench", "--smoke", "--no-postgres"], cwd=ROOT, timeout=600
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for row in ROWS:
        assert row in out, out
    assert "every vote once" in out
    assert "Traceback" not in result.stderr


def test_python_m_bench_statement_prints_every_layer() -> None:
    result = run_process(
        [sys.executable, "-m", "bench.statement", "--smoke"], cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.endswith(" µs |")]
    assert len(rows) == 7, result.stdout
    assert all(float(row.split("|")[2].split()[0]) > 0 for row in rows), result.stdout
    assert "Traceback" not in result.stderr
