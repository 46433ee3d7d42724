"""ThingSpeak's read API (and its write endpoint) over real HTTP on loopback."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulator import payloads, reads
from emulator.channels import PRIVATE_READ_KEY, Channel, Scenario, make_channels

FEEDS = re.compile(r"^/channels/(\d+)/feeds(/last)?\.json$")
FIELDS = re.compile(r"^/channels/(\d+)/fields/(\d+)\.json$")
CONTROL = re.compile(r"^/_emulator/channels/(\d+)/(quiet|resume)$")
SLOW_SECONDS = 15.0
TRICKLE_INTERVAL = 0.5
ERRORS = {Scenario.ERROR_500: 500, Scenario.ERROR_502: 502, Scenario.ERROR_503: 503}

Request = socket.socket | tuple[bytes, socket.socket]  # what socketserver hands around


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class CannedResponse:
    status: int
    body: bytes
    headers: dict[str, str]


class State:
    """Everything the handler threads share; `lock` guards all but `stopping`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.channels = make_channels()
        self.faults: dict[int, Scenario] = {}
        self.canned: dict[int, CannedResponse] = {}
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()  # set once: releases every waiting answer


class Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"  # keep-alive, as clients of the real API get
    timeout = 60  # idle kept-alive connections of a long `make serve` are let go

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes; with Nagle's algorithm on, a kept-alive
        # client's delayed ACK held every body back by 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._route(self._query())

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        form = parse_qsl(self.rfile.read(length).decode("utf-8", "replace"))
        self._route({**self._query(), **dict(form)})

    def _query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    @property
    def _stopping(self) -> threading.Event:
        return self.server.state.stopping

    def _route(self, query: dict[str, str]) -> None:
        path = urlsplit(self.path).path
        try:
            if path in ("/update", "/update.json"):
                self._update(query)
            elif match := FEEDS.match(path):
                self._feeds(int(match[1]), bool(match[2]), None, path, query)
            elif match := FIELDS.match(path):
                self._feeds(int(match[1]), False, int(match[2]), path, query)
            elif match := CONTROL.match(path):
                self._control(int(match[1]), match[2])
            else:
                self._send(404, payloads.NOT_FOUND)
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client left: nobody to answer

    def _feeds(
        self, channel_id: int, last: bool, field: int | None, path: str, query: dict[str, str]
    ) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append(RecordedRequest(path, query))
            canned = state.canned.get(channel_id)
            channel = state.channels.get(channel_id)
            fault = state.faults.get(channel_id)
        if canned is not None:
            self._send(canned.status, canned.body, canned.headers)
            return
        scenario = fault or (channel.scenario if channel else Scenario.NOT_FOUND)
        if scenario == Scenario.SLOW:
            if self._stopping.wait(SLOW_SECONDS):
                self.close_connection = True
                return
            # Then answer as the channel itself would: a private one still wants its key.
            scenario = Scenario.PRIVATE if channel and channel.read_key else Scenario.HEALTHY
        if scenario == Scenario.PRIVATE and query.get("api_key") == _read_key(channel):
            scenario = Scenario.HEALTHY
        if scenario == Scenario.HEALTHY and channel is not None:
            self._send(200, self._feed_body(channel, last, field, query))
        else:
            self._fault(scenario, channel, lambda c: self._feed_body(c, last, field, query))

    def _feed_body(
        self, channel: Channel, last: bool, field: int | None, query: dict[str, str]
    ) -> bytes:
        # A snapshot, so a long history answer does not hold up posts and other reads.
        with self.server.state.lock:
            view = channel.snapshot()
            now = datetime.now(UTC)
        return reads.last(view, query, now) if last else reads.feed(view, query, now, field)

    def _fault(
        self, scenario: Scenario, channel: Channel | None, body: Callable[[Channel], bytes]
    ) -> None:
        match scenario:
            case Scenario.PRIVATE:
                self._send(400, payloads.PRIVATE)
            case Scenario.RATE_LIMITED:
                self._send(429, payloads.RATE_LIMITED, {"Retry-After": "30"})
            case Scenario.ERROR_500 | Scenario.ERROR_502 | Scenario.ERROR_503:
                status = ERRORS[scenario]
                extra = {"Retry-After": "30"} if status == 503 else {}
                self._send(status, payloads.server_error(status), extra, payloads.HTML)
            case Scenario.MALFORMED:
                self._send(200, payloads.MALFORMED)
            case Scenario.HTML:
                self._send(200, payloads.CAPTIVE_PORTAL, content_type=payloads.HTML)
            case Scenario.TRICKLE | Scenario.STALL if channel is not None:
                if scenario == Scenario.TRICKLE:
                    self._trickle(body(channel))
                else:
                    self._stall(body(channel))
            case Scenario.RESET:
                self._reset()
            case _:
                self._send(404, payloads.NOT_FOUND)

    def _trickle(self, body: bytes) -> None:
        self._head(200, len(body), {})
        for i in range(len(body)):
            if self._stopping.wait(TRICKLE_INTERVAL):
                self.close_connection = True
                return
            self.wfile.write(body[i : i + 1])

    def _stall(self, body: bytes) -> None:
        # Headers and half the body at once, then silence: a timeout in the middle of
        # the body, not before it. The connection closes short of Content-Length.
        self._head(200, len(body), {})
        self.wfile.write(body[: len(body) // 2])
        self._stopping.wait(SLOW_SECONDS)
        self.close_connection = True

    def _reset(self) -> None:
        # A plain close (FIN), not an RST: a forwarding proxy between the app and the
        # emulator (tests/web/faults.py) passes a FIN on, but would swallow an RST and hang.
        self.close_connection = True

    def _control(self, channel_id: int, action: str) -> None:
        """POST /_emulator/channels/<id>/quiet or /resume, for alert demos on `make serve`."""
        if self.command != "POST":
            self._send(405, payloads.METHOD_NOT_ALLOWED, {"Allow": "POST"})
            return
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            self._send(403, payloads.FORBIDDEN)
            return
        state = self.server.state
        with state.lock:
            channel = state.channels.get(channel_id)
            if channel is not None:
                now = datetime.now(UTC)
                if action == "quiet":
                    channel.go_quiet(now)
                else:
                    channel.resume(now)
        if channel is None:
            self._send(404, payloads.NOT_FOUND)
        else:
            self._head(204, 0, {})

    def _update(self, query: dict[str, str]) -> None:
        state = self.server.state
        key = query.get("api_key") or self.headers.get("X-THINGSPEAKAPIKEY")
        entry_id = 0  # what ThingSpeak answers, with 200, when the write fails
        with state.lock:
            channel = next(
                (c for c in state.channels.values() if c.write_key and c.write_key == key), None
            )
            if channel is not None:
                values = {n: query[f"field{n}"] for n in channel.fields if f"field{n}" in query}
                entry_id = channel.add(values, None, datetime.now(UTC))
        self._send(200, str(entry_id).encode(), content_type=payloads.TEXT)

    def _head(self, status: int, length: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        merged = {"Content-Type": payloads.JSON, **headers}
        merged.update({"Content-Length": str(length), "Access-Control-Allow-Origin": "*"})
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = payloads.JSON,
    ) -> None:
        self._head(status, len(body), {"Content-Type": content_type, **(headers or {})})
        self.wfile.write(body)


def _read_key(channel: Channel | None) -> str:
    # A channel made private with set_fault has no key of its own: it takes the demo key.
    return channel.read_key if channel and channel.read_key else PRIVATE_READ_KEY


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: State, verbose: bool) -> None:
        self.state = state
        self.verbose = verbose
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Request, client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Request) -> None:
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut every open connection, so kept-alive clients cannot be answered after stop."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already gone
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Request, client_address: Any) -> None:
        # Clients hang up and stop() cuts connections; only real bugs deserve a traceback.
        if isinstance(sys.exception(), ConnectionError | TimeoutError):
            return
        if not self.state.stopping.is_set():
            super().handle_error(request, client_address)
