"""Alert messages in a person's words: the same text by email and on the phone.

Times: a scheduled function has no viewer and so no viewer's time zone. Messages show
the time in ALERTS_TIMEZONE (an IANA name such as Europe/Berlin) with no suffix, as the
owner reads their own clock; without it, in UTC, said as "06:42 UTC" so nobody mistakes
it for local time. A time on another day than the message also gets its date.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from chalicelib.alerts.rules import Event
from chalicelib.display.times import duration


class AlertsConfigError(ValueError):
    """An alert setting is unusable; one line naming it."""


@dataclass(frozen=True)
class MessageClock:
    """How times are said in messages: a zone and whether to name it."""

    zone: tzinfo = UTC
    suffix: str = " UTC"  # empty when the owner chose the zone

    def time(self, at: datetime, now: datetime) -> str:
        local, today = at.astimezone(self.zone), now.astimezone(self.zone)
        shown = local.strftime("%H:%M")
        if local.date() != today.date():
            shown = f"{local.day} {local.strftime('%b')} {shown}"
        return shown + self.suffix


def message_clock(name: str | None) -> MessageClock:
    if not name:
        return MessageClock()
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return MessageClock(ZoneInfo(name), "")
    except (ZoneInfoNotFoundError, ValueError):
        raise AlertsConfigError(
            f"ALERTS_TIMEZONE {name[:60]!r} is not a time zone name such as Europe/Berlin "
            "(or this system has no time zone data)."
        ) from None


@dataclass(frozen=True)
class Notice:
    """One message, as sent: the same words by email and on the phone."""

    kind: str
    dashboard: str
    condition: str
    title: str
    body: str

    @property
    def url(self) -> str:
        return f"/d/{self.dashboard}"

    @property
    def tag(self) -> str:
        # The phone replaces "quiet" with "back" instead of showing both.
        return f"{self.dashboard}:{self.condition}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "dashboard": self.dashboard,
                "condition": self.condition,
                "title": self.title,
                "body": self.body,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Notice:
        data = json.loads(text)
        return cls(data["kind"], data["dashboard"], data["condition"], data["title"], data["body"])

    def push_payload(self) -> bytes:
        """What the service worker gets: showNotification(title, {body, tag, data: {url}})."""
        payload = {"title": self.title, "body": self.body, "tag": self.tag, "url": self.url}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(event: Event, now: datetime, clock: MessageClock) -> Notice:
    at = clock.time(event.at, now)
    rule = event.rule
    if event.kind in ("crossed", "cleared") and rule is not None:
        unit = f" {event.unit}" if event.unit else ""
        line = f"{rule.direction} {rule.threshold:g}{unit}"
        if event.kind == "cleared":
            line = f"no longer {line}"
        text = f"{event.title}: {event.label} {event.value}{unit}, {line} (at {at})"
    elif event.kind == "quiet":
        age = duration(event.age or timedelta(0))
        text = f"{event.title}: no new reading for {age} (last at {at})"
    elif event.kind == "back":
        text = f"{event.title}: new readings again (latest at {at})"
    elif event.kind == "cant_check":
        text = f"{event.title}: can't check the readings since {at} ({event.reason})"
    else:
        text = f"{event.title}: readings can be checked again (at {at})"
    return Notice(event.kind, event.dashboard, event.condition, event.title, text)


def email_subject(title: str) -> str:
    """SNS subjects must be ASCII, one line, under 100 characters."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    folded = " ".join(folded.split())
    return f"Alert: {folded}"[:99] if folded else "ThingSpeak Glance alert"
