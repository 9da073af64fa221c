"""CSV exports never hand a spreadsheet a formula."""

from __future__ import annotations

import csv
import io

import pytest

from bot.views.csv_export import csv_document, safe_cell


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x","y")', "+36 1 234 5678", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1"],
)
def test_formula_starts_are_quoted(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Kovács Anna", "", "1/2026. (XI. 27.) Kgy.", "a=b", 3, -1])
def test_other_cells_are_unchanged(cell: object) -> None:
    assert safe_cell(cell) == cell


def test_document_neutralises_every_cell_and_keeps_the_rest() -> None:
    data = csv_document(
        ["name", "n"], [['=HYPERLINK("http://x","y")', 2], ['Anna, "A"', -1]], delimiter=","
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "n"], ['\'=HYPERLINK("http://x","y")', "2"], ['Anna, "A"', "-1"]]
