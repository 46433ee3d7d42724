"""A field's points as CSV: the values as sent, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re

from chalicelib.display.field_view import FieldView
from chalicelib.display.times import iso


def csv_of(view: FieldView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["created_at", _cell(view.label) or f"field{view.number}"])
    writer.writerows((iso(s.created_at), _cell(s.value or "")) for s in view.samples)
    return out.getvalue()


# What spreadsheets run as a formula: these first, also after leading blanks, in their
# ASCII and full-width forms; and a cell opening with a separator or a line break, which
# an import with another delimiter splits so that what follows opens a cell of its own.
_FORMULA = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_BLANKS = " \t\r\n\u00a0\u3000"
_OPENERS = frozenset("\t\r\n,;|")
# A plain number (what a sensor sends), spaces around it allowed: it stays as sent.
_NUMBER = re.compile(r" *[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? *", re.ASCII)


def _cell(value: str) -> str:
    """The value as sent, unless a spreadsheet would run it as a formula: then behind `'`."""
    if not value or _NUMBER.fullmatch(value):
        return value
    if value[0] in _OPENERS or value.lstrip(_BLANKS)[:1] in _FORMULA:
        return "'" + value
    return value
