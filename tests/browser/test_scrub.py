"""Reading any point of a chart: a finger (touch emulation through Chromium's own input
pipeline), the mouse or the keyboard picks the real reading nearest it, shown with its
value as the page formats it and its local time, on screen and clear of the finger.

The demo channel is kept quiet while these run, so the chart under the finger is the one
the test read; the readouts are checked against the emulator's own feeds.json."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Browser, CDPSession, Locator, Page, expect

from emulator import DEMO_CHANNEL_ID, Emulator
from scripts.local_app import serve
from tests.support.browser import PHONE
from tests.support.servers import loopback

pytestmark = pytest.mark.slow
DASHBOARD = "/d/weather"
ZONE = "America/New_York"  # not the machine's UTC: the readout must use the viewer's zone
FINGER = 20  # px around the touch point that the readout must leave free


class Finger:
    """One finger on the touch screen, through CDP: real touch events, pointer events,
    gestures and scrolling, as a phone produces them."""

    def __init__(self, page: Page, cdp: CDPSession) -> None:
        self.page, self._cdp = page, cdp

    def _send(self, kind: str, points: list[dict[str, float]]) -> None:
        self._cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
        # Pointer events follow touches at the next frames.
        self.page.evaluate(
            "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )

    def down(self, x: float, y: float) -> None:
        self._send("touchStart", [{"x": x, "y": y}])

    def move(self, x: float, y: float) -> None:
        self._send("touchMove", [{"x": x, "y": y}])

    def up(self) -> None:
        self._send("touchEnd", [])


@dataclass
class Phone:
    page: Page
    finger: Finger
    errors: list[str]


def new_phone(browser: Browser, **options: object) -> Phone:
    context = browser.new_context(**{**PHONE, "locale": "en-US", "timezone_id": ZONE, **options})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return Phone(page, Finger(page, context.new_cdp_session(page)), errors)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Phone]:
    phone = new_phone(browser)
    yield phone
    phone.page.context.close()


@pytest.fixture
def quiet_demo(emulator: Emulator) -> Iterator[Emulator]:
    emulator.go_quiet(DEMO_CHANNEL_ID)
    try:
        yield emulator
    finally:
        emulator.resume(DEMO_CHANNEL_ID)


@dataclass(frozen=True)
class Chart:
    """What the page shipped for one chart, read back from its attributes."""

    start: int
    end: int
    times: list[int]
    values: list[str]
    box: dict[str, float]

    @classmethod
    def of(cls, svg: Locator) -> Chart:
        deltas = [int(d) for d in (svg.get_attribute("data-t") or "").split()]
        times = [sum(deltas[: i + 1]) for i in range(len(deltas))]
        box = svg.bounding_box()
        assert box is not None
        return cls(
            start=int(svg.get_attribute("data-start") or 0),
            end=int(svg.get_attribute("data-end") or 0),
            times=times,
            values=(svg.get_attribute("data-v") or "").split(),
            box=box,
        )

    def x(self, fraction: float) -> int:
        # Whole pixels: what the finger reports, so both sides compute the same point.
        return round(self.box["x"] + fraction * self.box["width"])

    @property
    def middle(self) -> int:
        return round(self.box["y"] + self.box["height"] / 2)

    def nearest_to(self, x: float) -> int:
        fraction = (x - self.box["x"]) / self.box["width"]
        moment = self.start + fraction * (self.end - self.start)
        return min(self.times, key=lambda t: abs(t - moment))


@dataclass(frozen=True)
class Readout:
    value: str
    unit: str
    at: int  # unix seconds
    time_text: str
    box: dict[str, float]


def readout(page: Page) -> Readout:
    tip = page.locator(".tip")
    expect(tip).to_be_visible()
    value, _, unit = tip.locator("b").inner_text().partition("\u202f")
    at = tip.locator(".at")
    moment = datetime.fromisoformat((at.get_attribute("data-at") or "").replace("Z", "+00:00"))
    box = tip.bounding_box()
    assert box is not None
    return Readout(value, unit, int(moment.timestamp()), re.sub(r"\s", " ", at.inner_text()), box)


def entries(
    emulator: Emulator, channel: int, field: int, since: int | None = None
) -> dict[int, str]:
    """The emulator's own entries (the newest 8000, or the first minute from `since`): unix
    seconds -> the value as sent."""
    query: dict[str, str | int] = {"results": 8000}
    if since is not None:
        for name, moment in (("start", since), ("end", since + 60)):
            query[name] = f"{datetime.fromtimestamp(moment, UTC):%Y-%m-%d %H:%M:%S}"
    url = f"{emulator.url}/channels/{channel}/feeds.json"
    feeds = requests.get(url, params=query, timeout=10).json()["feeds"]
    return {
        int(datetime.fromisoformat(e["created_at"].replace("Z", "+00:00")).timestamp()): e[
            f"field{field}"
        ]
        for e in feeds
        if e[f"field{field}"] is not None
    }


def local_text(at: int) -> str:
    local = datetime.fromtimestamp(at, ZoneInfo(ZONE))
    return f"{local:%b} {local.day}, {local.hour % 12 or 12}:{local:%M:%S} {local:%p}"


def inside_viewport(box: dict[str, float], page: Page) -> bool:
    size = page.viewport_size
    assert size is not None
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def clear_of(box: dict[str, float], x: float, y: float) -> bool:
    return (
        box["x"] >= x + FINGER
        or box["x"] + box["width"] <= x - FINGER
        or box["y"] >= y + FINGER
        or box["y"] + box["height"] <= y - FINGER
    )


def test_a_finger_on_the_chart_reads_out_the_real_entry_nearest_it(phone, served_app, quiet_demo):
    page, finger = phone.page, phone.finger
    page.goto(served_app + DASHBOARD)
    chart = Chart.of(page.locator(".headline svg"))
    sent = entries(quiet_demo, DEMO_CHANNEL_ID, 4)
    y = chart.middle
    finger.down(chart.x(0.01), y)
    for fraction in (0.01, 0.2, 0.4, 0.6, 0.8, 0.99):
        x = chart.x(fraction)
        finger.move(x, y)
        shown = readout(page)
        assert shown.at == chart.nearest_to(x)
        assert sent[shown.at] == shown.value  # a real entry, the value as ThingSpeak sent it
        assert shown.unit == "°F"
        assert shown.time_text == local_text(shown.at)
        assert page.locator(".headline .dot").is_visible()
    finger.up()
    # Lifting the finger: back to the latest reading, which the chart ends on.
    expect(page.locator(".tip")).to_be_hidden()
    expect(page.locator(".headline .dot")).to_be_hidden()
    assert page.locator(".headline .number").inner_text() == chart.values[-1]
    assert phone.errors == []


def test_the_mouse_reads_out_points_by_hovering(phone, served_app, quiet_demo):
    page = phone.page
    page.goto(served_app + DASHBOARD)
    chart = Chart.of(page.locator(".others li").first.locator("svg"))
    page.mouse.move(chart.x(0.5), chart.middle)
    shown = readout(page)
    assert shown.at == chart.nearest_to(chart.x(0.5))
    assert entries(quiet_demo, DEMO_CHANNEL_ID, 3)[shown.at] == shown.value
    page.mouse.move(5, 5)
    expect(page.locator(".tip")).to_be_hidden()


@pytest.mark.parametrize("chart_of", [".headline svg", ".others li:nth-child(2) svg"])
def test_the_readout_stays_on_screen_above_the_finger_at_both_edges(
    phone, served_app, quiet_demo, chart_of
):
    page, finger = phone.page, phone.finger
    page.goto(served_app + DASHBOARD)
    svg = page.locator(chart_of)
    svg.scroll_into_view_if_needed()
    chart = Chart.of(svg)
    y = chart.middle
    width = PHONE["viewport"]["width"]
    finger.down(chart.x(0.5), y)
    # Past the chart's ends to the screen's edges: the finger stays on the chart it started on.
    for x, point in ((1, 0), (width - 1, -1), (chart.x(0), 0), (chart.x(1), -1)):
        finger.move(x, y)
        shown = readout(page)
        assert shown.at == chart.times[point]
        assert inside_viewport(shown.box, page), (x, shown.box)
        assert shown.box["y"] + shown.box["height"] <= y - FINGER, "not above the finger"
        assert shown.box["y"] + shown.box["height"] <= chart.box["y"], "covers the chart"
    finger.up()
    assert phone.errors == []


def test_near_the_top_of_the_screen_the_readout_moves_beside_the_finger(browser, served_app):
    phone = new_phone(browser, viewport={"width": 390, "height": 480})
    page, finger = phone.page, phone.finger
    try:
        page.goto(served_app + DASHBOARD)
        page.evaluate(
            "scrollTo(0, document.querySelector('.headline svg').getBoundingClientRect().top"
            " + scrollY - 4)"
        )
        chart = Chart.of(page.locator(".headline svg"))
        assert chart.box["y"] < 20  # no room above it
        for fraction in (0.01, 0.5, 0.99):
            x, y = chart.x(fraction), round(chart.box["y"] + 12)
            finger.down(x, y)
            finger.move(x + 1, y)
            shown = readout(page)
            assert inside_viewport(shown.box, page), (fraction, shown.box)
            assert clear_of(shown.box, x + 1, y), (fraction, shown.box)
            finger.up()
    finally:
        page.context.close()


def test_a_sideways_drag_scrubs_and_a_vertical_swipe_on_a_chart_still_scrolls(
    phone, served_app, quiet_demo
):
    page, finger = phone.page, phone.finger
    page.goto(served_app + DASHBOARD)
    svg = page.locator(".headline svg")
    assert svg.evaluate("el => getComputedStyle(el).touchAction") == "pan-y"
    chart = Chart.of(svg)
    seen = set()
    finger.down(chart.x(0.05), chart.middle)
    for step in range(1, 10):
        finger.move(chart.x(0.05 + step * 0.1), chart.middle + step % 2)
        seen.add(readout(page).at)  # still scrubbing: the browser did not take the gesture
    finger.up()
    assert len(seen) == 9
    assert page.evaluate("[scrollX, scrollY]") == [0, 0]

    low = page.locator(".others li").last.locator("svg")
    box = low.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    finger.down(x, y)
    for step in range(1, 10):
        finger.move(x, y - 25 * step)
    finger.up()
    assert page.evaluate("scrollY") > 0
    expect(page.locator(".tip")).to_be_hidden()
    assert phone.errors == []


def test_the_keyboard_steps_through_the_points_and_each_is_announced(phone, served_app, quiet_demo):
    page = phone.page
    page.goto(served_app + DASHBOARD)
    svg = page.locator(".headline svg")
    chart = Chart.of(svg)
    for _ in range(10):
        page.keyboard.press("Tab")
        if svg.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the chart never takes the focus")
    assert svg.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    assert readout(page).at == chart.times[-1]  # starts at the latest reading
    spoken = page.locator("[aria-live=polite]")

    steps = [("ArrowLeft", -2), ("ArrowLeft", -3), ("ArrowRight", -2), ("Home", 0)]
    steps += [("ArrowLeft", 0), ("ArrowRight", 1), ("End", -1), ("ArrowRight", -1)]
    for key, point in steps:
        page.keyboard.press(key)
        shown = readout(page)
        assert shown.at == chart.times[point], key
        assert shown.value == chart.values[point]
        expect(spoken).to_have_text(f"{shown.value}\u202f°F, {local_text(shown.at)}")
    assert page.evaluate("scrollY") == 0  # the arrows moved the readout, not the page
    page.keyboard.press("Tab")
    expect(page.locator(".tip")).to_be_hidden()
    assert phone.errors == []


def test_the_readout_follows_the_temperature_toggle(phone, served_app, quiet_demo):
    page, finger = phone.page, phone.finger
    page.goto(served_app + DASHBOARD)
    page.get_by_role("button", name="Show in °C").click()
    chart = Chart.of(page.locator(".headline svg"))
    finger.down(chart.x(0.3), chart.middle)
    shown = readout(page)
    finger.up()
    fahrenheit = chart.values[chart.times.index(shown.at)]
    assert shown.unit == "°C"
    assert float(shown.value) == pytest.approx((float(fahrenheit) - 32) / 1.8, abs=0.051)
    assert len(shown.value.partition(".")[2]) == len(fahrenheit.partition(".")[2])


def test_a_new_reading_redraws_the_chart_in_place(phone, served_app, quiet_demo):
    page, finger = phone.page, phone.finger
    page.goto(served_app + DASHBOARD)
    svg = page.locator(".headline svg")
    before = svg.locator("path").get_attribute("d")
    page.evaluate("window.stillTheSamePage = true")
    low = page.locator(".headline figcaption b").first
    # Colder than anything in the day, whatever other tests posted to the shared emulator.
    coldest = f"{min(-40.0, float(low.inner_text()) - 10):.1f}"
    quiet_demo.add_entry(DEMO_CHANNEL_ID, {4: coldest})
    expect(low).to_have_text(coldest, timeout=20_000)
    expect(svg).to_have_attribute("data-v", re.compile(" " + re.escape(coldest) + "$"))
    assert svg.locator("path").get_attribute("d") != before
    assert page.evaluate("window.stillTheSamePage") is True
    chart = Chart.of(svg)
    finger.down(chart.x(0.5), chart.middle)
    finger.move(PHONE["viewport"]["width"] - 1, chart.middle)
    assert readout(page).value == coldest
    finger.up()
    assert phone.errors == []


@pytest.fixture(scope="module")
def fast_station(emulator: Emulator) -> Iterator[str]:
    """The app on one channel posting every second: 8000 entries are 2 h 13 min."""
    settings = {"GLANCE_CONFIG": "", "THINGSPEAK_CHANNEL_ID": "1015", "REFRESH_SECONDS": "2"}
    with loopback(serve(emulator.url, **settings), lambda app: app.url) as local:
        yield local.url


def test_a_one_second_channel_says_the_span_it_really_shows(phone, fast_station, emulator):
    page, finger = phone.page, phone.finger
    page.goto(fast_station + "/")
    headline = page.locator(".headline")
    expect(headline.locator("[data-span]")).to_have_text("last 2 h 13 min")
    assert "last 2 h 13 min" in (headline.locator("svg").get_attribute("aria-label") or "")
    chart = Chart.of(headline.locator("svg"))
    assert 2 * 3600 <= chart.end - chart.start < 2 * 3600 + 14 * 60
    finger.down(chart.x(0), chart.middle)
    oldest = readout(page)
    finger.up()
    assert oldest.at == chart.times[0] and oldest.at >= chart.start
    # The channel has moved on since: ask for the entries from the chart's start on.
    assert entries(emulator, 1015, 1, since=chart.start).get(oldest.at) == oldest.value
    assert phone.errors == []
