"""Every way ThingSpeak (or the network to it) can misbehave, one row each, over real HTTP.

Each row runs twice: with no earlier reading (a clear error page and JSON error with the
right status) and with a good reading cached (stale-if-error: 200, the old reading,
marked stale). Every answer comes within 8 s, carries no traceback, and neither the
response, its headers, the log records nor the access log line contain the read key.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from emulator import Emulator
from tests.conftest import SECRET_KEY
from tests.faults import HOST, FaultyLine, Resolver, resolver  # noqa: F401

CHANNEL = 1014  # the ESP8266 station: healthy, moving, public


@dataclass(frozen=True)
class Row:
    status: int
    code: str
    words: str  # a phrase the error page must show


@dataclass
class Upstream:
    emulator: Emulator
    line: FaultyLine
    resolver: Resolver

    def dns_fails(self) -> None:
        self.resolver.failing = True
        self.line.set("forward")  # drops kept-alive connections: DNS is asked per connection

    def feed(self, results: int = 3) -> dict[str, Any]:
        url = f"{self.emulator.url}/channels/{CHANNEL}/feeds.json"
        return requests.get(url, params={"results": results}, timeout=5).json()

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        self.emulator.set_response(CHANNEL, status, text, headers)


def reshaped(change: Callable[[dict[str, Any]], None]) -> Callable[[Upstream], None]:
    def apply(up: Upstream) -> None:
        payload = copy.deepcopy(up.feed())
        change(payload)
        up.answer(200, payload)

    return apply


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda p: p["feeds"][-1].__setitem__(key, value)


UNAVAILABLE = Row(502, "thingspeak_unavailable", "ThingSpeak is not answering properly")
TIMEOUT = Row(504, "thingspeak_timeout", "ThingSpeak did not answer in time")
MALFORMED = Row(502, "thingspeak_malformed", "not a channel feed")
NOT_JSON = Row(502, "thingspeak_malformed", "not valid JSON")
RATE_LIMITED = Row(502, "thingspeak_rate_limited", "ThingSpeak asked us to slow down")
TOO_MANY = {"status": "429", "error": {"error_code": "error_too_many_requests"}}

FAILURES: dict[str, tuple[Callable[[Upstream], None], Row]] = {
    "connection refused": (lambda up: up.line.set("refuse"), UNAVAILABLE),
    "dns failure": (lambda up: up.dns_fails(), UNAVAILABLE),
    "connect timeout": (lambda up: up.line.set("no_accept"), TIMEOUT),
    "read timeout": (lambda up: up.line.set("blackhole"), TIMEOUT),
    "body trickles past the deadline": (
        lambda up: up.emulator.set_fault(CHANNEL, "trickle"),
        TIMEOUT,
    ),
    "body stalls after the headers": (lambda up: up.emulator.set_fault(CHANNEL, "stall"), TIMEOUT),
    "connection reset unanswered": (
        lambda up: up.emulator.set_fault(CHANNEL, "reset"),
        UNAVAILABLE,
    ),
    "400 -1 (private)": (
        lambda up: up.emulator.set_fault(CHANNEL, "private"),
        Row(502, "read_api_key_required", "This channel needs a read API key"),
    ),
    "404": (
        lambda up: up.emulator.set_fault(CHANNEL, "not_found"),
        Row(404, "channel_not_found", "Channel not found"),
    ),
    "429 with Retry-After": (
        lambda up: up.answer(429, TOO_MANY, {"Retry-After": "1"}),
        RATE_LIMITED,
    ),
    "429 without Retry-After": (lambda up: up.answer(429, TOO_MANY), RATE_LIMITED),
    "500": (lambda up: up.emulator.set_fault(CHANNEL, "error_500"), UNAVAILABLE),
    "502": (lambda up: up.emulator.set_fault(CHANNEL, "error_502"), UNAVAILABLE),
    "503": (lambda up: up.emulator.set_fault(CHANNEL, "error_503"), UNAVAILABLE),
    "html instead of json": (lambda up: up.emulator.set_fault(CHANNEL, "html"), NOT_JSON),
    "truncated json": (lambda up: up.emulator.set_fault(CHANNEL, "malformed"), NOT_JSON),
    "missing channel": (reshaped(lambda p: p.pop("channel")), MALFORMED),
    "feeds not a list": (reshaped(lambda p: p.__setitem__("feeds", {"0": 1})), MALFORMED),
    "entry_id as string": (reshaped(_set("entry_id", "48211")), MALFORMED),
    "created_at unparseable": (reshaped(_set("created_at", "yesterday noon")), MALFORMED),
}


def _numbers(p: dict[str, Any]) -> None:
    p["feeds"][-1].update(field1=21.5, field2=48)


def _undefined(p: dict[str, Any]) -> None:
    p["feeds"][-1].update(field1="21.5", field7="999", field8="nope")


def _offsets(p: dict[str, Any]) -> None:
    # The newest entry, one second later, written in New York time.
    newest = datetime.fromisoformat(p["feeds"][-1]["created_at"]) + timedelta(seconds=1)
    local = newest.astimezone(timezone(timedelta(hours=-5))).isoformat()
    p["feeds"].append(
        {
            **p["feeds"][-1],
            "entry_id": p["feeds"][-1]["entry_id"] + 1,
            "created_at": local,
            "field1": "21.5",
        }
    )


def _big(up: Upstream) -> None:
    payload = up.feed(1)
    newest = payload["feeds"][-1]
    payload["feeds"] = [
        {**newest, "entry_id": newest["entry_id"] - 8000 + i, "field1": "10.0"} for i in range(7999)
    ] + [{**newest, "field1": "21.5"}]
    up.answer(200, payload)


# Odd but honest answers: each must show the right reading, 200.
ACCEPTED: dict[str, Callable[[Upstream], None]] = {
    "values as json numbers": reshaped(_numbers),
    "fields the channel never defined": reshaped(_undefined),
    "timestamps with offsets": reshaped(_offsets),
    "8000 entries": _big,
}


@pytest.fixture
def upstream(emulator: Emulator, resolver: Resolver) -> Iterator[Upstream]:  # noqa: F811
    host, port = emulator.url.removeprefix("http://").split(":")
    line = FaultyLine((host, int(port))).start()
    try:
        yield Upstream(emulator, line, resolver)
    finally:
        line.stop()
        emulator.set_fault(CHANNEL, None)
        emulator.set_response(CHANNEL, None)


@pytest.fixture
def make_app(make_client, upstream):
    def make(cache_ttl_seconds: int):
        return make_client(
            {
                "THINGSPEAK_URL": f"http://{HOST}:{upstream.line.port}",
                "THINGSPEAK_CHANNEL_ID": str(CHANNEL),
                "THINGSPEAK_READ_API_KEY": SECRET_KEY,
                "CACHE_TTL_SECONDS": str(cache_ttl_seconds),
            }
        )

    return make


def timed_get(app, path: str):
    started = time.monotonic()
    response = app.http.get(path)
    return response, time.monotonic() - started


def assert_nothing_leaks(response, caplog, captured: str) -> None:
    body = response.body.decode()
    assert "Traceback" not in body
    for where in (body, json.dumps(dict(response.headers)), caplog.text, captured):
        assert SECRET_KEY not in where
    for line in captured.strip().splitlines():
        logged = json.loads(line)  # one JSON object per request
        assert {"route", "status", "ms", "cache"} <= logged.keys()


@pytest.mark.parametrize("case", FAILURES, ids=list(FAILURES))
def test_failure_without_a_cached_reading_gets_a_clear_error(
    case, upstream, make_app, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    app = make_app(60)  # the second request meets the back-off, not ThingSpeak
    make_fault, row = FAILURES[case]
    make_fault(upstream)
    page, page_seconds = timed_get(app, "/")
    api, api_seconds = timed_get(app, "/api/latest")
    assert page.status_code == row.status and api.status_code == row.status
    assert row.words in page.body.decode()
    assert json.loads(api.body)["error"]["code"] == row.code
    assert page_seconds < 8 and api_seconds < 8
    assert_nothing_leaks(page, caplog, capsys.readouterr().out)


@pytest.mark.parametrize("case", FAILURES, ids=list(FAILURES))
def test_failure_with_a_cached_reading_serves_it_marked_stale(
    case, upstream, make_app, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    app = make_app(0)
    good = json.loads(app.http.get("/api/latest").body)
    make_fault, row = FAILURES[case]
    make_fault(upstream)
    api, seconds = timed_get(app, "/api/latest")
    page = app.http.get("/")
    assert api.status_code == 200 and page.status_code == 200
    data = json.loads(api.body)
    assert data["entry_id"] == good["entry_id"]
    assert data["fields"] == good["fields"]
    assert data["stale"] is True and data["upstream_error"]["code"] == row.code
    assert "ThingSpeak is unreachable right now" in page.body.decode()
    assert seconds < 8
    out = capsys.readouterr().out
    assert '"cache":"stale"' in out
    assert_nothing_leaks(page, caplog, out)


@pytest.mark.parametrize("case", ACCEPTED, ids=list(ACCEPTED))
def test_odd_but_honest_answers_show_the_right_reading(case, upstream, make_app, caplog, capsys):
    app = make_app(0)
    ACCEPTED[case](upstream)
    api, seconds = timed_get(app, "/api/latest")
    assert api.status_code == 200 and seconds < 8
    data = json.loads(api.body)
    assert data["fields"][0]["display"] == "21.5"
    assert data["created_at"].endswith("Z")
    assert [f["field"] for f in data["fields"]] == [1, 2]
    if case == "timestamps with offsets":
        sent = upstream.feed(1)["feeds"][-1]["created_at"]  # the canned answer, -05:00
        assert "-05:00" in sent
        expected = datetime.fromisoformat(sent).astimezone(UTC)
        assert data["created_at"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_nothing_leaks(api, caplog, capsys.readouterr().out)
