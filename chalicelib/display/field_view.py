"""A field's own page as data: 24 h of readings, or 7 and 30 days of ThingSpeak's
averages, each point one a finger can read off the chart, and the newest in a table."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from chalicelib.config.model import Dashboard, FieldDisplay
from chalicelib.display.reading import FieldReading, field_reading
from chalicelib.display.sparkline import Sparkline, sparkline_of
from chalicelib.display.ticks import Level, value_scale
from chalicelib.display.times import FULL_SPAN_TOLERANCE, iso, span_label, utc_text
from chalicelib.display.trend import Trend, numeric, trend_of
from chalicelib.display.values import TEMPERATURE_UNITS, format_value
from chalicelib.thingspeak.averages import (
    MAX_REQUESTS,
    RANGES,
    AveragesSnapshot,
    Range,
    span_of,
    what_of,
)
from chalicelib.thingspeak.cache import MAX_RESULTS
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed, Sample

CHART_HEIGHT = 60.0  # viewBox units; the CSS gives the chart its size on screen
CHART_SLOTS = 100  # up to 200 real points: every peak and dip a wide chart can show
TABLE_ROWS = 30


@dataclass(frozen=True)
class Row:
    """One line of the table: when, and the value as the page formats it."""

    at: datetime
    display: str | None
    numeric: bool = True
    precise: bool = False  # a reading's own second; an average's bucket starts on the minute

    @property
    def iso(self) -> str:
        return iso(self.at)

    @property
    def text(self) -> str:
        return utc_text(self.at, self.precise)


@dataclass(frozen=True)
class RangeLink:
    """A link to one range of a field page, and whether it is the one shown."""

    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class FieldView:
    """What the field page, its JSON and its CSV show."""

    dashboard: str
    title: str
    channel_id: int
    number: int
    label: str
    unit: str | None
    range: Range
    what: str  # one point: "reading", "hourly average"
    chart: Sparkline | None
    capped: bool  # ThingSpeak's 8000-entry limit (or our request cap) cut the span short
    rows: tuple[Row, ...]  # the newest points, newest first
    samples: tuple[Sample, ...]  # every point, its value as sent, oldest first: the CSV
    error: ThingSpeakError | None  # this is an older copy, because of it
    display: FieldDisplay  # how the dashboards file shows the field: the CSV's second column
    # The newest reading, whatever the range: large at the top, as on the dashboard.
    current: FieldReading | None = None
    current_at: Row | None = None  # when it was measured

    @property
    def whats(self) -> str:
        return self.what + "s"

    @property
    def span_phrase(self) -> str:
        """The span shown: "last 7 days", or what the chart really covers, "last 11 days"."""
        return self.chart.span_phrase if self.chart else f"last {self.range.label}"

    @property
    def what_phrase(self) -> str:
        """ "a reading", "an hourly average", as the page says what a point is."""
        if self.what == "reading":
            return "a reading as the channel sent it"
        article = "an" if self.what.startswith(("hourly", "8-")) else "a"
        return f"{article} {self.what} that ThingSpeak computed"

    @property
    def cap_reason(self) -> str:
        if self.range.minutes is None:
            return (
                f"ThingSpeak hands out at most {MAX_RESULTS} readings at a time, and this "
                "channel posts so often that they cover no more."
            )
        return (
            f"ThingSpeak averages at most {MAX_RESULTS} readings a request; this channel "
            f"posts so often that {MAX_REQUESTS} requests reach no further back."
        )

    @property
    def height(self) -> str:
        return f"{CHART_HEIGHT:g}"

    @property
    def scale(self) -> tuple[Level, ...]:
        """Round values up the chart's side, as the page shows values."""
        return value_scale(self.chart.low, self.chart.high) if self.chart else ()

    @property
    def temperature(self) -> bool:
        return self.unit in TEMPERATURE_UNITS

    @property
    def base(self) -> str:
        return f"/d/{self.dashboard}/field/{self.number}"

    @property
    def csv_href(self) -> str:
        return f"{self.number}.csv?range={self.range.name}"

    @property
    def links(self) -> tuple[RangeLink, ...]:
        # Relative: the same page whether it was reached by /field/4 or /d/<name>/field/4.
        return tuple(
            RangeLink(r.label, f"{self.number}?range={r.name}", r == self.range)
            for r in RANGES.values()
        )

    @property
    def low_at(self) -> Row | None:
        return Row(self.chart.low_at, self.chart.low, precise=self.precise) if self.chart else None

    @property
    def high_at(self) -> Row | None:
        return (
            Row(self.chart.high_at, self.chart.high, precise=self.precise) if self.chart else None
        )

    @property
    def precise(self) -> bool:
        return self.range.minutes is None

    @property
    def filename(self) -> str:
        return f"{self.dashboard}-field{self.number}-{self.range.name}.csv"

    def to_json(self) -> dict[str, Any]:
        return {
            "dashboard": self.dashboard,
            "title": self.title,
            "field": self.number,
            "label": self.label,
            "unit": self.unit,
            "range": self.range.name,
            "what": self.what,
            "span": self.chart.span if self.chart else None,
            "capped": self.capped,
            "points": len(self.samples),
            "csv": f"{self.base}.csv?range={self.range.name}",
            "trend": self.chart.to_json() if self.chart else None,
            "stale": self.error is not None,
            "upstream_error": (
                {"code": self.error.code, "message": self.error.message} if self.error else None
            ),
        }


def build_field_view(
    dashboard: Dashboard,
    number: int,
    range_: Range,
    day: Feed,
    history: AveragesSnapshot | None,
    error: ThingSpeakError | None,
) -> FieldView:
    display = dashboard.display_for(number)
    field = day.channel.field(number)
    if history is None:
        chart, capped, samples = _day_chart(day, number, range_)
        what = what_of(None)
    else:
        chart, capped, samples = _long_chart(history, range_)
        what = what_of(history.fetched.plan.minutes)
    sparkline = None
    if chart is not None:
        sparkline = sparkline_of(replace(chart[0], what=what), display)
        sparkline = replace(sparkline, span=span_label(chart[1], chart[2], range_.length))
    newest = samples[-TABLE_ROWS:][::-1]
    latest = day.latest
    return FieldView(
        dashboard=dashboard.name,
        title=dashboard.title or day.channel.name,
        channel_id=day.channel.id,
        number=number,
        label=display.label or (field.name if field else f"Field {number}"),
        unit=display.unit or (display.conversion.unit if display.conversion else None),
        range=range_,
        what=what,
        chart=sparkline,
        capped=capped,
        rows=tuple(
            Row(s.created_at, *format_value(s.value, display), range_.minutes is None)
            for s in newest
        ),
        samples=samples,
        error=error,
        display=display,
        current=field_reading(day, number, dashboard) if latest else None,
        current_at=Row(latest.created_at, None, precise=True) if latest else None,
    )


# A chart: the trend itself, and the span it covers.
_Chart = tuple[Trend, datetime, datetime]


def _day_chart(
    day: Feed, number: int, range_: Range
) -> tuple[_Chart | None, bool, tuple[Sample, ...]]:
    """The readings of the day held: the span a capped day really covers, not 24 h."""
    latest = day.latest
    if latest is None:
        return None, False, ()
    end = latest.created_at
    first = bisect_left(day.stamps, (end - range_.length).timestamp())
    column = day.column(number)[first:]
    entries = day.entries[first:]
    samples = tuple(
        Sample(e.created_at, v) for e, v in zip(entries, column, strict=True) if v is not None
    )
    times, values, raws = numeric(day.stamps[first:], column)
    if not times:
        return None, False, samples
    start = max(end - range_.length, datetime.fromtimestamp(times[0], UTC))
    if start - (end - range_.length) <= FULL_SPAN_TOLERANCE:
        start = end - range_.length
    trend = trend_of(times, values, raws, start, end, CHART_HEIGHT, slots=CHART_SLOTS)
    capped = len(day.entries) >= MAX_RESULTS and start > end - range_.length
    return (trend, start, end) if trend else None, capped, samples


def _long_chart(
    history: AveragesSnapshot, range_: Range
) -> tuple[_Chart | None, bool, tuple[Sample, ...]]:
    fetched = history.fetched
    samples = fetched.samples
    stamps = [s.created_at.timestamp() for s in samples]
    times, values, raws = numeric(stamps, tuple(s.value for s in samples))
    if not times:
        return None, fetched.plan.capped, samples
    start, end = span_of(fetched, range_)
    bucket = fetched.plan.minutes * 60.0
    trend = trend_of(
        times, values, raws, start, end, CHART_HEIGHT, interval=bucket, slots=CHART_SLOTS
    )
    return (trend, start, end) if trend else None, fetched.plan.capped, samples
