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


def _scale(factor: str) -> Callable[[Decimal], Decimal]:
    return lambda x: x * Decimal(factor)


def _divide(divisor: str) -> Callable[[Decimal], Decimal]:
    return lambda x: x / Decimal(divisor)


CONVERSIONS: dict[str, Conversion] = {
    c.name: c
    for c in (
        Conversion("c_to_f", "°F", lambda x: x * Decimal("1.8") + 32),
        Conversion("f_to_c", "°C", lambda x: (x - 32) / Decimal("1.8")),
        Conversion("mph_to_kmh", "km/h", _scale("1.609344")),
        Conversion("kmh_to_mph", "mph", _divide("1.609344")),
        Conversion("ms_to_kmh", "km/h", _scale("3.6")),
        Conversion("inhg_to_hpa", "hPa", _scale("33.8639")),
        Conversion("hpa_to_inhg", "inHg", _divide("33.8639")),
        Conversion("in_to_mm", "mm", _scale("25.4")),
        Conversion("mm_to_in", "in", _divide("25.4")),
    )
}
