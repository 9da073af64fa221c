"""The broadcast benchmark runs (smoke mode, in-process). It never asserts on timing."""

from __future__ import annotations

import pytest

from bench import broadcast


def test_smoke_mode_prints_its_figures_and_delivers_to_everyone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert broadcast.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "recipients:           40" in out
    assert "count by state:       sent=40\n" in out
    for line in ("seconds:", "floor seconds (N/30):", "ratio to floor:", "429 answers:"):
        assert line in out
    assert "peak memory,     20 recipients:" in out and "peak memory,     60 recipients:" in out
