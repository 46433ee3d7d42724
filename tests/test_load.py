"""Load and upstream protection: a bounded burst on loopback, with ThingSpeak healthy and
failing. The bigger run is `python scripts/loadtest.py` (defaults: 5000 requests)."""

from __future__ import annotations

import time

import pytest

from scripts.loadtest import run

pytestmark = pytest.mark.slow
CHANNEL = 1014


def test_a_burst_is_served_without_errors_few_upstream_calls_and_flat_memory():
    result = run(total=800, concurrency=4, cache_ttl=1.0)
    print("\n" + result.table())
    assert result.errors == 0 and result.requests == 800
    assert result.upstream_calls <= result.cache_windows + 1
    _, middle, end = result.rss_kb
    assert end - middle < 10 * 1024  # kB: the cache is bounded, cache hits allocate nothing


def burst(client, seconds: float) -> int:
    """Views as fast as they come for `seconds`; how many were answered."""
    answered = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert client.http.get("/").status_code in (200, 502)
        answered += 1
    return answered


def test_a_failing_thingspeak_is_asked_once_per_cache_window(make_client, emulated):
    client = make_client(
        {
            "THINGSPEAK_URL": emulated.url,
            "THINGSPEAK_CHANNEL_ID": str(CHANNEL),
            "CACHE_TTL_SECONDS": "1",
        }
    )
    emulated.set_fault(CHANNEL, "error_500")
    try:
        views = burst(client, 2.5)
    finally:
        emulated.set_fault(CHANNEL, None)
    assert views > 50
    assert 1 <= len(emulated.requests) <= 3  # one per 1 s window, no retry storm


def test_retry_after_on_429_is_honoured(make_client, emulated):
    client = make_client(
        {
            "THINGSPEAK_URL": emulated.url,
            "THINGSPEAK_CHANNEL_ID": str(CHANNEL),
            "CACHE_TTL_SECONDS": "1",
        }
    )
    emulated.set_fault(CHANNEL, "rate_limited")  # Retry-After: 30
    try:
        burst(client, 2.5)
    finally:
        emulated.set_fault(CHANNEL, None)
    assert len(emulated.requests) == 1
