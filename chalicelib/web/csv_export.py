"""A field's points as CSV: the values as sent, safe to open in a spreadsheet; each header
names its column's unit, and a converted field has a second column of its values as the
page shows them (averages with two more decimals than the page: a mean's digits)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

from chalicelib.display.field_view import FieldView
from chalicelib.display.times import iso
from chalicelib.display.values import format_value


def csv_of(view: FieldView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    label = view.label or f"field{view.number}"
    conversion = view.display.conversion
    if conversion is None:
        named = f"{label} ({view.unit})" if view.unit else label
        writer.writerow(["created_at", _cell(named)])
        writer.writerows((iso(s.created_at), _cell(s.value or "")) for s in view.samples)
        return out.getvalue()
    # The page rounds a converted field to its decimals (1 unless set); an average keeps two
    # more in the file, so a spreadsheet's sums of them stay close to ThingSpeak's.
    decimals = 1 if view.display.decimals is None else view.display.decimals
    shown = replace(view.display, decimals=decimals + (0 if view.precise else 2))
    sent = f"{label} ({conversion.source}, as sent)" if conversion.source else label
    writer.writerow(["created_at", _cell(sent), _cell(f"{label} ({view.unit}, as shown)")])
    writer.writerows(
        (iso(s.created_at), _cell(s.value or ""), _cell(format_value(s.value, shown)[0] or ""))
        for s in view.samples
    )
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
