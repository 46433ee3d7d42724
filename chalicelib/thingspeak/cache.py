"""The channel's last day of readings, cached per warm container.

Each page view costs at most one upstream request, and most cost none:
- while the cache is younger than CACHE_TTL_SECONDS, nothing is fetched;
- otherwise a small request (the newest TAIL_RESULTS entries) tops the day up;
- every DAY_REFRESH_SECONDS, or when the tail does not join what we hold, one large
  request replaces the day instead: the entries of the last DAY_MINUTES (at most
  MAX_RESULTS), not 8000 entries of which a busy channel's oldest third is older than
  the day shown. A channel known to be quiet gets its newest MAX_RESULTS entries
  instead, so its day is whole too (on a cold start its first chart may show a shorter,
  honestly labelled span), and one with nothing in the last day is asked again.
When a fetch fails, the last good feed is served, marked stale (stale-if-error), and
ThingSpeak is not asked again before the window (or its Retry-After) has passed.

A Lambda container serves one request at a time, but `chalice local` is threaded, so a
lock keeps a burst of views to one upstream call there too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from chalicelib.thingspeak.backoff import Failure
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed

DAY = timedelta(hours=24)
MAX_RESULTS = 8000  # ThingSpeak's maximum; a day of entries every 11 s or slower
DAY_MINUTES = 24 * 60 + 5  # the day, and a margin for the clocks
DAY_REFRESH_SECONDS = 600.0
TAIL_RESULTS = 20

CacheStatus = Literal["hit", "miss", "stale"]


# Fetches the channel's newest `results` entries, of the last `minutes` if given.
Fetch = Callable[[int, int | None], Feed]


@dataclass(frozen=True)
class Snapshot:
    """The feed a view is served from, and how it was got."""

    feed: Feed
    cache: CacheStatus
    # Bumped whenever the feed changes, so views can cache what they render from it.
    version: int
    # The failure that made us serve an older feed (stale-if-error), if any.
    error: ThingSpeakError | None = None


class LatestFeed:
    def __init__(
        self,
        fetch: Fetch,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._fetch = fetch
        self._wall = wall
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._feed: Feed | None = None
        self._version = 0
        self._fetched_at = 0.0
        self._day_at = float("-inf")
        self._has_day = False  # whether we hold the whole day, not only a tail
        self._failure: Failure | None = None

    def get(self, day: bool = True) -> Snapshot:
        """The cached feed while fresh; otherwise one upstream attempt per window.

        With day=False (the overview's cards need only the newest entry) a cold cache
        fetches just the tail; the next view that needs the day fetches it then.
        Raises ThingSpeakError only when there is no earlier good feed to fall back on.
        """
        with self._lock:
            now = self._clock()
            complete = self._has_day or not day
            if self._feed is not None and complete and now - self._fetched_at < self._ttl:
                return Snapshot(self._feed, "hit", self._version)
            if self._failure is not None and self._failure.waiting(now):
                return self._fallback(self._failure.error)
            whole_day = day and (not self._has_day or now - self._day_at >= DAY_REFRESH_SECONDS)
            try:
                fetched = self._fetch_day() if whole_day else self._fetch(TAIL_RESULTS, None)
            except ThingSpeakError as exc:
                self._failure = Failure.after(exc, now, self._ttl)
                return self._fallback(exc)
            if whole_day:
                merged, self._day_at, self._has_day = _last_day(fetched), now, True
            elif self._feed is None:
                merged = _last_day(fetched)
            else:
                joined = _join(self._feed, fetched)
                if joined is None:  # a gap we cannot fill from the tail
                    joined, self._has_day = _last_day(fetched), False
                merged = joined
            if merged != self._feed:
                self._version += 1
            self._feed, self._fetched_at, self._failure = merged, now, None
            return Snapshot(merged, "miss", self._version)

    def _fetch_day(self) -> Feed:
        margin = timedelta(minutes=DAY_MINUTES) - DAY
        held = self._feed.latest if self._feed else None
        if held is not None and self._wall() - held.created_at > margin:
            # A quiet channel: the last minutes would cut its day short.
            return self._fetch(MAX_RESULTS, None)
        day = self._fetch(MAX_RESULTS, DAY_MINUTES)
        if day.latest is None and day.channel.last_entry_id is not None:
            # Nothing in the last day: quiet for longer (its newest entry is still news),
            # or empty. The one case that costs a second request.
            return self._fetch(MAX_RESULTS, None)
        return day

    def _fallback(self, error: ThingSpeakError) -> Snapshot:
        if self._feed is None:
            # Drop the old traceback: re-raising one instance for every view during an
            # outage would otherwise grow it without bound.
            raise error.with_traceback(None)
        return Snapshot(self._feed, "stale", self._version, error)


def _last_day(feed: Feed) -> Feed:
    latest = feed.latest
    if latest is None:
        return feed
    since = latest.created_at - DAY
    return Feed(feed.channel, tuple(e for e in feed.entries if e.created_at >= since))


def _join(held: Feed, tail: Feed) -> Feed | None:
    """The day we hold topped up with the tail, or None if entries may be missing between."""
    if not tail.entries or held.latest is None:
        return tail  # emptied, or newly started: the tail is the whole story
    newest_held = held.latest.entry_id
    if tail.entries[0].entry_id > newest_held + 1:
        return None
    if tail.latest is not None and tail.latest.entry_id < newest_held:
        return None  # the channel was cleared and refilled: start again
    newer = tuple(e for e in tail.entries if e.entry_id > newest_held)
    entries = held.entries + newer
    if newer and newer[0].created_at < held.latest.created_at:
        # A device that posts late (a bulk update, a clock put right) gives a newer id an
        # older time: keep the day in time order, as parse_feed does.
        entries = tuple(sorted(entries, key=lambda e: (e.created_at, e.entry_id)))
    return _last_day(Feed(tail.channel, entries))
