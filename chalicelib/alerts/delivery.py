"""Delivering alert messages: SNS (email, SMS) and Web Push, each subscription once.

The VAPID private key is read from the SSM SecureString PUSH_VAPID_KEY_PARAM once per
container; it is never logged, returned or put in an exception.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from chalicelib.alerts.store import StoreError
from chalicelib.alerts.subscriptions import AllowList, PushConfigError, Subscription
from chalicelib.alerts.webpush import send
from chalicelib.alerts.wording import Notice, email_subject
from chalicelib.thingspeak.keys import SsmSecret

# botocore logs whole responses at DEBUG, and one of them is the private key.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)

PUSH_TIMEOUT_SECONDS = 4.0
PUSH_TTL_SECONDS = 6 * 3600  # a phone off for longer gets a newer message anyway
PUSH_WORKERS = 8


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
