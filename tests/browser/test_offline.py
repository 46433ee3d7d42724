"""Offline: the service worker keeps the last page and JSON of each dashboard seen, answers
from them only when the network does not, says "Offline", and gives way to a new deploy.

The browser tests cut the network with Chromium's own offline mode, which the worker's own
fetches obey too. The demo channel is kept quiet while they run, so the only new reading
is the one a test posts."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from chalicelib.web import static_files as static
from emulator import DEMO_CHANNEL_ID, Emulator
from tests.support.browser import PHONE, kept, open_and_keep, wait_until_kept
from tests.support.servers import loopback

DASHBOARD = "/d/weather"
FETCHES_ELSEWHERE = re.compile(r"importScripts|https?://")


def test_the_worker_comes_from_the_site_itself_and_names_its_deploy(make_client):
    response = make_client().http.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    body = response.body.decode()
    assert "__BUILD__" not in body and f'"glance-{static.build_of()}"' in body
    assert not FETCHES_ELSEWHERE.search(body)
    assert "worker-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_browser_asks_for_the_worker_again_on_every_check(make_client):
    client = make_client()
    response = client.http.get("/sw.js")
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.http.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == "no-cache"


def test_a_new_deploy_is_a_new_worker_and_the_same_deploy_the_same_one(tmp_path: Path):
    (tmp_path / "sw.js").write_text('var CACHE = "glance-__BUILD__";\n')
    (tmp_path / "glance.js").write_text("/* first deploy */\n")
    first = static.service_worker(tmp_path)
    (tmp_path / "glance.js").write_text("/* second deploy */\n")
    second = static.service_worker(tmp_path)
    assert first.body != second.body and first.etag != second.etag
    assert static.service_worker(tmp_path) == second


# In the browser.


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE, locale="en-US")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def quiet_demo(emulator: Emulator) -> Iterator[Emulator]:
    emulator.go_quiet(DEMO_CHANNEL_ID)
    try:
        yield emulator
    finally:
        emulator.resume(DEMO_CHANNEL_ID)


def errors_of(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.mark.slow
def test_offline_the_last_reading_shows_marked_offline_with_its_real_age_then_recovers(
    context: BrowserContext, served_app: str, quiet_demo: Emulator
):
    page = context.new_page()
    errors = errors_of(page)
    open_and_keep(page, served_app + DASHBOARD, served_app + "/api/d/weather")
    headline = page.locator(".headline .number")
    seen = headline.inner_text()

    context.set_offline(True)
    quiet_demo.add_entry(DEMO_CHANNEL_ID, {4: "-77.7"})  # news the phone cannot get
    # Two hours in a pocket: the copy must not look any younger than it is.
    context.clock.set_fixed_time(datetime.now(UTC) + timedelta(hours=2, minutes=5))
    page.reload()
    when = page.locator(".headline [data-when]")
    expect(when.locator(".off")).to_have_text("Offline")
    expect(when.locator("[data-ago]")).to_have_text("2 h ago")
    expect(page.locator("[data-note]")).to_have_text(re.compile("^Offline"))
    expect(headline).to_have_text(seen)
    page.wait_for_timeout(2_500)  # a refresh period: polling without a network changes nothing
    expect(headline).to_have_text(seen)
    expect(when.locator(".off")).to_be_visible()

    context.clock.set_fixed_time(datetime.now(UTC))
    context.set_offline(False)  # no reload: the page notices by itself
    expect(headline).to_have_text("-77.7", timeout=20_000)
    expect(when.locator(".off")).to_be_hidden()
    expect(when.locator("[data-ago]")).to_have_text("just now")
    expect(page.locator("[data-note]")).to_be_hidden()
    assert errors == []


@pytest.mark.slow
def test_online_every_page_comes_from_the_network_not_the_copy(
    context: BrowserContext, served_app: str, quiet_demo: Emulator
):
    page = context.new_page()
    open_and_keep(page, served_app + DASHBOARD, served_app + "/api/d/weather")
    quiet_demo.add_entry(DEMO_CHANNEL_ID, {4: "-66.6"})
    page.wait_for_timeout(1_100)  # the served app's cache lifetime
    response = page.reload()
    assert response is not None and response.from_service_worker
    # At once, from the page itself: not from a poll after an old copy was shown.
    assert page.locator(".headline .number").inner_text() == "-66.6"
    expect(page.locator(".headline .off")).to_have_count(0)


@pytest.mark.slow
def test_the_overview_is_kept_too_and_marks_every_card_offline(
    context: BrowserContext, served_app: str
):
    page = context.new_page()
    errors = errors_of(page)
    open_and_keep(page, served_app + "/", served_app + "/api/dashboards")
    context.set_offline(True)
    page.reload()
    cards = page.locator("[data-card]")
    assert cards.count() >= 2
    for n in range(cards.count()):
        expect(cards.nth(n).locator(".off")).to_have_text("Offline")
    context.set_offline(False)
    for n in range(cards.count()):
        expect(cards.nth(n).locator(".off")).to_be_hidden(timeout=20_000)
    assert errors == []


@pytest.mark.slow
def test_offline_a_page_never_opened_on_this_phone_says_so(context: BrowserContext, served_app):
    page = context.new_page()
    open_and_keep(page, served_app + DASHBOARD, served_app + "/api/d/weather")
    context.set_offline(True)
    response = page.goto(served_app + "/d/balcony")
    assert response is not None and response.status == 503
    expect(page.locator("body")).to_contain_text("Offline. This page has not been opened")


@pytest.mark.slow
def test_a_new_deploy_takes_over_open_pages_and_drops_the_old_copies(
    context: BrowserContext, served_app: str
):
    with loopback(Redeployable(served_app), lambda r: r.url) as site:
        page = context.new_page()
        errors = errors_of(page)
        url = site.url + DASHBOARD
        open_and_keep(page, url, site.url + "/api/d/weather")
        (old,) = kept(page)
        page.evaluate("window.stillTheSamePage = true")
        site.deploy(old, "glance-nextdeploy")
        # The open page reloads onto the new deploy: nothing keeps running the old script.
        with page.expect_event("load", timeout=20_000):
            page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        assert page.evaluate("window.stillTheSamePage") is None
        wait_until_kept(page, url)
        assert list(kept(page)) == ["glance-nextdeploy"]
        expect(page.locator(".headline .number")).to_be_visible()
        assert errors == []


class Redeployable:
    """The served app behind a loopback proxy whose /sw.js can change, as a new deploy's
    would. (Playwright's routing does not see a worker's own script being fetched.)"""

    def __init__(self, upstream: str) -> None:
        self.swap: tuple[bytes, bytes] | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                worker = self.path == "/sw.js"
                wanted = ("accept",) if worker else ("accept", "if-none-match")
                headers = {k: v for k, v in self.headers.items() if k.lower() in wanted}
                request = urllib.request.Request(upstream + self.path, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status, sent, body = answer.status, answer.headers, answer.read()
                except urllib.error.HTTPError as error:
                    status, sent, body = error.code, error.headers, error.read()
                if worker and outer.swap:
                    body = body.replace(*outer.swap)
                self.send_response(status)
                for name, value in sent.items():
                    if name.lower() not in HOP_BY_HOP and not (worker and name.lower() == "etag"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def deploy(self, old_cache: str, new_cache: str) -> None:
        self.swap = (old_cache.encode(), new_cache.encode())

    def __enter__(self) -> Redeployable:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


HOP_BY_HOP = ("content-length", "transfer-encoding", "connection", "date", "server", "keep-alive")
