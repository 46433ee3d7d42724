"""The 24-hour sparkline: gaps stay gaps, min and max are the readings as sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.config.model import Dashboard, FieldDisplay
from chalicelib.display.reading import build_reading
from chalicelib.display.trend import build_trend
from chalicelib.thingspeak.feed import Channel, Entry, Feed, Field

END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CHANNEL = Channel(1, "Balcony", (Field(1, "Temperature"),))


def feed_of(values: list[tuple[timedelta, str | None]]) -> Feed:
    entries = tuple(
        Entry(i + 1, END - before, (1,), (value,))
        for i, (before, value) in enumerate(sorted(values, key=lambda v: -v[0]))
    )
    return Feed(CHANNEL, entries)


def hourly(hours: range, value: str = "20.0") -> list[tuple[timedelta, str | None]]:
    return [(timedelta(hours=h), value) for h in hours]


def test_a_gap_in_the_data_breaks_the_line_instead_of_bridging_it():
    readings = hourly(range(23, 15, -1)) + hourly(range(8, -1, -1))  # nothing 15 h to 9 h ago
    trend = build_trend(feed_of(readings), 1)
    assert trend is not None
    assert trend.path.count("M") == 2  # two separate runs of line


def test_steady_data_is_one_unbroken_line():
    trend = build_trend(feed_of(hourly(range(23, -1, -1))), 1)
    assert trend is not None and trend.path.count("M") == 1


def test_min_and_max_are_the_readings_as_sent_and_formatted_like_the_value():
    readings = [(timedelta(hours=5), "18.25"), (timedelta(hours=3), "24.75"), (timedelta(0), "21")]
    trend = build_trend(feed_of(readings), 1)
    assert trend is not None and (trend.low.raw, trend.high.raw) == ("18.25", "24.75")
    settings = Dashboard("one", 1, fields=(FieldDisplay(1, decimals=1, conversion=None),))
    sparkline = build_reading(feed_of(readings), settings, END).fields[0].sparkline
    assert sparkline is not None and (sparkline.low, sparkline.high) == ("18.3", "24.8")


def test_text_and_null_readings_are_left_out_of_the_line():
    readings = [(timedelta(hours=4), "open"), (timedelta(hours=2), None), (timedelta(0), "nan")]
    assert build_trend(feed_of(readings), 1) is None


def test_readings_older_than_a_day_are_not_drawn():
    readings = hourly(range(48, 25, -1), "99") + hourly(range(3, -1, -1), "20")
    trend = build_trend(feed_of(readings), 1)
    assert trend is not None and trend.high.raw == "20"


def test_a_lone_reading_between_gaps_is_drawn_as_a_dot():
    every_20_minutes = [timedelta(minutes=m) for m in range(0, 6 * 60, 20)]
    readings = [(timedelta(hours=18) + t, "1") for t in every_20_minutes]
    readings += [(timedelta(hours=12), "5")] + [(t, "2") for t in every_20_minutes]
    trend = build_trend(feed_of(readings), 1)
    assert trend is not None and trend.path.count("M") == 3 and trend.path.count("h0") == 1
