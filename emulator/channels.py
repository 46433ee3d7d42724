"""The emulator's channels: the moving demo station, more moving stations, and one channel
per scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emulator import stations, weather
from emulator.entries import Channel, Preset, Scenario
from emulator.weather import Moving, Values

__all__ = ["Channel", "Scenario"]

DEMO_CHANNEL_ID = 12397
DEMO_WRITE_KEY = "DEMOWRITEKEY0000"
PRIVATE_CHANNEL_ID = 1001
PRIVATE_READ_KEY = "PRIVATEREADKEY01"

FAULTS = frozenset(Scenario) - {
    Scenario.EMPTY,
    Scenario.NULLS,
    Scenario.STALE,
    Scenario.XSS,
    Scenario.CELSIUS,
    Scenario.FAST,
    Scenario.BUSY,
    Scenario.GREENHOUSE,
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
    Scenario.FAST: 1015,
    Scenario.BUSY: 1016,
    Scenario.GREENHOUSE: 1017,
}


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
        moving=Moving(weather.natick),
    )
    celsius = Channel(
        1014,
        "ESP8266 Weather Station",
        dict(two),
        description="DHT22 on the balcony",
        moving=Moving(weather.esp8266),
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
        1008: ("Overloaded station", Scenario.RATE_LIMITED),
        1009: ("Truncated station", Scenario.MALFORMED),
        1010: ("Captive portal", Scenario.HTML),
        1013: ("Trickling station", Scenario.TRICKLE),
    }
    channels = [demo, celsius, *_busy_channels()]
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
    steady: Values = {1: "17.9", 2: "51"}
    stale = _preset(10, _minutes(200, 190, 180), {1: "18.2", 2: "50"}, steady, steady)
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


# The busy station and its three copies (same readings, separate channels).
BUSY_CHANNEL_IDS = (1016, 1018, 1019, 1020)


def _busy_channels() -> list[Channel]:
    fast = Channel(
        1015,
        "Fast station",
        {1: "Power (W)", 2: "Voltage (V)"},
        description="Workshop power meter, an entry every second (a paid channel)",
        moving=Moving(stations.power_meter, interval=1, days=2),
    )
    busy = Channel(
        1016,
        "Busy station",
        {
            1: "PM2.5 (µg/m³)",
            2: "PM10 (µg/m³)",
            3: "CO2 (ppm)",
            4: "Temperature (°C)",
            5: "Humidity (%)",
            6: "Pressure (hPa)",
            7: "Noise (dB)",
            8: "VOC index",
        },
        description="City centre air quality, an entry every 15 s",
        moving=Moving(stations.air_quality, interval=15),
    )
    greenhouse = Channel(
        1017,
        "Greenhouse",
        {1: "Temperature °C", 2: "Humidity %", 3: "Soil moisture"},
        description="Tomatoes, an entry every minute",
        moving=Moving(stations.greenhouse, interval=60),
    )
    # Three more like it, for a benchmark overview of four busy dashboards.
    more = [
        Channel(
            channel_id,
            f"Busy station {n}",
            dict(busy.fields),
            description=busy.description,
            moving=Moving(stations.air_quality, interval=15),
        )
        for n, channel_id in enumerate(BUSY_CHANNEL_IDS[1:], start=2)
    ]
    return [fast, busy, greenhouse, *more]
