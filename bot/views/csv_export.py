"""CSV files the bot hands out: one writer for every export, formula cells neutralised.

A spreadsheet opens a cell beginning with ``=``, ``+``, ``-`` or ``@`` (and, in some programs,
tab or carriage return) as a formula: a member named ``=HYPERLINK("http://x","y")`` would become
a live link in the KSz's spreadsheet. Every text cell is written through :func:`safe_cell`, which
prefixes such a cell with a single quote (the OWASP advice), so it is shown as the text it is.

The dialect follows the reader's language: Hungarian (the default) gets Hungarian headers and
``;`` (Hungarian Excel reads ``,`` as the decimal comma and would put a comma-separated file in
one column); English gets English headers and ``,``. Both are UTF-8 with a BOM.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from bot.i18n import Translator

#: First characters a spreadsheet may read as the start of a formula (with their full-width
#: forms, which some spreadsheets fold to the ASCII ones).
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def safe_cell(value: object) -> object:
    """``value`` as a CSV cell that no spreadsheet runs: text starting a formula gets a ``'``."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def delimiter_for(t: Translator) -> str:
    """``;`` for Hungarian (Excel's list separator there), ``,`` for English."""
    return "," if t.language == "en" else ";"


def csv_document(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, delimiter: str = ";"
) -> bytes:
    """A UTF-8 CSV file (with a BOM, so spreadsheets guess the encoding) of neutralised cells,
    separated by ``delimiter`` (``delimiter_for(t)``: ``;`` for Hungarian, ``,`` for English)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def member_header(t: Translator) -> list[str]:
    """The columns of the member directory (tagok.csv), in the reader's language."""
    return [
        t.pgettext("csv column", "name"),
        t.pgettext("csv column", "kind"),
        t.pgettext("csv column", "organisation"),
        t.pgettext("csv column", "founder"),
        t.pgettext("csv column", "ksz"),
        t.pgettext("csv column", "st_chair"),
        t.pgettext("csv column", "active"),
        t.pgettext("csv column", "joined_on"),
        t.pgettext("csv column", "account_connected"),
        t.pgettext("csv column", "workgroups"),
        t.pgettext("csv column", "catalyst_of"),
    ]


def register_header(t: Translator) -> list[str]:
    """The columns of the register of resolutions (hatarozatok.csv), in the reader's language."""
    return [
        t.pgettext("csv column", "number"),
        t.pgettext("csv column", "body"),
        t.pgettext("csv column", "adopted_on"),
        t.pgettext("csv column", "text"),
        t.pgettext("csv column", "turnout"),
        t.pgettext("csv column", "electorate"),
        t.pgettext("csv column", "votes"),
        t.pgettext("csv column", "decision"),
    ]
