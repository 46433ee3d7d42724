"""The emulator's channels: a moving demo weather station and one channel per fault.

The demo's readings are computed from the clock (one entry every 20 s, a full day back),
so nothing is stored and every request sees the same history.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

DEMO_CHANNEL_ID = 12397
DEMO_WRITE_KEY = "DEMOWRITEKEY0000"
PRIVATE_CHANNEL_ID = 1001
PRIVATE_READ_KEY = "PRIVATEREADKEY01"
INTERVAL = 20  # seconds between demo entries
DAY_SLOTS = 24 * 3600 // INTERVAL
# Entry ids count from the demo station's first slot so they stay small and positive.
EPOCH_SLOT = 1_700_000_000 // INTERVAL


class Scenario(StrEnum):
    """How a channel answers. Fault scenarios can be put on any channel with set_fault."""

    HEALTHY = "healthy"
    PRIVATE = "private"
    SLOW = "slow"
    ERROR_500 = "error_500"
    ERROR_502 = "error_502"
    ERROR_503 = "error_503"
    RATE_LIMITED = "rate_limited"
    MALFORMED = "malformed"
    HTML = "html"
    TRICKLE = "trickle"
    STALL = "stall"
    NOT_FOUND = "not_found"
    RESET = "reset"


Values = dict[int, str | None]


@dataclass(frozen=True)
class Entry:
    entry_id: int
    created_at: datetime
    values: Values


@dataclass
class Channel:
    id: int
    name: str
    fields: dict[int, str]
    description: str = ""
    scenario: Scenario = Scenario.HEALTHY
    write_key: str | None = None
    read_key: str | None = None
    created_at: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    added: list[Entry] = field(default_factory=list)
    moving: bool = False  # readings computed from the clock, like the demo

    def entries(self, now: datetime, results: int) -> list[Entry]:
        computed = _computed(self, now, results + len(self.added)) if self.moving else []
        if computed and self.added:
            # Posted entries take the ids (and so the slots) of the computed ones they
            # displaced, which keeps ids rising with time.
            first, last = self.added[0].entry_id, self.added[-1].entry_id
            computed = [e for e in computed if not first <= e.entry_id <= last]
        merged = sorted(computed + self.added, key=lambda e: (e.created_at, e.entry_id))
        return merged[-results:] if results > 0 else []

    def add(self, values: Values, created_at: datetime | None, now: datetime) -> int:
        newest = self.entries(now, 1)
        entry_id = (newest[-1].entry_id if newest else 0) + 1
        at = (created_at or now).replace(microsecond=0)
        self.added.append(Entry(entry_id, at, dict(values)))
        return entry_id


def _slot(moment: datetime) -> int:
    return int(moment.timestamp()) // INTERVAL


def _computed(channel: Channel, now: datetime, results: int) -> list[Entry]:
    newest = _slot(now)
    count = min(results, DAY_SLOTS)
    maker = _weather if channel.id == DEMO_CHANNEL_ID else _celsius
    return [
        Entry(slot - EPOCH_SLOT, datetime.fromtimestamp(slot * INTERVAL, UTC), maker(slot))
        for slot in range(newest - count + 1, newest + 1)
    ]


def _daily(slot: int) -> float:
    """-1 at 05:00 UTC-ish (dawn in Natick), +1 twelve hours later."""
    hours = (slot * INTERVAL / 3600) % 24
    return math.sin((hours - 11) / 24 * 2 * math.pi)


def _weather(slot: int) -> Values:
    rng = random.Random(slot)
    day = _daily(slot)
    temperature = 45 + 7 * day + rng.uniform(-0.3, 0.3)
    humidity = 68 - 25 * day + rng.uniform(-1.5, 1.5)
    wind = max(0.0, 6 + 4 * math.sin(slot / 540) + rng.uniform(-1.5, 1.5))
    direction = (180 + 120 * math.sin(slot / 1300) + rng.uniform(-10, 10)) % 360
    light = max(0.0, 900 * math.sin((((slot * INTERVAL / 3600) % 24) - 11) / 24 * math.pi * 2))
    values: Values = {
        1: f"{direction:.0f}",
        2: f"{wind:.1f}",
        3: f"{humidity:.0f}",
        4: f"{temperature:.1f}",
        5: "0.00" if rng.random() > 0.03 else f"{rng.uniform(0.01, 0.05):.2f}",
        6: f"{30.02 + 0.12 * math.sin(slot / 1500) + rng.uniform(-0.01, 0.01):.2f}",
        7: f"{4.1 + rng.uniform(-0.05, 0.05):.2f}",
        8: f"{light:.0f}",
    }
    if slot % 50 == 0:  # stations drop a reading now and then
        values[rng.randint(1, 8)] = None
    return values


def _celsius(slot: int) -> Values:
    rng = random.Random(slot)
    return {
        1: f"{18 + 5 * _daily(slot) + rng.uniform(-0.2, 0.2):.1f}",
        2: f"{55 - 12 * _daily(slot) + rng.uniform(-1, 1):.0f}",
    }


SCENARIO_CHANNELS: dict[str, int] = {
    "private": PRIVATE_CHANNEL_ID,
    "empty": 1002,
    "nulls": 1003,
    "slow": 1004,
    "error_500": 1005,
    "error_502": 1006,
    "error_503": 1007,
    "rate_limited": 1008,
    "malformed": 1009,
    "html": 1010,
    "stale": 1011,
    "xss": 1012,
    "trickle": 1013,
    "celsius": 1014,
}


def make_channels(now: datetime) -> dict[int, Channel]:
    def ago(minutes: int) -> datetime:
        return (now - timedelta(minutes=minutes)).replace(microsecond=0)

    two = {1: "Temperature", 2: "Humidity"}
    demo = Channel(
        DEMO_CHANNEL_ID,
        "WeatherStation",
        {
            1: "Wind Direction (North = 0 degrees)",
            2: "Wind Speed (mph)",
            3: "% Humidity",
            4: "Temperature (F)",
            5: "Rain (Inches/minute)",
            6: 'Pressure ("Hg)',
            7: "Power Level (V)",
            8: "Light Intensity",
        },
        description="MathWorks Weather Station, West Garage, Natick, MA 01760, USA",
        write_key=DEMO_WRITE_KEY,
        created_at=datetime(2014, 5, 20, 14, 48, 8, tzinfo=UTC),
        moving=True,
    )
    celsius = Channel(
        1014, "ESP8266 Weather Station", dict(two), description="DHT22 on the balcony", moving=True
    )
    faulty = {
        PRIVATE_CHANNEL_ID: ("Private greenhouse", Scenario.PRIVATE),
        1004: ("Slow station", Scenario.SLOW),
        1005: ("Broken station", Scenario.ERROR_500),
        1006: ("Gateway trouble", Scenario.ERROR_502),
        1007: ("Maintenance", Scenario.ERROR_503),
        1008: ("Busy station", Scenario.RATE_LIMITED),
        1009: ("Truncated station", Scenario.MALFORMED),
        1010: ("Captive portal", Scenario.HTML),
        1013: ("Trickling station", Scenario.TRICKLE),
    }
    channels = [demo, celsius]
    for cid, (name, scenario) in faulty.items():
        channel = Channel(cid, name, dict(two), scenario=scenario)
        channel.added.append(Entry(41, ago(3), {1: "21.3", 2: "48"}))
        channels.append(channel)
    channels.append(Channel(1002, "New greenhouse", {1: "Soil moisture", 2: "Air temperature"}))
    garage = Channel(1003, "Garage", {1: "Temperature", 2: "Humidity", 3: "Door", 4: "Pressure"})
    garage.added.append(Entry(77, ago(1), {1: "21.4", 2: None, 3: "open", 4: "nan"}))
    forgotten = Channel(1011, "Forgotten station", dict(two))
    forgotten.added.append(Entry(12, ago(180), {1: "17.9", 2: "51"}))
    hostile = Channel(
        1012, '<script>alert("name")</script> & Co', {1: "<img src=x onerror=alert(1)>", 2: "Note"}
    )
    hostile.added.append(Entry(5, ago(1), {1: "12.5", 2: "<b>bold</b>"}))
    channels += [garage, forgotten, hostile]
    by_id = {c.id: c for c in channels}
    by_id[PRIVATE_CHANNEL_ID].read_key = PRIVATE_READ_KEY
    return by_id
