"""The emulator's channels: the moving demo station and one channel per scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from emulator import weather
from emulator.weather import Entry, Maker, Values

DEMO_CHANNEL_ID = 12397
DEMO_WRITE_KEY = "DEMOWRITEKEY0000"
PRIVATE_CHANNEL_ID = 1001
PRIVATE_READ_KEY = "PRIVATEREADKEY01"

Preset = tuple[int, timedelta, Values]  # entry_id, age, values


class Scenario(StrEnum):
    """How a channel answers. Values are lower case so plain strings work everywhere."""

    HEALTHY = "healthy"
    # Faults: a scenario channel has each, and set_fault puts any of them on any channel.
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
    # Healthy answers with awkward content: channels only, not faults.
    EMPTY = "empty"
    NULLS = "nulls"
    STALE = "stale"
    XSS = "xss"
    CELSIUS = "celsius"


FAULTS = frozenset(Scenario) - {
    Scenario.EMPTY,
    Scenario.NULLS,
    Scenario.STALE,
    Scenario.XSS,
    Scenario.CELSIUS,
}

SCENARIO_CHANNELS: dict[Scenario, int] = {
    Scenario.PRIVATE: PRIVATE_CHANNEL_ID,
    Scenario.EMPTY: 1002,
    Scenario.NULLS: 1003,
    Scenario.SLOW: 1004,
    Scenario.ERROR_500: 1005,
    Scenario.ERROR_502: 1006,
    Scenario.ERROR_503: 1007,
    Scenario.RATE_LIMITED: 1008,
    Scenario.MALFORMED: 1009,
    Scenario.HTML: 1010,
    Scenario.STALE: 1011,
    Scenario.XSS: 1012,
    Scenario.TRICKLE: 1013,
    Scenario.CELSIUS: 1014,
}


@dataclass
class Channel:
    id: int
    name: str
    fields: dict[int, str]
    description: str = ""
    scenario: Scenario = Scenario.HEALTHY  # how it answers while no fault is set
    write_key: str | None = None
    read_key: str | None = None
    created_at: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    moving: Maker | None = None  # readings computed from the clock, like the demo
    # Ages count back from the time of the request, so a long `make serve` session
    # keeps "a few minutes ago" and "3 hours old" true.
    preset: list[Preset] = field(default_factory=list)
    added: list[Entry] = field(default_factory=list)

    def entries(self, now: datetime, results: int) -> list[Entry]:
        """The newest `results` entries, oldest first."""
        if results <= 0:
            return []
        # Once something was posted, presets stop following the clock: they stay older.
        anchor = min([now, *(e.created_at for e in self.added[:1])]).replace(microsecond=0)
        merged = [Entry(i, anchor - age, values) for i, age, values in self.preset]
        if self.moving is not None:
            # A posted entry takes the id of the computed slot after it, so drop that one.
            taken = {e.entry_id for e in self.added}
            computed = weather.window(self.moving, now, results + len(self.added))
            merged += [e for e in computed if e.entry_id not in taken]
        if self.added:
            merged = sorted(merged + self.added, key=lambda e: (e.created_at, e.entry_id))
        return merged[-results:]

    def last_id(self, now: datetime) -> int:
        ids = [i for i, _, _ in self.preset] + [e.entry_id for e in self.added]
        if self.moving is not None:
            ids.append(weather.slot_of(now) - weather.EPOCH_SLOT)
        return max(ids, default=0)

    def add(self, values: Values, created_at: datetime | None, now: datetime) -> int:
        entry_id = self.last_id(now) + 1
        at = (created_at or now).astimezone(UTC).replace(microsecond=0)
        self.added.append(Entry(entry_id, at, dict(values)))
        return entry_id


def _minutes(*ages: int) -> list[timedelta]:
    return [timedelta(minutes=m) for m in ages]


def _preset(first_id: int, ages: list[timedelta], *values: Values) -> list[Preset]:
    return [(first_id + i, age, v) for i, (age, v) in enumerate(zip(ages, values, strict=True))]


def make_channels() -> dict[int, Channel]:
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
        moving=weather.natick,
    )
    celsius = Channel(
        1014,
        "ESP8266 Weather Station",
        dict(two),
        description="DHT22 on the balcony",
        moving=weather.esp8266,
    )
    recent = _preset(
        39, _minutes(23, 13, 3), {1: "21.1", 2: "47"}, {1: "21.2", 2: "48"}, {1: "21.3", 2: "48"}
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
    channels += [
        Channel(cid, name, dict(two), scenario=scenario, preset=list(recent))
        for cid, (name, scenario) in faulty.items()
    ]
    private = next(c for c in channels if c.id == PRIVATE_CHANNEL_ID)
    private.read_key = PRIVATE_READ_KEY
    channels.append(Channel(1002, "New greenhouse", {1: "Soil moisture", 2: "Air temperature"}))
    garage = {1: "Temperature", 2: "Humidity", 3: "Door", 4: "Pressure"}
    nulls = _preset(
        75,
        _minutes(21, 11, 1),
        {1: "21.0", 2: "52", 3: "closed", 4: "1013.2"},
        {1: "21.2", 2: "51", 3: "closed", 4: "1013.1"},
        {1: "21.4", 2: None, 3: "open", 4: "nan"},
    )
    channels.append(Channel(1003, "Garage", garage, preset=nulls))
    stale = _preset(10, _minutes(200, 190, 180), {1: "18.2", 2: "50"}, *[{1: "17.9", 2: "51"}] * 2)
    channels.append(Channel(1011, "Forgotten station", dict(two), preset=stale))
    hostile = _preset(
        4, _minutes(11, 1), {1: "12.4", 2: "<i>hi</i>"}, {1: "12.5", 2: "<b>bold</b>"}
    )
    channels.append(
        Channel(
            1012,
            '<script>alert("name")</script> & Co',
            {1: "<img src=x onerror=alert(1)>", 2: "Note"},
            description="<a href=javascript:alert(2)>description</a>",
            preset=hostile,
        )
    )
    return {c.id: c for c in channels}
