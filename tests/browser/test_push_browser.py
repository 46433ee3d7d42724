"""The alert bell on a dashboard page and the notifications its service worker shows.

In Debian's Chromium (Playwright, phone size) against `chalice local` whose stage keeps
alerts in a SQLite file (ALERTS_DB) with a loopback push service allowed. Headless Chromium
subscribes for real: it asks Google's push registration (GCM) for a token, which a loopback
stand-in here answers (Chromium's own --gcm-* switches point it there), and the page then
stores the browser's real PushSubscription through POST /api/push/subscriptions. A push is
delivered to the page's worker with the DevTools Protocol (ServiceWorker.deliverPushMessage),
as a push service would after decrypting it.
"""

from __future__ import annotations

import gzip
import struct
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from chalice.test import Client
from playwright.sync_api import (
    BrowserContext,
    CDPSession,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

import app as app_module  # after tests/conftest.py gave it settings that need no network
from chalicelib.alerts.sqlite_store import EmbeddedStore
from chalicelib.alerts.wording import Notice
from emulator import Emulator
from scripts.local_app import serve
from tests.support.browser import ARTIFACTS, CHROMIUM, FLAGS, PHONE, run_lighthouse
from tests.support.push_service import PushService
from tests.support.servers import loopback

DASHBOARD = "weather"  # the demo file's first dashboard
PAGE = f"/d/{DASHBOARD}"
BUDGET_GZIP_BYTES = 14 * 1024
SHOTS = ARTIFACTS / "screenshots"
# Chromium built without Google's API keys (Debian's) gives endpoints on this host, not
# fcm.googleapis.com; nothing is ever sent there: these tests deliver through DevTools.
CHROMIUM_PUSH_HOST = "jmt17.google.com"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
TWO_DASHBOARDS = """
[[dashboard]]
name = "weather"
channel = 12397
[[dashboard]]
name = "garden"
channel = 1014
"""


def script_sources(csp: str) -> list[str]:
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("script-src "))
    return directive.split()[1:]


# --- the page, without a browser ---------------------------------------------------------


def test_with_alerts_set_up_each_dashboard_page_offers_the_bell_and_runs_only_our_files(
    make_client: Callable[..., Client],
    emulated: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("ALERTS_DB", str(tmp_path / "alerts.sqlite3"))
    client = make_client({"THINGSPEAK_URL": emulated.url}, dashboards=TWO_DASHBOARDS)
    for name in ("weather", "garden"):
        response = client.http.get(f"/d/{name}")
        assert response.status_code == 200
        body = response.body.decode()
        assert f'data-bell="{name}" hidden>Notify me</button>' in body
        assert body.count('<script src="/bell.js" defer></script>') == 1
    # app.py sets the header from the Site it builds at import; this one was built here.
    sources = script_sources(app_module.site.renderer.assets.csp)
    # The inline script's hash and same-origin files; never anyone's inline code.
    assert sources[0].startswith("'sha256-") and sources[1:] == ["'self'"]
    overview = client.http.get("/").body.decode()
    assert "data-bell" not in overview and "bell.js" not in overview


def test_without_alerts_there_is_no_bell_and_no_script_file_may_run(
    make_client: Callable[..., Client], emulated: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ALERTS_TABLE", "ALERTS_DB"):
        monkeypatch.delenv(name, raising=False)
    client = make_client({"THINGSPEAK_URL": emulated.url}, dashboards=TWO_DASHBOARDS)
    body = client.http.get("/d/weather").body.decode()
    assert "data-bell" not in body and "bell.js" not in body
    sources = script_sources(app_module.site.renderer.assets.csp)
    assert len(sources) == 1 and sources[0].startswith("'sha256-")  # the inline script only


def test_the_bell_script_is_a_file_of_the_site_revalidated_on_every_use(
    make_client: Callable[..., Client],
) -> None:
    client = make_client()
    response = client.http.get("/bell.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "/api/push/subscriptions" in response.body.decode()
    again = client.http.get("/bell.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == "no-cache"


def test_the_worker_carries_the_push_handlers_and_the_merged_file_is_gone(
    make_client: Callable[..., Client],
) -> None:
    worker = make_client().http.get("/sw.js").body.decode()
    assert 'addEventListener("push"' in worker
    assert 'addEventListener("notificationclick"' in worker
    assert not (Path(__file__).resolve().parents[2] / "templates" / "sw-push.js").exists()


# --- a loopback stand-in for Chromium's push registration ---------------------------------


@dataclass(frozen=True)
class Registration:
    """One registration request Chromium sent: its form fields."""

    fields: Mapping[str, str]


class GcmStandIn:
    """Answers Chromium's GCM check-in (a protobuf AndroidCheckinResponse with an android id
    and a security token) and registrations (`token=...`), which is all `subscribe()` needs.
    Chromium's connection to the message server is pointed at a closed port: messages come
    through DevTools instead."""

    def __init__(self) -> None:
        self.registrations: list[Registration] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/checkin":
                    # Fields 1 (stats_ok, varint), 7 (android_id) and 8 (security_token),
                    # both fixed64: checkin.proto in Chromium's google_apis/gcm.
                    answer = b"\x08\x01\x39" + struct.pack("<Q", 4242) + b"\x41"
                    answer += struct.pack("<Q", 2424)
                else:
                    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    with lock:
                        outer.registrations.append(Registration(fields))
                        answer = f"token=glance-test-{len(outer.registrations)}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def flags(self) -> list[str]:
        return [
            f"--gcm-checkin-url={self.url}/checkin",
            f"--gcm-registration-url={self.url}/register",
            "--gcm-mcs-endpoint=https://127.0.0.1:9",  # discard: refused at once
        ]

    def __enter__(self) -> GcmStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- in the browser ----------------------------------------------------------------------


@dataclass(frozen=True)
class AlertsSite:
    url: str
    db: Path
    push: PushService  # the loopback push service the site may send to

    def subscriptions(self) -> list[str]:
        store = EmbeddedStore(str(self.db))
        return [s.endpoint for s in store.subscriptions(DASHBOARD, time.time())]

    def public_key(self) -> str:
        key = EmbeddedStore(str(self.db)).public_key()
        assert key is not None
        return key


@pytest.fixture(scope="module")
def alerts_site(emulator: Emulator) -> Iterator[AlertsSite]:
    """`chalice local` as `ALERTS_DB=... make serve` runs it, with the push key pair that
    `make alerts` makes on its first run already in the file, and a push service of its own
    (the site lives for the module, so its push service does too)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        loopback(PushService(), lambda service: service.origin, probe=False) as push,
    ):
        db = Path(tmp) / "alerts.sqlite3"
        EmbeddedStore(str(db)).local_vapid_keys()
        hosts = f"127.0.0.1:{push.port},{CHROMIUM_PUSH_HOST}"
        local_app = serve(
            emulator.url,
            ALERTS_DB=str(db),
            PUSH_SERVICE_HOSTS=hosts,
            CACHE_TTL_SECONDS="1",
            REFRESH_SECONDS="2",
        )
        with loopback(local_app, lambda local: local.url) as local:
            yield AlertsSite(local.url, db, push)


@pytest.fixture(scope="module")
def gcm() -> Iterator[GcmStandIn]:
    with loopback(GcmStandIn(), lambda g: g.url) as standin:
        yield standin


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def phone(
    playwright: Playwright, gcm: GcmStandIn, alerts_site: AlertsSite, tmp_path: Path
) -> Iterator[BrowserContext]:
    # A profile of its own: Chromium refuses push in the incognito-like contexts that
    # browser.new_context() makes ("Registration failed - permission denied").
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=FLAGS + gcm.flags(),
        locale="en-US",
        **PHONE,  # type: ignore[arg-type]
    )
    context.set_default_timeout(15_000)
    context.grant_permissions(["notifications"], origin=alerts_site.url)
    yield context
    context.close()


def errors_of(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


class Worker:
    """The page's service worker registration, as DevTools knows it."""

    def __init__(self, context: BrowserContext, page: Page, origin: str) -> None:
        self.origin = origin
        self._cdp: CDPSession = context.new_cdp_session(page)
        self._registrations: dict[str, str] = {}  # scope URL -> registration id
        self._cdp.on("ServiceWorker.workerRegistrationUpdated", self._updated)
        self._cdp.send("ServiceWorker.enable")

    def _updated(self, event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            if not registration["isDeleted"]:
                self._registrations[registration["scopeURL"]] = registration["registrationId"]

    def registration_id(self, page: Page, seconds: float = 15) -> str:
        deadline = time.monotonic() + seconds
        while (found := self._registrations.get(self.origin + "/")) is None:
            assert time.monotonic() < deadline, f"no worker registered for {self.origin}"
            page.wait_for_timeout(100)
        return found

    def deliver(self, page: Page, payload: bytes) -> None:
        self._cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": self.origin,
                "registrationId": self.registration_id(page),
                "data": payload.decode("utf-8"),
            },
        )


def notifications(page: Page) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = page.evaluate(
        """navigator.serviceWorker.ready
            .then((registration) => registration.getNotifications())
            .then((list) => list.map((n) => ({title: n.title, body: n.body, tag: n.tag,
                                              data: n.data, icon: n.icon})))"""
    )
    return shown


def push_until_shown(
    worker: Worker, page: Page, notice: Notice, seconds: float = 60
) -> list[dict[str, Any]]:
    """Deliver the push through DevTools and wait until the worker shows it. Generous: a
    push reaches the worker in well under a second on an idle machine; a loaded 2-core one
    (CI) can take many times that, and DevTools drops a message that arrives while the
    worker is being started, so it is sent again every 15 s (one tag per dashboard and
    condition: a second delivery replaces the first, never adds to it)."""
    deadline = time.monotonic() + seconds
    resend = 0.0
    while True:
        if time.monotonic() >= resend:
            worker.deliver(page, notice.push_payload())
            resend = time.monotonic() + 15
        shown = notifications(page)
        if any(n["body"] == notice.body for n in shown):
            return shown
        assert time.monotonic() < deadline, f"not shown: {notice.body!r}; shown: {shown}"
        page.wait_for_timeout(200)


def browser_subscription(page: Page) -> dict[str, Any] | None:
    found: dict[str, Any] | None = page.evaluate(
        """navigator.serviceWorker.ready
            .then((registration) => registration.pushManager.getSubscription())
            .then((subscription) => subscription && subscription.toJSON())"""
    )
    return found


@pytest.mark.slow
def test_the_bell_subscribes_the_phone_and_an_alert_pushed_to_it_is_shown(
    phone: BrowserContext, alerts_site: AlertsSite, gcm: GcmStandIn
) -> None:
    page = phone.pages[0] if phone.pages else phone.new_page()
    errors = errors_of(page)
    worker = Worker(phone, page, alerts_site.url)
    page.goto(alerts_site.url + PAGE)
    bell = page.locator("[data-bell]")
    expect(bell).to_have_text("Notify me")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone-bell.png"))

    bell.click()
    expect(bell).to_have_text("Stop notifying")
    note = page.locator("[data-bell-note]")
    expect(note).to_have_text("You will be notified when this dashboard needs you.")
    page.screenshot(path=str(SHOTS / "phone-bell-on.png"))
    subscription = browser_subscription(page)
    assert subscription is not None
    # The browser registered with the site's own VAPID key, and the site stored exactly it.
    # (Chromium registers senders of its own with the same service, in no set order.)
    senders = [registration.fields.get("sender") for registration in gcm.registrations]
    assert alerts_site.public_key() in senders
    assert alerts_site.subscriptions() == [subscription["endpoint"]]
    assert alerts_site.push.connections == 0  # subscribing sends nothing to any push service

    quiet = Notice(
        "quiet",
        DASHBOARD,
        "quiet",
        "Weather station",
        "Weather station: no new reading for 47 min (last at 05:55)",
    )
    (shown,) = push_until_shown(worker, page, quiet)
    assert shown["title"] == "Weather station"
    assert shown["tag"] == f"{DASHBOARD}:quiet"
    assert shown["data"] == {"url": PAGE}
    assert shown["icon"] == alerts_site.url + "/icon-192.png"

    # "Back" replaces "quiet" rather than piling up under it.
    back = Notice(
        "back", DASHBOARD, "quiet", "Weather station", "Weather station: new readings again"
    )
    (shown,) = push_until_shown(worker, page, back)
    assert shown["tag"] == f"{DASHBOARD}:quiet"

    # The next visit remembers, and renews the subscription on the server.
    page.reload()
    expect(bell).to_have_text("Stop notifying")
    bell.click()
    expect(bell).to_have_text("Notify me")
    expect(note).to_have_text("Notifications for this dashboard are off.")
    assert alerts_site.subscriptions() == []
    assert browser_subscription(page) is None  # no other dashboard of the site wanted it
    assert errors == []


@pytest.mark.slow
def test_without_alerts_the_page_shows_no_bell_and_never_asks_for_its_script(
    playwright: Playwright, served_app: str
) -> None:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    try:
        context = browser.new_context(**PHONE)  # type: ignore[arg-type]
        page = context.new_page()
        errors = errors_of(page)
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(served_app + PAGE)
        page.wait_for_load_state("networkidle")
        expect(page.locator(".headline .number")).to_be_visible()
        assert page.locator("[data-bell]").count() == 0
        assert not [url for url in asked if "bell" in url or "/api/push/" in url]
        assert errors == []
    finally:
        browser.close()


@pytest.mark.slow
def test_on_an_iphone_not_added_to_the_home_screen_the_bell_says_how_to_get_alerts(
    playwright: Playwright, alerts_site: AlertsSite
) -> None:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    try:
        # Safari in a tab: no PushManager, until the page is opened from the Home Screen.
        context = browser.new_context(
            **{**PHONE, "viewport": {"width": 320, "height": 640}},  # type: ignore[arg-type]
            user_agent=IPHONE_SAFARI,
        )
        context.add_init_script("delete window.PushManager;")
        page = context.new_page()
        errors = errors_of(page)
        page.goto(alerts_site.url + PAGE)
        bell = page.locator("[data-bell]")
        expect(bell).to_have_text("Notify me")
        bell.click()
        expect(page.locator("[data-bell-note]")).to_contain_text(
            "add this page to your Home Screen (Share, then Add to Home Screen)"
        )
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]  # the bell fits next to the title on a small phone
        page.screenshot(path=str(SHOTS / "iphone-320-bell.png"))
        assert errors == []
    finally:
        browser.close()


def gzipped(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return len(gzip.compress(answer.read(), 6))  # what scripts/bench.py measures


@pytest.mark.slow
def test_with_the_bell_the_page_keeps_its_size_budget_and_runs_only_our_scripts(
    alerts_site: AlertsSite, served_app: str
) -> None:
    without, with_bell = gzipped(served_app + PAGE), gzipped(alerts_site.url + PAGE)
    with urllib.request.urlopen(alerts_site.url + PAGE, timeout=10) as answer:
        csp = answer.headers["Content-Security-Policy"]
    assert script_sources(csp)[1:] == ["'self'"] and "unsafe-inline" not in csp
    with urllib.request.urlopen(alerts_site.url + "/bell.js", timeout=10) as answer:
        script = len(gzip.compress(answer.read(), 6))
    print(f"{PAGE} gzipped: {without} B without alerts, {with_bell} B with; /bell.js {script} B")
    assert with_bell <= BUDGET_GZIP_BYTES
    assert with_bell - without < 200  # the bell's markup; its script is a file of its own


@pytest.mark.slow
def test_lighthouse_finds_nothing_to_fix_on_a_dashboard_with_the_bell(
    alerts_site: AlertsSite,
) -> None:
    scores = run_lighthouse(
        alerts_site.url + PAGE,
        ARTIFACTS / "lighthouse-dashboard-alerts.json",
        categories=("accessibility", "best-practices", "seo"),
    )
    print(f"Lighthouse with alerts: {scores}")
    assert scores == {"accessibility": 100, "best-practices": 100, "seo": 100}
