"""Load and upstream protection: a bounded burst on loopback, with ThingSpeak healthy and
failing. The bigger run is `python scripts/loadtest.py` (default: 2000 requests)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from chalice.test import Client

from emulator import Emulator
from scripts.loadtest import rss_kb, run
from scripts.local_app import LocalApp, serve
from tests.support.servers import loopback

pytestmark = pytest.mark.slow
CHANNEL = 1014
TTL = 1.0  # CACHE_TTL_SECONDS in these tests: a burst of 3 s spans several windows
BURST_SECONDS = 3.0


def test_a_burst_is_served_without_errors_few_upstream_calls_and_flat_memory() -> None:
    result = run(total=800, concurrency=4, cache_ttl=TTL, time_cap=60)
    print("\n" + result.table())
    assert result.errors == 0 and result.requests == 800
    # One upstream call per channel per cache window that passed: never more, and the cache
    # does expire.
    assert result.cache_windows - 1 <= result.upstream_calls <= result.cache_windows + 1
    _, middle, end = result.rss_kb
    assert end - middle < 10 * 1024  # kB: the cache is bounded, cache hits allocate nothing


def burst(client: Client, seconds: float) -> int:
    """Views as fast as they come for `seconds`; how many were answered."""
    answered = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert client.http.get("/").status_code == 502
        answered += 1
    return answered


def assert_at_most_one_attempt_per_window(emulator: Emulator, seconds: float) -> None:
    attempts = [r.at for r in emulator.requests]
    assert 1 <= len(attempts) <= int(seconds // TTL) + 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert all(gap >= TTL * 0.9 for gap in gaps), gaps  # no retry storm within a window


@pytest.fixture
def failing(emulated: Emulator, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    emulated.set_fault(CHANNEL, request.param)
    try:
        yield emulated
    finally:
        emulated.set_fault(CHANNEL, None)


@pytest.mark.parametrize(
    ("failing", "asked_again"),
    # 500: no Retry-After, so a later window tries again and recovery is noticed. 503
    # carries Retry-After: 30, which only a 429's is documented to honour: at most once
    # a window either way, and no claim on whether it waits longer.
    [("error_500", True), ("error_503", False)],
    indirect=["failing"],
)
def test_a_failing_thingspeak_is_asked_once_per_cache_window(
    make_client: Callable[..., Client], failing: Emulator, asked_again: bool
) -> None:
    client = make_client(
        {
            "THINGSPEAK_URL": failing.url,
            "THINGSPEAK_CHANNEL_ID": str(CHANNEL),
            "CACHE_TTL_SECONDS": str(TTL),
        }
    )
    started = time.monotonic()
    views = burst(client, BURST_SECONDS)
    assert views > 50
    assert_at_most_one_attempt_per_window(failing, time.monotonic() - started)
    if asked_again:
        assert len(failing.requests) >= 2


@pytest.mark.parametrize("failing", ["rate_limited"], indirect=True)  # Retry-After: 30
def test_retry_after_on_429_is_honoured(
    make_client: Callable[..., Client], failing: Emulator
) -> None:
    client = make_client(
        {
            "THINGSPEAK_URL": failing.url,
            "THINGSPEAK_CHANNEL_ID": str(CHANNEL),
            "CACHE_TTL_SECONDS": str(TTL),
        }
    )
    views = burst(client, BURST_SECONDS)
    assert views > 50
    assert len(failing.requests) == 1  # none after the first within 30 s


@pytest.fixture
def served_failing(emulated: Emulator) -> Iterator[LocalApp]:
    """`chalice local` (threaded, as users run it) on a ThingSpeak answering 503."""
    emulated.set_fault(CHANNEL, "error_503")
    try:
        local_app = serve(
            # The stage blanks the demo file it inherits: one channel, from the environment.
            emulated.url,
            GLANCE_CONFIG="",
            THINGSPEAK_CHANNEL_ID=str(CHANNEL),
            CACHE_TTL_SECONDS=str(TTL),
        )
        with loopback(local_app, lambda app: app.url) as local:
            emulated.clear_requests()
            yield local
    finally:
        emulated.set_fault(CHANNEL, None)


def test_a_concurrent_burst_on_a_failing_thingspeak_makes_no_retry_storm(
    served_failing: LocalApp, emulated: Emulator
) -> None:
    deadline = time.monotonic() + BURST_SECONDS
    rss_start = rss_kb(served_failing.pid)

    def views(_: int) -> int:
        answered = 0
        with requests.Session() as session:
            while time.monotonic() < deadline:
                response = session.get(served_failing.url + "/api/latest", timeout=10)
                assert response.status_code == 502
                assert response.json()["error"]["code"] == "thingspeak_unavailable"
                answered += 1
        return answered

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answered = sum(pool.map(views, range(8)))
    assert answered > 50
    assert_at_most_one_attempt_per_window(emulated, time.monotonic() - started)
    assert rss_kb(served_failing.pid) - rss_start < 10 * 1024  # kB: errors leak nothing
