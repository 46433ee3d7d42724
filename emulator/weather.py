"""Readings computed from the clock: one entry per 20 s slot, the same for every request.

Nothing is stored: an entry is a pure function of its slot (floor(unix time / 20)), so a
day of history costs nothing to keep and every client sees the same numbers. Entries are
cached because results=8000 asks for 4320 of them at once.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

INTERVAL = 20  # seconds between computed entries
DAY_SLOTS = 24 * 3600 // INTERVAL
# Ids count from a fixed slot (Nov 2023) so they stay positive, rising and not absurdly big.
EPOCH_SLOT = 1_700_000_000 // INTERVAL

Values = dict[int, str | None]
Maker = Callable[[int], Values]


@dataclass(frozen=True)
class Entry:
    entry_id: int
    created_at: datetime
    values: Values  # shared by cached entries: never mutate


def slot_of(moment: datetime) -> int:
    return int(moment.timestamp()) // INTERVAL


def window(maker: Maker, now: datetime, count: int) -> list[Entry]:
    """The newest `count` computed entries (at most a day), oldest first."""
    newest = slot_of(now)
    count = max(0, min(count, DAY_SLOTS))
    return [_entry(maker, slot) for slot in range(newest - count + 1, newest + 1)]


@lru_cache(maxsize=4 * DAY_SLOTS)
def _entry(maker: Maker, slot: int) -> Entry:
    return Entry(slot - EPOCH_SLOT, datetime.fromtimestamp(slot * INTERVAL, UTC), maker(slot))


def _hour(slot: int) -> float:
    return (slot * INTERVAL / 3600) % 24


def _daily(slot: int) -> float:
    """-1 at 05:00 UTC (midnight in Natick), +1 at 17:00 UTC (early afternoon there)."""
    return math.sin((_hour(slot) - 11) / 24 * 2 * math.pi)


def _wetness(slot: int) -> float:
    # Two slow waves that only rarely peak together: rain comes in showers of an hour or
    # two, a few times a week, instead of a random drop here and there.
    return math.sin(slot / 1700) + 0.6 * math.sin(slot / 310 + 1.3)


def natick(slot: int) -> Values:
    """MathWorks' weather station in Natick (°F, mph, inches of mercury)."""
    rng = random.Random(slot)
    day = _daily(slot)
    wet = _wetness(slot)
    shower = max(0.0, wet - 1.35)  # 0 when dry, up to about 0.25; grows and fades smoothly
    temperature = 45 + 7 * day - 6 * shower + rng.uniform(-0.3, 0.3)
    humidity = min(97.0, 68 - 25 * day + 60 * shower + rng.uniform(-1.5, 1.5))
    wind = max(0.0, 6 + 4 * math.sin(slot / 540) + rng.uniform(-1.5, 1.5))
    direction = 180 + 120 * math.sin(slot / 1300) + rng.uniform(-10, 10)
    rain = 0.08 * shower + rng.uniform(0, 0.005) if shower else 0.0
    light = max(0.0, 900 * day + rng.uniform(-8, 8))
    values: Values = {
        1: str(round(direction) % 360),
        2: f"{wind:.1f}",
        3: f"{humidity:.0f}",
        4: f"{temperature:.1f}",
        5: f"{rain:.2f}",
        6: f"{30.02 + 0.12 * math.sin(slot / 1500) - 0.05 * max(0.0, wet - 1):.2f}",
        7: f"{4.1 + rng.uniform(-0.04, 0.04):.2f}",
        8: f"{light:.0f}",
    }
    if slot % 50 == 0:  # real stations drop a reading now and then
        values[rng.randint(1, 8)] = None
    return values


def esp8266(slot: int) -> Values:
    """A hobbyist's DHT22 on a balcony, in °C: what the old Flask app converted to °F."""
    rng = random.Random(slot)
    day = _daily(slot)
    return {
        1: f"{18 + 5 * day + rng.uniform(-0.2, 0.2):.1f}",
        2: f"{55 - 12 * day + rng.uniform(-1, 1):.0f}",
    }
