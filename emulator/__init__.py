"""The project's ThingSpeak emulator: ThingSpeak's read API on loopback, for `make serve`
and the tests. Never deployed (Chalice packages only app.py, chalicelib/ and vendor/).

    with Emulator() as emu:            # port 0: a free port
        emu.url                        # "http://127.0.0.1:PORT"
        emu.add_entry(12397, {4: "71.5"})
        emu.set_fault(12397, "error_503")   # any channel answers like a fault; None heals
        emu.requests                   # every feeds.json read, for counting upstream calls

Channels (ids fixed):

| id    | what |
|-------|------|
| 12397 | demo: replica of MathWorks' weather station, an entry every 20 s, a day back |
| 1001  | private: HTTP 400 `-1` unless `api_key=PRIVATEREADKEY01` |
| 1002  | empty: fields named, no entries |
| 1003  | nulls: newest entry has "21.4", null, "open" (text) and "nan" |
| 1004  | slow: answers after 15 s |
| 1005/1006/1007 | HTTP 500 / 502 / 503 (503 with Retry-After) with an HTML body |
| 1008  | HTTP 429 with Retry-After: 30 |
| 1009  | truncated JSON |
| 1010  | an HTML page with status 200 |
| 1011  | healthy, newest entry 3 hours old |
| 1012  | hostile names: `<script>` channel name, `<img onerror>` field name, `<b>` value |
| 1013  | body trickles in one byte every 0.5 s |
| 1014  | ESP8266 station in °C, moving like the demo |
| any   | `set_fault(id, "stall")`: headers, half a body, silence |
| any   | `set_fault(id, "reset")`: the connection closed unanswered |
| other | 404 |
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType

from emulator.channels import (
    DEMO_CHANNEL_ID,
    DEMO_WRITE_KEY,
    PRIVATE_CHANNEL_ID,
    PRIVATE_READ_KEY,
    SCENARIO_CHANNELS,
    Scenario,
)
from emulator.server import CannedResponse, RecordedRequest, State, _Server

__all__ = [
    "DEMO_CHANNEL_ID",
    "DEMO_WRITE_KEY",
    "PRIVATE_CHANNEL_ID",
    "PRIVATE_READ_KEY",
    "SCENARIO_CHANNELS",
    "Emulator",
    "RecordedRequest",
    "Scenario",
]


class Emulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> None:
        self._state = State()
        self._server = _Server((host, port), self._state, verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def clear_requests(self) -> None:
        with self._state.lock:
            self._state.requests.clear()

    def add_entry(
        self,
        channel_id: int,
        values: Mapping[int, str | None],
        created_at: datetime | None = None,
    ) -> int:
        with self._state.lock:
            channel = self._state.channels[channel_id]
            return channel.add(dict(values), created_at, datetime.now(UTC))

    def set_fault(self, channel_id: int, scenario: str | None) -> None:
        with self._state.lock:
            if scenario is None:
                self._state.faults.pop(channel_id, None)
            else:
                self._state.faults[channel_id] = Scenario(scenario)

    def set_response(
        self,
        channel_id: int,
        status: int | None,
        body: str | bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer reads of this channel with exactly this; status None goes back to normal."""
        with self._state.lock:
            if status is None:
                self._state.canned.pop(channel_id, None)
                return
            data = body.encode("utf-8") if isinstance(body, str) else body
            self._state.canned[channel_id] = CannedResponse(status, data, dict(headers or {}))

    def start(self) -> Emulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stopping.set()  # releases slow and trickling answers at once
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
