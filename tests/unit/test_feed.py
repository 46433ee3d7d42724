"""ThingSpeak's JSON is parsed once, strictly, into typed values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.thingspeak.errors import MalformedResponse
from chalicelib.thingspeak.feed import parse_feed
from tests.conftest import load_fixture


def test_channel_9_parses_into_typed_values():
    feed = parse_feed(load_fixture("channel_9.json"))
    assert feed.channel.id == 9 and feed.channel.name == "my_house"
    assert [(f.number, f.name) for f in feed.channel.fields] == [
        (1, "Light"),
        (2, "Outside Temperature"),
    ]
    latest = feed.latest
    assert latest is not None
    assert latest.entry_id == 9680334
    assert latest.created_at == datetime(2016, 2, 9, 20, 11, 45, tzinfo=UTC)
    assert latest.value(1) == "213" and latest.value(2) == "29.723991507430998"


def test_fields_the_channel_never_defined_are_ignored_even_in_entries():
    payload = load_fixture("channel_9.json")
    payload["feeds"][0]["field5"] = "999"
    feed = parse_feed(payload)
    assert [f.number for f in feed.channel.fields] == [1, 2]
    assert feed.latest is not None and feed.latest.value(5) is None


def test_a_field_left_out_of_an_entry_reads_as_no_value_and_the_rest_stay_exact():
    payload = load_fixture("channel_9_two_entries.json")
    del payload["feeds"][0]["field2"]
    older, newer = parse_feed(payload).entries
    assert older.value(2) is None and older.value(1) is not None
    assert newer.value(2) == payload["feeds"][1]["field2"]


def test_a_channel_of_one_field_reads_each_value():
    payload = load_fixture("channel_9_two_entries.json")
    del payload["channel"]["field2"]
    feed = parse_feed(payload)
    assert [e.value(1) for e in feed.entries] == [f["field1"] for f in payload["feeds"]]
    assert feed.column(1) == tuple(f["field1"] for f in payload["feeds"])


def test_entries_are_ordered_oldest_first_whatever_order_they_arrive_in():
    payload = load_fixture("channel_9_two_entries.json")
    payload["feeds"].reverse()
    feed = parse_feed(payload)
    assert [e.entry_id for e in feed.entries] == [9680333, 9680334]


def test_timestamps_with_offsets_become_utc():
    payload = load_fixture("channel_9.json")
    payload["feeds"][0]["created_at"] = "2016-02-09T15:11:45-05:00"
    assert parse_feed(payload).latest.created_at == datetime(2016, 2, 9, 20, 11, 45, tzinfo=UTC)


def test_numbers_sent_as_json_numbers_keep_their_value():
    payload = load_fixture("channel_9.json")
    payload["feeds"][0]["field1"] = 213
    payload["feeds"][0]["field2"] = 29.5
    latest = parse_feed(payload).latest
    assert (latest.value(1), latest.value(2)) == ("213", "29.5")


def test_a_channel_without_a_name_is_called_by_its_id():
    payload = load_fixture("channel_9.json")
    del payload["channel"]["name"]
    assert parse_feed(payload).channel.name == "Channel 9"


def _broken(change):
    payload = load_fixture("channel_9.json")
    change(payload)
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        -1,
        [],
        "nope",
        _broken(lambda p: p.pop("channel")),
        _broken(lambda p: p.update(feeds={"0": {}})),
        _broken(lambda p: p["channel"].update(id="9")),
        _broken(lambda p: p["feeds"][0].update(entry_id="9680334")),
        _broken(lambda p: p["feeds"][0].update(entry_id=True)),
        _broken(lambda p: p["feeds"][0].update(created_at="yesterday")),
        _broken(lambda p: p["feeds"][0].update(created_at="2016-02-09T20:11:45")),
        _broken(lambda p: p["feeds"][0].update(created_at="0001-01-01T00:00:00+00:00")),
        _broken(lambda p: p["feeds"][0].update(field1=["213"])),
        _broken(lambda p: p["feeds"][0].update(field1=True)),
        _broken(lambda p: p["channel"].update(field1=7)),
    ],
    ids=[
        "minus-one",
        "list",
        "string",
        "no channel",
        "feeds not a list",
        "channel id string",
        "entry_id string",
        "entry_id bool",
        "created_at unparseable",
        "created_at naive",
        "created_at year 1",
        "value list",
        "value bool",
        "field name number",
    ],
)
def test_anything_not_shaped_like_a_feed_is_rejected(payload):
    with pytest.raises(MalformedResponse):
        parse_feed(payload)
