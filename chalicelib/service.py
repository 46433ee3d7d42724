"""The latest feed, cached per warm container, with stale-if-error and back-off.

A Lambda container serves one request at a time, but `chalice local` is threaded, so
the lock keeps a burst of views to one upstream call there too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from chalicelib.errors import RateLimited, ThingSpeakError
from chalicelib.feed import Feed

# Upper bound on how long a 429's Retry-After can silence us: a glance page that stays
# stale for an hour because of one bad header is worse than one more attempt.
MAX_BACKOFF_SECONDS = 300.0

CacheStatus = Literal["hit", "miss", "stale"]


class FeedSource(Protocol):
    def feed(self, channel_id: int, results: int) -> Feed: ...


@dataclass(frozen=True)
class Snapshot:
    feed: Feed
    cache: CacheStatus
    # The failure that made us serve an older feed (stale-if-error), if any.
    error: ThingSpeakError | None = None


@dataclass(frozen=True)
class _Failure:
    error: ThingSpeakError
    retry_at: float


class LatestFeed:
    def __init__(
        self,
        source: FeedSource,
        channel_id: int,
        ttl_seconds: float,
        results: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._channel_id = channel_id
        self._ttl = ttl_seconds
        self._results = results
        self._clock = clock
        self._lock = threading.Lock()
        self._feed: Feed | None = None
        self._fetched_at = 0.0
        self._failure: _Failure | None = None

    def get(self) -> Snapshot:
        """The cached feed while fresh; otherwise one upstream attempt per window.

        Raises ThingSpeakError only when there is no earlier good feed to fall back on.
        """
        with self._lock:
            now = self._clock()
            if self._feed is not None and now - self._fetched_at < self._ttl:
                return Snapshot(self._feed, "hit")
            if self._failure is not None and now < self._failure.retry_at:
                return self._fallback(self._failure.error)
            try:
                feed = self._source.feed(self._channel_id, self._results)
            except ThingSpeakError as exc:
                self._failure = _Failure(exc, now + self._backoff(exc))
                return self._fallback(exc)
            self._feed, self._fetched_at, self._failure = feed, now, None
            return Snapshot(feed, "miss")

    def _backoff(self, error: ThingSpeakError) -> float:
        if isinstance(error, RateLimited) and error.retry_after:
            return min(max(self._ttl, error.retry_after), MAX_BACKOFF_SECONDS)
        return self._ttl

    def _fallback(self, error: ThingSpeakError) -> Snapshot:
        if self._feed is None:
            # Drop the old traceback: re-raising one instance for every view during an
            # outage would otherwise grow it without bound.
            raise error.with_traceback(None)
        return Snapshot(self._feed, "stale", error)
