"""A field's points as CSV: the values as sent, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import math

from chalicelib.display.field_view import FieldView
from chalicelib.display.times import iso


def csv_of(view: FieldView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["created_at", _cell(view.label) or f"field{view.number}"])
    writer.writerows((iso(s.created_at), _cell(s.value or "")) for s in view.samples)
    return out.getvalue()


def _cell(value: str) -> str:
    """The value as sent, unless a spreadsheet would run it as a formula."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False
