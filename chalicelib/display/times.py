"""Every way a time is written: ISO 8601 for machines, and the words a person reads.

One module, so the page, the field page, the JSON and the alert messages agree, and the
server's words match what the page's script writes once it takes over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Within this of the whole span, a chart counts as covering it (the clocks, a late post).
FULL_SPAN_TOLERANCE = timedelta(minutes=15)
DAY = timedelta(hours=24)


def iso(moment: datetime) -> str:
    """ "2026-01-03T14:05:20Z": what `<time datetime>` and the JSON carry."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_or_none(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def utc_text(moment: datetime, seconds: bool) -> str:
    """Readable without script: "3 Jan 14:05 UTC", or "3 Jan 14:05:20 UTC"."""
    moment = moment.astimezone(UTC)
    clock = f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"
    return f"{moment.day} {moment:%b} {clock} UTC"


def humanize_age(age: timedelta) -> str:
    """Same wording as the page's script, so the text does not jump when it takes over."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def duration(age: timedelta) -> str:
    """How long something lasted, as an alert says it: "12 min", "3 h 5 min"."""
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} days"


def span_label(start: datetime, end: datetime, whole: timedelta = DAY) -> str:
    """'24 h' for a whole span, else the truth: 'last 2 h 13 min'."""
    seconds = (end - start).total_seconds()
    if seconds >= (whole - FULL_SPAN_TOLERANCE).total_seconds():
        return _whole(whole)
    minutes = max(1, int(seconds // 60))
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"last {hours // 24} days"
    if hours and minutes:
        return f"last {hours} h {minutes} min"
    return f"last {hours} h" if hours else f"last {minutes} min"


def _whole(whole: timedelta) -> str:
    days = whole.days
    return f"{days} days" if days > 1 else f"{int(whole.total_seconds() // 3600)} h"


@dataclass(frozen=True)
class When:
    """When a reading was measured, in words that need no script."""

    text: str  # readable without script; the page's script swaps in local time
    ago: str


def when(created_at: datetime | None, now: datetime) -> When | None:
    if created_at is None:
        return None
    return When(
        text=f"{created_at.day} {created_at:%b %Y, %H:%M} UTC",
        ago=humanize_age(max(now - created_at, timedelta(0))),
    )
