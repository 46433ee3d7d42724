"""Conditional requests, the day's history and the static files of the page."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.conftest import FakeClock, at, feed_url, load_fixture

NOW = at("2016-02-09T20:15:00Z")


def test_polling_with_the_etag_gets_304_until_a_new_entry_arrives(thingspeak, make_client):
    stub = thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client({"CACHE_TTL_SECONDS": "0"}, now=NOW)
    first = client.http.get("/api/latest")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.http.get("/api/latest", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.body == b""
    assert again.headers["ETag"] == etag
    thingspeak.remove(stub)
    thingspeak.get(feed_url(9), json=load_fixture("channel_9_newer.json"))
    changed = client.http.get("/api/latest", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert json.loads(changed.body)["entry_id"] == 9680335


def test_the_page_answers_304_too_and_every_answer_says_how_to_cache(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client(now=NOW)
    page = client.http.get("/")
    assert page.headers["Cache-Control"] == "no-cache"
    not_modified = client.http.get("/", headers={"If-None-Match": page.headers["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.headers["Cache-Control"] == "no-cache"


def test_a_reading_turning_stale_changes_the_etag(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    clock = FakeClock(NOW)
    client = make_client(now=clock)
    etag = client.http.get("/api/latest").headers["ETag"]
    clock.now += timedelta(hours=1)
    later = client.http.get("/api/latest", headers={"If-None-Match": etag})
    assert later.status_code == 200 and json.loads(later.body)["stale"] is True


def test_the_page_refreshes_every_refresh_seconds(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    body = make_client({"REFRESH_SECONDS": "45"}, now=NOW).http.get("/").body.decode()
    assert '<main data-refresh="45" data-api="/api/d/9">' in body


def test_manifest_and_icons_are_served_for_add_to_home_screen(make_client):
    client = make_client()
    manifest = client.http.get("/manifest.webmanifest")
    assert manifest.headers["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.body)
    assert data["display"] == "standalone" and data["start_url"] == "/"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in data["icons"]}
    png = client.http.get("/icon-192.png", headers={"Accept": "image/png"})
    assert png.headers["Content-Type"] == "image/png" and png.body.startswith(b"\x89PNG")
    svg = client.http.get("/icon.svg")
    assert svg.body.startswith(b"<svg") and "max-age" in svg.headers["Cache-Control"]
    assert client.http.get("/robots.txt").body.startswith(b"User-agent: *")


def test_an_unknown_path_gets_a_friendly_404_page(make_client):
    page = make_client().http.get("/wp-login.php")
    assert page.status_code == 404
    assert "Page not found" in page.body.decode()
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"


def test_icons_are_revalidated_with_their_etag(make_client):
    client = make_client()
    first = client.http.get("/icon.svg")
    again = client.http.get("/icon.svg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"].startswith("public")


def test_a_late_post_with_an_older_time_keeps_the_newest_reading_as_the_headline(
    thingspeak, make_client
):
    """A device that posts a missed reading late gives a newer id an older time."""
    day = load_fixture("channel_9.json")
    stub = thingspeak.get(feed_url(9), json=day)
    client = make_client({"CACHE_TTL_SECONDS": "0"}, now=NOW)
    newest = json.loads(client.http.get("/api/latest").body)
    # Posted now, measured ten seconds before the newest reading.
    missed = {**day["feeds"][0], "entry_id": 9680335, "created_at": "2016-02-09T20:11:35Z"}
    thingspeak.remove(stub)
    thingspeak.get(feed_url(9), json={**day, "feeds": [*day["feeds"], {**missed, "field1": "7"}]})
    after = json.loads(client.http.get("/api/latest").body)
    assert stub.call_count == 1 and len(thingspeak.calls) == 2  # the tail was read
    assert after["created_at"] == newest["created_at"] == "2016-02-09T20:11:45Z"
    assert after["fields"][0]["value"] == newest["fields"][0]["value"] == "213"
