"""`klaszterbot workplan import`: a good file imports, a file with errors imports nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.conftest import run_cli

GOOD = (
    "cím;felelős;határidő;állapot;készültség;leírás\n"
    "Piackutatás;Innováció;2026.12.31;folyamatban;40;Kérdőív a tagoknak\n"
    "Pályázatfigyelés;KSz;2027-01-15;;;\n"
    "Éves beszámoló;ksz;2027. 02. 28.;kész;;\n"
)


@pytest.fixture
def env(cli_env: Path) -> Path:
    """The command line's database; the import needs no Telegram at all."""
    return cli_env


run = run_cli


def test_import_a_good_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["workgroups", "add", "Innováció"], capsys)
    good = env / "munkaterv.csv"
    good.write_text(GOOD, encoding="utf-8-sig")
    code, out, err = run(["workplan", "import", str(good), "--period", "2027"], capsys)
    assert code == 0, err
    assert "created work plan: Munkaterv 2027 (2027)" in out
    assert "#1 Piackutatás [2026-12-31, in_progress]" in out
    assert "#3 Éves beszámoló [2027-02-28, done]" in out
    assert "imported 3 task(s)" in out
    code, out, _ = run(["workplan", "show"], capsys)
    assert code == 0
    assert "Munkaterv: Munkaterv 2027" in out
    assert "▓▓▓▓░░░░░░ 40%" in out
    assert "Felelős: KSz · Határidő: 2027. január 15." in out
    # the same file again: every title is already in the plan, nothing is added
    code, _, err = run(["workplan", "import", str(good)], capsys)
    assert code == 1
    assert "2. sor: cím: a munkatervben már van „Piackutatás” nevű feladat." in err
    code, out, _ = run(["workplan", "show"], capsys)
    assert out.count("Piackutatás") == 1


def test_import_with_errors_imports_nothing(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["workgroups", "add", "Innováció"], capsys)
    bad = env / "hibas.csv"
    bad.write_text(
        "title,responsible,deadline,status,progress\n"
        "Jó sor,KSz,2026.12.31,,\n"
        "Túl sok,Innováció,2026.12.31,,150\n"
        "Negatív,Innováció,2026.12.31,,-5\n"
        "Szöveg,Innováció,2026.12.31,,sok\n"
        "Lehetetlen,KSz,2026.02.30,,\n"
        "Ismeretlen,Marketing,2026.12.31,,\n",
        encoding="utf-8",
    )
    code, _, err = run(["workplan", "import", str(bad), "--period", "2027"], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0] == "Nem importáltunk semmit. Hibák:"
    assert "3. sor: készültség: „150” kívül esik a megengedett tartományon." in lines[1]
    assert "4. sor: készültség: „-5” kívül esik" in lines[2]
    assert "5. sor: készültség: „sok” nem szám." in lines[3]
    assert "6. sor: határidő: „2026.02.30” nem létező dátum." in lines[4]
    assert len(lines) == 5  # the workgroup is checked only once the format is right
    code, _, err = run(["workplan", "show"], capsys)
    assert code == 1 and "Még nincs munkaterv." in err
    # with the format fixed, the unknown workgroup is reported, still nothing imported
    bad.write_text(
        "title,responsible,deadline\nJó sor,KSz,2026.12.31\nIsmeretlen,Marketing,2026.12.31\n",
        encoding="utf-8",
    )
    code, _, err = run(["workplan", "import", str(bad), "--period", "2027"], capsys)
    assert code == 1
    assert "3. sor: felelős: nincs „Marketing” nevű munkacsoport." in err
    code, _, err = run(["workplan", "show"], capsys)
    assert "Még nincs munkaterv." in err


def test_import_needs_a_period_when_there_is_no_plan(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = env / "munkaterv.csv"
    good.write_text("title;responsible;deadline\nA;KSz;2026.12.31\n", encoding="utf-8")
    code, _, err = run(["workplan", "import", str(good)], capsys)
    assert code == 1 and "időszak: kötelező megadni." in err
    code, _, err = run(["workplan", "import", str(env / "nincs.csv")], capsys)
    assert code == 2 and "cannot read" in err
