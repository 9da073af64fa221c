from collections.abc import Callable

import pytest

from bot.callbacks import MAX_BYTES, Feature, ForgedCallback, decode, encode, pattern
from bot.services.text import parse_id


def test_round_trip() -> None:
    data = encode(Feature.MEMBER, "kind", 12, "e")
    cb = decode(data, Feature.MEMBER, {"kind"})
    assert cb.int_arg(0) == 12
    assert cb.arg(1, {"e", "i"}) == "e"


def test_pattern_matches_only_its_feature() -> None:
    import re

    assert re.match(pattern(Feature.MEMBER), "mem:kind:1")
    assert not re.match(pattern(Feature.MEMBER), "mwg:join:1:2")


def test_over_64_bytes_is_refused_at_encoding() -> None:
    with pytest.raises(ValueError, match="64"):
        encode(Feature.MEMBER, "x" * MAX_BYTES)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "mem",
        "mem:unknown:1",
        "mwg:kind:1",
        "mem:kind:abc",
        "mem:kind:-1",
        "mem:kind:1:<b>",
        "mem:kind:" + "9" * 80,
        "mem:kind:" + "9" * 19,
    ],
)
def test_forged_data_is_refused(data: str | None) -> None:
    def read() -> None:
        cb = decode(data, Feature.MEMBER, {"kind"})
        cb.int_arg(0)
        cb.arg(1, {"e", "i"})

    with pytest.raises(ForgedCallback):
        read()


def test_unsafe_parts_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="unsafe"):
        encode(Feature.MEMBER, "kind", "a:b")


@pytest.mark.parametrize(
    "refuse",
    [
        lambda: decode("vote:k:17:opt9", Feature.VOTE, {"k"}).int_arg(1),
        lambda: decode("vote:k:17:opt9", Feature.VOTE, {"k"}).arg(1, {"a"}),
        lambda: decode("vote:k:17:opt9", Feature.VOTE, {"p"}),
    ],
)
def test_refusals_do_not_repeat_the_data(refuse: Callable[[], object]) -> None:
    """The gate logs why a button was refused: never the data, which may carry a choice."""
    with pytest.raises(ForgedCallback) as refused:
        refuse()
    assert "opt9" not in str(refused.value) and "17" not in str(refused.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("#12", 12), (" 7 ", 7), ("2147483647", 2**31 - 1), ("2147483648", None),
     ("0" * 11 + "1", None), ("9" * 19, None), ("", None), ("-1", None), ("1.5", None),
     ("١٢", None), ("²", None)],
)  # fmt: skip
def test_one_id_rule_for_commands_and_buttons(text: str, expected: int | None) -> None:
    """A typed number and a button's id pass the same rule: ASCII digits, at most 2^31 - 1
    (an ``INTEGER`` id on PostgreSQL)."""
    assert parse_id(text) == expected
