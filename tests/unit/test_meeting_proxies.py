"""Proxies' rules without a database: the command's arguments, and who is present at a moment
(in person, or represented through a holder present)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.errors import InvalidInput
from bot.services.meetings import ProxyRequest, parse_proxy, presence
from storage.models import Member, MemberKind
from storage.models.ballots import Body
from storage.models.meetings import Attendance

T0 = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("   ", None),
        ("Belső Béla", ProxyRequest(False, None, "Belső Béla")),
        ("3 Belső Béla", ProxyRequest(False, 3, "Belső Béla")),
        ("#3 Belső Béla", ProxyRequest(False, 3, "Belső Béla")),
        ("3", ProxyRequest(False, None, "3")),  # a lone number is a (wrong) name
        ("visszavonás", ProxyRequest(True)),
        ("Visszavonas 4", ProxyRequest(True, 4)),
        ("revoke #4", ProxyRequest(True, 4)),
        ("5² Belső Béla", ProxyRequest(False, None, "5² Belső Béla")),  # not a number
    ],
)
def test_parse(text: str, expected: ProxyRequest | None) -> None:
    assert parse_proxy(text) == expected


@pytest.mark.parametrize("text", ["visszavonas holnap", "revoke 4 5", "revoke ³"])
def test_parse_refuses_a_bad_revocation(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_proxy(text)


def _member(member_id: int, kind: MemberKind = MemberKind.INTERNAL) -> Member:
    return Member(
        id=member_id, name=f"Tag {member_id}", kind=kind, is_active=True, is_founder=False
    )


def _here(member: Member, arrived: int, left: int | None = None) -> tuple[Member, Attendance]:
    row = Attendance(
        meeting_id=1,
        member_id=member.id,
        arrived_at=T0 + timedelta(minutes=arrived),
        left_at=None if left is None else T0 + timedelta(minutes=left),
        recorded_by_label="",
    )
    return member, row


def test_presence_at_moments() -> None:
    a, b, c, x = _member(1), _member(2), _member(3), _member(9, MemberKind.EXTERNAL)
    proxies = [(a, b), (c, x)]  # c's holder has no vote: c is not represented
    sheet = [_here(b, 0, 60), _here(x, 0)]
    at = T0 + timedelta(minutes=30)
    now = presence(sheet, proxies, Body.KGY, at)
    assert (now.in_person, now.represented, now.voters) == ([2], {1: 2}, [2, 1])
    # after the holder left, the principal is gone too
    later = presence(sheet, proxies, Body.KGY, T0 + timedelta(minutes=61))
    assert later.voters == []
    # the principal present in person: the proxy has no effect
    sheet.append(_here(a, 10))
    assert presence(sheet, proxies, Body.KGY, at).represented == {}
    # now (no moment): whoever has not checked out
    assert presence(sheet, proxies, Body.KGY).voters == [1]
    # the Stratégiai Tanács: only founders have the vote there
    assert presence(sheet, proxies, Body.ST, at).voters == []
