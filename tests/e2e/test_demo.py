"""`klaszterbot demo --script`: the README's ballot transcript plays through end to end."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot import demo
from bot.proc import run

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "ballot-demo.txt"


async def test_ballot_transcript_from_creation_to_result() -> None:
    out = io.StringIO()
    assert await demo.run(SCRIPT, out=out) == 0
    text = out.getvalue()
    assert "!! Telegram refused" not in text
    assert "Szavazás #2 közzétéve" in text
    assert "Szavazata rögzítve: Igen." in text
    # the external supporter is refused the vote, and may comment
    assert "Ebben a szavazásban nincs szavazati joga" in text
    assert "hozzászólása megjelent a vitában" in text
    # the deadline passes: the result and the resolution number, in Hungarian
    assert "Részvétel: 4/7 (57%)" in text
    assert "Eredmény: ELFOGADVA" in text
    assert "1/" in text and "Kgy. határozat" in text


async def test_interactive_commands(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text(
        "/people\n/as 8\n/profil\n/as Senki\n/chat Klaszter\n/sugo\n/chat private\n"
        "/press 99\n/time tomorrow\n/jobs\n/quit\n/profil\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert await demo.run(script, out=out) == 0
    text = out.getvalue()
    assert "8. Külső Kata" in text
    assert "You are now Külső Kata." in text
    assert "Tagság: külső támogató tag" in text
    assert "Who?" in text
    assert "Bot → Klaszter — közös csoport" in text
    assert "No button '99'." in text or "There is no message with buttons here." in text
    assert "Use /time +3d" in text
    assert text.count("Tagság:") == 1  # nothing after /quit


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.txt"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
async def test_every_example_plays_without_a_traceback(script: Path) -> None:
    out = io.StringIO()
    assert await demo.run(script, out=out) == 0
    text = out.getvalue()
    assert "!! Telegram refused" not in text
    for complaint in ("No button", "Who is", "Use /reply", "There is no message with buttons"):
        assert complaint not in text, complaint


async def test_first_week_shows_the_collisions_and_the_answers() -> None:
    out = io.StringIO()
    assert await demo.run(SCRIPT.parent / "first-week.txt", out=out) == 0
    text = out.getvalue()
    assert "Megszakítva: hozzászólás a szavazáshoz." in text
    assert "Megszakítva: az új szavazás összeállítása." in text
    assert "Szavazás #2 – Stratégiai Tanács" in text  # the multi-line one-message form
    assert "Ezt az üzenetet semmi sem várta" in text
    assert "Ismeretlen parancs: /szavazsok." in text
    # the katalizátor's inbox and answer
    assert "Bizalmas: a cégünk nem tudja kifizetni a tagdíjat" in text
    assert "Megjegyzés mentve." in text


async def test_long_message_broadcast_time_reply_and_inbox(tmp_path: Path) -> None:
    """Item 13: after a broadcast /time +1m runs; a 5,500-character question (sent as a header
    and a copy) does not crash the transcript; the delivery report shows once, to its author."""
    script = tmp_path / "s.txt"
    long_question = "Hosszú kérdés " + "ábc " * 1400
    script.write_text(
        "/as Kovács Anna\n/kozlemeny\nKedves Tagok!\n/press Minden tag\n/press Tovább\n"
        "/press Küldés\n/time +1m\n/as Belső Béla\n/katalizator\n"
        f"{long_question}\n/as Katalizátor Kálmán\n/inbox Katalizátor Kálmán 2\n"
        "/reply Megkaptam, \\\nholnap válaszolok.\n/inbox Belső Béla 1\n/time +1m\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert await demo.run(script, out=out) == 0
    text = out.getvalue()
    assert text.count("Kézbesítési jelentés") == 1
    assert "Time is now" in text
    assert text.count("Hosszú kérdés") >= 2  # typed, and in the katalizátor's inbox
    inbox = text.rpartition("the last 1 message(s) Belső Béla received")[2]
    assert "Megkaptam, \nholnap válaszolok." in inbox


def test_a_backslash_continues_the_line() -> None:
    assert demo.joined(["a \\", "b\\", "c", "d"]) == ["a \nb\nc", "d"]
    assert demo.joined(["x\\"]) == ["x"]


def test_the_cli_keeps_log_lines_out_of_the_transcript(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    # a refusal is logged at WARNING
    script.write_text("/as Tanácsadó Tamás\n/szavazas_uj\n", encoding="utf-8")
    done = run(
        [sys.executable, "-m", "bot", "demo", "--script", str(script)],
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stdout and "WARNING" not in done.stderr
    assert "Elnézést" in done.stdout
