"""ThingSpeak's feed as typed, immutable data, parsed once at the edge.

Everything past `parse_feed` can trust the types: ids are ints, timestamps are aware UTC
datetimes, values are str or None. Anything that does not fit ThingSpeak's documented
shape raises MalformedResponse rather than risk showing a wrong reading.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.errors import MalformedResponse

FIELD_NUMBERS = range(1, 9)
# JSON can escape a lone surrogate ("\ud800"); no UTF-8 page or JSON answer can carry one.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Field:
    number: int
    name: str


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    fields: tuple[Field, ...]

    def field(self, number: int) -> Field | None:
        return next((f for f in self.fields if f.number == number), None)


@dataclass(frozen=True)
class Entry:
    entry_id: int
    created_at: datetime
    # (field number, value) for every field the channel defines.
    values: tuple[tuple[int, str | None], ...]

    def value(self, number: int) -> str | None:
        return dict(self.values).get(number)


@dataclass(frozen=True)
class Feed:
    channel: Channel
    entries: tuple[Entry, ...]  # oldest first

    @property
    def latest(self) -> Entry | None:
        return self.entries[-1] if self.entries else None


def parse_feed(payload: Any) -> Feed:
    if not isinstance(payload, dict):
        raise MalformedResponse(f"expected a JSON object, got {type(payload).__name__}")
    channel = _channel(payload.get("channel"))
    feeds = payload.get("feeds")
    if not isinstance(feeds, list):
        raise MalformedResponse("'feeds' is missing or not a list")
    entries = sorted(
        (_entry(item, channel) for item in feeds), key=lambda e: (e.created_at, e.entry_id)
    )
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
    return Channel(
        id=channel_id, name=(name or "").strip() or f"Channel {channel_id}", fields=tuple(fields)
    )


def _entry(raw: Any, channel: Channel) -> Entry:
    if not isinstance(raw, dict):
        raise MalformedResponse("a feed entry is not an object")
    return Entry(
        entry_id=_int(raw.get("entry_id"), "entry_id"),
        created_at=parse_timestamp(raw.get("created_at")),
        values=tuple(
            (f.number, _value(raw.get(f"field{f.number}"), f.number)) for f in channel.fields
        ),
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
    return _LONE_SURROGATE.sub("\ufffd", raw)


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
    return parsed.astimezone(UTC)
