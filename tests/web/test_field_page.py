"""A field's own page, its JSON and its CSV, over real HTTP to an emulator of our own
whose moving channels are kept still, so a range read twice shows the same entries: what
each range asks ThingSpeak (and how little), points equal to the emulator's own averages,
honest spans, the CSV, refusals, caching and the read key. Then the page in Chromium at a
phone's size, read by touch at each range."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import pytest
import requests
from playwright.sync_api import Page, expect

from chalicelib.display.field_view import CHART_SLOTS
from chalicelib.thingspeak.averages import MAX_REQUESTS, RANGES, FieldAverages, plan_windows
from chalicelib.thingspeak.client import ThingSpeakClient
from emulator import (
    DEMO_CHANNEL_ID,
    PRIVATE_CHANNEL_ID,
    PRIVATE_READ_KEY,
    SCENARIO_CHANNELS,
    Emulator,
)
from scripts.local_app import serve
from tests.support.browser import PHONE
from tests.support.servers import loopback

FAST = SCENARIO_CHANNELS["fast"]  # an entry every second: 8000 entries are 2 h 13 min
YOUNG = SCENARIO_CHANNELS["empty"]  # given three days of entries below
GARAGE = SCENARIO_CHANNELS["nulls"]  # field 3 is a door: "open", "closed"
CAP = 8000
DASHBOARDS = f"""
[[dashboard]]
name = "garden"
channel = {DEMO_CHANNEL_ID}
title = "Garden"
  [[dashboard.field]]
  number = 4
  label = "Temperature"
  unit = "°F"
  [[dashboard.field]]
  number = 3
  label = "Humidity"
  unit = "%"
[[dashboard]]
name = "meter"
channel = {FAST}
[[dashboard]]
name = "young"
channel = {YOUNG}
[[dashboard]]
name = "garage"
channel = {GARAGE}
[[dashboard]]
name = "private"
channel = {PRIVATE_CHANNEL_ID}
read_api_key_env = "PRIVATE_KEY"
public = true
"""
# The same site with its keyed dashboard private (a key's default): anonymous visitors are
# asked to sign in, for that name and for any unknown one alike.
SIGN_IN_SITE = DASHBOARDS.replace("public = true\n", "")


@pytest.fixture(scope="module")
def upstream() -> Iterator[Emulator]:
    with loopback(Emulator(), lambda e: e.url) as emu:
        for channel in (DEMO_CHANNEL_ID, FAST):
            emu.go_quiet(channel)
        began = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
        for i in range(3 * 48):
            at = began + timedelta(minutes=30 * i)
            emu.add_entry(YOUNG, {1: str(40 + i % 7), 2: "18.5"}, created_at=at)
        yield emu


@pytest.fixture
def still(upstream: Emulator) -> Emulator:
    upstream.clear_requests()
    return upstream


@pytest.fixture
def client(make_client, still):
    return make_client(
        {"THINGSPEAK_URL": still.url, "PRIVATE_KEY": PRIVATE_READ_KEY}, dashboards=DASHBOARDS
    )


def get_json(client, path: str) -> dict:
    response = client.http.get(path)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def csv_rows(client, path: str) -> tuple[list[str], dict[str, str]]:
    response = client.http.get(path)
    assert response.status_code == 200, response.body
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8"), newline="")))
    return rows[0], dict(rows[1:])


def unix(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def moment(at: datetime | int) -> str:
    if isinstance(at, int):
        at = datetime.fromtimestamp(at, UTC)
    return f"{at:%Y-%m-%d %H:%M:%S}"


def entries(emu: Emulator, channel: int, field: int, start: str, end: str) -> dict[str, str]:
    """The emulator's own entries of [start, end] (ISO times): created_at -> value as sent."""
    params = {"start": moment(unix(start)), "end": moment(unix(end)), "results": CAP}
    feeds = requests.get(f"{emu.url}/channels/{channel}/feeds.json", params=params, timeout=10)
    return {
        e["created_at"]: e[f"field{field}"]
        for e in feeds.json()["feeds"]
        if e[f"field{field}"] is not None
    }


def averages(
    emu: Emulator, channel: int, field: int, minutes: int, start: str, end: str, every: timedelta
) -> dict[str, str]:
    """The emulator's own averages from `start` to `end`, asked for in windows of `every`
    (a whole number of buckets, few enough entries), not the way the app splits them."""
    found: dict[str, str] = {}
    at, stop = unix(start), unix(end)
    while at < stop:
        until = at + int(every.total_seconds())
        params = {"average": minutes, "start": moment(at), "end": moment(until)}
        url = f"{emu.url}/channels/{channel}/fields/{field}.json"
        for row in requests.get(url, params=params, timeout=10).json()["feeds"]:
            if at <= unix(row["created_at"]) < until and row[f"field{field}"] is not None:
                found[row["created_at"]] = row[f"field{field}"]
        at = until
    return found


def selected(emu: Emulator, channel: int, query: dict[str, str], now: str) -> int:
    """How many entries ThingSpeak selects for a window before averaging them."""
    params = {"start": query["start"], "end": query.get("end", moment(unix(now))), "results": CAP}
    url = f"{emu.url}/channels/{channel}/feeds.json"
    return len(requests.get(url, params=params, timeout=10).json()["feeds"])


def windows_of(emu: Emulator, channel: int, field: int) -> list[dict[str, str]]:
    path = f"/channels/{channel}/fields/{field}.json"
    asked = [r.query for r in emu.requests if r.path == path]
    return sorted(asked, key=lambda q: q["start"])


def assert_windows_tile_the_span(asked: list[dict[str, str]], minutes: int) -> None:
    assert 1 <= len(asked) <= MAX_REQUESTS
    for query, following in pairwise(asked):
        assert query["end"] == following["start"]  # no gap, no bucket read twice
    assert "end" not in asked[-1]  # the newest reaches now
    for query in asked:
        assert query["average"] == str(minutes) and "results" not in query
        assert unix(query["start"].replace(" ", "T") + "Z") % (minutes * 60) == 0


def the_what(page: str) -> str:
    found = re.search(r'<p class="what">(.*?)</p>', page)
    assert found is not None
    return found[1]


def test_24_hours_come_from_the_dashboards_cached_day_without_a_request_of_their_own(client, still):
    assert client.http.get("/d/garden").status_code == 200
    before = len(still.requests)
    page = client.http.get("/d/garden/field/4").body.decode()
    data = get_json(client, "/api/d/garden/field/4")
    assert len(still.requests) == before == 1
    trend = data["trend"]
    assert data["what"] == "reading" and data["span"] == "24 h" and data["capped"] is False
    assert "Each point is a reading as the channel sent it, over the last 24 h." in page
    sent = entries(still, DEMO_CHANNEL_ID, 4, trend["start"], trend["end"])
    assert data["points"] == len(sent) > 4000
    assert 80 < len(trend["t"]) <= 2 * CHART_SLOTS + 2  # more than the sparkline's 82
    for at, value in zip(trend["t"], trend["v"], strict=True):
        assert sent[f"{datetime.fromtimestamp(at, UTC):%Y-%m-%dT%H:%M:%SZ}"] == value
    assert trend["low"] == min(sent.values(), key=float)
    assert trend["high"] == max(sent.values(), key=float)
    assert sent[trend["low_at"]] == trend["low"] and sent[trend["high_at"]] == trend["high"]
    newest = sorted(sent.items())[-30:][::-1]
    table = re.findall(
        r'<tr><td><time datetime="([^"]+)"[^>]*>[^<]+</time></td><td[^>]*>([^<]+)<', page
    )
    assert table == newest


@pytest.mark.parametrize(
    ("range_", "minutes", "what", "every"),
    [("7d", 60, "hourly average", timedelta(hours=12)), ("30d", 240, "4-hour average", None)],
)
def test_longer_ranges_are_thingspeaks_own_averages_read_in_a_few_capped_windows(
    client, still, range_, minutes, what, every
):
    data = get_json(client, f"/api/d/garden/field/4?range={range_}")
    asked = windows_of(still, DEMO_CHANNEL_ID, 4)
    end = data["trend"]["end"]
    assert_windows_tile_the_span(asked, minutes)
    assert all(selected(still, DEMO_CHANNEL_ID, q, end) < CAP for q in asked)
    assert data["what"] == what
    _, sent = csv_rows(client, f"/d/garden/field/4.csv?range={range_}")
    first = min(sent)
    own = averages(still, DEMO_CHANNEL_ID, 4, minutes, first, end, every or timedelta(hours=36))
    assert sent == own  # every bucket, each value exactly as the emulator averaged it
    trend = data["trend"]
    for at, value in zip(trend["t"], trend["v"], strict=True):
        assert sent[f"{datetime.fromtimestamp(at, UTC):%Y-%m-%dT%H:%M:%SZ}"] == value
    assert data["trend"]["low"] == min(sent.values(), key=float)
    page = client.http.get(f"/d/garden/field/4?range={range_}").body.decode()
    assert f'data-what="{what}"' in page and f"Lowest {what}" in page
    assert f"Each point is a{'n' if what[0] == 'h' else ''} {what} that ThingSpeak computed" in page


def test_a_week_of_a_twenty_second_channel_is_five_small_answers_and_says_7_days(client, still):
    data = get_json(client, "/api/d/garden/field/4?range=7d")
    asked = windows_of(still, DEMO_CHANNEL_ID, 4)
    assert len(asked) == 5
    assert data["span"] == "7 days" and data["capped"] is False
    assert unix(data["trend"]["start"]) <= unix(data["trend"]["end"]) - 7 * 86400
    bodies = [
        requests.get(f"{still.url}/channels/{DEMO_CHANNEL_ID}/fields/4.json", params=q, timeout=10)
        for q in asked
    ]
    assert sum(len(b.content) for b in bodies) < 25_000  # not megabytes


def test_a_month_the_channel_is_too_busy_for_says_the_span_it_really_shows(client, still):
    data = get_json(client, "/api/d/garden/field/4?range=30d")
    page = client.http.get("/d/garden/field/4?range=30d").body.decode()
    assert len(windows_of(still, DEMO_CHANNEL_ID, 4)) == MAX_REQUESTS
    assert data["capped"] is True
    days = int(re.fullmatch(r"last (\d+) days", data["span"])[1])  # type: ignore[index]
    covered = unix(data["trend"]["end"]) - unix(data["trend"]["start"])
    assert days == covered // 86400 and 10 <= days < 30
    assert f"over the last {days} days." in the_what(page)
    assert "30 days" not in the_what(page) and "last 30 days" not in page
    assert f"<title>Temperature, last {days} days · Garden</title>" in page


def test_a_one_second_channel_says_last_2_h_13_min_at_24_hours(client, still):
    data = get_json(client, "/api/d/meter/field/1")
    page = client.http.get("/d/meter/field/1").body.decode()
    assert still.requests[-1].path == f"/channels/{FAST}/feeds.json"
    assert data["span"] == "last 2 h 13 min" and data["capped"] is True
    assert "over the last 2 h 13 min." in the_what(page)
    assert "ThingSpeak hands out at most 8000 readings" in the_what(page)
    assert 'aria-label="Power (W) over the last 2 h 13 min: readings' in page
    header, sent = csv_rows(client, "/d/meter/field/1.csv")
    assert header == ["created_at", "Power (W)"]
    assert sent == entries(still, FAST, 1, data["trend"]["start"], data["trend"]["end"])
    assert len(sent) == CAP


def test_a_one_second_channel_at_7_days_gets_shorter_buckets_and_an_honest_span(client, still):
    data = get_json(client, "/api/d/meter/field/1?range=7d")
    asked = windows_of(still, FAST, 1)
    minutes = int(asked[0]["average"])
    assert minutes < 60 and data["what"] == f"{minutes}-minute average"
    assert_windows_tile_the_span(asked, minutes)
    assert len(asked) == MAX_REQUESTS and data["capped"] is True
    assert all(selected(still, FAST, q, data["trend"]["end"]) < CAP for q in asked)
    hours = (unix(data["trend"]["end"]) - unix(data["trend"]["start"])) / 3600
    assert 10 < hours < 24 and re.fullmatch(r"last \d+ h( \d+ min)?", data["span"])
    _, sent = csv_rows(client, "/d/meter/field/1.csv?range=7d")
    every = timedelta(hours=1)
    assert sent == averages(still, FAST, 1, minutes, min(sent), data["trend"]["end"], every)


def test_a_three_day_old_channel_says_last_3_days_at_7_days(client, still):
    data = get_json(client, "/api/d/young/field/1?range=7d")
    assert len(windows_of(still, YOUNG, 1)) == 1  # a quiet channel: one read is plenty
    assert data["span"] == "last 3 days" and data["capped"] is False
    page = client.http.get("/d/young/field/1?range=7d").body.decode()
    assert "over the last 3 days." in the_what(page)


def test_a_field_of_words_has_no_chart_but_its_table_and_csv(client, still):
    page = client.http.get("/d/garage/field/3").body.decode()
    assert "These readings are not numbers, so there is nothing to chart." in page
    assert "<svg" not in page and ">open</td>" in page and ">closed</td>" in page
    _, sent = csv_rows(client, "/d/garage/field/3.csv")
    assert sorted(set(sent.values())) == ["closed", "open"]


def test_the_csv_is_what_the_page_shows_as_thingspeak_sent_it(client, still):
    response = client.http.get("/d/garden/field/4.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="garden-field4-24h.csv"'
    header, sent = csv_rows(client, "/d/garden/field/4.csv")
    assert header == ["created_at", "Temperature (°F)"]  # each column names its unit
    trend = get_json(client, "/api/d/garden/field/4")["trend"]
    assert sent == entries(still, DEMO_CHANNEL_ID, 4, trend["start"], trend["end"])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", at) for at in sent)
    week = client.http.get("/field/4.csv?range=7d")  # the first dashboard's
    assert 'filename="garden-field4-7d.csv"' in week.headers["Content-Disposition"]
    page = client.http.get("/d/garden/field/4?range=7d").body.decode()
    assert 'href="4.csv?range=7d"' in page


@pytest.mark.parametrize(
    "query", ["?range=1y", "?range=7D", "?results=8000", "?range=7d&api_key=X", "?start=2020"]
)
def test_anything_but_a_range_is_a_400_as_page_json_or_one_plain_line(client, still, query):
    page = client.http.get(f"/d/garden/field/4{query}")
    assert page.status_code == 400 and "Traceback" not in page.body.decode()
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    api = client.http.get(f"/api/d/garden/field/4{query}")
    assert api.status_code == 400 and json.loads(api.body)["error"]["code"] == "bad_request"
    plain = client.http.get(f"/d/garden/field/4.csv{query}")
    assert plain.status_code == 400 and plain.headers["Content-Type"].startswith("text/plain")
    assert plain.body.decode().count("\n") == 1
    assert still.requests == []


def test_link_decorations_are_ignored(client):
    response = client.http.get("/d/garden/field/4?range=7d&utm_source=newsletter&fbclid=x")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/d/nope/field/4",
        "/d/nope/field/4.csv",
        "/api/d/nope/field/4",
        "/d/garden/field/7",  # the channel has it; the dashboard does not show it
        "/d/garden/field/9",
        "/d/garden/field/x",
        "/d/garden/field/4.json",
        "/api/d/garden/field/4.csv",
    ],
)
def test_an_unknown_dashboard_or_field_is_our_404_and_never_reaches_thingspeak(client, still, path):
    response = client.http.get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.body.decode()
    assert still.requests == []


@pytest.mark.parametrize("name", ["private", "nope"])
def test_with_a_private_dashboard_private_and_unknown_fields_alike_ask_to_sign_in(
    make_client, still, name
):
    env = {"THINGSPEAK_URL": still.url, "PRIVATE_KEY": PRIVATE_READ_KEY}
    client = make_client(env, dashboards=SIGN_IN_SITE)
    page = client.http.get(f"/d/{name}/field/1?range=7d")
    assert page.status_code == 303
    assert page.headers["Location"].startswith("/signin?next=")
    for path in (f"/d/{name}/field/1.csv", f"/api/d/{name}/field/1"):
        assert client.http.get(path).status_code == 401
    assert client.http.get("/d/garden/field/4.json").status_code == 404  # a public one's
    assert still.requests == []


def test_a_second_view_asks_thingspeak_nothing_and_a_conditional_one_gets_304(client, still):
    first = client.http.get("/d/garden/field/3?range=30d")
    asked = len(still.requests)
    again = client.http.get("/d/garden/field/3?range=30d")
    assert again.body == first.body
    cached = client.http.get(
        "/api/d/garden/field/3?range=30d", headers={"If-None-Match": "W/nothing"}
    )
    assert cached.status_code == 200
    tag = first.headers["ETag"]
    assert (
        client.http.get("/d/garden/field/3?range=30d", headers={"If-None-Match": tag}).status_code
        == 304
    )
    assert len(still.requests) == asked
    assert client.http.head("/d/garden/field/3?range=30d").body == b""


def test_the_read_key_goes_to_its_own_channel_only_and_never_out(client, still, capsys):
    answers = [
        client.http.get(path)
        for path in (
            "/d/private/field/1?range=7d",
            "/api/d/private/field/1?range=30d",
            "/d/private/field/1.csv?range=7d",
            "/d/garden/field/4?range=7d",
        )
    ]
    assert all(a.status_code == 200 for a in answers)
    for request in still.requests:
        if request.path.startswith(f"/channels/{PRIVATE_CHANNEL_ID}/"):
            assert request.query["api_key"] == PRIVATE_READ_KEY
        else:
            assert "api_key" not in request.query
    for answer in answers:
        assert PRIVATE_READ_KEY not in answer.body.decode()
        assert PRIVATE_READ_KEY not in json.dumps(dict(answer.headers))
    assert PRIVATE_READ_KEY not in capsys.readouterr().out


def test_thingspeak_failing_with_nothing_cached_is_one_clear_line(make_client, still):
    env = {"THINGSPEAK_URL": still.url, "PRIVATE_KEY": PRIVATE_READ_KEY}
    client = make_client(env, dashboards=DASHBOARDS)
    still.set_fault(DEMO_CHANNEL_ID, "error_503")
    try:
        plain = client.http.get("/d/garden/field/4.csv?range=7d")
        page = client.http.get("/d/garden/field/4?range=7d")
    finally:
        still.set_fault(DEMO_CHANNEL_ID, None)
    assert plain.status_code == 502 and plain.body.decode().count("\n") == 1
    assert "ThingSpeak is not answering properly" in plain.body.decode()
    assert page.status_code == 502 and "Traceback" not in page.body.decode()


def test_a_failed_read_serves_the_last_good_one_marked_stale_until_it_heals(still):
    ticks = [0.0]
    client = ThingSpeakClient(still.url)
    history = FieldAverages(
        lambda n, params: client.series(DEMO_CHANNEL_ID, n, params),
        retry_seconds=15,
        clock=lambda: ticks[0],
    )
    day = client.feed(DEMO_CHANNEL_ID, CAP, extra={"minutes": "1445"})
    week = RANGES["7d"]
    good = history.get(4, week, day)
    assert good.cache == "miss" and good.error is None
    ticks[0] += week.ttl_seconds - 1
    assert history.get(4, week, day).cache == "hit"
    still.set_fault(DEMO_CHANNEL_ID, "error_503")
    try:
        ticks[0] += 2
        stale = history.get(4, week, day)
        assert stale.cache == "stale" and stale.fetched == good.fetched
        assert stale.error is not None and stale.error.code == "thingspeak_unavailable"
        still.clear_requests()
        ticks[0] += 10
        assert history.get(4, week, day).cache == "stale"
        assert still.requests == []  # not asked again before the retry window has passed
    finally:
        still.set_fault(DEMO_CHANNEL_ID, None)
    ticks[0] += 10
    assert history.get(4, week, day).cache == "miss"


def test_a_window_plan_stays_under_the_cap_and_tiles_the_range():
    now = datetime(2025, 3, 9, 14, 37, 12, tzinfo=UTC)
    week = RANGES["7d"]
    plan = plan_windows(week, now, 1 / 20)
    assert plan.minutes == 60 and not plan.capped and len(plan.windows) == 5
    assert plan.start <= now - week.length
    quiet = plan_windows(week, now, 0.0)
    assert len(quiet.windows) == 1 and quiet.windows[0].end is None
    busy = plan_windows(RANGES["30d"], now, 1.0)
    assert busy.capped and len(busy.windows) == MAX_REQUESTS
    assert busy.minutes * 60 <= 7000  # a bucket never needs more than one window
    for window, following in pairwise(busy.windows):
        assert window.end == following.start
        assert (following.start - window.start) <= 7000  # entries at one a second


# --- The page in Chromium, read by touch ------------------------------------------------


@pytest.fixture(scope="module")
def served(upstream: Emulator) -> Iterator[str]:
    """`chalice local` with the demo dashboards, on this module's emulator."""
    with loopback(serve(upstream.url), lambda app: app.url) as local:
        yield local.url


def touch(page: Page, cdp, kind: str, x: float | None = None, y: float | None = None) -> None:
    points = [] if x is None else [{"x": x, "y": y}]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def tenth(raw: str) -> str:
    return str(Decimal(raw).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("range_", "what"), [("24h", ""), ("7d", "hourly average"), ("30d", "4-hour average")]
)
def test_a_finger_reads_any_point_of_the_field_chart_at_each_range(browser, served, range_, what):
    context = browser.new_context(**PHONE, locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{served}/d/weather/field/4?range={range_}")
        svg = page.locator(".chart svg")
        box = svg.bounding_box()
        assert box is not None and box["height"] >= 150  # larger than a sparkline
        deltas = [int(d) for d in (svg.get_attribute("data-t") or "").split()]
        times = [sum(deltas[: i + 1]) for i in range(len(deltas))]
        values = (svg.get_attribute("data-v") or "").split()
        raw = page.request.get(f"{served}/d/weather/field/4.csv?range={range_}").text()
        sent = {unix(at): value for at, value in list(csv.reader(io.StringIO(raw)))[1:]}
        cdp = context.new_cdp_session(page)
        y = box["y"] + box["height"] / 2
        touch(page, cdp, "touchStart", box["x"] + 2, y)
        for fraction in (0.02, 0.3, 0.6, 0.98):
            touch(page, cdp, "touchMove", round(box["x"] + fraction * box["width"]), y)
            tip = page.locator(".tip")
            expect(tip).to_be_visible()
            value, _, unit = tip.locator("b").inner_text().partition("\u202f")
            at = unix(tip.locator(".at").get_attribute("data-at") or "")
            assert at in times and values[times.index(at)] == value and unit == "°F"
            assert tenth(sent[at]) == value  # the point as ThingSpeak sent it, at 1 decimal
            assert tip.locator("span").nth(1).inner_text() == what
        touch(page, cdp, "touchEnd")
        expect(page.locator(".tip")).to_be_hidden()
        current = page.locator(".ranges [aria-current=page]")
        assert current.inner_text() == RANGES[range_].label
        assert errors == []
    finally:
        context.close()
