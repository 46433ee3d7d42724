"""A field's 7 and 30 days, from ThingSpeak's own averages, cached per warm container.

ThingSpeak selects at most 8000 entries *before* it averages them, so one `average=60`
read of a week averages only the newest 8000 entries (33 hours of a 15-second channel).
So the range is read in windows, each expected to select at most ROW_BUDGET entries at
the channel's rate over the day already cached, fetched concurrently and at most
MAX_REQUESTS of them: a week of a 20-second channel is five answers of a few dozen rows
each, not megabytes. Window edges fall on bucket edges, so no bucket is split between
two reads and averaged twice, each half on its own. When a busy channel would need more
windows than that, the newest ones are read and the page says the span it really got.

A bucket that alone would hold more than ROW_BUDGET entries (4 hours of a 1-second
channel) would be averaged over its newest 8000 entries only: such a channel gets a
shorter bucket that fits (see plan_windows), and the page names it ("20-minute averages").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from chalicelib.logs import note
from chalicelib.thingspeak.backoff import Failure
from chalicelib.thingspeak.cache import DAY, MAX_RESULTS
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed, Sample, Series

ROW_BUDGET = 7000  # under ThingSpeak's 8000, with room for a busier spell than the day's
MAX_REQUESTS = 8
BUCKET_MINUTES = (10, 15, 20, 30, 60, 240)  # ThingSpeak's buckets short of a day
REACH = 0.9  # of the furthest back any bucket reaches: enough to keep the longer bucket

# One field's rows for these query parameters; the channel and its key are bound in.
SeriesFetch = Callable[[int, Mapping[str, str]], Series]
CacheStatus = Literal["hit", "miss", "stale"]


@dataclass(frozen=True)
class Range:
    """A span a field page offers, and the ThingSpeak bucket it is read in."""

    name: str  # as in ?range=
    length: timedelta
    label: str  # "7 days"
    minutes: int | None  # ThingSpeak's bucket for averages; None: the readings themselves
    # The newest bucket's average moves with every reading; a longer view may lag more.
    ttl_seconds: float


RANGES = {
    "24h": Range("24h", timedelta(hours=24), "24 h", None, 0.0),
    "7d": Range("7d", timedelta(days=7), "7 days", 60, 300.0),
    "30d": Range("30d", timedelta(days=30), "30 days", 240, 900.0),
}
DEFAULT_RANGE = RANGES["24h"]


def what_of(minutes: int | None) -> str:
    """What one point is: "reading", "hourly average", "4-hour average"."""
    if minutes is None:
        return "reading"
    if minutes % 60:
        return f"{minutes}-minute average"
    return "hourly average" if minutes == 60 else f"{minutes // 60}-hour average"


@dataclass(frozen=True)
class Window:
    """One read of a range: start and end, at most one cap's worth of entries."""

    start: int  # Unix seconds, on a bucket edge
    end: int | None  # the next window's start (its rows belong there); None: up to now

    def params(self, minutes: int) -> dict[str, str]:
        # No `results`: with `start` ThingSpeak selects up to 8000 entries of the range,
        # and `results` could only lower that.
        params = {"average": str(minutes), "start": _moment(self.start)}
        if self.end is not None:
            params["end"] = _moment(self.end)
        return params


@dataclass(frozen=True)
class Plan:
    """How a range is read: its windows, bucket and whether the cap cut it short."""

    minutes: int
    windows: tuple[Window, ...]  # oldest first
    capped: bool  # the windows stop short of the range's start

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.windows[0].start, UTC)


def rate_of(day: Feed) -> float:
    """Entries a second, going by the day held (a capped day: by the span it covers)."""
    stamps = day.stamps
    if len(stamps) < 2:
        return 0.0
    covered = stamps[-1] - stamps[0]
    if len(stamps) < MAX_RESULTS:
        covered = max(covered, DAY.total_seconds())
    return (len(stamps) - 1) / max(covered, 1.0)


def plan_windows(
    range_: Range,
    now: datetime,
    per_second: float,
    budget: int = ROW_BUDGET,
    most: int = MAX_REQUESTS,
) -> Plan:
    """The reads that cover the range, or the newest part of it when `most` fall short.

    Short of the range, a shorter bucket may reach further back (a 1-second channel's hour
    fills a whole window; its 20 minutes leave room for more): then the longest bucket
    that reaches at least REACH of the furthest any bucket does.
    """
    if range_.minutes is None:
        raise ValueError(f"range {range_.name} is read from the day, not in windows")
    longest = range_.minutes
    fits = [m for m in BUCKET_MINUTES if m <= longest and per_second * m * 60 <= budget]
    plans = [
        _plan(range_, now, per_second, m, budget, most)
        for m in sorted(fits or BUCKET_MINUTES[:1], reverse=True)
    ]
    if not plans[0].capped:
        return plans[0]
    furthest = now - min(p.start for p in plans)
    return next(p for p in plans if now - p.start >= furthest * REACH)


def _plan(
    range_: Range, now: datetime, per_second: float, minutes: int, budget: int, most: int
) -> Plan:
    size = minutes * 60
    first = int((now - range_.length).timestamp()) // size * size
    newest = int(now.timestamp()) // size * size
    buckets = int(budget // (per_second * size)) if per_second > 0 else 10**9
    span = max(1, buckets) * size
    windows: list[Window] = []
    start, end = newest + size - span, None
    while True:
        windows.append(Window(max(start, first), end))
        if start <= first or len(windows) == most:
            break
        start, end = start - span, start
    return Plan(minutes, tuple(reversed(windows)), capped=start > first)


@dataclass(frozen=True)
class Fetched:
    """What the windows of one range brought back."""

    plan: Plan
    samples: tuple[Sample, ...]  # the buckets with a value, oldest first
    at: datetime  # when it was read: the span's end


def fetch(
    series: SeriesFetch, number: int, plan: Plan, now: datetime, pool: ThreadPoolExecutor
) -> Fetched:
    futures = [pool.submit(series, number, w.params(plan.minutes)) for w in plan.windows]
    samples: list[Sample] = []
    # Each read has its own deadline (thingspeak.DEADLINE_SECONDS), and they run side by
    # side, so all of them take about as long as the slowest one.
    for window, future in zip(plan.windows, futures, strict=True):
        begin = datetime.fromtimestamp(window.start, UTC)
        stop = datetime.fromtimestamp(window.end, UTC) if window.end is not None else None
        samples.extend(
            s
            for s in future.result().samples
            if s.value is not None
            and begin <= s.created_at
            and (stop is None or s.created_at < stop)
        )
    return Fetched(plan, tuple(samples), now)


def span_of(fetched: Fetched, range_: Range) -> tuple[datetime, datetime]:
    """The span the samples really cover. A first bucket within one bucket of where the
    reads began counts as the whole range; a capped or young channel's starts later."""
    end = fetched.at
    if not fetched.samples:
        return end, end
    size = timedelta(minutes=fetched.plan.minutes)
    edge = max(fetched.plan.start, end - range_.length)
    first = fetched.samples[0].created_at
    return (min(first, edge) if first <= edge + size else first), end


@dataclass(frozen=True)
class AveragesSnapshot:
    """A range's points as served: cached, fetched or stale, and why."""

    fetched: Fetched
    cache: CacheStatus
    version: int  # bumped with every new read, so views can cache what they build
    error: ThingSpeakError | None = None  # why an older read is served (stale-if-error)


@dataclass(frozen=True)
class _Held:
    """The last good read of a range and when it was made."""

    fetched: Fetched
    at: float
    version: int


class FieldAverages:
    """One channel's (and key's) longer ranges, each field and range cached on its own.

    Like the day's feed: served from the cache while younger than the range's TTL, one
    read per window after that, and on failure the last good read, marked stale, with no
    new attempt before `retry_seconds` (or ThingSpeak's Retry-After) have passed.
    """

    def __init__(
        self,
        series: SeriesFetch,
        retry_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._series = series
        self._retry = retry_seconds
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self._held: dict[tuple[int, str], _Held] = {}
        self._failures: dict[tuple[int, str], Failure] = {}
        self._version = 0
        self._pool: ThreadPoolExecutor | None = None

    def get(self, number: int, range_: Range, day: Feed) -> AveragesSnapshot:
        """Field `number` over `range_`; `day` (the cached day) gives the channel's rate.
        Raises ThingSpeakError only when there is no earlier good read to fall back on."""
        key = (number, range_.name)
        with self._lock:
            now = self._clock()
            held = self._held.get(key)
            if held is not None and now - held.at < range_.ttl_seconds:
                return AveragesSnapshot(held.fetched, "hit", held.version)
            failure = self._failures.get(key)
            if failure is not None and failure.waiting(now):
                return _fallback(held, failure.error)
            wall = self._wall()
            plan = plan_windows(range_, wall, rate_of(day))
            try:
                fetched = fetch(self._series, number, plan, wall, self._executor())
            except ThingSpeakError as exc:
                self._failures[key] = Failure.after(exc, now, self._retry)
                return _fallback(held, exc)
            note(history_requests=len(plan.windows), history_minutes=plan.minutes)
            self._version += 1
            self._held[key] = _Held(fetched, now, self._version)
            self._failures.pop(key, None)
            return AveragesSnapshot(fetched, "miss", self._version)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MAX_REQUESTS, thread_name_prefix="history")
        return self._pool


def _fallback(held: _Held | None, error: ThingSpeakError) -> AveragesSnapshot:
    if held is None:
        raise error.with_traceback(None)  # see LatestFeed._fallback
    return AveragesSnapshot(held.fetched, "stale", held.version, error)


def _moment(unix: int) -> str:
    # ThingSpeak's own format; UTC, as API reads are without a `timezone`.
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M:%S")
