"""The view model: what a person sees, built from a Feed, the settings and the clock.

Both the HTML page and /api/latest are rendered from a Reading, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.config.model import Dashboard
from chalicelib.display.sparkline import Sparkline, sparkline_of
from chalicelib.display.times import iso_or_none
from chalicelib.display.trend import Trend, build_trends, quarter_sums
from chalicelib.display.values import TEMPERATURE_UNITS, compass_point, format_value
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed


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
    compass: str | None = None  # "SW": a field declared as a direction
    kind: str | None = None  # as declared: "direction", "amount", or None
    # An amount's sums by UTC quarter hour: "start sum sum ...", formatted like the value.
    sums: str | None = None

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
            "compass": self.compass,
            "sums": self.sums,
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
    fields = tuple(
        replace(field_reading(feed, n, dashboard, trends[n]), sums=_sums(feed, n, dashboard))
        for n in numbers
    )
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
        compass=compass_point(raw, display),
        kind=display.kind,
    )


def _sums(feed: Feed, number: int, dashboard: Dashboard) -> str | None:
    """For a field declared `kind = "amount"`: its quarter-hour sums for the page's
    "today total"; None for any other field."""
    display = dashboard.display_for(number)
    found = quarter_sums(feed, number) if display.kind == "amount" else None
    if found is None:
        return None
    begin, sums = found
    shown = (format_value(f"{total:f}", display)[0] or "0" for total in sums)
    return " ".join((str(begin), *shown))
