"""The project's ThingSpeak emulator: ThingSpeak's read API on loopback, for `make serve`
and the tests. Never deployed (Chalice packages only app.py, chalicelib/ and vendor/).

    with Emulator() as emu:                 # port 0: a free port
        emu.url                             # "http://127.0.0.1:PORT"
        emu.add_entry(12397, {4: "71.5"})   # -> its entry_id, now the newest entry
        emu.set_fault(12397, "error_503")   # any channel answers like a fault; None heals
        emu.requests                        # every feeds read, for counting upstream calls

`python -m emulator [--host 127.0.0.1] [--port 8001] [--verbose]` serves until Ctrl-C.

Channels (ids fixed; `SCENARIO_CHANNELS[Scenario.X]` or `SCENARIO_CHANNELS["x"]`):

| id    | Scenario     | what |
|-------|--------------|------|
| 12397 | (demo)       | MathWorks' Natick weather station: an entry every 20 s, a day back |
| 1001  | PRIVATE      | HTTP 400 `-1` unless `api_key=PRIVATEREADKEY01` |
| 1002  | EMPTY        | fields named, `last_entry_id` null, no entries |
| 1003  | NULLS        | newest entry: "21.4", null, "open" (text), "nan" |
| 1004  | SLOW         | answers after 15 s |
| 1005  | ERROR_500    | HTTP 500, HTML body |
| 1006  | ERROR_502    | HTTP 502, HTML body |
| 1007  | ERROR_503    | HTTP 503, HTML body, Retry-After: 30 |
| 1008  | RATE_LIMITED | HTTP 429, JSON error, Retry-After: 30 |
| 1009  | MALFORMED    | 200, truncated JSON |
| 1010  | HTML         | 200, a captive portal's HTML page |
| 1011  | STALE        | healthy, newest entry 3 hours old |
| 1012  | XSS          | `<script>` channel name, `<img onerror>` field name, `<b>` value |
| 1013  | TRICKLE      | 200 at once, then the body one byte every 0.5 s |
| 1014  | CELSIUS      | ESP8266 station in °C, moving like the demo |
| other | NOT_FOUND    | 404 |

Faults `set_fault` puts on any channel (`FAULTS`): private, slow, error_500, error_502,
error_503, rate_limited, malformed, html, trickle, not_found, plus `stall` (headers and
half the body, then silence), `reset` (the connection closed unanswered) and
`healthy` (a private or fault channel answers normally). A channel made private this way
takes PRIVATE_READ_KEY. Write API: `/update?api_key=DEMOWRITEKEY0000&field4=..` (GET or
POST) appends to the demo channel.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType

from emulator.channels import (
    DEMO_CHANNEL_ID,
    DEMO_WRITE_KEY,
    FAULTS,
    PRIVATE_CHANNEL_ID,
    PRIVATE_READ_KEY,
    SCENARIO_CHANNELS,
    Scenario,
)
from emulator.server import CannedResponse, EmulatorServer, RecordedRequest, State

__all__ = [
    "DEMO_CHANNEL_ID",
    "DEMO_WRITE_KEY",
    "FAULTS",
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
        self._server = EmulatorServer((host, port), self._state, verbose)
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy: every feeds read so far (`at` is time.monotonic()), oldest first."""
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
        """Append an entry (created now unless told; naive times are UTC); its entry_id."""
        if created_at is not None and created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        with self._state.lock:
            channel = self._state.channels.get(channel_id)
            if channel is None:
                raise KeyError(f"the emulator has no channel {channel_id}")
            return channel.add(dict(values), created_at, datetime.now(UTC))

    def set_fault(self, channel_id: int, scenario: str | None) -> None:
        """Make any channel (even an unknown id) answer like a fault; None heals it."""
        if scenario is not None and scenario not in FAULTS:
            raise ValueError(f"not a fault: {scenario!r}; one of {sorted(FAULTS)}")
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
        if self._thread is not None or self._stopped:
            raise RuntimeError("an Emulator starts once")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # bounds how long stop() waits
            name=f"thingspeak-emulator {self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow, trickling and kept-alive connections end at once too."""
        if self._stopped:
            return
        self._stopped = True
        self._state.stopping.set()
        if self._thread is not None:
            self._server.shutdown()  # only returns once serve_forever has run
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
