"""The ThingSpeak read client: one Session, explicit timeouts, one typed result.

Every way a read can fail becomes a ThingSpeakError subclass here, so nothing past this
module sees requests' exceptions (whose messages contain the URL, and so the read key).
"""

from __future__ import annotations

import gc
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3

from chalicelib.logs import note
from chalicelib.thingspeak.errors import (
    ChannelNotFound,
    MalformedResponse,
    RateLimited,
    ReadKeyRequired,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from chalicelib.thingspeak.feed import Feed, Series, parse_feed, parse_series

# Connect, then each socket read; the overall deadline also stops a body that trickles
# in one byte at a time. Together well under Lambda's timeout and API Gateway's 29 s.
CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 4.0
DEADLINE_SECONDS = 7.0
# 8000 entries (ThingSpeak's maximum) of 8 fields is about 2 MB.
MAX_BODY_BYTES = 4 * 1024 * 1024
USER_AGENT = "thingspeak-glance/1.0"
# urllib3 logs every request line at DEBUG, and the line holds api_key.
logging.getLogger("urllib3").setLevel(logging.WARNING)

ReadKey = Callable[[], str | None]


class ThingSpeakClient:
    """One Session for every channel: connections to ThingSpeak are reused across them."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        deadline_seconds: float = DEADLINE_SECONDS,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._deadline_seconds = deadline_seconds

    def feed(
        self,
        channel_id: int,
        results: int,
        read_key: ReadKey = lambda: None,
        extra: Mapping[str, str] | None = None,
    ) -> Feed:
        """GET /channels/{id}/feeds.json with `results` always explicit.

        The key is asked for only now, so an SSM failure surfaces as this read's error.
        """
        params = {"results": str(results), **(extra or {})}
        status, headers, body = self._get(f"/channels/{channel_id}/feeds.json", params, read_key)
        return _interpret(channel_id, status, headers, body, parse_feed)

    def series(
        self,
        channel_id: int,
        number: int,
        params: Mapping[str, str],
        read_key: ReadKey = lambda: None,
    ) -> Series:
        """GET /channels/{id}/fields/{number}.json: one field's rows, ThingSpeak's
        aggregates included (average=60 and the like), with the same errors as feed()."""
        path = f"/channels/{channel_id}/fields/{number}.json"
        status, headers, body = self._get(path, dict(params), read_key)
        return _interpret(
            channel_id, status, headers, body, lambda payload: parse_series(payload, number)
        )

    def _get(
        self, path: str, params: dict[str, str], read_key: ReadKey
    ) -> tuple[int, requests.structures.CaseInsensitiveDict[str], bytes]:
        api_key = read_key()
        if api_key:
            params["api_key"] = api_key
        url = f"{self._base_url}{path}"
        started = time.monotonic()
        deadline = started + self._deadline_seconds
        try:
            with self._session.get(
                url, params=params, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True
            ) as response:
                status, headers = response.status_code, response.headers
                try:
                    body = _read_body(response, deadline)
                except UpstreamUnavailable:  # too large: ThingSpeak did answer, and we log it
                    note(upstream_status=status, upstream_ms=_ms_since(started))
                    raise
        except requests.Timeout:
            note(upstream_status=None, upstream_ms=_ms_since(started))
            raise UpstreamTimeout(
                f"ThingSpeak did not answer within {self._deadline_seconds:g} seconds."
            ) from None
        except requests.RequestException as exc:
            note(upstream_status=None, upstream_ms=_ms_since(started))
            # Not str(exc): requests puts the full URL, api_key included, in its messages.
            raise UpstreamUnavailable(
                f"Could not connect to ThingSpeak ({type(exc).__name__})."
            ) from None
        note(upstream_status=status, upstream_ms=_ms_since(started), upstream_bytes=len(body))
        return status, headers, body


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _read_body(response: requests.Response, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise requests.Timeout()
        _wait_at_most(response, min(READ_TIMEOUT, remaining))
        try:
            # read1 returns whatever has arrived instead of waiting for a full buffer, so
            # a trickling body is noticed at the deadline, not after the whole thing.
            chunk = response.raw.read1(65536, decode_content=True)
        except (urllib3.exceptions.TimeoutError, TimeoutError):
            raise requests.Timeout() from None
        except (urllib3.exceptions.HTTPError, OSError):
            raise requests.ConnectionError() from None  # reset, or a broken encoding
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise UpstreamUnavailable("ThingSpeak sent a response larger than any channel feed.")
        chunks.append(chunk)


def _wait_at_most(response: requests.Response, seconds: float) -> None:
    """Shortens the socket's read timeout so that no single read outlives the deadline."""
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _interpret[Parsed](
    channel_id: int,
    status: int,
    headers: requests.structures.CaseInsensitiveDict[str],
    body: bytes,
    parse: Callable[[Any], Parsed],
) -> Parsed:
    # The status beats the body: a 404 is "no such channel" even when the body is -1.
    if status == 404:
        raise ChannelNotFound(f"ThingSpeak has no channel {channel_id}.")
    if body.strip() == b"-1" or status in (401, 403):
        raise ReadKeyRequired(
            f"Channel {channel_id} is private and the read API key is missing or wrong, or "
            "there is no channel with this id. ThingSpeak answered -1 (no access)."
        )
    if status == 429:
        retry_after = _retry_after(headers.get("Retry-After"))
        raise RateLimited("ThingSpeak answered 429 Too Many Requests.", retry_after)
    if status != 200:
        raise UpstreamUnavailable(f"ThingSpeak answered HTTP {status}.")
    with _without_gc():
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise MalformedResponse("ThingSpeak's answer is not valid JSON.") from None
        try:
            return parse(payload)
        except MalformedResponse as exc:
            raise MalformedResponse(f"ThingSpeak's answer is not a channel feed: {exc}.") from None


@contextmanager
def _without_gc() -> Iterator[None]:
    """A busy channel's day is tens of thousands of new objects, none of them in a cycle:
    the cyclic collector would only walk them, and all that was imported, again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _retry_after(raw: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not raw:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
