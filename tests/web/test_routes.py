"""The routes through chalice.test.Client, ThingSpeak stubbed with real-shaped JSON."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import requests
from responses import matchers

from tests.conftest import SECRET_KEY, FakeClock, at, feed_url, load_fixture
from tests.support.access import sign_in

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
)
JUST_AFTER = at("2016-02-09T20:15:00Z")  # four minutes after channel 9's entry


def text(response) -> str:
    return response.body.decode("utf-8")


def shown(value: str, unit: str | None = None) -> str:
    """The markup of a number as the page shows it."""
    markup = f'<span class="number" data-v="{value}">{value}</span>'
    return markup + (f'<span class="unit" data-u="{unit}">{unit}</span>' if unit else "")


def test_page_shows_channel_name_headline_value_and_when_measured(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    page = make_client(now=JUST_AFTER).http.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    body = text(page)
    assert "<h1>my_house</h1>" in body
    assert '<h2 id="headline-label">Light</h2>' in body
    assert '<span class="number" data-v="213">213</span>' in body
    assert '<time datetime="2016-02-09T20:11:45Z">9 Feb 2016, 20:11 UTC</time>' in body
    assert "3 min ago" in body
    assert "Outside Temperature" in body and "29.723991507430998" in body
    assert '<strong class="badge" data-stale hidden>Stale</strong>' in body


def test_the_request_to_thingspeak_always_sends_results_and_asks_for_the_last_day(
    thingspeak, make_client
):
    thingspeak.get(
        feed_url(9),
        json=load_fixture("channel_9.json"),
        match=[matchers.query_param_matcher({"results": "8000", "minutes": "1445"})],
    )
    assert make_client(now=JUST_AFTER).http.get("/").status_code == 200


def test_read_key_is_sent_to_thingspeak_but_never_shown(thingspeak, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    thingspeak.get(
        feed_url(9),
        json=load_fixture("channel_9.json"),
        match=[
            matchers.query_param_matcher(
                {"results": "8000", "minutes": "1445", "api_key": SECRET_KEY}
            )
        ],
    )
    # Keyed, so private unless it says public: this one does, so anyone sees it.
    client = make_client(
        {"THINGSPEAK_READ_API_KEY": SECRET_KEY, "THINGSPEAK_PUBLIC": "true"}, now=JUST_AFTER
    )
    for path in ("/", "/api/latest"):
        response = client.http.get(path)
        assert response.status_code == 200
        assert SECRET_KEY not in text(response)
        assert SECRET_KEY not in json.dumps(dict(response.headers))
    assert SECRET_KEY not in caplog.text


def test_api_latest_returns_the_reading_as_json(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    response = make_client(now=JUST_AFTER).http.get("/api/latest")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(response.body)
    assert data["channel"] == {"id": 9, "name": "my_house"}
    assert data["entry_id"] == 9680334
    assert data["created_at"] == "2016-02-09T20:11:45Z"
    assert data["stale"] is False
    assert data["upstream_error"] is None
    assert data["fields"][0] == {
        "field": 1,
        "name": "Light",
        "label": "Light",
        "value": "213",
        "display": "213",
        "unit": None,
        "numeric": True,
        "compass": None,  # not declared a direction
        "sums": None,  # not declared an amount
        "day_low": None,
        "day_high": None,
        "trend": None,  # one reading draws no chart
    }
    assert data["fields"][1]["value"] == "29.723991507430998"


def test_newest_entry_wins_when_thingspeak_sends_several(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9_two_entries.json"))
    data = json.loads(make_client().http.get("/api/latest").body)
    assert data["entry_id"] == 9680334
    assert data["fields"][0]["value"] == "213"


def test_old_flask_setup_celsius_to_fahrenheit_by_configuration_alone(thingspeak, make_client):
    thingspeak.get(feed_url(1014), json=load_fixture("esp8266_celsius.json"))
    client = make_client(
        dashboards="""
[[dashboard]]
name = "balcony"
channel = 1014
  [[dashboard.field]]
  number = 1
  convert = "c_to_f"
  decimals = 1
""",
        now=at("2026-11-24T03:41:00Z"),
    )
    body = text(client.http.get("/"))
    assert shown("70.0", "°F") in body
    assert "Humidity" not in body  # only the listed field is shown
    field = json.loads(client.http.get("/api/latest").body)["fields"][0]
    assert (field["value"], field["display"], field["unit"]) == ("21.1", "70.0", "°F")


def test_field_order_labels_units_and_decimals_come_from_the_dashboard(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client(
        dashboards="""
[[dashboard]]
name = "house"
channel = 9
  [[dashboard.field]]
  number = 2
  label = "Outside"
  unit = "°C"
  decimals = 1
  [[dashboard.field]]
  number = 1
  label = "Light level"
""",
        now=JUST_AFTER,
    )
    body = text(client.http.get("/"))
    assert '<h2 id="headline-label">Outside</h2>' in body
    assert shown("29.7", "°C") in body
    assert "<h3>Light level</h3>" in body


def test_empty_channel_says_no_readings_yet(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("empty_channel.json"))
    client = make_client()
    page = client.http.get("/")
    assert page.status_code == 200
    assert "No readings yet" in text(page)
    data = json.loads(client.http.get("/api/latest").body)
    assert data["entry_id"] is None and data["created_at"] is None
    assert data["stale"] is False
    assert [f["value"] for f in data["fields"]] == [None, None]


def test_null_text_and_nan_values_are_shown_honestly(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("nulls_and_text.json"))
    client = make_client(now=at("2026-11-24T03:41:00Z"))
    body = text(client.http.get("/"))
    assert '<span class="number" data-v="21.4">21.4</span>' in body
    assert '<span class="text">open</span>' in body
    assert body.count('<span class="dash" aria-hidden="true">–</span>') == 2  # null and nan
    assert ">nan<" not in body.lower()
    fields = json.loads(client.http.get("/api/latest").body)["fields"]
    assert [f["display"] for f in fields] == ["21.4", None, "open", None]
    assert [f["value"] for f in fields] == ["21.4", None, "open", "nan"]


def test_channel_and_field_names_are_escaped_never_executed(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("hostile_names.json"))
    body = text(make_client().http.get("/"))
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; &amp; Co" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<b>bold</b>" not in body and "&lt;b&gt;bold&lt;/b&gt;" in body


def test_old_reading_is_marked_stale(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client({"STALE_AFTER_MINUTES": "30"}, now=at("2016-02-09T20:42:00Z"))
    assert '<strong class="badge" data-stale>Stale</strong>' in text(client.http.get("/"))
    assert json.loads(client.http.get("/api/latest").body)["stale"] is True


def test_reading_younger_than_stale_after_minutes_is_fresh(thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client({"STALE_AFTER_MINUTES": "30"}, now=at("2016-02-09T20:41:00Z"))
    assert json.loads(client.http.get("/api/latest").body)["stale"] is False


def test_ten_quick_views_cost_one_upstream_call(thingspeak, make_client):
    stub = thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client()
    for path in ["/", "/api/latest"] * 5:
        assert client.http.get(path).status_code == 200
    assert stub.call_count == 1


def test_cache_expires_after_cache_ttl_seconds(thingspeak, make_client):
    stub = thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client({"CACHE_TTL_SECONDS": "0"})
    client.http.get("/")
    client.http.get("/")
    assert stub.call_count == 2


# (status, body, headers) from ThingSpeak -> (our status, error code, words on the page)
FAULTS = {
    "private channel": (
        400,
        "-1",
        {},
        502,
        "read_api_key_required",
        "the read API key is missing or wrong",
    ),
    "unknown channel": (
        404,
        json.dumps(load_fixture("not_found.json")),
        {},
        404,
        "channel_not_found",
        "ThingSpeak has no channel 9",
    ),
    "server error": (
        500,
        "<html>Internal Server Error</html>",
        {},
        502,
        "thingspeak_unavailable",
        "HTTP 500",
    ),
    "bad gateway": (502, "<html>Bad Gateway</html>", {}, 502, "thingspeak_unavailable", "HTTP 502"),
    "unavailable": (503, "", {"Retry-After": "30"}, 502, "thingspeak_unavailable", "HTTP 503"),
    "rate limited": (
        429,
        json.dumps(load_fixture("rate_limited.json")),
        {"Retry-After": "30"},
        502,
        "thingspeak_rate_limited",
        "429",
    ),
    "malformed json": (
        200,
        '{"channel": {"id": 9, "name": "Brok',
        {},
        502,
        "thingspeak_malformed",
        "not valid JSON",
    ),
    "html instead of json": (
        200,
        "<html><body>Maintenance</body></html>",
        {},
        502,
        "thingspeak_malformed",
        "not valid JSON",
    ),
    "wrong shape": (200, '{"feeds": []}', {}, 502, "thingspeak_malformed", "channel"),
    "absurdly deep json": (200, "[" * 100_000, {}, 502, "thingspeak_malformed", "not valid JSON"),
}
# Where to fix it, in this site's configuration: for signed-in people only (docs/access.md).
HINTS = {
    "private channel": "THINGSPEAK_READ_API_KEY",
    "unknown channel": "THINGSPEAK_CHANNEL_ID",
}


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous public", "signed-in private"])
@pytest.mark.parametrize("case", FAULTS, ids=list(FAULTS))
def test_each_thingspeak_fault_gets_its_own_clear_page_and_json_error(
    case, signed_in, thingspeak, make_client, monkeypatch, tmp_path
):
    upstream_status, body, headers, status, code, words = FAULTS[case]
    hint = HINTS.get(case)
    thingspeak.get(feed_url(9), body=body, status=upstream_status, headers=headers)
    if signed_in:  # keyed, so private: its owner signs in
        cookie = sign_in(monkeypatch, tmp_path)
        client = make_client({"THINGSPEAK_READ_API_KEY": SECRET_KEY})
    else:  # keyed, and public by saying so: anyone sees it
        cookie = {}
        client = make_client({"THINGSPEAK_READ_API_KEY": SECRET_KEY, "THINGSPEAK_PUBLIC": "true"})
    page = client.http.get("/", headers=cookie)
    assert page.status_code == status
    assert words in text(page)
    assert "Traceback" not in text(page) and SECRET_KEY not in text(page)
    assert ">-1<" not in text(page)
    if hint is not None:
        # The owner is told where to fix it; anyone else gets the general message only.
        assert (hint in text(page)) is signed_in
    api = client.http.get("/api/latest", headers=cookie)
    assert api.status_code == status
    assert json.loads(api.body)["error"]["code"] == code
    assert SECRET_KEY not in text(api)
    for header in SECURITY_HEADERS:
        assert header in page.headers and header in api.headers
    assert page.headers["Cache-Control"] == "no-store"
    if signed_in:
        assert page.headers["Vary"] == "Cookie" and page.headers["X-Robots-Tag"] == "noindex"
        # Without the cookie the private dashboard's fault is nobody's business: sign in.
        anonymous_page = client.http.get("/")
        anonymous_api = client.http.get("/api/latest")
        assert anonymous_page.status_code == 303
        assert anonymous_page.headers["Location"] == "/signin?next=/"
        assert anonymous_api.status_code == 401
        assert json.loads(anonymous_api.body)["error"]["code"] == "sign_in_required"
        for response in (anonymous_page, anonymous_api):
            assert words not in text(response) and code not in text(response)
            assert hint is None or hint not in text(response)


def test_private_channel_without_key_shows_how_to_fix_it(
    thingspeak, make_client, monkeypatch, tmp_path
):
    thingspeak.get(feed_url(9), body="-1", status=400, content_type="application/json")
    cookie = sign_in(monkeypatch, tmp_path)
    # No key yet, but private by saying so: the owner signs in and is told where to put it.
    client = make_client({"THINGSPEAK_PUBLIC": "false"})
    page = client.http.get("/", headers=cookie)
    body = text(page)
    assert page.status_code == 502
    assert "This channel needs a read API key" in body
    assert "Read API Key" in body and "THINGSPEAK_READ_API_KEY" in body
    assert ".chalice/config.json" in body
    # Anyone without a session is sent to sign in, and learns nothing of the fault.
    anonymous = client.http.get("/")
    assert anonymous.status_code == 303
    assert "THINGSPEAK_READ_API_KEY" not in text(anonymous)


def test_a_public_channel_without_key_tells_visitors_only_the_general_message(
    thingspeak, make_client, capsys
):
    thingspeak.get(feed_url(9), body="-1", status=400, content_type="application/json")
    # No key: public. A site with nothing private reads no cookie: this is what all see.
    page = make_client().http.get("/")
    body = text(page)
    assert page.status_code == 502
    assert "This channel needs a read API key" in body
    assert "the read API key is missing or wrong" in body
    for hint in ("Read API Key", "THINGSPEAK_READ_API_KEY", ".chalice/config.json", "SSM"):
        assert hint not in body
    # The hint goes to the log instead, for the owner.
    log = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert "THINGSPEAK_READ_API_KEY" in log[-1]["error_fix"]


@pytest.mark.parametrize(
    "failure",
    [requests.ReadTimeout("slow"), requests.ConnectTimeout("slow")],
    ids=["read", "connect"],
)
def test_no_answer_from_thingspeak_is_a_504(failure, thingspeak, make_client):
    thingspeak.get(feed_url(9), body=failure)
    client = make_client()
    assert client.http.get("/").status_code == 504
    assert json.loads(client.http.get("/api/latest").body)["error"]["code"] == "thingspeak_timeout"


def test_connection_refused_is_a_502_whose_message_has_no_url(thingspeak, make_client):
    refused = requests.ConnectionError(
        "HTTPSConnectionPool: Max retries exceeded with url: "
        f"/channels/9/feeds.json?results=8000&api_key={SECRET_KEY}"
    )
    thingspeak.get(feed_url(9), body=refused)
    client = make_client({"THINGSPEAK_READ_API_KEY": SECRET_KEY, "THINGSPEAK_PUBLIC": "true"})
    page = client.http.get("/")
    assert page.status_code == 502
    assert "Could not connect to ThingSpeak" in text(page)
    assert SECRET_KEY not in text(page)


def test_when_thingspeak_fails_the_last_good_reading_is_served_stale(thingspeak, make_client):
    clock = FakeClock(JUST_AFTER)
    good = thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client({"CACHE_TTL_SECONDS": "0"}, now=clock)
    assert client.http.get("/").status_code == 200
    thingspeak.remove(good)
    thingspeak.get(feed_url(9), body="<html>Bad Gateway</html>", status=502)
    clock.now += timedelta(seconds=1)

    page = client.http.get("/")
    assert page.status_code == 200
    body = text(page)
    assert '<span class="number" data-v="213">213</span>' in body
    assert "ThingSpeak is unreachable right now" in body
    assert '<strong class="badge" data-stale>Stale</strong>' in body
    data = json.loads(client.http.get("/api/latest").body)
    assert data["stale"] is True and data["entry_id"] == 9680334
    assert data["upstream_error"]["code"] == "thingspeak_unavailable"


def test_while_thingspeak_is_failing_it_is_asked_once_per_cache_window(thingspeak, make_client):
    stub = thingspeak.get(feed_url(9), body="oops", status=500)
    client = make_client({"CACHE_TTL_SECONDS": "60"})
    for _ in range(10):
        assert client.http.get("/").status_code == 502
    assert stub.call_count == 1


@pytest.mark.parametrize("path", ["/", "/api/latest"])
def test_every_response_carries_the_security_headers(path, thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    response = make_client().http.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
