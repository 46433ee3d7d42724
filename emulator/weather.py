"""Readings computed from the clock: one entry per slot (floor(unix time / interval)), the
same for every request.

Nothing is stored: an entry is a pure function of its slot, so a month of history costs
nothing to keep and every client sees the same numbers. Recently asked-for entries are
cached, because results=8000 asks for 8000 of them at once; whole-day sweeps (ThingSpeak's
daily path, see history.py) bypass the cache so they cannot evict it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

INTERVAL = 20  # seconds between the demo's computed entries
DAY_SLOTS = 24 * 3600 // INTERVAL
# Ids count from a fixed moment (Nov 2023) so they stay positive, rising and not absurdly big.
ID_EPOCH = 1_700_000_000
EPOCH_SLOT = ID_EPOCH // INTERVAL
# Room for the newest 8000 entries of every moving channel, plus a spare day of the demo.
CACHED_ENTRIES = 6 * 8000 + DAY_SLOTS

Values = dict[int, str | None]
Maker = Callable[[int], Values]
SlotRange = tuple[int, int]  # first and last slot, both included


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: int
    created_at: datetime
    values: Values  # shared by cached entries: never mutate


@dataclass(frozen=True)
class Moving:
    """A channel whose entries come from `maker`, one every `interval` seconds, from midnight
    (UTC) `days` days before the request on. Whole days, so that every past day's daily row
    can be cached (see history.py)."""

    maker: Maker
    interval: int = INTERVAL
    days: int = 32

    def slot_of(self, moment: datetime) -> int:
        return math.floor(moment.timestamp() / self.interval)

    def first_slot_from(self, moment: datetime) -> int:
        """The first slot created at or after `moment`."""
        return math.ceil(moment.timestamp() / self.interval)

    def oldest_slot(self, now: datetime) -> int:
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
        return self.first_slot_from(midnight - timedelta(days=self.days))

    def entry_id(self, slot: int) -> int:
        return slot - ID_EPOCH // self.interval

    def entries(self, ranges: Iterable[SlotRange], cached: bool = True) -> list[Entry]:
        make = _cached_entry if cached else _entry
        return [make(self, slot) for first, last in ranges for slot in range(first, last + 1)]


def _entry(moving: Moving, slot: int) -> Entry:
    created_at = datetime.fromtimestamp(slot * moving.interval, UTC)
    return Entry(moving.entry_id(slot), created_at, moving.maker(slot))


_cached_entry = lru_cache(maxsize=CACHED_ENTRIES)(_entry)


def _hour(slot: int, interval: int = INTERVAL) -> float:
    return (slot * interval / 3600) % 24


def daily_wave(slot: int, interval: int = INTERVAL) -> float:
    """-1 at 05:00 UTC (midnight in Natick), +1 at 17:00 UTC (early afternoon there)."""
    return math.sin((_hour(slot, interval) - 11) / 24 * 2 * math.pi)


def _wetness(slot: int) -> float:
    # Two slow waves that only rarely peak together: rain comes in showers of an hour or
    # two, a few times a week, instead of a random drop here and there.
    return math.sin(slot / 1700) + 0.6 * math.sin(slot / 310 + 1.3)


def natick(slot: int) -> Values:
    """MathWorks' weather station in Natick (°F, mph, inches of mercury)."""
    rng = random.Random(slot)
    day = daily_wave(slot)
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
    day = daily_wave(slot)
    return {
        1: f"{18 + 5 * day + rng.uniform(-0.2, 0.2):.1f}",
        2: f"{55 - 12 * day + rng.uniform(-1, 1):.0f}",
    }
