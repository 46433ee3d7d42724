"""The rows a read answers with: the entries selected by its date range and limit, then
bucketed (FeedFactory#get_feeds and #calculate_feeds in iobridge/thingspeak), or, for
buckets of a whole day, ThingSpeak's daily path (FeedFactory#get_daily_feeds):

- one row per UTC date, each over *all* of that date's entries: no 8000-entry limit;
- the dates run from the day after the range's start (or from the channel's creation
  date, if the range starts before it) to the day before the range's end;
- the row for today, over today so far, is added only when `days` was given;
- when that leaves no dates at all, the ordinary path answers instead.

ThingSpeak keeps past days' rows in a table (DailyFeed); the emulator caches them too,
for days made of computed entries only, so a 30-day view computes its month once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from emulator.buckets import Row, Shown, aggregate, empty, round_rows
from emulator.entries import Channel
from emulator.query import Aggregation, HistoryQuery, Kind
from emulator.weather import Entry, Moving

DAY = timedelta(days=1)
WHOLE_DAY = 10**9  # no limit: more entries than any channel makes in a day


def rows(
    channel: Channel, query: HistoryQuery, now: datetime, fields: Sequence[int]
) -> list[Shown]:
    how = query.aggregation
    shown: list[Shown] = []
    if how is not None and how.daily:
        shown = [*_daily(channel, query, how, now, fields)]
    if not shown:
        entries = channel.select(now, query.start, query.end, query.limit)
        shown = [*entries] if how is None else [*aggregate(entries, how, fields, query.round)]
    # format_output_feeds: sums, averages and medians were already rounded as they were made.
    if query.round is not None and (how is None or how.kind == "timescale"):
        shown = round_rows(shown, fields, query.round)
    return shown


def _daily(
    channel: Channel, query: HistoryQuery, how: Aggregation, now: datetime, fields: Sequence[int]
) -> list[Row]:
    day = query.start.date() + DAY
    if query.start < channel.created_at:
        day = channel.created_at.date()
    days = []
    while day < query.end.date():
        days.append(day)
        day += DAY
    if query.days:
        days.append(now.date())
    found = [_day(channel, d, how.kind, tuple(fields), query.round, now) for d in days]
    return sorted(found, key=lambda row: row.created_at)


def _day(
    channel: Channel,
    day: date,
    kind: Kind,
    fields: tuple[int, ...],
    decimals: int | None,
    now: datetime,
) -> Row:
    # ThingSpeak reads `date..date + 1.day`, both midnights included, and keeps the first
    # bucket; so does this, except that a day with no entries of its own gives an empty
    # row, not the next midnight's entry.
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + DAY - timedelta(microseconds=1)
    if channel.moving is not None and _only_computed(channel, start, end, now):
        return _computed_day(channel.moving, day, kind, fields, decimals)
    entries = channel.select(now, start, end, WHOLE_DAY)
    return _one_bucket(entries, start, kind, fields, decimals)


def _only_computed(channel: Channel, start: datetime, end: datetime, now: datetime) -> bool:
    """True when the day is over, inside the history, unposted-to and never quiet."""
    moving = channel.moving
    assert moving is not None
    first, last = moving.first_slot_from(start), moving.slot_of(end)
    ids = range(moving.entry_id(first), moving.entry_id(last) + 1)
    return (
        end < now
        and first >= moving.oldest_slot(now)
        and not channel.preset
        # A posted entry also hides the computed entry whose id it took.
        and not any(start <= e.created_at <= end or e.entry_id in ids for e in channel.added)
        and not any(
            since < end and (until is None or until >= start) for since, until in channel.quiet
        )
    )


@lru_cache(maxsize=1024)
def _computed_day(
    moving: Moving, day: date, kind: Kind, fields: tuple[int, ...], decimals: int | None
) -> Row:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    slots = (moving.first_slot_from(start), moving.first_slot_from(start + DAY) - 1)
    return _one_bucket(moving.entries([slots], cached=False), start, kind, fields, decimals)


def _one_bucket(
    entries: Sequence[Entry],
    start: datetime,
    kind: Kind,
    fields: Sequence[int],
    decimals: int | None,
) -> Row:
    made = aggregate(entries, Aggregation(kind, 1440, daily=True), fields, decimals)
    return made[0] if made else empty(start, fields)
