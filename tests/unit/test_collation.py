import pytest

from bot.services.collation import hu_collation_string, hu_sort_key

NAMES = [
    "Zsigmond Ede", "Szabó Anna", "Sánta Béla", "Csonka Pál", "Cukor Ida", "Ábrahám Ottó",
    "Adorján Gy", "Ördög Ákos", "Orosz Mária", "Nyitrai Nóra", "Nagy Zoltán", "Kovácsné Bea",
    "Kovács Anna", "Éles Éva", "Erdős Pál", "Gyurcsó Tibor", "Gál Géza",
]  # fmt: skip

EXPECTED = [
    "Ábrahám Ottó", "Adorján Gy", "Cukor Ida", "Csonka Pál", "Éles Éva", "Erdős Pál", "Gál Géza",
    "Gyurcsó Tibor", "Kovács Anna", "Kovácsné Bea", "Nagy Zoltán", "Nyitrai Nóra", "Orosz Mária",
    "Ördög Ákos", "Sánta Béla", "Szabó Anna", "Zsigmond Ede",
]  # fmt: skip


def test_hungarian_alphabet_orders_digraphs_after_their_first_letter() -> None:
    assert sorted(NAMES, key=hu_sort_key) == EXPECTED


def test_collation_string_sorts_like_the_key() -> None:
    assert sorted(NAMES, key=hu_collation_string) == EXPECTED


def test_collation_string_is_digits_only() -> None:
    assert hu_collation_string("Kovács <b>&</b> 😀").isdigit()


def test_short_vowel_sorts_before_long_when_otherwise_equal() -> None:
    assert sorted(["Kés", "Kes"], key=hu_sort_key) == ["Kes", "Kés"]


def test_a_doubled_digraph_is_the_digraph_twice() -> None:
    """ssz = sz + sz, so "Kasza" (k-a-sz-a) comes before "Kassza" (k-a-sz-sz-a): issue 14."""
    assert sorted(["Kassza", "Kasza"], key=hu_sort_key) == ["Kasza", "Kassza"]
    assert sorted(["Rosszné", "Rosta"], key=hu_sort_key) == ["Rosta", "Rosszné"]


# Each pair in Hungarian order: the plain digraph, then the same digraph doubled (letter by letter,
# all but the last pair come the other way round). Checked against ICU 72's ``hu`` collator.
DOUBLED = [
    ("Kocsa", "Koccsan"), ("Madza", "Maddzag"), ("Bridzs", "Briddzs"), ("Megyeri", "Meggyes"),
    ("Golya", "Gollya"), ("Menyhért", "Mennyei"), ("Hoszan", "Hosszabb"), ("Katyi", "Kattyan"),
    ("Bozsó", "Bozzsó"),
]  # fmt: skip


@pytest.mark.parametrize(("plain", "doubled"), DOUBLED)
def test_every_doubled_digraph(plain: str, doubled: str) -> None:
    assert hu_sort_key(plain) < hu_sort_key(doubled)
    assert hu_collation_string(plain) < hu_collation_string(doubled)


def test_accented_capitals_sort_with_their_letter_not_after_z() -> None:
    names = ["Zoltán", "Ábel", "Éva", "Ernő", "Abonyi", "Ádám", "Őri", "Orosz", "Ötvös", "Úr", "Ugron"]  # fmt: skip
    expected = ["Ábel", "Abonyi", "Ádám", "Ernő", "Éva", "Orosz", "Őri", "Ötvös", "Ugron", "Úr", "Zoltán"]  # fmt: skip
    assert sorted(names, key=hu_sort_key) == expected
    assert sorted(names, key=hu_collation_string) == expected
    assert sorted(names) != expected  # what a plain sort() did: "Ábel" after "Zoltán"
