"""Several dashboards from one file: the overview, per-dashboard pages and JSON, keys that
stay with their channel, one cache per channel, and HEAD. Real HTTP to the emulator."""

from __future__ import annotations

import json
import time

import pytest

from emulator import DEMO_CHANNEL_ID, PRIVATE_CHANNEL_ID, PRIVATE_READ_KEY, SCENARIO_CHANNELS
from emulator.server import SLOW_SECONDS
from tests.support.access import sign_in

CELSIUS = SCENARIO_CHANNELS["celsius"]


def dashboards(*entries: tuple[str, int], extra: str = "") -> str:
    return "".join(
        f'[[dashboard]]\nname = "{name}"\nchannel = {channel}\n{extra if i == 0 else ""}\n'
        for i, (name, channel) in enumerate(entries)
    )


@pytest.fixture
def site_on(make_client, emulated):
    def make(toml: str, **env: str):
        return make_client({"THINGSPEAK_URL": emulated.url, **env}, dashboards=toml)

    return make


def text(response) -> str:
    return response.body.decode("utf-8")


def test_the_overview_shows_one_card_per_dashboard_in_file_order(site_on, emulated):
    client = site_on(
        '[[dashboard]]\nname = "weather"\nchannel = 12397\ntitle = "Garden"\n'
        '  [[dashboard.field]]\n  number = 4\n  label = "Temperature"\n  unit = "°F"\n'
        "  decimals = 1\n" + dashboards(("balcony", CELSIUS))
    )
    page = text(client.http.get("/"))
    assert page.index("Garden") < page.index("ESP8266 Weather Station")
    assert '<a href="/d/weather">Garden</a>' in page and '<a href="/d/balcony">' in page
    cards = json.loads(client.http.get("/api/dashboards").body)
    assert [c["name"] for c in cards] == ["weather", "balcony"]
    weather = cards[0]
    assert weather["url"] == "/d/weather" and weather["channel"] == DEMO_CHANNEL_ID
    assert weather["headline"]["label"] == "Temperature" and weather["headline"]["unit"] == "°F"
    assert f">{weather['headline']['display']}<" in page
    assert weather["stale"] is False and weather["error"] is None
    assert 0 <= weather["age_seconds"] < 60
    assert cards[1]["title"] == "ESP8266 Weather Station"  # no title: the channel's own name


@pytest.mark.slow
def test_a_failing_and_a_hanging_channel_show_on_their_own_cards_before_the_hang_ends(
    site_on, emulated
):
    client = site_on(
        dashboards(
            ("weather", DEMO_CHANNEL_ID),
            ("broken", SCENARIO_CHANNELS["error_500"]),
            ("slow", SCENARIO_CHANNELS["slow"]),
        )
    )
    started = time.monotonic()
    response = client.http.get("/")
    elapsed = time.monotonic() - started
    # The hanging channel answers only after SLOW_SECONDS: the overview did not wait for it.
    assert response.status_code == 200 and elapsed < SLOW_SECONDS
    page = text(response)
    assert "ThingSpeak is not answering properly" in page
    assert "ThingSpeak did not answer in time" in page
    cards = {c["name"]: c for c in json.loads(client.http.get("/api/dashboards").body)}
    assert cards["weather"]["headline"] is not None and cards["weather"]["error"] is None
    assert cards["broken"]["error"]["code"] == "thingspeak_unavailable"
    assert cards["broken"]["headline"] is None
    assert cards["slow"]["error"]["code"] == "thingspeak_timeout"


def test_a_cold_overview_asks_each_channel_for_its_newest_entries_only(site_on, emulated):
    client = site_on(dashboards(("weather", DEMO_CHANNEL_ID), ("balcony", CELSIUS)))
    client.http.get("/")
    assert sorted((r.path, r.query["results"]) for r in emulated.requests) == [
        (f"/channels/{CELSIUS}/feeds.json", "20"),
        (f"/channels/{DEMO_CHANNEL_ID}/feeds.json", "20"),
    ]
    # The dashboard page then needs the whole day for its sparklines.
    client.http.get("/d/weather")
    assert emulated.requests[-1].query["results"] == "8000"


def test_ten_overview_views_cost_one_call_per_channel(site_on, emulated):
    client = site_on(dashboards(("weather", DEMO_CHANNEL_ID), ("balcony", CELSIUS)))
    for _ in range(5):
        client.http.get("/")
        client.http.get("/api/dashboards")
    channels = [r.path for r in emulated.requests]
    assert sorted(channels) == sorted(
        {f"/channels/{DEMO_CHANNEL_ID}/feeds.json", f"/channels/{CELSIUS}/feeds.json"}
    )


def test_two_dashboards_of_one_channel_share_its_cache(site_on, emulated):
    client = site_on(dashboards(("celsius", CELSIUS), ("fahrenheit", CELSIUS)))
    client.http.get("/d/celsius")
    client.http.get("/d/fahrenheit")
    client.http.get("/api/d/fahrenheit")
    assert len(emulated.requests) == 1


def test_each_dashboard_page_and_json_show_their_own_channel(site_on, emulated):
    client = site_on(dashboards(("weather", DEMO_CHANNEL_ID), ("balcony", CELSIUS)))
    balcony = json.loads(client.http.get("/api/d/balcony").body)
    assert balcony["dashboard"] == "balcony" and balcony["channel"]["id"] == CELSIUS
    latest = json.loads(client.http.get("/api/latest").body)
    assert latest["dashboard"] == "weather" and latest["channel"]["id"] == DEMO_CHANNEL_ID
    page = text(client.http.get("/d/balcony"))
    assert "<h1>ESP8266 Weather Station</h1>" in page
    assert 'data-api="/api/d/balcony"' in page and '<a href="/" class="back">' in page


@pytest.mark.parametrize(
    "path", ["/d/nope", "/api/d/nope", "/d/WEATHER", "/api/d/..%2F12397", "/d/weather%20x"]
)
def test_an_unknown_dashboard_is_our_404_and_never_reaches_thingspeak(site_on, emulated, path):
    client = site_on(dashboards(("weather", DEMO_CHANNEL_ID), ("balcony", CELSIUS)))
    response = client.http.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert json.loads(response.body)["error"]["code"] == "not_found"
    else:
        assert "Page not found" in text(response) and "Traceback" not in text(response)
    assert emulated.requests == []


def test_a_key_is_sent_only_to_its_own_channel_and_never_shown(site_on, emulated, caplog):
    client = site_on(
        dashboards(
            ("greenhouse", PRIVATE_CHANNEL_ID),
            ("balcony", CELSIUS),
            # Keyed, so private unless it says public: this one does, so anyone sees it.
            extra='read_api_key_env = "GREENHOUSE_KEY"\npublic = true',
        ),
        GREENHOUSE_KEY=PRIVATE_READ_KEY,
    )
    responses = [
        client.http.get(path)
        for path in ("/", "/api/dashboards", "/d/greenhouse", "/api/d/greenhouse", "/d/balcony")
    ]
    assert all(r.status_code == 200 for r in responses)
    for request in emulated.requests:
        if request.path == f"/channels/{PRIVATE_CHANNEL_ID}/feeds.json":
            assert request.query.get("api_key") == PRIVATE_READ_KEY
        else:
            assert "api_key" not in request.query
    for response in responses:
        assert PRIVATE_READ_KEY not in text(response)
        assert PRIVATE_READ_KEY not in json.dumps(dict(response.headers))
    assert PRIVATE_READ_KEY not in caplog.text


def test_a_private_channel_without_its_key_says_where_to_set_it(
    site_on, emulated, monkeypatch, tmp_path
):
    cookie = sign_in(monkeypatch, tmp_path)
    # No key yet, but private by saying so: the owner signs in and is told where to put it.
    client = site_on(
        dashboards(("greenhouse", PRIVATE_CHANNEL_ID), ("balcony", CELSIUS), extra="public = false")
    )
    page = client.http.get("/d/greenhouse", headers=cookie)
    assert page.status_code == 502
    assert "This channel needs a read API key" in text(page)
    assert "dashboard &#39;greenhouse&#39; in chalicelib/dashboards.toml" in text(page)
    cards = json.loads(client.http.get("/api/dashboards", headers=cookie).body)
    assert [c["name"] for c in cards] == ["greenhouse", "balcony"]
    assert cards[0]["error"]["code"] == "read_api_key_required"
    assert cards[1]["error"] is None
    # Without a session: sent to sign in, and the overview shows only the public dashboard.
    anonymous = client.http.get("/d/greenhouse")
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"] == "/signin?next=/d/greenhouse"
    assert "dashboards.toml" not in text(anonymous)
    overview = client.http.get("/api/dashboards")
    assert [c["name"] for c in json.loads(overview.body)] == ["balcony"]
    assert "greenhouse" not in text(overview) and "read_api_key" not in text(overview)


def test_a_public_channel_without_its_key_gives_visitors_only_the_general_message(
    site_on, emulated
):
    # No key: public, and a site with nothing private reads no cookie: what everyone sees.
    client = site_on(dashboards(("greenhouse", PRIVATE_CHANNEL_ID), ("balcony", CELSIUS)))
    page = client.http.get("/d/greenhouse")
    assert page.status_code == 502
    assert "This channel needs a read API key" in text(page)
    assert "the read API key is missing or wrong" in text(page)
    for hint in ("dashboards.toml", "read_api_key_env", "read_api_key_param", "SSM"):
        assert hint not in text(page)
    cards = json.loads(client.http.get("/api/dashboards").body)
    assert cards[0]["error"]["code"] == "read_api_key_required"
    assert "dashboards.toml" not in json.dumps(cards)


def test_thingspeak_status_beats_its_body_a_404_with_minus_one_is_no_such_channel(
    site_on, emulated, monkeypatch, tmp_path
):
    emulated.set_response(4242, 404, "-1", {"Content-Type": "application/json"})
    try:
        public = site_on(dashboards(("gone", 4242)))
        page = public.http.get("/")
        api = public.http.get("/api/latest")
        cookie = sign_in(monkeypatch, tmp_path)
        private = site_on(dashboards(("gone", 4242), extra="public = false"))
        owners = private.http.get("/", headers=cookie)
        owners_api = private.http.get("/api/latest", headers=cookie)
        anonymous = private.http.get("/")
    finally:
        emulated.set_response(4242, None)
    for response in (page, owners):
        assert response.status_code == 404 and "Channel not found" in text(response)
    for response in (api, owners_api):
        assert response.status_code == 404
        assert json.loads(response.body)["error"]["code"] == "channel_not_found"
    # Which setting to check: the owner is told; anyone else gets the general message.
    hint = "Check channel = 4242 for dashboard &#39;gone&#39;"
    assert hint in text(owners)
    assert hint not in text(page) and "dashboards.toml" not in text(page)
    assert anonymous.status_code == 303 and "4242" not in text(anonymous)


def test_the_overview_answers_a_conditional_poll_with_304(site_on, emulated):
    client = site_on(dashboards(("weather", DEMO_CHANNEL_ID), ("balcony", CELSIUS)))
    for path in ("/", "/api/dashboards"):
        first = client.http.get(path)
        again = client.http.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.body == b""


def test_the_overview_polls_the_dashboards_json(site_on, emulated):
    page = text(site_on(dashboards(("weather", DEMO_CHANNEL_ID), ("b", CELSIUS))).http.get("/"))
    assert '<main data-refresh="60" data-api="/api/dashboards" data-overview>' in page


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/d/weather",
        "/api/latest",
        "/api/d/weather",
        "/api/dashboards",
        "/manifest.webmanifest",
    ],
)
def test_head_answers_like_get_without_the_body(site_on, emulated, path):
    client = site_on(dashboards(("weather", DEMO_CHANNEL_ID), ("balcony", CELSIUS)))
    get = client.http.get(path)
    head = client.http.request("HEAD", path)
    assert head.status_code == get.status_code == 200
    assert head.body == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["Content-Security-Policy"] == get.headers["Content-Security-Policy"]


@pytest.mark.slow
def test_chalice_local_serves_the_demo_overview_and_answers_head(served_app):
    """What `make serve` shows a newcomer first: the overview of the demo file."""
    import requests

    page = requests.get(served_app + "/", timeout=10)
    head = requests.head(served_app + "/", timeout=10)
    assert page.status_code == 200 and head.status_code == 200
    assert "<h1>Your sensors</h1>" in page.text and '<a href="/d/weather">' in page.text
    assert head.text == ""
    cards = requests.get(served_app + "/api/dashboards", timeout=10).json()
    assert len(cards) >= 2 and all(card["error"] is None for card in cards)
