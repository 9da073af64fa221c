"""The routing rules that need no database: how the asker learns what became of a message."""

from __future__ import annotations

import pytest

from bot.services.routing import Ack, acknowledgement
from storage.models.routing import Audience


@pytest.mark.parametrize(
    ("in_group", "audience", "first", "expected"),
    [
        (False, Audience.CATALYST, True, Ack.SENT),  # first message of a private session
        (False, Audience.CATALYST, False, Ack.REACT),  # the session goes on: a reaction
        (True, Audience.KSZ, False, Ack.SENT),  # a group's question went to the KSz
        (True, Audience.CATALYST, True, Ack.REACT),  # a group's question to its katalizátor
    ],
)
def test_a_delivered_message_is_named_or_acknowledged(
    in_group: bool, audience: Audience, first: bool, expected: Ack
) -> None:
    ack = acknowledgement(
        {1: 10}, {1}, set(), in_group=in_group, audience=audience, first_in_session=first
    )
    assert ack is expected


def test_nothing_delivered_fails_or_waits() -> None:
    args = {"in_group": False, "audience": Audience.CATALYST, "first_in_session": True}
    assert acknowledgement({1: 10, 2: 11}, set(), {1, 2}, **args) is Ack.NOT_DELIVERED
    assert acknowledgement({1: 10, 2: 11}, set(), {1}, **args) is Ack.PENDING
    assert acknowledgement({1: 10}, set(), set(), **args) is Ack.PENDING
