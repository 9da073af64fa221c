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
