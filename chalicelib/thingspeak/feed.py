"""ThingSpeak's feed as typed, immutable data, parsed once at the edge.

Everything past `parse_feed` can trust the types: ids are ints, timestamps are aware UTC
datetimes, values are str or None. Anything that does not fit ThingSpeak's documented
shape raises MalformedResponse rather than risk showing a wrong reading.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import chain, repeat
from operator import attrgetter, itemgetter
from typing import Any

from chalicelib.thingspeak.errors import MalformedResponse

FIELD_NUMBERS = range(1, 9)
# JSON can escape a lone surrogate ("\ud800"); no UTF-8 page or JSON answer can carry one.
_LONE_SURROGATE = "[\ud800-\udfff]"  # compiled on first use: only the careful path needs it


@dataclass(frozen=True)
class Field:
    """A field the channel defines: its number and ThingSpeak name."""

    number: int
    name: str


@dataclass(frozen=True)
class Channel:
    """A channel's metadata as ThingSpeak sends it."""

    id: int
    name: str
    fields: tuple[Field, ...]
    # The newest entry's id, even when the read returned none of it (None: no entries
    # ever, or not said). Not part of what a page shows, so not compared.
    last_entry_id: int | None = field(default=None, compare=False, repr=False)

    def field(self, number: int) -> Field | None:
        return next((f for f in self.fields if f.number == number), None)


@dataclass(frozen=True)
class Entry:
    """One entry: its id, when it was created, and its fields' values as sent."""

    entry_id: int
    created_at: datetime
    # The field numbers the channel defines (one tuple shared by a feed's entries) and
    # each one's value, in that order.
    numbers: tuple[int, ...]
    values: tuple[str | None, ...]

    def value(self, number: int) -> str | None:
        try:
            return self.values[self.numbers.index(number)]
        except ValueError:
            return None


@dataclass(frozen=True)
class Feed:
    """A channel and its entries, oldest first."""

    channel: Channel
    entries: tuple[Entry, ...]  # oldest first

    @property
    def latest(self) -> Entry | None:
        return self.entries[-1] if self.entries else None

    # A day of a busy channel is thousands of entries: the charts read it by column, in
    # loops that run in C, and each column is built once per feed.
    @cached_property
    def stamps(self) -> list[float]:
        """Each entry's time as Unix seconds, oldest first."""
        return list(map(datetime.timestamp, map(attrgetter("created_at"), self.entries)))

    def column(self, number: int) -> tuple[str | None, ...]:
        """Field `number`'s value in every entry, oldest first (None where absent)."""
        return self._columns.get(number) or tuple(e.value(number) for e in self.entries)

    @cached_property
    def _columns(self) -> dict[int, tuple[str | None, ...]]:
        if not self.entries or len(set(map(attrgetter("numbers"), self.entries))) != 1:
            return {}  # the channel's fields changed between entries: column() falls back
        columns = zip(*map(attrgetter("values"), self.entries), strict=True)
        return dict(zip(self.entries[0].numbers, columns, strict=True))


def parse_feed(payload: Any) -> Feed:
    if not isinstance(payload, dict):
        raise MalformedResponse(f"expected a JSON object, got {type(payload).__name__}")
    channel = _channel(payload.get("channel"))
    feeds = payload.get("feeds")
    if not isinstance(feeds, list):
        raise MalformedResponse("'feeds' is missing or not a list")
    entries = _entries_quickly(feeds, channel)
    if entries is None:  # something unusual: check every value on its own
        numbers = tuple(f.number for f in channel.fields)
        entries = [_entry(item, numbers) for item in feeds]
    # ThingSpeak sends oldest first; sorting sorted data is one pass.
    entries.sort(key=attrgetter("created_at", "entry_id"))
    return Feed(channel=channel, entries=tuple(entries))


def _channel(raw: Any) -> Channel:
    if not isinstance(raw, dict):
        raise MalformedResponse("'channel' is missing or not an object")
    channel_id = _int(raw.get("id"), "channel id")
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise MalformedResponse("channel name is not a string")
    name = _text(name) if name is not None else None
    fields = []
    for n in FIELD_NUMBERS:
        field_name = raw.get(f"field{n}")
        if field_name is None:
            continue  # ThingSpeak omits fields the channel never defined
        if not isinstance(field_name, str):
            raise MalformedResponse(f"name of field{n} is not a string")
        fields.append(Field(n, _text(field_name).strip() or f"Field {n}"))
    last = raw.get("last_entry_id")
    return Channel(
        id=channel_id,
        name=(name or "").strip() or f"Channel {channel_id}",
        fields=tuple(fields),
        last_entry_id=last if type(last) is int else None,
    )


def _entries_quickly(feeds: list[Any], channel: Channel) -> list[Entry] | None:
    """The usual feed in few steps per entry; None if anything is unusual.

    A busy channel's day is thousands of entries: this is most of a cold view's work, so
    everything is checked all at once, in loops that run in C. Usual: objects with an
    integer entry_id, a UTC created_at ending in Z, and ASCII strings or nulls as values.
    Anything else takes the careful path, which says what is wrong.
    """
    if not all(type(item) is dict for item in feeds):
        return None
    numbers = tuple(f.number for f in channel.fields)
    keys = [f"field{n}" for n in numbers]
    try:  # one C call per entry when every field is there, null or not (as ThingSpeak sends)
        rows: list[tuple[Any, ...]] = list(map(_getter(keys), feeds))
    except KeyError:
        rows = [tuple(map(item.get, keys)) for item in feeds]
    every = list(chain.from_iterable(rows))
    if not set(map(type, every)) <= _PLAIN or not "".join(filter(None, every)).isascii():
        return None
    try:
        ids = list(map(itemgetter("entry_id"), feeds))
        texts = list(map(itemgetter("created_at"), feeds))
        if not set(map(type, ids)) <= {int} or not set(map(type, texts)) <= {str}:
            return None
        times = list(map(datetime.fromisoformat, texts))
    except (KeyError, ValueError):
        return None
    if times and (
        set(map(attrgetter("tzinfo"), times)) != {UTC}
        or min(times).year < 1970
        or max(times).year > 9998
    ):
        return None
    return list(map(Entry, ids, times, repeat(numbers), rows))


_PLAIN = {str, type(None)}


def _getter(keys: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A tuple of the values under `keys` (itemgetter gives one key's value bare)."""
    if len(keys) > 1:
        return itemgetter(*keys)
    return lambda item: tuple(item[key] for key in keys)


def _entry(raw: Any, numbers: tuple[int, ...]) -> Entry:
    if type(raw) is not dict:
        raise MalformedResponse("a feed entry is not an object")
    return Entry(
        entry_id=_int(raw.get("entry_id"), "entry_id"),
        created_at=parse_timestamp(raw.get("created_at")),
        numbers=numbers,
        values=tuple(_value(raw.get(f"field{n}"), n) for n in numbers),
    )


def _int(raw: Any, what: str) -> int:
    # bool is an int subclass; "12" is not ThingSpeak's contract either.
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise MalformedResponse(f"{what} is not an integer")
    return raw


def _value(raw: Any, number: int) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return _text(raw)
    # Values are documented as strings; a plain JSON number still means the same reading.
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float) and math.isfinite(raw):
        return repr(raw)
    raise MalformedResponse(f"value of field{number} is neither a string nor null")


def _text(raw: str) -> str:
    """The string as sent, but a lone surrogate becomes U+FFFD, as a broken byte would."""
    return re.sub(_LONE_SURROGATE, "\ufffd", raw)


def parse_timestamp(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise MalformedResponse("created_at is not a string")
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise MalformedResponse("created_at is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise MalformedResponse("created_at has no time zone")
    # Outside this range "24 hours before" or "N minutes ago" cannot even be computed.
    if not 1970 <= parsed.year <= 9998:
        raise MalformedResponse("created_at is not a plausible date")
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)


# --- One field's rows (fields/<n>.json), for the field page's longer ranges. Rows that
# ThingSpeak aggregated (average=60) carry no entry_id, so they are not Entries.


@dataclass(frozen=True)
class Sample:
    """One row of an aggregated read: its bucket's start and the value as sent."""

    created_at: datetime  # an aggregate's bucket start
    value: str | None  # exactly as sent; None for an empty bucket


@dataclass(frozen=True)
class Series:
    """One field's rows from an aggregated read, oldest first."""

    channel: Channel
    number: int
    samples: tuple[Sample, ...]  # oldest first


def parse_series(payload: Any, number: int) -> Series:
    if not isinstance(payload, dict):
        raise MalformedResponse(f"expected a JSON object, got {type(payload).__name__}")
    channel = _channel(payload.get("channel"))
    rows = payload.get("feeds")
    if not isinstance(rows, list):
        raise MalformedResponse("'feeds' is missing or not a list")
    samples = []
    for row in rows:
        if type(row) is not dict:
            raise MalformedResponse("a feed row is not an object")
        value = _value(row.get(f"field{number}"), number)
        samples.append(Sample(parse_timestamp(row.get("created_at")), value))
    samples.sort(key=attrgetter("created_at"))
    return Series(channel, number, tuple(samples))
