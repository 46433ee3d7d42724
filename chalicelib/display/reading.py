"""The view model: what a person sees, built from a Feed, the settings and the clock.

Both the HTML page and /api/latest are rendered from a Reading, so they always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import sub
from typing import Any

from chalicelib.config.loader import Dashboard, FieldDisplay
from chalicelib.display.times import iso, iso_or_none, span_label
from chalicelib.display.trend import Trend, build_trends
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# ThingSpeak allows 255 characters a value; a glance page has no room for an essay.
MAX_TEXT_CHARS = 80


TEMPERATURE_UNITS = ("°C", "°F")


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


@dataclass(frozen=True)
class FieldReading:
    """One field as the page shows it: label, value, unit and chart."""

    number: int
    name: str  # the channel's own name for the field
    label: str  # what the page shows
    value: str | None  # exactly what ThingSpeak sent
    display: str | None  # formatted for people; None shows as a dash
    unit: str | None
    numeric: bool
    sparkline: Sparkline | None = None

    @property
    def temperature(self) -> bool:
        return self.unit in TEMPERATURE_UNITS

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.number,
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "display": self.display,
            "unit": self.unit,
            "numeric": self.numeric,
            "day_low": self.sparkline.low if self.sparkline else None,
            "day_high": self.sparkline.high if self.sparkline else None,
            "trend": self.sparkline.to_json() if self.sparkline else None,
        }


@dataclass(frozen=True)
class Reading:
    """A dashboard's newest entry as the page and its JSON show it."""

    channel_id: int
    channel_name: str  # as ThingSpeak names it
    title: str  # what the page shows: the dashboard's title, or the channel's name
    entry_id: int | None
    created_at: datetime | None
    stale: bool
    fields: tuple[FieldReading, ...]
    # Set when ThingSpeak failed and this is the last good reading (stale-if-error).
    upstream_error: ThingSpeakError | None = None

    @property
    def headline(self) -> FieldReading | None:
        return self.fields[0] if self.fields and self.entry_id is not None else None

    @property
    def others(self) -> tuple[FieldReading, ...]:
        return self.fields[1:] if self.entry_id is not None else ()

    @property
    def has_temperature(self) -> bool:
        return any(f.temperature for f in self.fields)

    @property
    def created_at_iso(self) -> str | None:
        return iso_or_none(self.created_at)

    def age(self, now: datetime) -> timedelta | None:
        return None if self.created_at is None else max(now - self.created_at, timedelta(0))

    def to_json(self, now: datetime) -> dict[str, Any]:
        age = self.age(now)
        return {
            "channel": {"id": self.channel_id, "name": self.channel_name},
            "title": self.title,
            "entry_id": self.entry_id,
            "created_at": self.created_at_iso,
            "age_seconds": int(age.total_seconds()) if age is not None else None,
            "stale": self.stale,
            "fields": [f.to_json() for f in self.fields],
            "upstream_error": (
                {"code": self.upstream_error.code, "message": self.upstream_error.message}
                if self.upstream_error
                else None
            ),
        }


def is_stale(feed: Feed, dashboard: Dashboard, now: datetime) -> bool:
    latest = feed.latest
    return latest is not None and now - latest.created_at > timedelta(
        minutes=dashboard.stale_after_minutes
    )


def build_reading(
    feed: Feed,
    dashboard: Dashboard,
    now: datetime,
    upstream_error: ThingSpeakError | None = None,
) -> Reading:
    latest = feed.latest
    numbers = shown_fields(feed, dashboard)
    trends = build_trends(feed, numbers)
    fields = tuple(field_reading(feed, n, dashboard, trends[n]) for n in numbers)
    return Reading(
        channel_id=feed.channel.id,
        channel_name=feed.channel.name,
        title=dashboard.title or feed.channel.name,
        entry_id=latest.entry_id if latest else None,
        created_at=latest.created_at if latest else None,
        stale=is_stale(feed, dashboard, now) or (upstream_error is not None and latest is not None),
        fields=fields,
        upstream_error=upstream_error,
    )


def shown_fields(feed: Feed, dashboard: Dashboard) -> tuple[int, ...]:
    """The dashboard's fields in order; without a list, every field the channel names."""
    return dashboard.field_order or tuple(f.number for f in feed.channel.fields)


def field_reading(
    feed: Feed, number: int, dashboard: Dashboard, trend: Trend | None = None
) -> FieldReading:
    display = dashboard.display_for(number)
    field = feed.channel.field(number)
    name = field.name if field else f"Field {number}"
    latest = feed.latest
    raw = latest.value(number) if latest else None
    shown, numeric = format_value(raw, display)
    unit = display.unit or (display.conversion.unit if display.conversion else None)
    sparkline = sparkline_of(trend, display) if trend is not None else None
    return FieldReading(
        number=number,
        name=name,
        label=display.label or name,
        value=raw,
        display=shown,
        unit=unit,
        numeric=numeric,
        sparkline=sparkline,
    )


def format_value(raw: str | None, display: FieldDisplay) -> tuple[str | None, bool]:
    """(text to show or None for a dash, whether it is a number)."""
    text = (raw or "").strip()
    if not text:
        return None, False
    if not _NUMBER.match(text):
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            return None, False  # a sensor's failed read, not a reading
        return _shorten(text), False
    decimals = display.decimals
    if decimals is None and display.conversion:
        decimals = 1
    if decimals is None:
        return text, True  # exactly as sent
    try:
        number = Decimal(text)
        if display.conversion:
            number = display.conversion.apply(number)
        rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except ArithmeticError:
        # Beyond what can be converted or rounded; showing the unconverted text next to
        # the converted unit would be a wrong reading.
        return None, False
    if rounded.is_zero():
        rounded = abs(rounded)  # no "-0.0"
    return f"{rounded:f}", True


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


@dataclass(frozen=True)
class Card:
    """One dashboard on the overview: its headline, or its own problem."""

    name: str
    title: str
    url: str
    channel: int
    headline: FieldReading | None
    created_at: datetime | None
    stale: bool
    error: ThingSpeakError | None  # no reading at all, or the reason it is stale

    @property
    def created_at_iso(self) -> str | None:
        return iso_or_none(self.created_at)

    def to_json(self, now: datetime) -> dict[str, Any]:
        age = None if self.created_at is None else max(now - self.created_at, timedelta(0))
        head = self.headline
        return {
            "name": self.name,
            "title": self.title,
            "url": self.url,
            "channel": self.channel,
            "headline": (
                {"label": head.label, "display": head.display, "unit": head.unit} if head else None
            ),
            "created_at": self.created_at_iso,
            "age_seconds": int(age.total_seconds()) if age is not None else None,
            "stale": self.stale,
            "error": (
                {"code": self.error.code, "title": self.error.title, "message": self.error.message}
                if self.error
                else None
            ),
        }


def build_card(
    dashboard: Dashboard, feed: Feed | None, now: datetime, error: ThingSpeakError | None
) -> Card:
    """The card needs only the newest entry: no trend is computed for it."""
    latest = feed.latest if feed else None
    headline = None
    if feed is not None and latest is not None:
        numbers = shown_fields(feed, dashboard)
        headline = field_reading(feed, numbers[0], dashboard) if numbers else None
    title = dashboard.title or (feed.channel.name if feed else f"Channel {dashboard.channel}")
    return Card(
        name=dashboard.name,
        title=title,
        url=f"/d/{dashboard.name}",
        channel=dashboard.channel,
        headline=headline,
        created_at=latest.created_at if latest else None,
        stale=feed is not None
        and (is_stale(feed, dashboard, now) or (error is not None and latest is not None)),
        error=error,
    )
