"""The newer moving channels' readings. They post far more often than the demo (down to
every second), so their noise is a cheap integer hash instead of a seeded random.Random:
a day of the fast station is 86,400 entries and ThingSpeak's daily path reads them all."""

from __future__ import annotations

import math

from emulator.weather import Values, daily_wave

MASK = (1 << 64) - 1


def _noise(slot: int, count: int) -> list[float]:
    """`count` (at most 8) pseudo-random numbers in [-1, 1), fixed for the slot."""
    # splitmix64's finaliser: one 64-bit mix gives eight 8-bit draws.
    z = (slot * 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z ^= z >> 31
    return [((z >> (8 * i)) & 0xFF) / 128 - 1 for i in range(count)]


def power_meter(slot: int) -> Values:
    """A workshop's power meter, read every second (slot = one second)."""
    day = daily_wave(slot, 1)
    load, volts = _noise(slot, 2)
    machines = 1 if math.sin(slot / 97) > 0.6 else 0  # a machine switching on and off
    return {
        1: f"{max(0.0, 650 + 400 * day + 1500 * machines + 40 * load):.0f}",
        2: f"{230 + 2 * math.sin(slot / 611) + 1.5 * volts:.1f}",
    }


def air_quality(slot: int) -> Values:
    """A city-centre air quality station, every 15 s: eight numeric fields, never empty."""
    day = daily_wave(slot, 15)
    traffic = max(0.0, math.sin((slot * 15 / 3600 - 7) / 24 * 4 * math.pi))  # rush hours
    n = _noise(slot, 8)
    pm25 = 8 + 14 * traffic + 3 * math.sin(slot / 2300) + 1.5 * n[0]
    return {
        1: f"{pm25:.1f}",
        2: f"{pm25 * 1.6 + 2 * n[1]:.1f}",
        3: f"{420 + 90 * traffic + 8 * n[2]:.0f}",
        4: f"{14 + 6 * day + 0.3 * n[3]:.1f}",
        5: f"{62 - 18 * day + 2 * n[4]:.0f}",
        6: f"{1013 + 6 * math.sin(slot / 9000) + 0.3 * n[5]:.1f}",
        7: f"{48 + 20 * traffic + 3 * n[6]:.0f}",
        8: f"{100 + 60 * traffic + 10 * n[7]:.0f}",
    }


def greenhouse(slot: int) -> Values:
    """A greenhouse, every 60 s: warm and humid by day, the soil drying until watered."""
    day = daily_wave(slot, 60)
    n = _noise(slot, 3)
    watered = (slot % 720) / 720  # the sprinkler runs every 12 hours
    return {
        1: f"{22 + 7 * day + 0.3 * n[0]:.1f}",
        2: f"{75 - 15 * day + 2 * n[1]:.0f}",
        3: f"{68 - 30 * watered + 0.5 * n[2]:.1f}",
    }
