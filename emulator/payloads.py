"""What ThingSpeak (or whatever stands in front of it) sends back, byte for byte."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from emulator.buckets import Shown
from emulator.entries import Channel

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

# Where MathWorks' station stands; every emulated channel borrows it.
LATITUDE, LONGITUDE = "42.3", "-71.35"


def dumps(body: Any) -> bytes:
    # Compact like ThingSpeak's; raw UTF-8 so names such as "°C" arrive as clients see them.
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _error(status: int, code: str, message: str, details: str) -> bytes:
    error = {"error_code": code, "message": message, "details": details}
    return dumps({"status": str(status), "error": error})


NOT_FOUND = _error(
    404,
    "error_resource_not_found",
    "Resource not found",
    "The requested resource could not be found.",
)
FORBIDDEN = _error(
    403,
    "error_forbidden",
    "Forbidden",
    "The emulator's controls answer loopback clients only.",
)
METHOD_NOT_ALLOWED = _error(
    405,
    "error_method_not_allowed",
    "Method Not Allowed",
    "The emulator's controls take POST.",
)
RATE_LIMITED = _error(
    429,
    "error_too_many_requests",
    "Too Many Requests",
    "Please wait before sending more requests.",
)
PRIVATE = b"-1"
MALFORMED = b'{"channel": {"id": 1009, "name": "Brok'
# A captive portal or a proxy's login page: 200, but not the API at all.
CAPTIVE_PORTAL = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
    b"<body><h1>Sign in to the Wi-Fi</h1><form><input name=user></form></body></html>"
)


def server_error(status: int) -> bytes:
    """The kind of page a load balancer answers when the API behind it is down."""
    title = f"{status} {HTTPStatus(status).phrase}"
    return (
        f"<html><head><title>{title}</title></head><body>"
        f"<center><h1>{title}</h1></center><hr><center>nginx</center></body></html>"
    ).encode()


@lru_cache(maxsize=50_000)
def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def row_json(channel: Channel, row: Shown, fields: Sequence[int] | None = None) -> dict[str, Any]:
    """One entry (or aggregated row: no entry_id) with the channel's fields, or just `fields`."""
    out: dict[str, Any] = {"created_at": iso(row.created_at)}
    if row.entry_id is not None:
        out["entry_id"] = row.entry_id
    shown = sorted(channel.fields) if fields is None else fields
    out.update({f"field{n}": row.values.get(n) for n in shown})
    return out


def feed_json(
    channel: Channel,
    rows: Sequence[Shown],
    last_id: int | None,
    updated_at: datetime | None,
    fields: Sequence[int] | None = None,
) -> dict[str, Any]:
    """ThingSpeak's exact shape: names in `channel`, string values (or null) in `feeds`.

    The channel part always names every field, even when a field read shows only one.
    """
    head: dict[str, Any] = {
        "id": channel.id,
        "name": channel.name,
        "description": channel.description,
        "latitude": LATITUDE,
        "longitude": LONGITUDE,
    }
    head.update({f"field{n}": channel.fields[n] for n in sorted(channel.fields)})
    head["created_at"] = iso(channel.created_at)
    head["updated_at"] = iso(updated_at or channel.created_at)
    head["last_entry_id"] = last_id
    return {"channel": head, "feeds": [row_json(channel, row, fields) for row in rows]}
