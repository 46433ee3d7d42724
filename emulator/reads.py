"""The bodies of the read endpoints, built from a snapshot of the channel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from emulator import history, payloads
from emulator.buckets import Shown, round_rows
from emulator.entries import Channel
from emulator.query import parse


def feed(channel: Channel, query: Mapping[str, str], now: datetime, field: int | None) -> bytes:
    """feeds.json, or fields/N.json when `field` is given (rows show that field only)."""
    fields = (
        sorted(channel.fields) if field is None else [n for n in (field,) if n in channel.fields]
    )
    rows = history.rows(channel, parse(query, now), now, fields)
    newest = channel.newest(now)
    body = payloads.feed_json(
        channel,
        rows,
        channel.last_id(now) or None,
        newest.created_at if newest else None,
        None if field is None else fields,
    )
    return payloads.dumps(body)


def last(channel: Channel, query: Mapping[str, str], now: datetime) -> bytes:
    newest = channel.newest(now)
    if newest is None:
        return b"-1"  # ThingSpeak answers -1 when there is no last entry
    row: Shown = newest
    decimals = parse(query, now).round
    if decimals is not None:
        row = round_rows([newest], sorted(channel.fields), decimals)[0]
    return payloads.dumps(payloads.row_json(channel, row))
