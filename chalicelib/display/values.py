"""A value as the page shows it: exactly as sent, or rounded and converted as the
dashboards file says; never a failed read shown as a number."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from chalicelib.config.model import FieldDisplay

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# ThingSpeak allows 255 characters a value; a glance page has no room for an essay.
MAX_TEXT_CHARS = 80


TEMPERATURE_UNITS = ("°C", "°F")
COMPASS_POINTS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def format_value(raw: str | None, display: FieldDisplay) -> tuple[str | None, bool]:
    """(text to show or None for a dash, whether it is a number)."""
    text = (raw or "").strip()
    if not text:
        return None, False
    if not _NUMBER.match(text):
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            return None, False  # a sensor's failed read, not a reading
        return _shorten(text), False
    decimals = display.decimals
    if decimals is None and display.conversion:
        decimals = 1
    if decimals is None:
        return text, True  # exactly as sent
    try:
        number = Decimal(text)
        if display.conversion:
            number = display.conversion.apply(number)
        rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except ArithmeticError:
        # Beyond what can be converted or rounded; showing the unconverted text next to
        # the converted unit would be a wrong reading.
        return None, False
    if rounded.is_zero():
        rounded = abs(rounded)  # no "-0.0"
    return f"{rounded:f}", True


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def compass_point(raw: str | None, display: FieldDisplay) -> str | None:
    """ "SW" for 225 on a field declared `kind = "direction"`; None for any other field,
    and for a reading that is no number of degrees."""
    if display.kind != "direction" or raw is None or not _NUMBER.match(raw.strip()):
        return None
    try:
        degrees = float(raw) % 360
    except ValueError:  # "1e999": no direction
        return None
    if degrees != degrees:
        return None
    return COMPASS_POINTS[int(degrees / 45 + 0.5) % 8]
