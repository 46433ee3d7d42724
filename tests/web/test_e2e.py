"""End to end over real HTTP: the app against the project's ThingSpeak emulator.

Most tests drive the real Chalice app through chalice.test.Client with THINGSPEAK_URL
pointing at the emulator (real sockets, real JSON, real timeouts); the last one runs
`chalice local` itself, as `make serve` does.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from emulator import DEMO_CHANNEL_ID, PRIVATE_CHANNEL_ID, PRIVATE_READ_KEY, SCENARIO_CHANNELS
from emulator.server import SLOW_SECONDS
from tests.conftest import SECRET_KEY
from tests.support.access import sign_in

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = SCENARIO_CHANNELS


@pytest.fixture
def app_on(make_client, emulated):
    def make(channel_id: int, **env: str):
        return make_client(
            {"THINGSPEAK_URL": emulated.url, "THINGSPEAK_CHANNEL_ID": str(channel_id), **env}
        )

    return make


def body(response) -> str:
    return response.body.decode("utf-8")


def test_demo_channel_shows_a_fresh_moving_reading(make_client, emulated):
    client = make_client(
        {"THINGSPEAK_URL": emulated.url},
        dashboards=f"""
[[dashboard]]
name = "weather"
channel = {DEMO_CHANNEL_ID}
  [[dashboard.field]]
  number = 4
  label = "Temperature"
  unit = "°F"
  decimals = 1
  [[dashboard.field]]
  number = 3
""",
    )
    page = client.http.get("/")
    assert page.status_code == 200
    assert "<h1>WeatherStation</h1>" in body(page)
    data = json.loads(client.http.get("/api/latest").body)
    assert data["stale"] is False
    assert data["age_seconds"] < 60
    headline = data["fields"][0]
    assert headline["label"] == "Temperature" and headline["unit"] == "°F"
    assert headline["display"] is None or f">{headline['display']}<" in body(page)
    assert emulated.requests[0].query["results"] == "8000"


def test_a_new_entry_posted_to_thingspeak_shows_once_the_cache_expires(make_client, emulated):
    client = make_client(
        {"THINGSPEAK_URL": emulated.url, "CACHE_TTL_SECONDS": "0"},
        dashboards=f"""
[[dashboard]]
name = "balcony"
channel = {SCENARIO["celsius"]}
  [[dashboard.field]]
  number = 1
  convert = "c_to_f"
""",
    )
    entry_id = emulated.add_entry(SCENARIO["celsius"], {1: "-40", 2: "12"})
    data = json.loads(client.http.get("/api/latest").body)
    assert data["entry_id"] == entry_id
    assert data["fields"][0]["display"] == "-40.0"
    assert data["fields"][0]["unit"] == "°F"


def test_ten_quick_views_cost_one_call_to_thingspeak(app_on, emulated):
    client = app_on(DEMO_CHANNEL_ID)
    for _ in range(10):
        assert client.http.get("/").status_code == 200
    assert len(emulated.requests) == 1


def test_private_channel_needs_the_read_key(app_on, emulated):
    without = app_on(PRIVATE_CHANNEL_ID).http.get("/")
    assert without.status_code == 502
    assert "This channel needs a read API key" in body(without)
    # Keyed, so private unless it says public: this one does, so no sign-in is involved.
    with_key = app_on(
        PRIVATE_CHANNEL_ID, THINGSPEAK_READ_API_KEY=PRIVATE_READ_KEY, THINGSPEAK_PUBLIC="true"
    )
    assert with_key.http.get("/").status_code == 200
    assert emulated.requests[-1].query["api_key"] == PRIVATE_READ_KEY


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous public", "signed-in private"])
def test_wrong_read_key_is_never_echoed(app_on, signed_in, monkeypatch, tmp_path):
    if signed_in:  # the owner's page says where to fix the key: it must not show it either
        cookie = sign_in(monkeypatch, tmp_path)
        client = app_on(PRIVATE_CHANNEL_ID, THINGSPEAK_READ_API_KEY=SECRET_KEY)
    else:
        cookie = {}
        client = app_on(
            PRIVATE_CHANNEL_ID, THINGSPEAK_READ_API_KEY=SECRET_KEY, THINGSPEAK_PUBLIC="true"
        )
    page = client.http.get("/", headers=cookie)
    api = client.http.get("/api/latest", headers=cookie)
    assert page.status_code == 502 and api.status_code == 502
    assert json.loads(api.body)["error"]["code"] == "read_api_key_required"
    assert ("THINGSPEAK_READ_API_KEY" in body(page)) is signed_in  # the hint: owners only
    for response in (page, api):
        assert SECRET_KEY not in body(response)
        assert SECRET_KEY not in json.dumps(dict(response.headers))


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [
        ("error_500", 502, "thingspeak_unavailable"),
        ("error_502", 502, "thingspeak_unavailable"),
        ("error_503", 502, "thingspeak_unavailable"),
        ("rate_limited", 502, "thingspeak_rate_limited"),
        ("malformed", 502, "thingspeak_malformed"),
        ("html", 502, "thingspeak_malformed"),
    ],
)
def test_emulated_faults_get_clear_errors(scenario, status, code, app_on):
    client = app_on(SCENARIO[scenario])
    assert client.http.get("/").status_code == status
    api = client.http.get("/api/latest")
    assert api.status_code == status
    assert json.loads(api.body)["error"]["code"] == code


def test_unknown_channel_is_a_404(app_on):
    client = app_on(987654)
    page = client.http.get("/")
    assert page.status_code == 404 and "Channel not found" in body(page)


def test_empty_channel_and_null_values(app_on):
    assert "No readings yet" in body(app_on(SCENARIO["empty"]).http.get("/"))
    fields = json.loads(app_on(SCENARIO["nulls"]).http.get("/api/latest").body)["fields"]
    assert [f["display"] for f in fields] == ["21.4", None, "open", None]


def test_hostile_names_from_the_emulator_are_escaped(app_on):
    page = body(app_on(SCENARIO["xss"]).http.get("/"))
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold</b>" not in page


def test_three_hour_old_reading_is_stale(app_on):
    assert json.loads(app_on(SCENARIO["stale"]).http.get("/api/latest").body)["stale"] is True


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["slow", "trickle"])
def test_thingspeak_that_never_finishes_answering_is_a_504_before_it_would_finish(scenario, app_on):
    client = app_on(SCENARIO[scenario])
    started = time.monotonic()
    page = client.http.get("/")
    elapsed = time.monotonic() - started
    assert page.status_code == 504
    assert "ThingSpeak did not answer in time" in body(page)
    # Given up on (slow answers after SLOW_SECONDS, trickle takes longer still), not waited out.
    assert elapsed < SLOW_SECONDS


def test_stale_if_error_serves_the_last_good_reading(app_on, emulated):
    channel = SCENARIO["celsius"]
    client = app_on(channel, CACHE_TTL_SECONDS="0")
    good = json.loads(client.http.get("/api/latest").body)
    emulated.set_fault(channel, "error_503")
    try:
        api = client.http.get("/api/latest")
        page = client.http.get("/")
    finally:
        emulated.set_fault(channel, None)
    assert api.status_code == 200 and page.status_code == 200
    data = json.loads(api.body)
    assert data["entry_id"] == good["entry_id"] and data["stale"] is True
    assert data["upstream_error"]["code"] == "thingspeak_unavailable"
    assert "ThingSpeak is unreachable right now" in body(page)


@pytest.mark.slow
def test_chalice_local_serves_the_page_from_the_emulator(served_app):
    """What `make serve` runs: `chalice local --stage local` with the stage's settings."""
    page = requests.get(served_app + "/d/weather", timeout=10)
    api = requests.get(served_app + "/api/latest", timeout=10)
    assert page.status_code == 200
    assert "<h1>Weather station</h1>" in page.text
    assert '<h2 id="headline-label">Temperature</h2>' in page.text  # the demo file's fields
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    data = api.json()
    created = datetime.fromisoformat(data["created_at"])
    assert (datetime.now(UTC) - created).total_seconds() < 60
