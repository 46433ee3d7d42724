"""One dashboard on the overview: its headline, or its own problem."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.config.model import Dashboard
from chalicelib.display.reading import FieldReading, field_reading, is_stale, shown_fields
from chalicelib.display.times import iso_or_none
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed


@dataclass(frozen=True)
class Card:
    """One dashboard on the overview: its headline, or its own problem."""

    name: str
    title: str
    url: str
    channel: int
    headline: FieldReading | None
    others: tuple[FieldReading, ...]  # shown small: the dashboard's next card_fields - 1
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
            "headline": _small(head) if head else None,
            "others": [_small(f) for f in self.others],
            "created_at": self.created_at_iso,
            "age_seconds": int(age.total_seconds()) if age is not None else None,
            "stale": self.stale,
            "error": (
                {"code": self.error.code, "title": self.error.title, "message": self.error.message}
                if self.error
                else None
            ),
        }


def _small(field: FieldReading) -> dict[str, Any]:
    return {
        "field": field.number,
        "label": field.label,
        "display": field.display,
        "unit": field.unit,
        "numeric": field.numeric,
        "compass": field.compass,
    }


def build_card(
    dashboard: Dashboard, feed: Feed | None, now: datetime, error: ThingSpeakError | None
) -> Card:
    """The card needs only the newest entry: no trend is computed for it."""
    latest = feed.latest if feed else None
    shown: list[FieldReading] = []
    if feed is not None and latest is not None:
        numbers = shown_fields(feed, dashboard)[: dashboard.card_fields]
        shown = [field_reading(feed, number, dashboard) for number in numbers]
    title = dashboard.title or (feed.channel.name if feed else f"Channel {dashboard.channel}")
    return Card(
        name=dashboard.name,
        title=title,
        url=f"/d/{dashboard.name}",
        channel=dashboard.channel,
        headline=shown[0] if shown else None,
        others=tuple(shown[1:]),
        created_at=latest.created_at if latest else None,
        stale=feed is not None
        and (is_stale(feed, dashboard, now) or (error is not None and latest is not None)),
        error=error,
    )
