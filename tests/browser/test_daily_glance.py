"""The daily glance (issue 19): what an owner sees at a glance each day. Cards with the next
fields small, time ticks and a value scale, the field page's newest reading, "today" since
the viewer's midnight, compass points, numbers in the viewer's own digits, a converted
field's CSV, one unit for every temperature card, and "Offline" gone soon after the network
is back."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from chalicelib.config.loader import load_config
from chalicelib.config.model import ConfigError, FieldDisplay
from chalicelib.display.ticks import time_ticks, value_scale
from chalicelib.display.values import compass_point
from emulator import DEMO_CHANNEL_ID, Emulator
from tests.conftest import write_dashboards
from tests.support.browser import PHONE


def load(tmp_path: Path, extra: str, field: str = "") -> object:
    head = f'[[dashboard]]\nname = "a"\nchannel = 1\n{extra}\n'
    toml = head + f"  [[dashboard.field]]\n  number = 1\n{field}"
    return load_config(write_dashboards(tmp_path, toml), root=tmp_path)


@pytest.mark.parametrize("bad", ["0", "4", "true", '"2"'])
def test_card_fields_outside_1_to_3_is_refused_in_one_line(tmp_path, bad):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f"card_fields = {bad}")
    message = str(caught.value)
    assert "\n" not in message and "dashboard 'a': card_fields must be 1, 2 or 3" in message


def test_a_field_kind_is_declared_never_guessed(tmp_path):
    config = load(tmp_path, "card_fields = 3", '  kind = "direction"\n')
    dashboard = config.dashboards[0]  # type: ignore[attr-defined]
    assert dashboard.card_fields == 3 and dashboard.fields[0].kind == "direction"
    with pytest.raises(ConfigError, match="kind must be one of direction, amount, got 'speed'"):
        load(tmp_path, "", '  kind = "speed"\n')
    plain = FieldDisplay(1)
    assert compass_point("225", plain) is None  # not declared: degrees stay degrees
    direction = FieldDisplay(1, kind="direction")
    points = {raw: compass_point(raw, direction) for raw in ("0", "22", "23", "225", "359", "-90")}
    assert points == {"0": "N", "22": "N", "23": "NE", "225": "SW", "359": "N", "-90": "W"}
    assert compass_point("open", direction) is None


def test_server_ticks_are_utc_and_say_so_and_the_scale_is_round():
    from datetime import UTC, datetime, timedelta

    end = datetime(2026, 1, 3, 14, 5, tzinfo=UTC)
    day = time_ticks(end - timedelta(hours=24), end)
    assert [t.label for t in day] == ["18 UTC", "00 UTC", "06 UTC", "12 UTC"]
    week = time_ticks(end - timedelta(days=7), end)
    assert len(week) == 7 and all(t.label and "UTC" not in t.label for t in week)
    assert [level.text for level in value_scale("61.3", "75.9")] == ["65", "70", "75"]
    assert value_scale("21.5", "21.5")[0].y == 50.0
    # Never a scale of one value: a round step that leaves one in the range gives way.
    assert [level.text for level in value_scale("38.5", "41.53")] == ["39", "40", "41"]


# The CSV of a converted field, over HTTP to an emulator.


@pytest.fixture(scope="module")
def upstream() -> Iterator[Emulator]:
    with Emulator() as emu:
        emu.go_quiet(DEMO_CHANNEL_ID)
        yield emu


CONVERTED = f"""
[[dashboard]]
name = "garden"
channel = {DEMO_CHANNEL_ID}
  [[dashboard.field]]
  number = 4
  label = "Temperature"
  convert = "f_to_c"
  [[dashboard.field]]
  number = 3
  label = "Humidity"
  unit = "%"
"""


def rows(client, path: str) -> list[list[str]]:
    response = client.http.get(path)
    assert response.status_code == 200, response.body
    return list(csv.reader(io.StringIO(response.body.decode("utf-8"), newline="")))


def test_the_csv_of_a_converted_field_has_the_values_as_sent_and_as_shown(make_client, upstream):
    client = make_client({"THINGSPEAK_URL": upstream.url}, dashboards=CONVERTED)
    day = rows(client, "/d/garden/field/4.csv")
    assert day[0] == ["created_at", "Temperature (°F, as sent)", "Temperature (°C, as shown)"]
    for _, sent, shown in day[1:]:
        assert float(shown) == pytest.approx((float(sent) - 32) / 1.8, abs=0.051)
        assert len(shown.partition(".")[2]) == 1  # as the page shows it
    week = rows(client, "/d/garden/field/4.csv?range=7d")
    assert week[0][1:] == ["Temperature (°F, as sent)", "Temperature (°C, as shown)"]
    for _, sent, shown in week[1:]:
        assert len(shown.partition(".")[2]) == 3  # an average: the field's decimals plus two
        assert float(shown) == pytest.approx((float(sent) - 32) / 1.8, abs=0.00051)
    assert rows(client, "/d/garden/field/3.csv")[0] == ["created_at", "Humidity (%)"]


# In the browser, on the demo dashboards.


def context_page(browser: Browser, **options: object) -> Iterator[Page]:
    context = browser.new_context(**{**PHONE, **options})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from context_page(browser, locale="en-US", timezone_id="Asia/Kolkata")


@pytest.fixture
def german(browser: Browser) -> Iterator[Page]:
    yield from context_page(browser, locale="de-DE", timezone_id="Europe/Berlin")


@pytest.mark.slow
def test_each_card_shows_its_headline_large_and_the_next_fields_small(
    phone, served_app, emulator: Emulator
):
    # The run's emulator is shared: another test's newest entry may lack these fields. A copy
    # of the station's own newest whole entry has them all, as its next entries will.
    feed = requests.get(
        f"{emulator.url}/channels/{DEMO_CHANNEL_ID}/feeds.json", params={"results": 50}, timeout=10
    ).json()["feeds"]
    whole = next(e for e in reversed(feed) if all(e[f"field{n}"] for n in range(1, 9)))
    emulator.add_entry(DEMO_CHANNEL_ID, {n: whole[f"field{n}"] for n in range(1, 9)})
    phone.goto(served_app + "/", wait_until="networkidle")
    weather = phone.locator('[data-card="weather"]')
    expect(weather.locator(".also dt")).to_have_text(["Humidity", "Wind speed"])  # card_fields = 3
    # Within a poll or two (the served app caches for 1 s and polls every 2 s).
    numbers = weather.locator(".also .number")
    expect(numbers).to_have_text([re.compile(r"^\d+$"), re.compile(r"^\d+\.\d$")], timeout=15_000)
    balcony = phone.locator('[data-card="balcony"]')
    expect(balcony.locator(".also dt")).to_have_text(["Humidity"])  # the default: 2
    size = weather.locator(".also .number").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    big = weather.locator(".value .number").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size < big / 1.5


@pytest.mark.slow
def test_the_toggle_shows_every_temperature_card_in_one_unit(phone, served_app):
    phone.goto(served_app + "/", wait_until="networkidle")
    units = phone.locator("[data-card] .value .unit")
    temperatures = phone.locator('[data-card] [data-field] .unit:text-matches("^°[CF]$")')
    expect(temperatures).to_have_count(2)
    for want in ("°C", "°F", "°C"):
        phone.get_by_role("button", name=f"Show in {want}").click()
        assert temperatures.all_inner_texts() == [want, want]
    assert "%" in units.all_inner_texts()  # humidity never follows the toggle
    phone.wait_for_timeout(2_500)  # a poll redraws the cards (every 2 s here): still one unit
    assert temperatures.all_inner_texts() == ["°C", "°C"]
    phone.reload(wait_until="networkidle")
    assert temperatures.all_inner_texts() == ["°C", "°C"]


@pytest.mark.slow
def test_charts_have_time_ticks_in_the_viewers_zone_and_the_field_page_a_scale(phone, served_app):
    phone.goto(served_app + "/d/weather", wait_until="networkidle")
    labels = phone.locator(".headline .ax span").all_inner_texts()
    allowed = re.compile(r"^(\d{1,2} (AM|PM)|Mon|Tue|Wed|Thu|Fri|Sat|Sun)$")
    assert len(labels) >= 2 and all(allowed.match(label) for label in labels), labels
    assert phone.locator(".others .ax i").count() >= 4 * 5  # lines on every sparkline
    # The midnight tick sits at the viewer's midnight (India: UTC+5:30), not UTC's.
    where = phone.evaluate(
        """() => {
          const s = document.querySelector('.headline svg');
          const a = +s.dataset.start, b = +s.dataset.end;
          const m = new Date(b * 1000); m.setHours(0, 0, 0, 0);
          const ticks = [...document.querySelectorAll('.headline .ax i')].map(
            i => parseFloat(i.style.getPropertyValue('--p')));
          return {want: (m / 1000 - a) / (b - a) * 100, ticks};
        }"""
    )
    assert any(abs(x - where["want"]) < 0.1 for x in where["ticks"])
    phone.goto(served_app + "/d/weather/field/4?range=7d", wait_until="networkidle")
    days = phone.locator(".chart .ax span").all_inner_texts()
    assert len(days) >= 5 and all(re.match(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)$", d) for d in days)
    scale = phone.locator(".chart .sc span").all_inner_texts()
    assert len(scale) >= 2 and all(re.match(r"^-?\d+(\.\d+)?$", v) for v in scale)


@pytest.mark.slow
def test_the_field_page_shows_the_newest_reading_large_at_the_top(phone, served_app):
    phone.goto(served_app + "/d/weather/field/4", wait_until="networkidle")
    now = phone.locator(".now .number")
    expect(now).to_be_visible()
    assert now.bounding_box()["y"] < 250  # above the chart and the table
    assert float(now.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px")) > 50
    newest = phone.locator("tbody td[data-v]").first.inner_text()
    assert now.inner_text() == newest
    expect(phone.locator(".now .unit")).to_have_text("°F")
    phone.goto(served_app + "/d/weather/field/1", wait_until="networkidle")
    expect(phone.locator(".now .compass")).to_have_text(re.compile(r"^(N|NE|E|SE|S|SW|W|NW)$"))


@pytest.mark.slow
def test_today_since_midnight_is_shown_beside_the_rolling_24_h(phone, served_app):
    phone.goto(served_app + "/d/weather", wait_until="networkidle")
    today = phone.locator(".headline [data-today]")
    expect(today).to_be_visible()
    low, high = (float(b) for b in today.locator("b").all_inner_texts())
    day_low, day_high = (
        float(b) for b in phone.locator(".headline figcaption > span > b").all_inner_texts()[:2]
    )
    assert day_low <= low <= high <= day_high
    expect(phone.locator(".headline [data-span]")).to_have_text("24 h")


@pytest.mark.slow
def test_a_german_phone_reads_german_numbers_everywhere(german, served_app):
    german.goto(served_app + "/d/weather", wait_until="networkidle")
    head = german.locator(".headline .number")
    sent = head.get_attribute("data-v") or ""
    assert "." in sent and head.inner_text() == sent.replace(".", ",")
    assert re.search(
        r"\d{2}\.\d{2}\.\d{4}|\d+\. \w+", german.locator(".headline time").inner_text()
    )
    german.locator(".headline svg").focus()
    expect(german.locator(".tip b")).to_have_text(re.compile(r"^-?\d+,\d\u202f°F$"))
    german.goto(served_app + "/d/weather/field/4", wait_until="networkidle")
    cells = german.locator("tbody td[data-v]").all_inner_texts()
    assert cells and all(re.match(r"^-?\d+,\d$", c) for c in cells)
    assert re.match(r"^-?\d+,\d$", german.locator(".now .number").inner_text())
    german.goto(served_app + "/", wait_until="networkidle")
    assert "," in german.locator('[data-card="balcony"] .value .number').first.inner_text()
    json = german.request.get(served_app + "/api/d/weather").json()
    assert "." in json["fields"][0]["display"]  # the JSON keeps the point


@pytest.mark.slow
def test_back_online_clears_offline_within_5_seconds(browser, served_app):
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(served_app + "/d/weather", wait_until="networkidle")
        page.evaluate("navigator.serviceWorker.ready")
        page.reload(wait_until="networkidle")  # now under the worker's control
        context.set_offline(True)
        badge = page.locator(".headline .off")
        expect(badge).to_be_visible()
        context.set_offline(False)
        expect(badge).to_be_hidden(timeout=5_000)
        expect(page.locator("[data-note]")).to_be_hidden(timeout=5_000)
    finally:
        context.close()
