"""History reads on the emulator: date ranges, the 8000-entry limit, buckets and rounding as
ThingSpeak's open-source code computes them, the month-long moving channels, and quiet
spells for alert demos. Expectations are worked out by hand or recomputed from the
stations' own formulas, never read back from the emulator's aggregation code."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from emulator import (
    DEMO_CHANNEL_ID,
    PRIVATE_CHANNEL_ID,
    PRIVATE_READ_KEY,
    SCENARIO_CHANNELS,
    Emulator,
    Scenario,
    stations,
)
from tests.support.servers import loopback

EMPTY = SCENARIO_CHANNELS[Scenario.EMPTY]  # fields 1 and 2, no entries: ours to fill
FAST = SCENARIO_CHANNELS[Scenario.FAST]
BUSY = SCENARIO_CHANNELS[Scenario.BUSY]
GREENHOUSE = SCENARIO_CHANNELS[Scenario.GREENHOUSE]
DAY = timedelta(days=1)
# A morning on the empty channel: 10:00-10:10 holds three entries (one with a missing value,
# one with text), 10:10-10:20 one, 10:20-10:30 none, 10:30-10:40 one.
MORNING: list[tuple[str, dict[int, str | None]]] = [
    ("2024-03-01 10:01:00", {1: "10", 2: "20"}),
    ("2024-03-01 10:04:00", {1: "11", 2: None}),
    ("2024-03-01 10:09:59", {1: "13", 2: "x"}),
    ("2024-03-01 10:10:00", {1: "20", 2: "30"}),
    ("2024-03-01 10:35:00", {1: "5", 2: "7"}),
]
THAT_DAY = {"start": "2024-03-01 00:00:00", "end": "2024-03-01 23:59:59"}


@pytest.fixture(scope="module")
def morning() -> Iterator[Emulator]:
    with loopback(Emulator(), lambda e: e.url) as emulator:
        for at, values in MORNING:
            emulator.add_entry(EMPTY, values, datetime.fromisoformat(at))
        yield emulator


def feed(emulator: Emulator, channel: int, path: str = "feeds.json", **query: str) -> Any:
    url = f"{emulator.url}/channels/{channel}/{path}"
    answer = requests.get(url, params=query, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def rows(emulator: Emulator, channel: int, **query: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = feed(emulator, channel, **query)["feeds"]
    return found


def table(found: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    return [(r["created_at"][11:19], r["field1"], r["field2"]) for r in found]


def at(row: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(row["created_at"])


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def running_total(values: list[float]) -> float:
    total = 0.0
    for value in values:  # in order, one by one: not sum(), which compensates since 3.12
        total += value
    return total


def test_average_divides_by_every_entry_of_the_bucket(morning: Emulator) -> None:
    assert table(rows(morning, EMPTY, average="10", **THAT_DAY)) == [
        ("10:00:00", repr((10 + 11 + 13) / 3), repr(20 / 3)),  # "x" and null still count
        ("10:10:00", "20.0", "30.0"),
        ("10:20:00", None, None),  # an empty bucket between the first and the last
        ("10:30:00", "5.0", "7.0"),
    ]


def test_sum_median_and_timescale_buckets(morning: Emulator) -> None:
    assert table(rows(morning, EMPTY, sum="10", **THAT_DAY)) == [
        ("10:00:00", "34.0", "20.0"),
        ("10:10:00", "20.0", "30.0"),
        ("10:20:00", None, None),
        ("10:30:00", "5.0", "7.0"),
    ]
    assert table(rows(morning, EMPTY, median="10", **THAT_DAY))[0] == ("10:00:00", "11.0", "20.0")
    # timescale: the bucket's first entry as it was, stamped with the bucket's start.
    assert table(rows(morning, EMPTY, timescale="30", **THAT_DAY)) == [
        ("10:00:00", "10", "20"),
        ("10:30:00", "5", "7"),
    ]


def test_aggregated_rows_have_no_entry_id(morning: Emulator) -> None:
    for kind in ("timescale", "sum", "average", "median"):
        found = rows(morning, EMPTY, **{kind: "60"}, **THAT_DAY)
        assert [list(r) for r in found] == [["created_at", "field1", "field2"]]
    plain = rows(morning, EMPTY, **THAT_DAY)
    assert [list(r) for r in plain] == [["created_at", "entry_id", "field1", "field2"]] * 5


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(emu: Emulator) -> None:
    for minute, value in enumerate(["10", "1", "4", "2"]):
        emu.add_entry(EMPTY, {1: value}, datetime(2024, 3, 1, 10, minute))
    found = rows(emu, EMPTY, median="10", **THAT_DAY)
    assert (found[0]["field1"], found[0]["field2"]) == ("3.0", None)


@pytest.mark.parametrize(
    ("kind", "first"),
    [
        ({"timescale": "10", "sum": "10", "average": "10", "median": "10"}, ("10", "20")),
        ({"sum": "10", "average": "10", "median": "10"}, ("34.0", "20.0")),
        ({"average": "10", "median": "10"}, ("11.333333333333334", "6.666666666666667")),
        ({"median": "10", "timescale": "7"}, ("11.0", "20.0")),  # 7 is no bucket size
        ({"average": "daily", "start": "2024-03-01 09:00:00"}, ("11.8", "11.4")),
    ],
)
def test_precedence_timescale_sum_average_median(
    morning: Emulator, kind: dict[str, str], first: tuple[str, str]
) -> None:
    found = rows(morning, EMPTY, **{**THAT_DAY, **kind})
    assert (found[0]["field1"], found[0]["field2"]) == first


def test_round_prints_fixed_decimals(morning: Emulator) -> None:
    plain = table(rows(morning, EMPTY, round="2", **THAT_DAY))
    assert plain[:3] == [
        ("10:01:00", "10.00", "20.00"),
        ("10:04:00", "11.00", None),
        ("10:09:59", "13.00", "x"),  # text stays text
    ]
    averaged = table(rows(morning, EMPTY, average="10", round="2", **THAT_DAY))
    assert averaged[0] == ("10:00:00", "11.33", "6.67")
    assert table(rows(morning, EMPTY, sum="10", round="0", **THAT_DAY))[0][1:] == ("34", "20")
    assert table(rows(morning, EMPTY, timescale="10", round="1", **THAT_DAY))[1][1:] == (
        "20.0",
        "30.0",
    )
    assert table(rows(morning, EMPTY, average="10", round="abc", **THAT_DAY)) == table(
        rows(morning, EMPTY, average="10", **THAT_DAY)
    )


def test_ruby_number_printing_and_decimal_commas(emu: Emulator) -> None:
    for second, (one, two) in enumerate([("0.1", "1,5"), ("0.2", "2,5")]):
        emu.add_entry(EMPTY, {1: one, 2: two}, datetime(2024, 3, 1, 10, 0, second))
    emu.add_entry(EMPTY, {1: "5000000000000000", 2: "1"}, datetime(2024, 3, 1, 11, 0, 0))
    emu.add_entry(EMPTY, {1: "5000000000000000", 2: "1"}, datetime(2024, 3, 1, 11, 0, 1))
    summed = table(rows(emu, EMPTY, sum="60", **THAT_DAY))
    # Ruby's Float#to_s; once a comma was seen, every later value uses one.
    assert summed == [("10:00:00", "0,30000000000000004", "4,0"), ("11:00:00", "1.0e+16", "2,0")]
    averaged = table(rows(emu, EMPTY, average="60", **THAT_DAY))
    assert averaged[1][1] == "1.0e+16"  # ThingSpeak leaves what it cannot parse unaveraged


def test_results_limits_the_entries_before_bucketing(morning: Emulator) -> None:
    found = table(rows(morning, EMPTY, average="10", results="3", **THAT_DAY))
    assert found == [
        ("10:00:00", "13.0", None),  # only 10:09:59 is among the newest three
        ("10:10:00", "20.0", "30.0"),
        ("10:20:00", None, None),
        ("10:30:00", "5.0", "7.0"),
    ]


def test_start_and_end_include_both_ends(morning: Emulator) -> None:
    found = rows(morning, EMPTY, start="2024-03-01 10:04:00", end="2024-03-01 10:10:00")
    assert [r["created_at"][11:19] for r in found] == ["10:04:00", "10:09:59", "10:10:00"]
    assert rows(morning, EMPTY, start="2024-03-01T10:35:00Z", end="garbage")[-1]["field1"] == "5"


def test_days_and_minutes_count_back_from_now(emu: Emulator) -> None:
    now = datetime.now(UTC)
    for age, value in [(timedelta(days=3), "3d"), (timedelta(hours=5), "5h"), (timedelta(0), "0")]:
        emu.add_entry(EMPTY, {1: value}, now - age - timedelta(seconds=30))

    def values(**query: str) -> list[str]:
        return [r["field1"] for r in rows(emu, EMPTY, **query)]

    assert values(days="4") == ["3d", "5h", "0"]
    assert values(days="1") == ["5h", "0"]
    assert values(minutes="60") == ["0"]
    assert values(minutes="600", days="4") == ["5h", "0"]  # minutes wins over days
    assert values() == ["5h", "0"]  # nothing asked: the last day
    assert values(results="10") == ["3d", "5h", "0"]  # results opens the whole history
    assert values(days="abc") == []  # Ruby's "abc".to_i is 0: no time at all


def test_without_results_or_a_date_range_at_most_100_come_back(pristine: Emulator) -> None:
    assert len(rows(pristine, DEMO_CHANNEL_ID, minutes="60")) == 100  # minutes does not lift it
    assert len(rows(pristine, DEMO_CHANNEL_ID, minutes="60", results="500")) == 180
    assert len(rows(pristine, DEMO_CHANNEL_ID, days="1")) == 24 * 180


def test_8000_entries_are_selected_before_averaging(pristine: Emulator) -> None:
    plain = rows(pristine, FAST, days="1")
    hourly = rows(pristine, FAST, days="1", average="60")
    assert len(plain) == 8000 and at(plain[-1]) - at(plain[0]) == timedelta(seconds=7999)
    # A day was asked for, but 8000 one-second entries are 2 h 13 min 20 s.
    first, last = at(hourly[0]), at(hourly[-1])
    assert first <= at(plain[0]) + timedelta(seconds=5) and first.minute == first.second == 0
    assert last - first <= timedelta(hours=3) and len(hourly) in (3, 4)
    assert all(r["field1"] is not None for r in hourly)
    # The same on the busy station: a week of hourly averages is only 33 h 20 min.
    week = rows(pristine, BUSY, days="7", average="60")
    assert 34 <= len(week) <= 35


def test_daily_rows_cover_whole_days_beyond_8000_entries(pristine: Emulator) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    found = rows(pristine, BUSY, days="3", average="daily")
    # The day after the start, every whole day, and today (because `days` was given).
    assert [at(r) for r in found] == [today - 2 * DAY, today - DAY, today]
    for row in found[:2]:
        first = int(at(row).timestamp()) // 15
        entries = [stations.air_quality(slot) for slot in range(first, first + 5760)]
        for n in (1, 4, 8):
            total = running_total([float(e[n] or "nan") for e in entries])
            assert row[f"field{n}"] == repr(total / 5760)
    ranged = rows(pristine, BUSY, average="daily", start=stamp(today - 3 * DAY), end=stamp(today))
    assert [at(r) for r in ranged] == [today - 2 * DAY, today - DAY]  # no today without days


def test_daily_within_one_day_falls_back_to_the_8000_limit(morning: Emulator) -> None:
    found = table(rows(morning, EMPTY, timescale="daily", **THAT_DAY))
    assert found == [("00:00:00", "10", "20")]


def test_demo_has_a_month_of_history_every_20_seconds(pristine: Emulator) -> None:
    hour = (datetime.now(UTC) - 31 * DAY).replace(minute=0, second=0, microsecond=0)
    old = rows(pristine, DEMO_CHANNEL_ID, start=stamp(hour), end=stamp(hour + timedelta(hours=1)))
    assert len(old) == 181 and at(old[0]) == hour
    ids = [r["entry_id"] for r in old]
    assert ids == list(range(ids[0], ids[0] + 181))


def test_a_month_of_hourly_averages_answers_quickly(pristine: Emulator) -> None:
    rows(pristine, DEMO_CHANNEL_ID, days="30", average="60")
    started = time.perf_counter()
    found = rows(pristine, DEMO_CHANNEL_ID, days="30", average="60")
    assert time.perf_counter() - started < 5.0  # from the pristine's buckets, not recomputed
    assert 45 <= len(found) <= 46  # 8000 entries of 20 s: 44 h 26 min 40 s


@pytest.mark.parametrize(
    ("channel", "seconds", "names"),
    [
        (FAST, 1, ["Power (W)", "Voltage (V)"]),
        (BUSY, 15, ["PM2.5 (µg/m³)", "PM10 (µg/m³)", "CO2 (ppm)", "Temperature (°C)"]),
        (GREENHOUSE, 60, ["Temperature °C", "Humidity %", "Soil moisture"]),
    ],
)
def test_new_stations_post_at_their_interval(
    pristine: Emulator, channel: int, seconds: int, names: list[str]
) -> None:
    asked = datetime.now(UTC)
    body = feed(pristine, channel, results="20")
    assert [body["channel"][f"field{n}"] for n in range(1, len(names) + 1)] == names
    stamps = [at(r) for r in body["feeds"]]
    assert all(b - a == timedelta(seconds=seconds) for a, b in itertools.pairwise(stamps))
    assert asked - stamps[-1] < timedelta(seconds=seconds + 1)  # however long the read took
    fields = [k for k in body["feeds"][0] if k.startswith("field")]
    assert all(float(r[k]) == float(r[k]) for r in body["feeds"] for k in fields)  # numeric


def test_busy_station_has_eight_fields_a_full_day_and_a_month(pristine: Emulator) -> None:
    day = feed(pristine, BUSY, days="1")
    assert len([k for k in day["channel"] if k.startswith("field")]) == 8
    assert len(day["feeds"]) == 5760
    hour = (datetime.now(UTC) - 31 * DAY).replace(minute=0, second=0, microsecond=0)
    old = rows(pristine, BUSY, start=stamp(hour), end=stamp(hour + timedelta(hours=1)))
    assert len(old) == 241


def test_fast_station_goes_back_more_than_a_day(pristine: Emulator) -> None:
    start = (datetime.now(UTC) - DAY - timedelta(hours=1)).replace(microsecond=0)
    old = rows(pristine, FAST, start=stamp(start), end=stamp(start + timedelta(hours=1)))
    assert len(old) == 3601 and at(old[0]) == start


def test_field_reads_show_one_field(pristine: Emulator) -> None:
    body = feed(pristine, GREENHOUSE, "fields/3.json", results="3")
    assert body["channel"]["field1"] == "Temperature °C"  # the channel still names them all
    assert [list(r) for r in body["feeds"]] == [["created_at", "entry_id", "field3"]] * 3
    hourly = feed(pristine, GREENHOUSE, "fields/2.json", days="1", average="60", round="1")["feeds"]
    assert [list(r) for r in hourly] == [["created_at", "field2"]] * len(hourly)
    assert 24 <= len(hourly) <= 25 and all(r["field2"].count(".") == 1 for r in hourly)
    undefined = feed(pristine, GREENHOUSE, "fields/7.json", results="1")["feeds"]
    assert [list(r) for r in undefined] == [["created_at", "entry_id"]]


def test_faults_private_channels_and_canned_answers_apply_to_history(emu: Emulator) -> None:
    query = {"days": "7", "average": "60"}
    url = f"{emu.url}/channels/{PRIVATE_CHANNEL_ID}/feeds.json"
    refused = requests.get(url, params=query, timeout=60)
    assert (refused.status_code, refused.text) == (400, "-1")
    allowed = requests.get(url, params={**query, "api_key": PRIVATE_READ_KEY}, timeout=60)
    assert allowed.status_code == 200 and "entry_id" not in allowed.json()["feeds"][-1]
    emu.set_fault(BUSY, "error_503")
    busy = requests.get(f"{emu.url}/channels/{BUSY}/feeds.json", params=query, timeout=60)
    assert busy.status_code == 503
    emu.set_response(GREENHOUSE, 200, '{"canned": true}')
    assert feed(emu, GREENHOUSE, "fields/1.json", **query) == {"canned": True}
    assert [(r.path, r.query) for r in emu.requests] == [
        (f"/channels/{PRIVATE_CHANNEL_ID}/feeds.json", query),
        (f"/channels/{PRIVATE_CHANNEL_ID}/feeds.json", {**query, "api_key": PRIVATE_READ_KEY}),
        (f"/channels/{BUSY}/feeds.json", query),
        (f"/channels/{GREENHOUSE}/fields/1.json", query),
    ]


def test_quiet_channel_stops_but_posted_entries_still_arrive(emu: Emulator) -> None:
    before = feed(emu, FAST, results="1")["channel"]["last_entry_id"]
    emu.go_quiet(FAST)
    quiet_at = datetime.now(UTC)
    time.sleep(1.2)  # more than one of the station's 1 s slots
    after = feed(emu, FAST, results="5")
    assert after["channel"]["last_entry_id"] in (before, before + 1)
    assert at(after["feeds"][-1]) <= quiet_at
    posted = emu.add_entry(FAST, {1: "9999"})
    newest = feed(emu, FAST, results="1")["feeds"][-1]
    assert (newest["entry_id"], newest["field1"]) == (posted, "9999")
    emu.go_quiet(FAST)  # twice is harmless
    with pytest.raises(KeyError):
        emu.go_quiet(424242)


def test_quiet_presets_stop_following_the_clock(emu: Emulator) -> None:
    channel = SCENARIO_CHANNELS[Scenario.NULLS]
    emu.go_quiet(channel)
    first = rows(emu, channel, results="1")[-1]["created_at"]
    time.sleep(1.1)
    assert rows(emu, channel, results="1")[-1]["created_at"] == first


@pytest.mark.slow
def test_quiet_and_resume_over_http_leave_a_gap(emu: Emulator) -> None:
    control = f"{emu.url}/_emulator/channels/{FAST}"
    assert requests.post(f"{control}/quiet", timeout=60).status_code == 204
    went_quiet = datetime.now(UTC)
    time.sleep(1.2)
    assert requests.post(f"{control}/resume", timeout=60).status_code == 204
    resumed = datetime.now(UTC)
    time.sleep(1.2)
    found = [at(r) for r in rows(emu, FAST, results="30")]
    gap = [(a, b) for a, b in itertools.pairwise(found) if b - a > timedelta(seconds=1)]
    assert len(gap) == 1
    (last_before, first_after) = gap[0]
    assert last_before <= went_quiet and first_after > resumed - timedelta(seconds=1)
    assert first_after - last_before >= timedelta(seconds=2)
    assert found[-1] > resumed


def test_controls_answer_404_for_unknown_channels_and_want_post(pristine: Emulator) -> None:
    base = f"{pristine.url}/_emulator/channels"
    assert requests.post(f"{base}/424242/quiet", timeout=60).status_code == 404
    assert requests.post(f"{base}/{GREENHOUSE}/resume", timeout=60).status_code == 204
    refused = requests.get(f"{base}/{GREENHOUSE}/quiet", timeout=60)
    assert refused.status_code == 405 and refused.headers["Allow"] == "POST"
    assert all("_emulator" not in r.path for r in pristine.requests)  # controls are not reads
