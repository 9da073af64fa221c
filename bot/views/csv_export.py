"""CSV files the bot hands out: one writer for every export, formula cells neutralised.

A spreadsheet opens a cell beginning with ``=``, ``+``, ``-`` or ``@`` (and, in some programs,
tab or carriage return) as a formula: a member named ``=HYPERLINK("http://x","y")`` would become
a live link in the KSz's spreadsheet. Every text cell is written through :func:`safe_cell`, which
prefixes such a cell with a single quote (the OWASP advice), so it is shown as the text it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: First characters a spreadsheet may read as the start of a formula (with their full-width
#: forms, which some spreadsheets fold to the ASCII ones).
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def safe_cell(value: object) -> object:
    """``value`` as a CSV cell that no spreadsheet runs: text starting a formula gets a ``'``."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_document(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A UTF-8 CSV file (with a BOM, so spreadsheets guess the encoding) of neutralised cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")
