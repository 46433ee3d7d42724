"""The emulator answers in ThingSpeak's exact shape, so tests against it mean something."""

from __future__ import annotations

import contextlib
import time

import requests

from emulator import DEMO_CHANNEL_ID, DEMO_WRITE_KEY, PRIVATE_CHANNEL_ID, PRIVATE_READ_KEY, Emulator


def feeds(emu, channel: int, **query: str) -> requests.Response:
    return requests.get(f"{emu.url}/channels/{channel}/feeds.json", params=query, timeout=5)


def test_demo_channel_has_thingspeaks_types(emulated):
    data = feeds(emulated, DEMO_CHANNEL_ID, results="3").json()
    channel = data["channel"]
    assert channel["id"] == DEMO_CHANNEL_ID and isinstance(channel["last_entry_id"], int)
    assert [channel[f"field{n}"] for n in (4, 3)] == ["Temperature (F)", "% Humidity"]
    assert len(data["feeds"]) == 3
    for entry in data["feeds"]:
        assert entry["created_at"].endswith("Z") and isinstance(entry["entry_id"], int)
        assert all(
            entry[f"field{n}"] is None or isinstance(entry[f"field{n}"], str) for n in range(1, 9)
        )
    ids = [e["entry_id"] for e in data["feeds"]]
    assert ids == sorted(ids) and ids[-1] == channel["last_entry_id"]


def test_a_whole_day_of_history_moves_like_weather():
    with Emulator() as fresh:  # the shared one has readings posted by other tests
        data = feeds(fresh, DEMO_CHANNEL_ID, results="8000").json()
    assert len(data["feeds"]) == 24 * 3600 // 20
    temperatures = {e["field4"] for e in data["feeds"] if e["field4"]}
    assert len(temperatures) > 20
    assert all(30 < float(t) < 60 for t in temperatures)


def test_undefined_fields_are_absent(emulated):
    data = feeds(emulated, 1014, results="1").json()
    assert "field3" not in data["channel"] and "field3" not in data["feeds"][0]


def test_posted_reading_becomes_the_newest_entry(emulated):
    answer = requests.post(
        f"{emulated.url}/update", data={"api_key": DEMO_WRITE_KEY, "field4": "71.5"}, timeout=5
    )
    newest = feeds(emulated, DEMO_CHANNEL_ID, results="1").json()["feeds"][-1]
    assert newest["entry_id"] == int(answer.text) and newest["field4"] == "71.5"
    wrong = requests.get(f"{emulated.url}/update", params={"api_key": "NOPE"}, timeout=5)
    assert wrong.text == "0"


def test_private_channel_answers_minus_one_without_the_key(emulated):
    without = feeds(emulated, PRIVATE_CHANNEL_ID, results="1")
    assert (without.status_code, without.text) == (400, "-1")
    assert feeds(emulated, PRIVATE_CHANNEL_ID, results="1", api_key=PRIVATE_READ_KEY).ok


def test_faults_can_be_switched_on_and_off(emulated):
    emulated.set_fault(1014, "error_503")
    try:
        failing = feeds(emulated, 1014, results="1")
        assert failing.status_code == 503 and failing.headers["Retry-After"] == "30"
    finally:
        emulated.set_fault(1014, None)
    assert feeds(emulated, 1014, results="1").ok
    assert feeds(emulated, 424242, results="1").status_code == 404


def test_every_read_is_recorded(emulated):
    feeds(emulated, DEMO_CHANNEL_ID, results="5")
    assert [r.query["results"] for r in emulated.requests] == ["5"]


def test_stopping_releases_a_slow_answer_at_once():
    emu = Emulator().start()
    with contextlib.suppress(requests.Timeout):
        requests.get(f"{emu.url}/channels/1004/feeds.json", timeout=0.3)
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 2
