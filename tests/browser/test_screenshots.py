"""Screenshots at phone size (390 x 844), light and dark, of the overview, a dashboard and a
field page at each range: artifacts/screenshots/glance-<page>-<scheme>.png, to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.support.browser import ARTIFACTS, PHONE

pytestmark = pytest.mark.slow
SHOTS = ARTIFACTS / "screenshots"
PAGES = {
    "overview": "/",
    "dashboard": "/d/weather",
    "field-24h": "/d/weather/field/4",
    "field-7d": "/d/weather/field/4?range=7d",
    "field-30d": "/d/weather/field/4?range=30d",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_screenshots_in_light_and_dark(browser: Browser, served_app: str, scheme: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**PHONE, color_scheme=scheme)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        for name, path in PAGES.items():
            page.goto(served_app + path, wait_until="networkidle")
            shot = SHOTS / f"glance-{name}-{scheme}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        assert errors == []
    finally:
        context.close()
