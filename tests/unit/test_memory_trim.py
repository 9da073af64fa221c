"""Freed memory is handed back when the resident set grew (bot.jobs.memory)."""

from __future__ import annotations

from bot.jobs import memory


def test_trims_only_after_growth_and_measures_again() -> None:
    mib = 1 << 20
    sizes = iter([120 * mib, 100 * mib, 101 * mib - 1, 101 * mib, 90 * mib, 90 * mib + 5])
    calls: list[int] = []
    trimmer = memory.Trimmer(lambda pad: calls.append(pad) or 1, lambda: next(sizes))
    assert trimmer.look() and calls == [0]  # the first look trims what the start-up freed
    assert trimmer.after == 100 * mib  # measured after the trim
    assert not trimmer.look()  # grew by less than GROWTH
    assert trimmer.look() and calls == [0, 0]
    assert trimmer.after == 90 * mib
    assert not trimmer.look()  # 5 bytes above the last trim


def test_the_real_trim_and_measure_work_here() -> None:
    trim = memory._malloc_trim()
    assert trim is not None  # the suite runs on Linux with glibc
    before = memory.resident()
    assert before > 10 << 20
    trim(0)
    assert memory.resident() <= before + (1 << 20)
