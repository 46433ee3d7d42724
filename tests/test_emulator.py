"""The emulator answers in ThingSpeak's exact shape and fails in ThingSpeak's ways, over real
HTTP, so tests against it mean something."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator import (
    DEMO_CHANNEL_ID,
    DEMO_WRITE_KEY,
    PRIVATE_CHANNEL_ID,
    PRIVATE_READ_KEY,
    SCENARIO_CHANNELS,
    Emulator,
    Scenario,
)

ROOT = Path(__file__).resolve().parent.parent
DAY = 24 * 3600 // 20  # a day of the demo: an entry every 20 s
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
NOT_FOUND = {
    "status": "404",
    "error": {
        "error_code": "error_resource_not_found",
        "message": "Resource not found",
        "details": "The requested resource could not be found.",
    },
}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """Shared by the tests that add nothing; the others take `fresh`."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def fresh() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def feeds(emulator: Emulator, channel: int, **query: str) -> requests.Response:
    url = f"{emulator.url}/channels/{channel}/feeds.json"
    return requests.get(url, params=query, timeout=5)


def data(emulator: Emulator, channel: int, **query: str) -> dict[str, Any]:
    answer = feeds(emulator, channel, **query)
    assert answer.status_code == 200, answer.text
    return answer.json()


def is_feed(answer: requests.Response) -> bool:
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "feeds" in body


def test_demo_channel_has_thingspeaks_exact_shape(emu: Emulator) -> None:
    answer = feeds(emu, DEMO_CHANNEL_ID, results="3")
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    body = answer.json()
    compact = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    assert answer.text == compact  # like ThingSpeak's
    channel = body["channel"]
    fields = [f"field{n}" for n in range(1, 9)]
    assert list(channel) == [
        *("id", "name", "description", "latitude", "longitude"),
        *fields,
        *("created_at", "updated_at", "last_entry_id"),
    ]
    assert channel["id"] == DEMO_CHANNEL_ID and channel["name"] == "WeatherStation"
    assert channel["field4"] == "Temperature (F)" and channel["field6"] == 'Pressure ("Hg)'
    assert all(isinstance(channel[k], str) for k in ("latitude", "longitude", *fields))
    assert STAMP.match(channel["created_at"]) and STAMP.match(channel["updated_at"])
    assert len(body["feeds"]) == 3
    for entry in body["feeds"]:
        assert list(entry) == ["created_at", "entry_id", *fields]
        assert STAMP.match(entry["created_at"]) and isinstance(entry["entry_id"], int)
        assert all(entry[f] is None or isinstance(entry[f], str) for f in fields)
    newest = body["feeds"][-1]
    assert channel["last_entry_id"] == newest["entry_id"]
    assert channel["updated_at"] == newest["created_at"]
    age = datetime.now(UTC) - datetime.fromisoformat(newest["created_at"])
    assert timedelta(0) <= age < timedelta(seconds=21)


@pytest.mark.parametrize(
    ("results", "count"),
    # The demo has a month of history, so 8000 is always there (ThingSpeak's maximum).
    [("1", 1), ("10", 10), ("8000", 8000), ("9000", 8000), ("0", 1), ("many", 100), (None, 100)],
)
def test_results_picks_the_newest_entries_oldest_first(
    emu: Emulator, results: str | None, count: int
) -> None:
    query = {} if results is None else {"results": results}
    entries = data(emu, DEMO_CHANNEL_ID, **query)["feeds"]
    assert len(entries) == count
    ids = [e["entry_id"] for e in entries]
    stamps = [datetime.fromisoformat(e["created_at"]) for e in entries]
    assert ids == list(range(ids[0], ids[0] + count))
    assert all(b - a == timedelta(seconds=20) for a, b in itertools.pairwise(stamps))
    assert datetime.now(UTC) - stamps[-1] < timedelta(seconds=21)


def test_a_day_of_history_moves_like_weather(emu: Emulator) -> None:
    entries = data(emu, DEMO_CHANNEL_ID, results="8000")["feeds"]
    temperatures = [float(e["field4"]) for e in entries if e["field4"] is not None]
    assert len(set(temperatures)) > 50 and all(30 < t < 60 for t in temperatures)
    assert max(temperatures) - min(temperatures) > 8  # day and night
    steps = [abs(b - a) for a, b in itertools.pairwise(temperatures)]
    assert max(steps) < 2.5  # smooth, not random
    humidity = [float(e["field3"]) for e in entries if e["field3"] is not None]
    assert all(40 <= h <= 97 for h in humidity)
    light = [int(e["field8"]) for e in entries if e["field8"] is not None]
    assert min(light) == 0 and max(light) > 500  # night and day
    assert all(0 <= int(e["field1"]) <= 359 for e in entries if e["field1"] is not None)
    assert all(re.fullmatch(r"\d\.\d\d", e["field5"]) for e in entries if e["field5"])
    assert any(None in e.values() for e in entries)  # a dropped reading now and then
    # Computed from the clock: a second look sees the very same history.
    again = data(emu, DEMO_CHANNEL_ID, results="50")["feeds"]
    by_id = {e["entry_id"]: e for e in entries}
    assert all(by_id[e["entry_id"]] == e for e in again if e["entry_id"] in by_id)


def test_a_full_day_answers_quickly(emu: Emulator) -> None:
    feeds(emu, DEMO_CHANNEL_ID, results="8000")
    started = time.perf_counter()
    feeds(emu, DEMO_CHANNEL_ID, results="8000")
    assert time.perf_counter() - started < 0.2


def test_added_entry_is_the_newest(fresh: Emulator) -> None:
    before = data(fresh, DEMO_CHANNEL_ID, results="1")["channel"]["last_entry_id"]
    entry_id = fresh.add_entry(DEMO_CHANNEL_ID, {4: "99.9", 3: None})
    body = data(fresh, DEMO_CHANNEL_ID, results="2")
    newest = body["feeds"][-1]
    assert entry_id > before and newest["entry_id"] == entry_id
    assert body["channel"]["last_entry_id"] == entry_id
    assert (newest["field4"], newest["field3"], newest["field1"]) == ("99.9", None, None)
    assert len(data(fresh, DEMO_CHANNEL_ID, days="1")["feeds"]) == DAY + 1

    assert fresh.add_entry(1002, {1: "30"}) == 1
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    assert fresh.add_entry(1002, {1: "31"}, created_at=hour_ago) == 2
    stamps = [e["created_at"] for e in data(fresh, 1002)["feeds"]]
    assert stamps[0] == hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(KeyError):
        fresh.add_entry(424242, {1: "1"})


def test_write_api_appends_to_the_demo_channel(fresh: Emulator) -> None:
    posted = requests.post(
        f"{fresh.url}/update", data={"api_key": DEMO_WRITE_KEY, "field4": "71.5"}, timeout=5
    )
    assert posted.status_code == 200 and int(posted.text) > 0
    assert data(fresh, DEMO_CHANNEL_ID, results="1")["feeds"][-1]["field4"] == "71.5"
    query = {"api_key": DEMO_WRITE_KEY, "field2": "3.5"}
    got = requests.get(f"{fresh.url}/update", params=query, timeout=5)
    newest = data(fresh, DEMO_CHANNEL_ID, results="1")["feeds"][-1]
    assert int(got.text) == int(posted.text) + 1 == newest["entry_id"]
    assert (newest["field2"], newest["field4"]) == ("3.5", None)
    wrong = requests.get(f"{fresh.url}/update", params={"api_key": "NOPE"}, timeout=5)
    assert (wrong.status_code, wrong.text) == (200, "0")


def test_private_channel_answers_minus_one_without_its_key(emu: Emulator) -> None:
    for query in ({}, {"api_key": "WRONGKEY00000000"}):
        refused = feeds(emu, PRIVATE_CHANNEL_ID, results="1", **query)
        assert (refused.status_code, refused.text) == (400, "-1")
        assert refused.headers["Content-Type"].startswith("application/json")
    body = data(emu, PRIVATE_CHANNEL_ID, results="1", api_key=PRIVATE_READ_KEY)
    assert body["channel"]["id"] == PRIVATE_CHANNEL_ID and len(body["feeds"]) == 1
    # A public channel ignores a junk key.
    assert feeds(emu, DEMO_CHANNEL_ID, results="1", api_key="JUNK").status_code == 200


def test_empty_channel_names_its_fields_and_has_no_entries(emu: Emulator) -> None:
    body = data(emu, SCENARIO_CHANNELS[Scenario.EMPTY], results="10")
    assert body["feeds"] == [] and body["channel"]["last_entry_id"] is None
    assert body["channel"]["field1"] == "Soil moisture"


def test_nulls_channel_has_null_text_and_nan(emu: Emulator) -> None:
    newest = data(emu, SCENARIO_CHANNELS["nulls"], results="3")["feeds"][-1]
    assert [newest[f"field{n}"] for n in range(1, 5)] == ["21.4", None, "open", "nan"]


def test_stale_channel_is_three_hours_old_and_xss_is_verbatim(emu: Emulator) -> None:
    stale = data(emu, SCENARIO_CHANNELS["stale"], results="1")["feeds"][-1]
    age = datetime.now(UTC) - datetime.fromisoformat(stale["created_at"])
    assert timedelta(hours=2, minutes=59) < age < timedelta(hours=3, minutes=1)
    xss = data(emu, SCENARIO_CHANNELS["xss"], results="1")
    assert xss["channel"]["name"] == '<script>alert("name")</script> & Co'
    assert xss["channel"]["field1"] == "<img src=x onerror=alert(1)>"
    assert xss["feeds"][-1]["field2"] == "<b>bold</b>"
    float(xss["feeds"][-1]["field1"])


@pytest.mark.parametrize("channel", [1002, 1003, 1011, 1012, 1014])
def test_undefined_fields_are_absent(emu: Emulator, channel: int) -> None:
    body = data(emu, channel, results="5")
    defined = {k for k in body["channel"] if k.startswith("field")}
    assert 2 <= len(defined) <= 4 and {"field5", "field8"}.isdisjoint(defined)
    assert all({k for k in e if k.startswith("field")} == defined for e in body["feeds"])


def test_celsius_channel_moves_in_celsius(emu: Emulator) -> None:
    body = data(emu, SCENARIO_CHANNELS["celsius"], results="200")
    assert body["channel"]["name"] == "ESP8266 Weather Station"
    temperatures = {float(e["field1"]) for e in body["feeds"]}
    assert len(temperatures) > 5 and all(5 < t < 30 for t in temperatures)


def test_unknown_channels_and_paths_are_404(emu: Emulator) -> None:
    for path in ("/channels/424242/feeds.json", "/channels/12397/nothing.json", "/"):
        answer = requests.get(emu.url + path, timeout=5)
        assert answer.status_code == 404 and answer.json() == NOT_FOUND


def test_last_json_is_the_newest_entry(emu: Emulator) -> None:
    last = requests.get(f"{emu.url}/channels/{DEMO_CHANNEL_ID}/feeds/last.json", timeout=5)
    newest = data(emu, DEMO_CHANNEL_ID, results="1")["feeds"][-1]
    assert last.json()["entry_id"] in (newest["entry_id"], newest["entry_id"] - 1)
    assert "channel" not in last.json()


@pytest.mark.parametrize(
    ("scenario", "status", "content_type", "retry_after"),
    [
        ("error_500", 500, "text/html", None),
        ("error_502", 502, "text/html", None),
        ("error_503", 503, "text/html", "30"),
        ("rate_limited", 429, "application/json", "30"),
        ("malformed", 200, "application/json", None),
        ("html", 200, "text/html", None),
    ],
)
def test_fault_channels_answer_like_their_fault(
    emu: Emulator, scenario: str, status: int, content_type: str, retry_after: str | None
) -> None:
    answer = feeds(emu, SCENARIO_CHANNELS[scenario], results="1")
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith(content_type)
    assert answer.headers.get("Retry-After") == retry_after
    if content_type == "text/html":
        assert answer.text.lower().lstrip().startswith(("<html", "<!doctype html"))
    elif scenario == "malformed":
        assert answer.text == '{"channel": {"id": 1009, "name": "Brok'
        with pytest.raises(json.JSONDecodeError):
            json.loads(answer.text)
    else:
        error = answer.json()
        assert error["status"] == "429"
        assert error["error"]["error_code"] == "error_too_many_requests"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ("error_500", 500),
        ("error_502", 502),
        ("error_503", 503),
        ("rate_limited", 429),
        ("private", 400),
        ("not_found", 404),
        ("malformed", 200),
        ("html", 200),
    ],
)
def test_set_fault_switches_any_channel_and_back(fresh: Emulator, fault: str, status: int) -> None:
    fresh.set_fault(DEMO_CHANNEL_ID, fault)
    answer = feeds(fresh, DEMO_CHANNEL_ID, results="1")
    assert answer.status_code == status and not is_feed(answer)
    fresh.set_fault(DEMO_CHANNEL_ID, None)
    assert data(fresh, DEMO_CHANNEL_ID, results="1")["feeds"]


def test_set_fault_private_takes_the_private_key_and_healthy_opens_up(fresh: Emulator) -> None:
    fresh.set_fault(1014, Scenario.PRIVATE)
    assert feeds(fresh, 1014, results="1").text == "-1"
    assert data(fresh, 1014, results="1", api_key=PRIVATE_READ_KEY)["feeds"]
    fresh.set_fault(PRIVATE_CHANNEL_ID, "healthy")
    assert data(fresh, PRIVATE_CHANNEL_ID, results="1")["feeds"]
    with pytest.raises(ValueError, match="not a fault"):
        fresh.set_fault(1014, "empty")


def test_reset_closes_the_connection_unanswered(fresh: Emulator) -> None:
    fresh.set_fault(1014, "reset")
    with pytest.raises(requests.ConnectionError):
        feeds(fresh, 1014, results="1")
    fresh.set_fault(1014, None)
    assert feeds(fresh, 1014, results="1").ok


def test_stall_sends_headers_and_half_a_body(fresh: Emulator) -> None:
    fresh.set_fault(1014, "stall")
    url = f"{fresh.url}/channels/1014/feeds.json"
    with requests.get(url, params={"results": "1"}, stream=True, timeout=0.3) as answer:
        assert answer.status_code == 200
        with pytest.raises(requests.ConnectionError):
            answer.content  # noqa: B018 - reading the body is the point


def test_trickle_sends_headers_at_once_then_a_byte_at_a_time(emu: Emulator) -> None:
    url = f"{emu.url}/channels/{SCENARIO_CHANNELS['trickle']}/feeds.json"
    started = time.monotonic()
    with requests.get(url, params={"results": "1"}, stream=True, timeout=2) as answer:
        assert answer.status_code == 200 and time.monotonic() - started < 0.4
        assert answer.raw.read(1) == b"{"
        assert 0.4 < time.monotonic() - started < 1.5
    assert feeds(emu, DEMO_CHANNEL_ID, results="1").ok  # the hang-up harmed nothing


def test_every_feeds_read_is_recorded(fresh: Emulator, capfd: pytest.CaptureFixture[str]) -> None:
    before = time.monotonic()
    feeds(fresh, DEMO_CHANNEL_ID, results="5", api_key="K")
    feeds(fresh, SCENARIO_CHANNELS["error_500"])
    requests.get(f"{fresh.url}/update", params={"api_key": DEMO_WRITE_KEY}, timeout=5)
    requests.get(f"{fresh.url}/elsewhere", timeout=5)
    recorded = fresh.requests
    assert [(r.path, r.query) for r in recorded] == [
        (f"/channels/{DEMO_CHANNEL_ID}/feeds.json", {"results": "5", "api_key": "K"}),
        ("/channels/1005/feeds.json", {}),
    ]
    assert before <= recorded[0].at <= recorded[1].at <= time.monotonic()
    fresh.clear_requests()
    assert fresh.requests == []
    assert capfd.readouterr().err == ""  # no access log unless --verbose


def test_stop_is_quick_with_a_slow_answer_in_flight() -> None:
    emulator = Emulator().start()
    outcome: list[BaseException | int] = []

    def ask() -> None:
        try:
            outcome.append(feeds(emulator, SCENARIO_CHANNELS["slow"]).status_code)
        except requests.RequestException as error:
            outcome.append(error)

    client = threading.Thread(target=ask)
    client.start()
    while not emulator.requests:
        time.sleep(0.01)
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2
    client.join(2)
    assert outcome and isinstance(outcome[0], requests.ConnectionError)
    emulator.stop()  # twice is harmless


def test_stop_cuts_kept_alive_connections() -> None:
    emulator = Emulator().start()
    session = requests.Session()
    url = f"{emulator.url}/channels/{DEMO_CHANNEL_ID}/feeds.json"
    assert session.get(url, params={"results": "1"}, timeout=5).ok
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(url, params={"results": "1"}, timeout=5)


def test_command_line_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        match = re.fullmatch(r"ThingSpeak emulator on (http://\S+) \(demo channel 12397\)", line)
        assert match, line
        url = f"{match[1]}/channels/{DEMO_CHANNEL_ID}/feeds.json"
        assert requests.get(url, params={"results": "1"}, timeout=5).ok
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=5)
    finally:
        process.kill()
    assert process.returncode == 0 and errors == ""
