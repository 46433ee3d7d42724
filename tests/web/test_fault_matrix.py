"""Every way ThingSpeak (or the network to it) can misbehave, one row each, over real HTTP.

Each failure row runs twice: with no earlier reading (a clear error page and JSON error
with the right status) and with a good reading cached (stale-if-error: 200, the old
reading, marked stale). Odd but honest answers run twice too and show the new reading.
Every answer comes within 8 s, carries no traceback, and neither the responses, their
headers, the log records, the access log lines nor the exception raised contain the read
key (it is configured, so any leak would show).

The app addresses ThingSpeak by a host name under `.invalid` (RFC 6761: it never
resolves). The `dns` fixture maps that name to 127.0.0.1 while things work; for the DNS
row it lets the system resolver fail on the real name, after measuring that it fails fast
here. Where it would hang (a resolver that times out), the row raises the same
`socket.gaierror` getaddrinfo gives instead, so the row stays within its time bound.
Rows where ThingSpeak answers badly talk to the shared emulator directly; the network's
own failures (refused, DNS, connect and read timeouts) go through `FaultyLine`
(tests/web/faults.py), a TCP forwarder on loopback to the emulator that can be switched.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from chalice.test import Client, HTTPResponse

import app as app_module
from chalicelib.thingspeak.client import CONNECT_TIMEOUT, DEADLINE_SECONDS, READ_TIMEOUT
from chalicelib.thingspeak.errors import ThingSpeakError
from emulator import Emulator
from emulator.server import SLOW_SECONDS
from tests.conftest import SECRET_KEY
from tests.web.faults import FaultyLine

CHANNEL = 1014  # the ESP8266 station: healthy, moving, public, fields 1 and 2
HOST = "thingspeak-glance.invalid"
# Seconds, for every request in every row: before the longest hang would have ended by
# itself (the emulator's slow answer), so a busy machine cannot fail a row that holds.
ANSWER_WITHIN = SLOW_SECONDS


@functools.cache
def real_dns_fails_fast() -> bool:
    """Whether this machine's resolver rejects HOST within a second (measured once)."""
    outcome: list[float] = []

    def resolve() -> None:
        started = time.monotonic()
        try:
            socket.getaddrinfo(HOST, 80)
        except socket.gaierror:
            outcome.append(time.monotonic() - started)

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(timeout=1.0)
    return bool(outcome) and outcome[0] < 1.0


class Dns:
    """socket.getaddrinfo: HOST is loopback while working; failing, the real lookup fails."""

    def __init__(self, real: Callable[..., Any], real_failure: bool) -> None:
        self.real = real
        self.real_failure = real_failure
        self.failing = False

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == HOST:
            if not self.failing:
                host = "127.0.0.1"
            elif not self.real_failure:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.real(host, port, *args, **kwargs)


@dataclass(frozen=True)
class Row:
    status: int
    code: str
    words: str  # a phrase the error page must show


@dataclass
class Upstream:
    emulator: Emulator
    line: FaultyLine
    dns: Dns

    def url(self, through_line: bool) -> str:
        port = self.line.port if through_line else self.emulator.url.rsplit(":", 1)[1]
        return f"http://{HOST}:{port}"

    def dns_fails(self) -> None:
        self.dns.failing = True
        self.line.set("forward")  # drops kept-alive connections: DNS is asked per connection

    def feed(self, results: int = 3) -> dict[str, Any]:
        url = f"{self.emulator.url}/channels/{CHANNEL}/feeds.json"
        return requests.get(url, params={"results": results}, timeout=5).json()

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        text = body if isinstance(body, str | bytes) else json.dumps(body)
        self.emulator.set_response(CHANNEL, status, text, headers)


def reshaped(change: Callable[[dict[str, Any]], None]) -> Callable[[Upstream], None]:
    """ThingSpeak's real answer for the channel, with one thing changed."""

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
    "read timeout, accepted and never answered": (lambda up: up.line.set("blackhole"), TIMEOUT),
    "read timeout, answers after 15 s": (
        lambda up: up.emulator.set_fault(CHANNEL, "slow"),
        TIMEOUT,
    ),
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
    "larger than any feed": (lambda up: up.answer(200, b" " * (5 * 1024 * 1024)), UNAVAILABLE),
    "missing channel": (reshaped(lambda p: p.pop("channel")), MALFORMED),
    "feeds not a list": (reshaped(lambda p: p.__setitem__("feeds", {"0": 1})), MALFORMED),
    "entry_id as string": (reshaped(_set("entry_id", "48211")), MALFORMED),
    "created_at unparseable": (reshaped(_set("created_at", "yesterday noon")), MALFORMED),
}

# The network's own failures, made by the line between the app and the emulator.
NETWORK = {
    "connection refused",
    "dns failure",
    "connect timeout",
    "read timeout, accepted and never answered",
}
# How long the first (uncached) request may take, where a timeout has to fire: between
# the bounds proves it is the timeout the row is named for (a read timeout would take at
# least READ_TIMEOUT, the overall deadline DEADLINE_SECONDS).
SECONDS: dict[str, tuple[float, float]] = {
    "connect timeout": (CONNECT_TIMEOUT, READ_TIMEOUT),
    "read timeout, accepted and never answered": (READ_TIMEOUT, DEADLINE_SECONDS),
    "read timeout, answers after 15 s": (READ_TIMEOUT, DEADLINE_SECONDS),
    "body stalls after the headers": (READ_TIMEOUT, DEADLINE_SECONDS),
    "body trickles past the deadline": (DEADLINE_SECONDS, ANSWER_WITHIN),
}
FAILURE_CASES = [
    pytest.param(name, id=name, marks=[pytest.mark.slow] if name in SECONDS else [])
    for name in FAILURES
]


def _newer(p: dict[str, Any], offset: timezone = UTC, **values: Any) -> None:
    """Appends a new newest entry, one second after the newest, with these values. A new
    entry, as ThingSpeak would send: an entry_id it already sent never changes."""
    newest = p["feeds"][-1]
    at = datetime.fromisoformat(newest["created_at"]) + timedelta(seconds=1)
    created_at = at.astimezone(offset).isoformat()
    if offset is UTC:
        created_at = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    p["feeds"].append(
        {**newest, "entry_id": newest["entry_id"] + 1, "created_at": created_at, **values}
    )


UNDEFINED = {"field7": "777.25", "field8": "undefined-field-eight"}
NEW_YORK = timezone(timedelta(hours=-5))


def _big(up: Upstream) -> None:
    # ThingSpeak's maximum: 8000 entries, 20 s apart, the newest last and new.
    payload = up.feed(1)
    _newer(payload, field1="21.5")
    newest = payload["feeds"][-1]
    at = datetime.fromisoformat(newest["created_at"])
    payload["feeds"] = [
        {
            **newest,
            "entry_id": newest["entry_id"] - 7999 + i,
            "created_at": (at - timedelta(seconds=20 * (7999 - i))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "field1": "10.0",
        }
        for i in range(7999)
    ] + [newest]
    assert len(payload["feeds"]) == 8000
    up.answer(200, payload)


# Odd but honest answers: each must show the right reading, 200.
ACCEPTED: dict[str, Callable[[Upstream], None]] = {
    "values as json numbers": reshaped(lambda p: _newer(p, field1=21.5, field2=48)),
    "fields the channel never defined": reshaped(lambda p: _newer(p, field1="21.5", **UNDEFINED)),
    "timestamps with offsets": reshaped(lambda p: _newer(p, NEW_YORK, field1="21.5")),
    "8000 entries": _big,
}


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    fake = Dns(socket.getaddrinfo, real_failure=real_dns_fails_fast())
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture
def upstream(emulator: Emulator, dns: Dns) -> Iterator[Upstream]:
    host, port = emulator.url.removeprefix("http://").split(":")
    line = FaultyLine((host, int(port))).start()
    try:
        yield Upstream(emulator, line, dns)
    finally:
        line.stop()
        emulator.set_fault(CHANNEL, None)
        emulator.set_response(CHANNEL, None)


@pytest.fixture
def make_app(
    make_client: Callable[..., Client], upstream: Upstream
) -> Callable[[int, bool], Client]:
    def make(cache_ttl_seconds: int, through_line: bool = False) -> Client:
        return make_client(
            {
                "THINGSPEAK_URL": upstream.url(through_line),
                "THINGSPEAK_CHANNEL_ID": str(CHANNEL),
                "THINGSPEAK_READ_API_KEY": SECRET_KEY,
                # Keyed, so private unless it says public: this one does, so the rows see
                # the answers anyone gets (docs/access.md), no sign-in involved.
                "THINGSPEAK_PUBLIC": "true",
                "CACHE_TTL_SECONDS": str(cache_ttl_seconds),
            }
        )

    return make


def timed_get(app: Client, path: str) -> tuple[HTTPResponse, float]:
    started = time.monotonic()
    response = app.http.get(path)
    seconds = time.monotonic() - started
    assert seconds < ANSWER_WITHIN, f"{path} took {seconds:.1f} s"
    return response, seconds


def access_log(captured: str) -> list[dict[str, Any]]:
    """The access log lines, each one JSON object with the documented keys."""
    lines = [json.loads(line) for line in captured.strip().splitlines()]
    for line in lines:
        assert {"route", "status", "ms", "cache"} <= line.keys(), line
        assert ("upstream_ms" in line) == ("upstream_status" in line), line
        assert SECRET_KEY not in json.dumps(line)
    return lines


def asked_thingspeak(line: dict[str, Any]) -> bool:
    return "upstream_status" in line and "upstream_ms" in line


def assert_nothing_leaks(responses: list[HTTPResponse], caplog: pytest.LogCaptureFixture) -> None:
    for response in responses:
        body = response.body.decode()
        assert "Traceback" not in body
        assert SECRET_KEY not in body
        assert SECRET_KEY not in json.dumps(dict(response.headers))
    assert SECRET_KEY not in caplog.text
    for record in caplog.records:
        assert SECRET_KEY not in record.getMessage()


def assert_exception_keeps_the_key(error: BaseException) -> None:
    """What any log or error reporter would print of the failure carries no key."""
    printed = "".join(traceback.format_exception(error))
    for text in (printed, str(error), repr(error), repr(error.args)):
        assert SECRET_KEY not in text


@pytest.mark.parametrize("case", FAILURE_CASES)
def test_failure_without_a_cached_reading_gets_a_clear_error(
    case: str,
    upstream: Upstream,
    make_app: Callable[[int, bool], Client],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(60, case in NETWORK)  # the second request meets the back-off
    make_fault, row = FAILURES[case]
    make_fault(upstream)
    page, page_seconds = timed_get(app, "/")
    api, _ = timed_get(app, "/api/latest")
    assert page.status_code == row.status and api.status_code == row.status
    assert row.words in page.body.decode()
    error = json.loads(api.body)["error"]
    assert error["code"] == row.code and error["message"]
    for response in (page, api):  # where to fix it is for signed-in people and the log
        for hint in ("THINGSPEAK_READ_API_KEY", "THINGSPEAK_CHANNEL_ID", ".chalice/config"):
            assert hint not in response.body.decode()
    if case in SECONDS:
        # Not before the timeout the row is named for (a loaded machine is only slower).
        low, _ = SECONDS[case]
        assert low - 0.05 <= page_seconds < ANSWER_WITHIN, page_seconds
    assert_nothing_leaks([page, api], caplog)
    page_line, api_line = access_log(capsys.readouterr().out)
    assert asked_thingspeak(page_line) and page_line["error"] == row.code
    assert not asked_thingspeak(api_line)  # answered from the back-off
    assert page_line["cache"] == api_line["cache"] == "error"
    # The failure the app holds for its back-off, as any error reporter would print it.
    with pytest.raises(ThingSpeakError) as held:
        app_module.site.first.latest.get()
    assert held.value.code == row.code
    assert_exception_keeps_the_key(held.value)


@pytest.mark.parametrize("case", FAILURE_CASES)
def test_failure_with_a_cached_reading_serves_it_marked_stale(
    case: str,
    upstream: Upstream,
    make_app: Callable[[int, bool], Client],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(0, case in NETWORK)
    first, _ = timed_get(app, "/api/latest")
    assert first.status_code == 200
    good = json.loads(first.body)
    assert good["stale"] is False and good["upstream_error"] is None
    make_fault, row = FAILURES[case]
    make_fault(upstream)
    api, _ = timed_get(app, "/api/latest")
    page, _ = timed_get(app, "/")
    assert api.status_code == 200 and page.status_code == 200
    data = json.loads(api.body)
    assert data["entry_id"] == good["entry_id"]
    assert data["fields"] == good["fields"]
    assert data["stale"] is True and data["upstream_error"]["code"] == row.code
    assert "ThingSpeak is unreachable right now" in page.body.decode()
    assert_nothing_leaks([first, api, page], caplog)
    good_line, stale_line, page_line = access_log(capsys.readouterr().out)
    assert good_line["cache"] == "miss" and good_line["upstream_status"] == 200
    assert stale_line["cache"] == page_line["cache"] == "stale"
    assert asked_thingspeak(stale_line) and stale_line["error"] == row.code


@pytest.mark.parametrize("cached", [False, True], ids=["first reading", "after a good one"])
@pytest.mark.parametrize("case", ACCEPTED)
def test_odd_but_honest_answers_show_the_right_reading(
    case: str,
    cached: bool,
    upstream: Upstream,
    make_app: Callable[[int, bool], Client],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(0, False)
    if cached:
        assert app.http.get("/api/latest").status_code == 200
    ACCEPTED[case](upstream)
    sent = upstream.feed(1)["feeds"][-1]  # the canned answer's newest entry
    api, _ = timed_get(app, "/api/latest")
    page, _ = timed_get(app, "/")
    assert api.status_code == 200 and page.status_code == 200
    data = json.loads(api.body)
    assert data["entry_id"] == sent["entry_id"]
    assert data["stale"] is False and data["upstream_error"] is None
    assert [f["field"] for f in data["fields"]] == [1, 2]  # the channel's fields only
    headline = data["fields"][0]
    assert headline["display"] == "21.5" and headline["value"] == "21.5"
    assert 'data-v="21.5"' in page.body.decode()
    assert data["created_at"].endswith("Z")
    expected = datetime.fromisoformat(sent["created_at"]).astimezone(UTC)
    assert data["created_at"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    if case == "values as json numbers":
        assert data["fields"][1]["value"] == data["fields"][1]["display"] == "48"
    if case == "fields the channel never defined":
        for value in UNDEFINED.values():
            assert value not in api.body.decode() and value not in page.body.decode()
    if case == "timestamps with offsets":
        assert sent["created_at"].endswith("-05:00")
    assert_nothing_leaks([api, page], caplog)
    assert all(line["status"] == 200 for line in access_log(capsys.readouterr().out))


# The network faults above are only worth their names if each is what it says: checked
# here with requests alone, with short timeouts.


def test_the_refused_port_refuses_at_once(upstream: Upstream) -> None:
    upstream.line.set("refuse")
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError) as raised:
        requests.get(f"{upstream.url(True)}/channels/{CHANNEL}/feeds.json", timeout=(30, 30))
    assert not isinstance(raised.value, requests.Timeout)
    assert time.monotonic() - started < 10  # refused: its 30 s timeouts never came into it


def test_the_dns_failure_fails_to_resolve_quickly(upstream: Upstream) -> None:
    upstream.dns_fails()
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError) as raised:
        requests.get(f"{upstream.url(True)}/channels/{CHANNEL}/feeds.json", timeout=(30, 30))
    assert time.monotonic() - started < 10  # failed to resolve: no timeout came into it
    assert "NameResolutionError" in repr(raised.value) or "gaierror" in repr(raised.value)
    if upstream.dns.real_failure:
        with pytest.raises(socket.gaierror):
            upstream.dns.real(HOST, 80)  # the real resolver, not the stand-in


def test_the_listener_that_never_accepts_is_a_connect_timeout(upstream: Upstream) -> None:
    upstream.line.set("no_accept")
    started = time.monotonic()
    with pytest.raises(requests.ConnectTimeout):
        requests.get(f"{upstream.url(True)}/channels/{CHANNEL}/feeds.json", timeout=(1, 30))
    # The 1 s connect timeout fired, not the 30 s read timeout.
    assert 0.95 <= time.monotonic() - started < 15
