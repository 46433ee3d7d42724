"""The page in a real browser: Debian's Chromium driven by Playwright at a phone size,
against `chalice local` on the emulator. Screenshots land in artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from emulator import DEMO_CHANNEL_ID, Emulator
from tests.support.browser import ARTIFACTS, PHONE

pytestmark = pytest.mark.slow
SHOTS = ARTIFACTS / "screenshots"
# The demo file's first dashboard: MathWorks' weather station, in °F.
DASHBOARD = "/d/weather"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def weather_entries(emulator: Emulator) -> Iterator[Emulator]:
    """The run's shared emulator, for a test that adds entries with only some fields: after
    it, a copy of the station's newest whole entry is the newest again, so later tests (the
    cards' small fields, the compass) find every field as the station sends them."""
    params = {"results": 50}
    url = f"{emulator.url}/channels/{DEMO_CHANNEL_ID}/feeds.json"
    feed = requests.get(url, params=params, timeout=10).json()["feeds"]
    whole = next(e for e in reversed(feed) if all(e[f"field{n}"] for n in range(1, 9)))
    yield emulator
    emulator.add_entry(DEMO_CHANNEL_ID, {n: whole[f"field{n}"] for n in range(1, 9)})


def open_page(page: Page, url: str) -> list[str]:
    """Loads the page and returns the console errors it logs (uncaught ones included)."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return errors


def test_the_reading_is_large_above_the_fold_and_nothing_errs(phone, served_app):
    errors = open_page(phone, served_app + DASHBOARD)
    number = phone.locator(".headline .number")
    assert number.is_visible()
    size = float(number.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert size >= 48
    box = number.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["viewport"]["height"]
    assert phone.locator(".headline .unit").inner_text() == "°F"
    assert phone.locator(".headline time").is_visible()
    assert errors == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "phone-light.png"), full_page=True)


def test_no_horizontal_scroll_at_320_px(browser, served_app):
    context = browser.new_context(**{**PHONE, "viewport": {"width": 320, "height": 640}})
    page = context.new_page()
    try:
        open_page(page, served_app + DASHBOARD)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
    finally:
        context.close()
    assert widths[0] <= widths[1]


def test_dark_mode_follows_the_system_setting(browser, served_app):
    context = browser.new_context(**PHONE, color_scheme="dark")
    page = context.new_page()
    try:
        open_page(page, served_app + DASHBOARD)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        text = page.evaluate("getComputedStyle(document.body).color")
        page.screenshot(path=str(SHOTS / "phone-dark.png"), full_page=True)
    finally:
        context.close()
    assert background == "rgb(18, 18, 18)"
    assert text == "rgb(240, 240, 240)"


def test_a_new_entry_updates_the_page_in_place(phone, served_app, weather_entries: Emulator):
    emulator = weather_entries
    open_page(phone, served_app + DASHBOARD)
    phone.evaluate("window.stillTheSamePage = true")
    emulator.add_entry(DEMO_CHANNEL_ID, {4: "99.9", 3: "12"})
    # expect(), not wait_for_function(string): the page's CSP forbids eval.
    expect(phone.locator(".headline .number")).to_have_text("99.9", timeout=20_000)
    assert phone.evaluate("window.stillTheSamePage") is True  # no reload happened
    assert phone.locator("[data-ago]").inner_text() == "just now"
    assert phone.title().startswith("99.9 °F")


def test_polling_stops_while_the_tab_is_hidden(phone, served_app):
    open_page(phone, served_app + DASHBOARD)
    # Pretend the tab went to the background, as a phone does when the screen locks.
    phone.evaluate(
        """Object.defineProperty(document, 'hidden', {value: true, configurable: true});
           document.dispatchEvent(new Event('visibilitychange'))"""
    )
    phone.wait_for_timeout(5_000)  # more than two refresh periods of the served app
    api_calls = phone.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/api/') && e.startTime > performance.now() - 4500)"
        ".length"
    )
    assert api_calls == 0


def test_temperature_unit_toggle_is_remembered(phone, served_app):
    open_page(phone, served_app + DASHBOARD)
    fahrenheit = float(phone.locator(".headline .number").inner_text())
    phone.get_by_role("button", name="Show in °C").click()
    assert phone.locator(".headline .unit").inner_text() == "°C"
    celsius = float(phone.locator(".headline .number").inner_text())
    assert celsius == pytest.approx((fahrenheit - 32) / 1.8, abs=0.06)
    phone.reload()
    assert phone.locator(".headline .unit").inner_text() == "°C"
    phone.get_by_role("button", name="Show in °F").click()
    assert phone.locator(".headline .unit").inner_text() == "°F"


def test_without_script_everything_still_shows(browser, served_app):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(served_app + DASHBOARD)
        assert page.locator(".headline .number").is_visible()
        assert "UTC" in page.locator(".headline time").inner_text()
        assert page.locator("[data-ago]").inner_text().endswith(("ago", "just now"))
        assert not page.get_by_role("button").is_visible()  # the toggle needs script
    finally:
        context.close()


def test_manifest_and_icons_load(phone, served_app):
    open_page(phone, served_app + DASHBOARD)
    manifest_url = phone.locator("link[rel=manifest]").get_attribute("href")
    manifest = phone.request.get(served_app + manifest_url)
    assert manifest.ok
    data = manifest.json()
    assert data["display"] == "standalone" and data["start_url"] == "/"
    sources = {icon["src"] for icon in data["icons"]}
    sources.add(phone.locator("link[rel=apple-touch-icon]").get_attribute("href"))
    sources.add(phone.locator("link[rel=icon]").get_attribute("href"))
    for src in sources:
        icon = phone.request.get(served_app + src, headers={"Accept": "image/*,*/*;q=0.8"})
        assert icon.ok, src
        assert icon.headers["content-type"].startswith("image/")
        if src.endswith(".png"):
            assert icon.body().startswith(b"\x89PNG")


def test_the_overview_shows_every_demo_sensor_and_updates_its_cards_in_place(
    phone, served_app, weather_entries: Emulator
):
    emulator = weather_entries
    errors = open_page(phone, served_app + "/")
    # Every public demo sensor; the private greenhouse only after signing in.
    cards = phone.locator("[data-card]")
    assert [cards.nth(n).get_attribute("data-card") for n in range(cards.count())] == [
        "weather",
        "balcony",
    ]
    expect(phone.get_by_role("link", name="Sign in to see the private dashboards")).to_be_visible()
    weather = phone.locator('[data-card="weather"]')
    # The headline (the card's next fields are small numbers of their own, in .also).
    headline = weather.locator("p.value .number")
    assert headline.is_visible() and weather.locator("time").is_visible()
    phone.screenshot(path=str(SHOTS / "phone-overview.png"), full_page=True)
    phone.evaluate("window.stillTheSamePage = true")
    emulator.add_entry(DEMO_CHANNEL_ID, {4: "-12.5"})
    expect(headline).to_have_text("-12.5", timeout=20_000)
    # The same answer redrew the small fields too: this entry has none of them.
    expect(weather.locator(".also .number")).to_have_count(0)
    assert phone.evaluate("window.stillTheSamePage") is True
    assert errors == []
    weather.get_by_role("link").click()
    phone.wait_for_url("**/d/weather")
    expect(phone.locator(".headline .number")).to_have_text("-12.5")


def test_the_page_installs_its_offline_worker_under_the_strict_policy(phone, served_app):
    errors = open_page(phone, served_app + DASHBOARD)
    worker = phone.evaluate("navigator.serviceWorker.ready.then((r) => r.active.scriptURL)")
    assert worker == served_app + "/sw.js"
    # It takes over the page that installed it, so the next poll is already kept.
    for _ in range(100):
        if phone.evaluate("Boolean(navigator.serviceWorker.controller)"):
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate("navigator.serviceWorker.controller.scriptURL") == worker
    assert errors == []  # a worker the CSP refused would be logged here


def test_every_chart_can_be_read_by_touch_keyboard_and_screen_reader(phone, served_app):
    errors = open_page(phone, served_app + DASHBOARD)
    charts = phone.locator(".trend svg")
    assert charts.count() >= 6
    for n in range(charts.count()):
        chart = charts.nth(n)
        assert chart.get_attribute("tabindex") == "0"
        assert chart.get_attribute("aria-label")
        assert chart.evaluate("el => getComputedStyle(el).touchAction") == "pan-y"
    chart = charts.first
    chart.focus()
    expect(phone.locator(".tip")).to_be_visible()
    # It starts on the latest reading: the one the page shows in large.
    latest = phone.locator(".headline .number").inner_text()
    assert phone.locator(".tip b").inner_text().startswith(latest + "\u202f")
    phone.keyboard.press("ArrowLeft")
    expect(phone.locator("[aria-live=polite]")).not_to_be_empty()
    phone.screenshot(path=str(SHOTS / "phone-readout.png"))
    assert errors == []
