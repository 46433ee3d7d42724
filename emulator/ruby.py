"""ThingSpeak's number handling, as its open-source Rails code does it (iobridge/thingspeak
app/helpers/application_helper.rb and feed_helper.rb): which values count as numbers, how
they parse, and how Ruby prints the results."""

from __future__ import annotations

import math
import re
from functools import lru_cache

# is_a_number?: s.to_s.strip.gsub(/,/, '.').match(/\A[+-]?\d+?(\.\d+)?\Z/). So "1e5",
# ".5", "5." and "nan" are text; "1,5" is 1.5 written with a decimal comma.
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?", re.ASCII)
_LEADING_INT = re.compile(r"\s*([+-]?\d+)", re.ASCII)


def to_i(text: str) -> int:
    """Ruby's String#to_i: the leading integer, 0 when there is none ("2x" is 2, "x" is 0)."""
    match = _LEADING_INT.match(text)
    return int(match[1]) if match else 0


def present(text: str | None) -> bool:
    """Rails' `present?` for a parameter: given and not blank."""
    return text is not None and text.strip() != ""


@lru_cache(maxsize=65_536)
def number(value: str | None) -> tuple[float, bool] | None:
    """(parsefloat(value), written with a decimal comma) when is_a_number?, else None.

    Cached: a station's values repeat a lot, and an 8000-row average reads 64,000 of them.
    """
    if value is None:
        return None
    text = value.strip()
    comma = "," in text
    if comma:
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return None
    return float(text), comma


def float_to_s(value: float) -> str:
    """Ruby's Float#to_s: shortest round-trip digits, "3.0" not "3", "1.0e+16" not "1e+16"."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    text = repr(value)  # switches to exponents at the same points as Ruby (1e16, 1e-05)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}e{int(exponent):+03d}"


def sprintf_f(value: float, decimals: int) -> str:
    """Ruby's sprintf("%.Nf"): correctly rounded like C's, but "Inf"/"NaN" capitalised."""
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return f"{value:.{decimals}f}"


def commas(text: str, comma: bool) -> str:
    """Back to a decimal comma when the input used one (feed_helper.rb keeps the style)."""
    return text.replace(".", ",") if comma else text
