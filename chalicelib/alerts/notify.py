"""Alert messages in a person's words, and their delivery: SNS (email, SMS) and Web Push.

Times: a scheduled function has no viewer and so no viewer's time zone. Messages show
the time in ALERTS_TIMEZONE (an IANA name such as Europe/Berlin) with no suffix, as the
owner reads their own clock; without it, in UTC, said as "06:42 UTC" so nobody mistakes
it for local time. A time on another day than the message also gets its date.

The VAPID private key is read from the SSM SecureString PUSH_VAPID_KEY_PARAM once per
container; it is never logged, returned or put in an exception.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal, Protocol

from chalicelib.alerts.rules import Event
from chalicelib.alerts.store import StoreError
from chalicelib.alerts.webpush import AllowList, PushConfigError, Subscription, send
from chalicelib.display.times import duration
from chalicelib.thingspeak.keys import SsmSecret

# botocore logs whole responses at DEBUG, and one of them is the private key.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)

PUSH_TIMEOUT_SECONDS = 4.0
PUSH_TTL_SECONDS = 6 * 3600  # a phone off for longer gets a newer message anyway
PUSH_WORKERS = 8


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


class Subscriptions(Protocol):
    def subscriptions(self, dashboard: str, now: float) -> list[Subscription]: ...

    def unsubscribe(self, dashboard: str, endpoint: str) -> None: ...


@dataclass(frozen=True)
class Report:
    """What one delivery did: messages published, pushes sent, gone or failed."""

    sns: Literal["published", "failed", "off"] = "off"
    sent: int = 0
    gone: int = 0
    failed: int = 0
    push_error: str | None = None  # why no push was tried at all (a key or setting)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class SecretUnavailable(Exception):
    """The VAPID key could not be read from SSM; the message names the parameter only."""


_secrets: dict[str, SsmSecret] = {}
_secrets_lock = threading.Lock()


def ssm_secret(name: str) -> SsmSecret:
    with _secrets_lock:
        if name not in _secrets:
            _secrets[name] = SsmSecret(name, error=SecretUnavailable, what="VAPID private key")
        return _secrets[name]


@dataclass(frozen=True)
class PushSettings:
    """Where and how pushes are sent: the allow-list, the key and the subject."""

    vapid_key: Callable[[], str]  # the private key, when asked: SSM, or the local file
    subject: str
    allow: AllowList


class Notifier:
    """Sends one notice everywhere it should go; `echo` also prints it (local runs)."""

    def __init__(
        self,
        subscriptions: Subscriptions,
        topic_arn: str | None = None,
        push: PushSettings | None = None,
        sns: Any = None,
        echo: Callable[[str], None] | None = None,
        now: Callable[[], float] | None = None,
    ) -> None:
        import time

        self._subscriptions = subscriptions
        self._topic_arn = topic_arn
        self._push = push
        self._sns = sns
        self._echo = echo
        self._now = now or time.time
        self._lock = threading.Lock()

    def deliver(self, notice: Notice) -> Report:
        if self._echo is not None:
            self._echo(notice.body)
        sns = self._publish(notice) if self._topic_arn else "off"
        if self._push is None:
            return Report(sns)
        try:
            key = self._push.vapid_key()
        except SecretUnavailable as exc:
            return Report(sns, push_error=str(exc))
        try:
            targets = self._subscriptions.subscriptions(notice.dashboard, self._now())
        except StoreError as exc:
            return Report(sns, push_error=str(exc))
        if not targets:
            return Report(sns)
        try:
            outcomes = self._send_all(notice, targets, key, self._push)
        except PushConfigError as exc:
            return Report(sns, push_error=str(exc))
        for target, outcome in zip(targets, outcomes, strict=True):
            if outcome == "gone":
                # If this fails, the next notice finds it gone again: nothing is resent.
                with contextlib.suppress(StoreError):
                    self._subscriptions.unsubscribe(notice.dashboard, target.endpoint)
        return Report(
            sns,
            sent=outcomes.count("sent"),
            gone=outcomes.count("gone"),
            failed=outcomes.count("failed"),
        )

    def _send_all(
        self, notice: Notice, targets: list[Subscription], key: str, push: PushSettings
    ) -> list[str]:
        payload = notice.push_payload()

        def one(target: Subscription) -> str:
            delivery = send(
                target,
                payload,
                key,
                push.subject,
                push.allow,
                ttl=PUSH_TTL_SECONDS,
                timeout=PUSH_TIMEOUT_SECONDS,
            )
            return delivery.outcome

        if len(targets) == 1:
            return [one(targets[0])]
        with ThreadPoolExecutor(max_workers=min(PUSH_WORKERS, len(targets))) as pool:
            return list(pool.map(one, targets))

    def _publish(self, notice: Notice) -> Literal["published", "failed"]:
        arn = str(self._topic_arn)
        try:
            self._sns_client(arn).publish(
                TopicArn=arn, Subject=email_subject(notice.title), Message=notice.body
            )
        except Exception as exc:  # botocore's errors: logged by the checker as "failed"
            logging.getLogger(__name__).warning("SNS publish failed (%s)", type(exc).__name__)
            return "failed"
        return "published"

    def _sns_client(self, arn: str) -> Any:
        with self._lock:
            if self._sns is None:
                import boto3

                # The topic's own region: the ARN says where it is.
                parts = arn.split(":")
                region = parts[3] if len(parts) > 5 and parts[3] else None
                self._sns = boto3.client("sns", region_name=region)
            return self._sns


def email_subject(title: str) -> str:
    """SNS subjects must be ASCII, one line, under 100 characters."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    folded = " ".join(folded.split())
    return f"Alert: {folded}"[:99] if folded else "ThingSpeak Glance alert"
