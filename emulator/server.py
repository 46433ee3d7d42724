"""ThingSpeak's read API (and its write endpoint) over real HTTP on loopback."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulator.channels import Channel, Entry, Scenario, make_channels

FEEDS = re.compile(r"^/channels/(\d+)/feeds(/last)?\.json$")
NOT_FOUND = {
    "status": "404",
    "error": {
        "error_code": "error_resource_not_found",
        "message": "Resource not found",
        "details": "The requested resource could not be found.",
    },
}
RATE_LIMITED = {
    "status": "429",
    "error": {
        "error_code": "error_too_many_requests",
        "message": "Too Many Requests",
        "details": "Please wait before sending more requests.",
    },
}
SLOW_SECONDS = 15.0
TRICKLE_INTERVAL = 0.5


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    at: float = field(default_factory=time.monotonic)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_json(channel: Channel, entries: list[Entry]) -> dict[str, Any]:
    """ThingSpeak's exact shape: names in `channel`, string values in `feeds`."""
    numbers = sorted(channel.fields)
    head: dict[str, Any] = {
        "id": channel.id,
        "name": channel.name,
        "description": channel.description,
        "latitude": "42.3",
        "longitude": "-71.35",
    }
    head.update({f"field{n}": channel.fields[n] for n in numbers})
    head["created_at"] = _iso(channel.created_at)
    head["updated_at"] = _iso(entries[-1].created_at if entries else channel.created_at)
    head["last_entry_id"] = entries[-1].entry_id if entries else None
    feeds = [
        {
            "created_at": _iso(e.created_at),
            "entry_id": e.entry_id,
            **{f"field{n}": e.values.get(n) for n in numbers},
        }
        for e in entries
    ]
    return {"channel": head, "feeds": feeds}


@dataclass(frozen=True)
class CannedResponse:
    status: int
    body: bytes
    headers: dict[str, str]


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.channels = make_channels(datetime.now(UTC))
        self.faults: dict[int, Scenario] = {}
        self.canned: dict[int, CannedResponse] = {}
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle(self._query())

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))
        self._handle({**self._query(), **form})

    def _query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    def _handle(self, query: dict[str, str]) -> None:
        path = urlsplit(self.path).path
        try:
            if path == "/update" or path == "/update.json":
                self._update(query)
                return
            match = FEEDS.match(path)
            if match is None:
                self._send(404, json.dumps(NOT_FOUND))
                return
            self._feeds(int(match.group(1)), bool(match.group(2)), path, query)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up; nothing to answer

    def _feeds(self, channel_id: int, last: bool, path: str, query: dict[str, str]) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append(RecordedRequest(path, dict(query)))
            canned = state.canned.get(channel_id)
            channel = state.channels.get(channel_id)
            scenario = state.faults.get(channel_id) or (
                channel.scenario if channel else Scenario.NOT_FOUND
            )
        if canned is not None:
            self._send_bytes(canned.status, canned.body, canned.headers)
            return
        if scenario == Scenario.PRIVATE and channel and query.get("api_key") == channel.read_key:
            scenario = Scenario.HEALTHY
        if scenario != Scenario.HEALTHY or channel is None:
            self._fault(scenario)
            return
        results = _results(query.get("results"))
        with state.lock:
            entries = channel.entries(datetime.now(UTC), 1 if last else results)
        if last:
            body: Any = feed_json(channel, entries)["feeds"][-1] if entries else -1
        else:
            body = feed_json(channel, entries)
        self._send(200, json.dumps(body, separators=(",", ":")))

    def _fault(self, scenario: Scenario) -> None:
        stopping = self.server.state.stopping
        if scenario == Scenario.PRIVATE:
            self._send(400, "-1")
        elif scenario == Scenario.NOT_FOUND:
            self._send(404, json.dumps(NOT_FOUND))
        elif scenario == Scenario.RATE_LIMITED:
            self._send(429, json.dumps(RATE_LIMITED), {"Retry-After": "30"})
        elif scenario in (Scenario.ERROR_500, Scenario.ERROR_502, Scenario.ERROR_503):
            status = int(scenario.value.split("_")[1])
            extra = {"Retry-After": "30"} if status == 503 else {}
            page = f"<html><body><h1>{status} Server Error</h1></body></html>"
            self._send(status, page, extra, "text/html; charset=utf-8")
        elif scenario == Scenario.MALFORMED:
            self._send(200, '{"channel": {"id": 1009, "name": "Brok')
        elif scenario == Scenario.HTML:
            page = "<!doctype html><html><body><h1>Sign in to the Wi-Fi</h1></body></html>"
            self._send(200, page, content_type="text/html; charset=utf-8")
        elif scenario == Scenario.SLOW:
            stopping.wait(SLOW_SECONDS)
            self._send(200, "{}")
        elif scenario == Scenario.TRICKLE:
            self._trickle(b'{"channel":{"id":1013,"name":"Trickling station"},"feeds":[]}')
        elif scenario == Scenario.STALL:
            # Headers and the start of the body at once, then nothing: a read timeout
            # in the middle of the body, not before it.
            body = b'{"channel":{"id":1,"name":"Stalled"},"feeds":['
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body) + 100))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            stopping.wait(SLOW_SECONDS)
        elif scenario == Scenario.RESET:
            self.close_connection = True
            self.connection.close()

    def _trickle(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for i in range(len(body)):
            if self.server.state.stopping.wait(TRICKLE_INTERVAL):
                return
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()

    def _update(self, query: dict[str, str]) -> None:
        state = self.server.state
        with state.lock:
            channel = next(
                (
                    c
                    for c in state.channels.values()
                    if c.write_key and c.write_key == query.get("api_key")
                ),
                None,
            )
            if channel is None:
                self._send(200, "0", content_type="text/plain; charset=utf-8")
                return
            values = {n: query[f"field{n}"] for n in channel.fields if f"field{n}" in query}
            entry_id = channel.add(values, None, datetime.now(UTC))
        self._send(200, str(entry_id), content_type="text/plain; charset=utf-8")

    def _send(
        self,
        status: int,
        body: str,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        self._send_bytes(
            status, body.encode("utf-8"), {"Content-Type": content_type, **(headers or {})}
        )

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        merged = {"Content-Type": "application/json; charset=utf-8", **headers}
        merged.update({"Content-Length": str(len(data)), "Access-Control-Allow-Origin": "*"})
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _results(raw: str | None) -> int:
    # ThingSpeak ignores a results it cannot read; 8000 is its maximum.
    try:
        return max(0, min(int(raw or "100"), 8000))
    except ValueError:
        return 100


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: State, verbose: bool) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.verbose = verbose
