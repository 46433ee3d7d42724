"""Fixtures every area shares: real ThingSpeak-shaped JSON, a stubbed or emulated
ThingSpeak, the app wired with the settings a test asks for, the push service stand-in,
moto, and headless Chromium. Each is defined here once; an area's own conftest.py adds
only what that area alone uses."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import responses
from chalice.test import Client
from moto import mock_aws
from playwright.sync_api import Browser

from chalicelib.config.loader import load_config
from chalicelib.web.root import Site
from emulator import PRIVATE_READ_KEY, Emulator
from scripts.local_app import serve
from tests.support.browser import CHROMIUM, FLAGS
from tests.support.push_service import PushService
from tests.support.servers import loopback

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
THINGSPEAK = "https://api.thingspeak.com"
# A valid-looking read key that no test response may ever contain.
SECRET_KEY = "SECRETKEY0123456"
# The region moto plays AWS in.
REGION = "eu-west-1"
# What the demo dashboards file (chalicelib/dashboards.toml) needs from the environment,
# as the local and dev stages set it: the private greenhouse's read key (the emulator's
# private channel). Pass it wherever a test starts the app on the demo file.
DEMO_ENV = {"GREENHOUSE_READ_KEY": PRIVATE_READ_KEY}

# app.py builds its Site at import; give it settings that need no network.
os.environ.setdefault("THINGSPEAK_CHANNEL_ID", "9")
for _name in [n for n in os.environ if n.startswith("FIELD") or n == "GLANCE_CONFIG"]:
    del os.environ[_name]

import app as app_module  # noqa: E402


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def feed_url(channel_id: int, base: str = THINGSPEAK) -> str:
    return f"{base}/channels/{channel_id}/feeds.json"


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


@pytest.fixture
def thingspeak() -> Iterator[responses.RequestsMock]:
    """ThingSpeak stubbed with `responses`; any request it was not told about fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


class FakeClock:
    """Wall clock for the app under test, so 'N min ago' and staleness are exact."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def write_dashboards(root: Path, toml: str) -> dict[str, str]:
    """A dashboards file where GLANCE_CONFIG may name it (under chalicelib/ of `root`)."""
    (root / "chalicelib").mkdir(parents=True, exist_ok=True)
    (root / "chalicelib" / "dashboards.toml").write_text(toml, encoding="utf-8")
    return {"GLANCE_CONFIG": "chalicelib/dashboards.toml"}


@pytest.fixture
def make_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Client]:
    """The real Chalice app, with a fresh Site built from the given settings: environment
    variables (one channel, 9 unless told), or a dashboards file's text."""

    def make(
        env: dict[str, str] | None = None,
        now: datetime | Callable[[], datetime] | None = None,
        dashboards: str | None = None,
    ) -> Client:
        env = dict(env or {})
        if dashboards is not None:
            env.update(write_dashboards(tmp_path, dashboards))
        else:
            env.setdefault("THINGSPEAK_CHANNEL_ID", "9")
        config = load_config(env, root=tmp_path)
        clock: Callable[[], datetime]
        if now is None:
            clock = lambda: datetime.now(UTC)  # noqa: E731
        elif isinstance(now, datetime):
            clock = FakeClock(now)
        else:
            clock = now
        monkeypatch.setattr(app_module, "site", Site(config, now=clock))
        return Client(app_module.app)

    return make


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One emulator for the whole run: for tests that only read, or undo what they change."""
    with loopback(Emulator(), lambda emu: emu.url) as emu:
        yield emu


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulator of the test's own, to change as it likes."""
    with loopback(Emulator(), lambda emu: emu.url) as emulator:
        yield emulator


@pytest.fixture
def push() -> Iterator[PushService]:
    """The loopback push service stand-in (verifies VAPID, decrypts what a phone gets)."""
    with loopback(PushService(), lambda service: service.origin, probe=False) as service:
        yield service


@pytest.fixture
def emulated(emulator: Emulator) -> Iterator[Emulator]:
    emulator.clear_requests()
    yield emulator


@pytest.fixture(scope="session")
def served_app(emulator: Emulator) -> Iterator[str]:
    """`chalice local --stage local`, as `make serve` runs it, on a copy of the project
    whose local stage points at the test emulator and refreshes quickly."""
    local_app = serve(emulator.url, CACHE_TTL_SECONDS="1", REFRESH_SECONDS="2")
    with loopback(local_app, lambda local: local.url) as local:
        yield local.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless and off the network; each test opens its own context.
    Per module: Playwright's sync API runs one instance at a time, and some modules start
    their own (a persistent profile, for push)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """AWS played by moto in this process, with fake credentials: nothing here can reach
    AWS. A session in REGION; plain boto3.client(...) calls reach the same moto."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture(autouse=True)
def _template_packages_reaped_before_hypothesis(request: pytest.FixtureRequest) -> None:
    """Jinja2's ModuleLoader (each Site's Renderer has one) registers its templates' package
    in sys.modules as a weakref.proxy, dropped only when the cyclic collector frees that
    Renderer. Hypothesis snapshots sys.modules and reads each entry's __file__ while it
    draws: a collection in between leaves a dead proxy in its snapshot, and ReferenceError
    ("weakly-referenced object no longer exists") ends the test. Collect earlier tests'
    Sites first, so every proxy Hypothesis can see points at a live package."""
    from hypothesis import is_hypothesis_test

    if is_hypothesis_test(getattr(request, "function", None)):
        import gc

        gc.collect()
