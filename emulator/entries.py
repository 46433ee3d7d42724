"""One emulated channel and its entries: presets that follow the clock, entries computed
from the clock, and entries posted to it; selected by time range like ThingSpeak's query
(`created_at BETWEEN start AND end ORDER BY created_at DESC LIMIT n`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from emulator.weather import Entry, Moving, SlotRange, Values

Preset = tuple[int, timedelta, Values]  # entry_id, age, values
Quiet = tuple[datetime, datetime | None]  # went quiet, resumed (None: still quiet)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
CACHED_LIMIT = 8000  # ThingSpeak's biggest answer; anything larger is a whole-day sweep


class Scenario(StrEnum):
    """How a channel answers. Values are lower case so plain strings work everywhere."""

    HEALTHY = "healthy"
    # Faults: a scenario channel has each, and set_fault puts any of them on any channel.
    PRIVATE = "private"
    SLOW = "slow"
    ERROR_500 = "error_500"
    ERROR_502 = "error_502"
    ERROR_503 = "error_503"
    RATE_LIMITED = "rate_limited"
    MALFORMED = "malformed"
    HTML = "html"
    TRICKLE = "trickle"
    STALL = "stall"
    NOT_FOUND = "not_found"
    RESET = "reset"
    # Healthy answers with awkward or plentiful content: channels only, not faults.
    EMPTY = "empty"
    NULLS = "nulls"
    STALE = "stale"
    XSS = "xss"
    CELSIUS = "celsius"
    FAST = "fast"
    BUSY = "busy"
    GREENHOUSE = "greenhouse"


@dataclass
class Channel:
    id: int
    name: str
    fields: dict[int, str]
    description: str = ""
    scenario: Scenario = Scenario.HEALTHY  # how it answers while no fault is set
    write_key: str | None = None
    read_key: str | None = None
    created_at: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    moving: Moving | None = None  # readings computed from the clock, like the demo
    # Ages count back from the time of the request, so a long `make serve` session
    # keeps "a few minutes ago" and "3 hours old" true.
    preset: list[Preset] = field(default_factory=list)
    added: list[Entry] = field(default_factory=list)
    quiet: list[Quiet] = field(default_factory=list)

    def snapshot(self) -> Channel:
        """A copy to read from outside the state lock while others post and pause."""
        return replace(
            self, preset=list(self.preset), added=list(self.added), quiet=list(self.quiet)
        )

    def select(self, now: datetime, start: datetime, end: datetime, limit: int) -> list[Entry]:
        """The newest `limit` entries created in [start, end], oldest first."""
        if limit <= 0:
            return []
        inside = [e for e in self._presets(now) + self.added if start <= e.created_at <= end]
        merged: list[Entry] = []
        if self.moving is not None:
            # A posted entry takes the id of the computed slot after it, so drop that one.
            taken = {e.entry_id for e in self.added}
            ranges = self._slots(now, start, end, limit + len(taken))
            # Only request-sized answers go through the cache; day sweeps would evict it.
            computed = self.moving.entries(ranges, cached=limit <= CACHED_LIMIT)
            merged = [e for e in computed if e.entry_id not in taken]
        if inside:
            merged = sorted(merged + inside, key=lambda e: (e.created_at, e.entry_id))
        return merged[-limit:]

    def newest(self, now: datetime) -> Entry | None:
        found = self.select(now, EARLIEST, LATEST, 1)
        return found[-1] if found else None

    def last_id(self, now: datetime) -> int:
        ids = [i for i, _, _ in self.preset] + [e.entry_id for e in self.added]
        if self.moving is not None:
            ranges = self._slots(now, EARLIEST, now, 1)
            ids += [self.moving.entry_id(last) for _, last in ranges]
        return max(ids, default=0)

    def add(
        self, values: Mapping[int, str | None], created_at: datetime | None, now: datetime
    ) -> int:
        entry_id = self.last_id(now) + 1
        at = (created_at or now).astimezone(UTC).replace(microsecond=0)
        self.added.append(Entry(entry_id, at, dict(values)))
        return entry_id

    def go_quiet(self, now: datetime) -> None:
        if not self.is_quiet:
            self.quiet.append((now, None))

    def resume(self, now: datetime) -> None:
        if self.is_quiet:
            self.quiet[-1] = (self.quiet[-1][0], now)

    @property
    def is_quiet(self) -> bool:
        return bool(self.quiet) and self.quiet[-1][1] is None

    def _presets(self, now: datetime) -> list[Entry]:
        # Once something was posted, or the channel went quiet, presets stop following
        # the clock: they stay older.
        stops = [e.created_at for e in self.added[:1]]
        stops += [since for since, until in self.quiet[-1:] if until is None]
        anchor = min([now, *stops]).replace(microsecond=0)
        return [Entry(i, anchor - age, values) for i, age, values in self.preset]

    def _slots(self, now: datetime, start: datetime, end: datetime, count: int) -> list[SlotRange]:
        """The newest `count` computed slots in [start, end], skipping quiet spells."""
        assert self.moving is not None
        moving = self.moving
        first = max(moving.first_slot_from(start), moving.oldest_slot(now))
        last = min(moving.slot_of(end), moving.slot_of(now))
        visible: list[SlotRange] = []
        for since, until in reversed(self.quiet):
            # Hidden: created after going quiet, up to and including the resume.
            hidden_first = moving.slot_of(since) + 1
            hidden_last = last if until is None else moving.slot_of(until)
            if hidden_last >= last >= hidden_first:
                last = hidden_first - 1
            elif last > hidden_last >= first:
                visible.append((max(first, hidden_last + 1), last))
                last = hidden_first - 1
        visible.append((first, last))
        newest: list[SlotRange] = []
        for low, high in visible:
            if count <= 0 or high < low:
                continue
            low = max(low, high - count + 1)
            newest.append((low, high))
            count -= high - low + 1
        return newest[::-1]
