"""A field's sparkline as the page draws it: the SVG path, min and max, and the points
a finger can scrub."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from operator import sub
from typing import Any

from chalicelib.config.model import FieldDisplay
from chalicelib.display.ticks import Tick, time_ticks
from chalicelib.display.times import iso, span_label
from chalicelib.display.trend import Trend
from chalicelib.display.values import format_value


@dataclass(frozen=True)
class Sparkline:
    """A field's chart as the page shows it: every label formatted like the value."""

    path: str  # SVG path data, see trend.py
    low: str | None  # formatted like the value itself
    high: str | None
    low_at: datetime
    high_at: datetime
    start: datetime  # the span really shown (see trend.span_label)
    end: datetime
    span: str  # "24 h", or the truth: "last 2 h 13 min"
    what: str  # what one point is: "reading", "hourly average"
    times: tuple[int, ...]  # the points a finger can pick: Unix seconds, oldest first
    ys: tuple[float, ...]
    values: tuple[str, ...]  # each formatted like the value

    # The scrub data as compact attributes: times as deltas, space-separated.
    @property
    def data_t(self) -> str:
        deltas = [self.times[0], *map(sub, self.times[1:], self.times)]
        return " ".join(map(str, deltas))

    @property
    def data_v(self) -> str:
        return " ".join(self.values)

    @property
    def ticks(self) -> tuple[Tick, ...]:
        """Midnight and every 6 hours (UTC; the page's script moves them to local time)."""
        return time_ticks(self.start, self.end)

    @property
    def span_phrase(self) -> str:
        """For a screen reader: "last 24 h", "last 2 h 13 min"."""
        return self.span if self.span.startswith("last") else f"last {self.span}"

    @property
    def start_unix(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_unix(self) -> int:
        return int(self.end.timestamp())

    def to_json(self) -> dict[str, Any]:
        return {
            "span": self.span,
            "start": iso(self.start),
            "end": iso(self.end),
            "what": self.what,
            "path": self.path,
            "t": list(self.times),
            "y": list(self.ys),
            "v": list(self.values),
            "low": self.low,
            "high": self.high,
            "low_at": iso(self.low_at),
            "high_at": iso(self.high_at),
        }


def sparkline_of(trend: Trend, display: FieldDisplay) -> Sparkline:
    def shown(raw: str) -> str:
        return format_value(raw, display)[0] or "–"

    return Sparkline(
        path=trend.path,
        low=format_value(trend.low.raw, display)[0],
        high=format_value(trend.high.raw, display)[0],
        low_at=datetime.fromtimestamp(trend.low.at, UTC),
        high_at=datetime.fromtimestamp(trend.high.at, UTC),
        start=trend.start,
        end=trend.end,
        span=span_label(trend.start, trend.end),
        what=trend.what,
        times=tuple(p.at for p in trend.points),
        ys=trend.ys,
        values=tuple(shown(p.raw) for p in trend.points),
    )
