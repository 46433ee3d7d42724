"""Unit conversions a field can be configured with (`convert` in its [[dashboard.field]]).

Decimal arithmetic keeps "21.1 °C" from becoming "69.98000000000002 °F".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Conversion:
    """A unit conversion a field can be configured with."""

    name: str
    unit: str  # the unit shown when the field sets no `unit` of its own
    apply: Callable[[Decimal], Decimal]
    source: str = ""  # the unit the channel sends: the CSV's header for the values as sent


def _scale(factor: str) -> Callable[[Decimal], Decimal]:
    return lambda x: x * Decimal(factor)


def _divide(divisor: str) -> Callable[[Decimal], Decimal]:
    return lambda x: x / Decimal(divisor)


CONVERSIONS: dict[str, Conversion] = {
    c.name: c
    for c in (
        Conversion("c_to_f", "°F", lambda x: x * Decimal("1.8") + 32, "°C"),
        Conversion("f_to_c", "°C", lambda x: (x - 32) / Decimal("1.8"), "°F"),
        Conversion("mph_to_kmh", "km/h", _scale("1.609344"), "mph"),
        Conversion("kmh_to_mph", "mph", _divide("1.609344"), "km/h"),
        Conversion("ms_to_kmh", "km/h", _scale("3.6"), "m/s"),
        Conversion("inhg_to_hpa", "hPa", _scale("33.8639"), "inHg"),
        Conversion("hpa_to_inhg", "inHg", _divide("33.8639"), "hPa"),
        Conversion("in_to_mm", "mm", _scale("25.4"), "in"),
        Conversion("mm_to_in", "in", _divide("25.4"), "mm"),
    )
}
