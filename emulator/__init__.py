"""The project's ThingSpeak emulator: ThingSpeak's read API on loopback, for `make serve`
and the tests. Never deployed (Chalice packages only app.py, chalicelib/ and vendor/).

    with Emulator() as emu:                 # port 0: a free port
        emu.url                             # "http://127.0.0.1:PORT"
        emu.add_entry(12397, {4: "71.5"})   # -> its entry_id, now the newest entry
        emu.set_fault(12397, "error_503")   # any channel answers like a fault; None heals
        emu.go_quiet(1017)                  # no new computed entries (posted ones still come)
        emu.resume(1017)                    # entries again; the quiet spell stays a gap
        emu.requests                        # every read, with its query, to count upstream calls

`python -m emulator [--host 127.0.0.1] [--port 8001] [--verbose]` serves until Ctrl-C.
The same controls for a running emulator (`make serve`), from loopback clients only:
`curl -X POST http://127.0.0.1:8001/_emulator/channels/1017/quiet` (or `/resume`): 204, or
404 for an unknown channel. The write API posts a value, e.g. a threshold crossing:
`/update?api_key=DEMOWRITEKEY0000&field4=99` (GET or POST) appends to the demo channel.

Channels (ids fixed; `SCENARIO_CHANNELS[Scenario.X]` or `SCENARIO_CHANNELS["x"]`):

| id    | Scenario     | what |
|-------|--------------|------|
| 12397 | (demo)       | MathWorks' Natick weather station: 8 fields, every 20 s, 32 days back |
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
| 1014  | CELSIUS      | ESP8266 station in °C, moving like the demo, 32 days back |
| 1015  | FAST         | "Fast station": power meter, 2 fields, an entry every 1 s, 2 days back |
| 1016  | BUSY         | "Busy station": air quality, 8 numeric fields, every 15 s, 32 days back |
| 1017  | GREENHOUSE   | "Greenhouse": Temperature °C, Humidity %, Soil moisture; every 60 s |
| 1018-20 | (busy)     | "Busy station 2" to "4": copies of 1016 (`BUSY_CHANNEL_IDS`) |
| other | NOT_FOUND    | 404 |

Moving channels go back from midnight UTC (1017: 32 days too), so every past day is whole.

Faults `set_fault` puts on any channel (`FAULTS`): private, slow, error_500, error_502,
error_503, rate_limited, malformed, html, trickle, not_found, plus `stall` (headers and
half the body, then silence), `reset` (the connection closed unanswered) and
`healthy` (a private or fault channel answers normally). A channel made private this way
takes PRIVATE_READ_KEY.

Reads: `/channels/<id>/feeds.json`, `/channels/<id>/fields/<n>.json` (rows show field n
only) and `/channels/<id>/feeds/last.json`, with ThingSpeak's history parameters as its
open-source code treats them (details and sources in query.py, history.py, buckets.py):
- `results` (1..8000), `days`, `minutes`, `start`/`end` (`YYYY-MM-DD HH:NN:SS`, UTC, both
  ends included). Without `results`, `days`, `start` or `end` only the last day is read,
  and `minutes` alone does not lift the default limit of 100 entries.
- The newest entries of the range are selected first (at most 8000, or `results`), and
  then bucketed by `timescale`, `sum`, `average` or `median` (10, 15, 20, 30, 60, 240, 720,
  1440 or daily; that precedence). Buckets are floored to multiples of their length since
  the epoch; empty ones in between are all null; aggregated rows carry no entry_id.
- 1440/daily reads whole UTC days instead (no 8000 limit): see history.py.
- `round=N` prints numbers with N decimals. Other parameters are ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType

from emulator.channels import (
    BUSY_CHANNEL_IDS,
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
    "BUSY_CHANNEL_IDS",
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
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy: every read so far (feeds, fields, last; `at` is time.monotonic()), oldest
        first. The /_emulator controls and the write API are not reads."""
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

    def go_quiet(self, channel_id: int) -> None:
        """The channel stops getting entries: those computed after now are not served (posted
        ones still are, and presets stop following the clock). Quiet already: no change."""
        self._pause(channel_id, quiet=True)

    def resume(self, channel_id: int) -> None:
        """Entries are computed again from now on; the quiet spell stays a gap in history."""
        self._pause(channel_id, quiet=False)

    def _pause(self, channel_id: int, quiet: bool) -> None:
        with self._state.lock:
            channel = self._state.channels.get(channel_id)
            if channel is None:
                raise KeyError(f"the emulator has no channel {channel_id}")
            if quiet:
                channel.go_quiet(datetime.now(UTC))
            else:
                channel.resume(datetime.now(UTC))

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
