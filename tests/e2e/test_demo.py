"""`klaszterbot demo --script`: the README's ballot transcript plays through end to end."""

from __future__ import annotations

import io
from pathlib import Path

from bot import demo

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
