"""The channel cache (LatestFeed) on its less travelled paths: a gap the tail cannot fill,
a device posting late, a quiet channel's day, and a channel cleared and refilled.

ThingSpeak here is a channel kept in the test that answers reads with ThingSpeak-shaped
JSON (newest `results` entries, of the last `minutes` if asked), parsed by the real
parse_feed; both clocks are injected, so nothing depends on the machine's speed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.thingspeak.cache import DAY_MINUTES, MAX_RESULTS, TAIL_RESULTS, LatestFeed
from chalicelib.thingspeak.feed import Feed, parse_feed

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TTL = 30.0
DAY = (MAX_RESULTS, DAY_MINUTES)  # the request for the last day
TAIL = (TAIL_RESULTS, None)  # the request that tops the day up
NEWEST = (MAX_RESULTS, None)  # a quiet channel's newest entries, however old


@dataclass
class Channel:
    """A ThingSpeak channel: what it holds, what time it is there, and what it was asked."""

    now: datetime = START
    entries: list[tuple[int, datetime, str]] = field(default_factory=list)
    last_entry_id: int | None = None
    asked: list[tuple[int, int | None]] = field(default_factory=list)

    def post(self, value: str, at: datetime | None = None) -> int:
        entry_id = (self.last_entry_id or 0) + 1
        self.entries.append((entry_id, at or self.now, value))
        self.last_entry_id = entry_id
        return entry_id

    def post_every(self, minutes: float, count: int) -> None:
        """`count` entries, `minutes` apart, the last one now."""
        for i in range(count):
            self.post(f"{i}.0", self.now - timedelta(minutes=minutes * (count - 1 - i)))

    def clear(self) -> None:
        """What 'Clear channel' does on ThingSpeak: the entries go, and the ids start over."""
        self.entries.clear()
        self.last_entry_id = None

    def read(self, results: int, minutes: int | None) -> Feed:
        self.asked.append((results, minutes))
        rows = sorted(self.entries, key=lambda e: (e[1], e[0]))
        if minutes is not None:
            rows = [e for e in rows if e[1] >= self.now - timedelta(minutes=minutes)]
        return parse_feed(self.payload(rows[-results:]))

    def payload(self, rows: list[tuple[int, datetime, str]]) -> dict[str, Any]:
        return {
            "channel": {
                "id": 9,
                "name": "my_house",
                "field1": "Outside Temperature",
                "created_at": "2010-12-14T01:20:06Z",
                "last_entry_id": self.last_entry_id,
            },
            "feeds": [
                {"created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "entry_id": i, "field1": v}
                for i, at, v in rows
            ],
        }


@dataclass
class Clock:
    """The container's monotonic clock, moved by hand."""

    seconds: float = 1000.0

    def __call__(self) -> float:
        return self.seconds


def cache_of(channel: Channel) -> tuple[LatestFeed, Clock]:
    clock = Clock()
    return LatestFeed(channel.read, TTL, clock=clock, wall=lambda: channel.now), clock


def later(channel: Channel, clock: Clock, seconds: float) -> None:
    """Both clocks move on together."""
    clock.seconds += seconds
    channel.now += timedelta(seconds=seconds)


def ids(feed: Feed) -> list[int]:
    return [e.entry_id for e in feed.entries]


# --- gaps in the data --------------------------------------------------------------------------


def test_a_tail_that_joins_the_day_tops_it_up_with_one_small_request() -> None:
    channel = Channel()
    channel.post_every(minutes=1, count=30)
    cache, clock = cache_of(channel)
    cache.get()
    later(channel, clock, TTL)
    channel.post("30.0")

    snapshot = cache.get()

    assert channel.asked == [DAY, TAIL]
    assert ids(snapshot.feed) == list(range(1, 32)) and snapshot.cache == "miss"


def test_more_new_entries_than_the_tail_holds_is_a_gap_and_the_day_is_read_again() -> None:
    channel = Channel()
    channel.post_every(minutes=1, count=30)
    cache, clock = cache_of(channel)
    cache.get()
    later(channel, clock, TTL)
    for i in range(TAIL_RESULTS + 5):  # a burst while the cache was fresh
        channel.post(f"burst {i}", channel.now - timedelta(seconds=TAIL_RESULTS + 5 - i))

    gapped = cache.get()
    whole = cache.get()  # at once: the day is not whole, so this is no cache hit

    newest = channel.last_entry_id
    assert newest == 55
    assert channel.asked == [DAY, TAIL, DAY]
    # The view that met the gap shows only what it is sure of: the tail, no hole in it.
    assert ids(gapped.feed) == list(range(newest - TAIL_RESULTS + 1, newest + 1))
    assert ids(whole.feed) == list(range(1, newest + 1)) and whole.cache == "miss"
    assert whole.version > gapped.version
    later(channel, clock, 1)
    assert cache.get().cache == "hit"


def test_a_device_posting_late_keeps_the_day_in_time_order() -> None:
    channel = Channel()
    channel.post_every(minutes=1, count=10)
    cache, clock = cache_of(channel)
    cache.get()
    later(channel, clock, TTL)
    late = channel.post("late", channel.now - timedelta(minutes=5, seconds=30))

    feed = cache.get().feed

    times = [e.created_at for e in feed.entries]
    assert times == sorted(times) and late in ids(feed) and len(feed.entries) == 11
    assert channel.asked == [DAY, TAIL]


def test_entries_older_than_a_day_fall_out_as_the_tail_tops_up() -> None:
    channel = Channel()
    channel.post_every(minutes=60, count=25)  # the oldest exactly a day before now
    cache, clock = cache_of(channel)
    assert ids(cache.get().feed) == list(range(1, 26))
    later(channel, clock, TTL)
    channel.post("new")

    feed = cache.get().feed

    assert channel.asked == [DAY, TAIL]
    assert ids(feed) == list(range(2, 27))


# --- a quiet channel ---------------------------------------------------------------------------


def test_a_channel_quiet_for_more_than_a_day_is_asked_again_for_its_newest_entries() -> None:
    channel = Channel()
    channel.post_every(minutes=10, count=6)
    channel.now += timedelta(days=3)  # nothing since
    cache, _ = cache_of(channel)

    snapshot = cache.get()

    # The last day is empty, yet last_entry_id says there are entries: one more request.
    assert channel.asked == [DAY, NEWEST]
    assert ids(snapshot.feed) == [1, 2, 3, 4, 5, 6]


def test_an_empty_channel_costs_one_request_not_two() -> None:
    channel = Channel()
    cache, _ = cache_of(channel)

    snapshot = cache.get()

    assert channel.asked == [DAY] and snapshot.feed.entries == ()


def test_a_channel_known_to_be_quiet_refreshes_its_day_with_its_newest_entries() -> None:
    channel = Channel()
    channel.post_every(minutes=2, count=20)
    cache, clock = cache_of(channel)
    cache.get()
    later(channel, clock, 15 * 60)  # past the day's refresh time, and nothing new for 15 min

    cache.get()

    # Held newest entry is older than the margin of the last-minutes read: ask for the
    # newest entries instead, so the day is not cut short by the clocks.
    assert channel.asked == [DAY, NEWEST]


def test_a_channel_still_posting_refreshes_its_day_by_the_minutes() -> None:
    channel = Channel()
    channel.post_every(minutes=1, count=20)
    cache, clock = cache_of(channel)
    cache.get()
    for _ in range(20):  # a new entry every TTL, for 10 minutes: the day's refresh time
        later(channel, clock, TTL)
        channel.post("new")
        cache.get()

    assert channel.asked == [DAY] + [TAIL] * 19 + [DAY]


# --- a channel cleared and refilled ------------------------------------------------------------


def test_a_cleared_channel_shows_no_entries_then_the_new_ones_as_they_arrive() -> None:
    channel = Channel()
    channel.post_every(minutes=1, count=30)
    cache, clock = cache_of(channel)
    before = cache.get()

    channel.clear()
    later(channel, clock, TTL)
    emptied = cache.get()
    channel.post("a")
    channel.post("b")
    later(channel, clock, TTL)
    refilled = cache.get()

    assert channel.asked == [DAY, TAIL, TAIL]
    assert emptied.feed.entries == () and emptied.version > before.version
    assert ids(refilled.feed) == [1, 2] and [e.value(1) for e in refilled.feed.entries] == [
        "a",
        "b",
    ]


def test_a_channel_cleared_and_refilled_between_views_drops_the_old_entries() -> None:
    channel = Channel()
    channel.post_every(minutes=1, count=30)
    cache, clock = cache_of(channel)
    cache.get()

    channel.clear()
    later(channel, clock, TTL)
    for value in ("a", "b", "c"):
        channel.post(value)  # ids 1, 2, 3 again: older than what we hold

    first = cache.get()
    second = cache.get()

    # Ids went backwards: the tail cannot be joined to the day we hold, so the view shows
    # only the new entries and the day is read again at once.
    assert channel.asked == [DAY, TAIL, DAY]
    assert [e.value(1) for e in first.feed.entries] == ["a", "b", "c"]
    assert [e.value(1) for e in second.feed.entries] == ["a", "b", "c"]
    assert ids(second.feed) == [1, 2, 3]
