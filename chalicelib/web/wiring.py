"""How the composition root (root.py) wires a dashboard to ThingSpeak: its fetchers, the
cold start's prefetch, and what the environment says of alerts."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.config.model import Config, Dashboard
from chalicelib.thingspeak.cache import Fetch, LatestFeed
from chalicelib.thingspeak.client import ReadKey, ThingSpeakClient
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed, Series
from chalicelib.thingspeak.keys import read_key_for

Source = tuple[int, str | None, str | None]  # a channel and the key it is read with


@dataclass(frozen=True)
class Channels:
    """One client (one Session) for every channel; one cache per channel and key, shared by
    the dashboards that show it; each key resolved once."""

    client: ThingSpeakClient
    feeds: dict[Source, LatestFeed]
    feed_of: dict[str, LatestFeed]  # by dashboard name
    keys: dict[str, ReadKey]


def wire_channels(
    config: Config,
    client: ThingSpeakClient | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Channels:
    client = client or ThingSpeakClient(config.thingspeak_url)
    feeds: dict[Source, LatestFeed] = {}
    keys: dict[str, ReadKey] = {}
    feed_of: dict[str, LatestFeed] = {}
    for dashboard in config.dashboards:
        if dashboard.source not in feeds:
            fetch = feed_fetcher(client, dashboard, read_key_for(dashboard, keys))
            feeds[dashboard.source] = LatestFeed(fetch, config.cache_ttl_seconds, wall=now)
        feed_of[dashboard.name] = feeds[dashboard.source]
    return Channels(client, feeds, feed_of, keys)


def alerts_on(env: Mapping[str, str]) -> bool:
    """Whether push subscriptions have a store (chalicelib/alerts/store.py), so the dashboard
    pages offer the bell; read here without importing the alert code into the page's start."""
    return any(env.get(name, "").strip() for name in ("ALERTS_TABLE", "ALERTS_DB"))


# The handler `chalice deploy` gives the web function (Lambda's _HANDLER variable).
WEB_HANDLER = "app.app"


def prefetch_feeds(feeds: list[LatestFeed], day: bool) -> None:
    """On a cold web function, ask ThingSpeak for the first view's data at once, in the
    background: the round trip overlaps the rest of the start-up (Jinja2, the templates)
    instead of following it. The view then finds the reading cached, or waits on the
    fetch under way (one request either way); a failure is remembered like any other."""

    def get(feed: LatestFeed) -> None:
        with contextlib.suppress(ThingSpeakError):
            feed.get(day=day)

    for feed in feeds:
        threading.Thread(target=get, args=(feed,), name="prefetch", daemon=True).start()


def feed_fetcher(client: ThingSpeakClient, dashboard: Dashboard, key: ReadKey) -> Fetch:
    channel = dashboard.channel

    def fetch(results: int, minutes: int | None) -> Feed:
        extra = {"minutes": str(minutes)} if minutes else None
        return client.feed(channel, results, key, extra)

    return fetch


def series_fetcher(
    client: ThingSpeakClient, dashboard: Dashboard, key: ReadKey
) -> Callable[[int, Mapping[str, str]], Series]:
    channel = dashboard.channel

    def fetch(number: int, params: Mapping[str, str]) -> Series:
        return client.series(channel, number, params, key)

    return fetch
