"""Formatting and conversion: exact by default, rounded and converted when configured."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.config.model import Dashboard, FieldDisplay
from chalicelib.config.units import CONVERSIONS
from chalicelib.display.reading import build_reading
from chalicelib.display.values import format_value
from chalicelib.thingspeak.feed import parse_feed
from tests.conftest import at, load_fixture

C_TO_F = CONVERSIONS["c_to_f"]


@pytest.mark.parametrize(
    ("raw", "display", "shown"),
    [
        ("29.723991507430998", FieldDisplay(1), ("29.723991507430998", True)),
        (" 21.5\r\n", FieldDisplay(1), ("21.5", True)),
        ("-1", FieldDisplay(1), ("-1", True)),  # a real reading (it is cold), not an error
        ("29.75", FieldDisplay(1, decimals=1), ("29.8", True)),  # half up, not half even
        ("-0.04", FieldDisplay(1, decimals=1), ("0.0", True)),  # no "-0.0"
        ("21.1", FieldDisplay(1, conversion=C_TO_F), ("70.0", True)),
        ("-40", FieldDisplay(1, conversion=C_TO_F, decimals=0), ("-40", True)),
        ("30", FieldDisplay(1, conversion=CONVERSIONS["f_to_c"], decimals=2), ("-1.11", True)),
        ("open", FieldDisplay(1, conversion=C_TO_F), ("open", False)),
        ("nan", FieldDisplay(1), (None, False)),
        ("-Infinity", FieldDisplay(1), (None, False)),
        ("", FieldDisplay(1), (None, False)),
        (None, FieldDisplay(1), (None, False)),
        ("1e999999", FieldDisplay(1, conversion=C_TO_F), (None, False)),
    ],
)
def test_values_are_formatted_for_people(raw, display, shown):
    assert format_value(raw, display) == shown


def test_long_text_is_shortened():
    shown, numeric = format_value("x" * 300, FieldDisplay(1))
    assert not numeric and shown is not None and len(shown) == 80 and shown.endswith("…")


def test_configured_field_the_channel_lacks_is_shown_empty_not_dropped():
    feed = parse_feed(load_fixture("channel_9.json"))
    settings = Dashboard("house", 9, fields=(FieldDisplay(3), FieldDisplay(1)))
    reading = build_reading(feed, settings, at("2016-02-09T20:12:00Z"))
    assert [(f.label, f.display) for f in reading.fields] == [("Field 3", None), ("Light", "213")]


def test_staleness_and_age_come_from_the_entry_time():
    feed = parse_feed(load_fixture("channel_9.json"))
    settings = Dashboard("house", 9, stale_after_minutes=10)
    fresh = build_reading(feed, settings, at("2016-02-09T20:21:45Z"))
    old = build_reading(feed, settings, at("2016-02-09T20:21:46Z"))
    assert (fresh.stale, old.stale) == (False, True)
    assert fresh.age(at("2016-02-09T20:21:45Z")) == timedelta(minutes=10)


def test_a_clock_behind_thingspeak_never_gives_a_negative_age():
    feed = parse_feed(load_fixture("channel_9.json"))
    now = at("2016-02-09T20:00:00Z")
    reading = build_reading(feed, Dashboard("house", 9), now)
    assert reading.age(now) == timedelta(0) and reading.stale is False
