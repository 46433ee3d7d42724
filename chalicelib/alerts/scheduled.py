"""What the scheduled `check_alerts` function runs: a Checker (check.py) built from the
stage's environment (its store, push and email settings, and whether subscriptions follow
the passkeys of chalicelib/access/), run within what the invocation has left."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from chalicelib.alerts.check import (
    BUDGET_SECONDS,
    MARGIN_SECONDS,
    Checker,
    Fetch,
    ms_since,
    write_line,
)
from chalicelib.alerts.delivery import Notifier, PushSettings, ssm_secret
from chalicelib.alerts.sqlite_store import EmbeddedStore
from chalicelib.alerts.store import AlertStore, StoreError, store_from_env
from chalicelib.alerts.subscriptions import PushConfigError, Subscription, parse_allowed_hosts
from chalicelib.alerts.wording import AlertsConfigError, message_clock
from chalicelib.config.model import Config, Dashboard
from chalicelib.thingspeak.client import ReadKey, ThingSpeakClient
from chalicelib.thingspeak.feed import Feed
from chalicelib.thingspeak.keys import read_key_for

DEFAULT_SUBJECT = "mailto:alerts@localhost"  # local only: setup writes PUSH_VAPID_SUBJECT

_read_keys: dict[str, ReadKey] = {}


def read_key(dashboard: Dashboard) -> ReadKey:
    return read_key_for(dashboard, _read_keys)


def fetcher(client: ThingSpeakClient) -> Fetch:
    def fetch(dashboard: Dashboard) -> Feed:
        return client.feed(dashboard.channel, 1, read_key(dashboard))

    return fetch


def checker_from_env(
    config: Config,
    fetch: Fetch,
    env: Mapping[str, str],
    store: AlertStore | None = None,
    **options: Any,
) -> Checker | None:
    """None when alerts are off (neither ALERTS_TABLE nor ALERTS_DB). Raises StoreError,
    PushConfigError or AlertsConfigError, each one line, for unusable settings."""
    store = store or store_from_env(env)
    if store is None:
        return None
    push = None
    param = env.get("PUSH_VAPID_KEY_PARAM", "").strip()
    if param or isinstance(store, EmbeddedStore):
        local = store if isinstance(store, EmbeddedStore) else None
        push = PushSettings(
            vapid_key=ssm_secret(param) if param else lambda: _local_key(local),
            subject=env.get("PUSH_VAPID_SUBJECT", "").strip() or DEFAULT_SUBJECT,
            allow=parse_allowed_hosts(env.get("PUSH_SERVICE_HOSTS")),
        )
    topic = env.get("ALERTS_TOPIC_ARN", "").strip() or None
    targets: Any = store
    if any(env.get(name, "").strip() for name in ("ACCESS_TABLE", "ACCESS_DB")):
        targets = FollowAccess(store, env)
    notifier = Notifier(targets, topic, push, echo=options.pop("echo", None))
    clock = message_clock(env.get("ALERTS_TIMEZONE", "").strip() or None)
    return Checker(config, fetch, store, notifier, clock, **options)


class FollowAccess:
    """The store's subscriptions less those of revoked passkeys (chalicelib/access/):
    the passkeys are listed once per check, on the first notice that needs them."""

    def __init__(self, store: AlertStore, env: Mapping[str, str]) -> None:
        self._store = store
        self._env = env
        self._live: set[str] | None = None

    def live(self) -> set[str]:
        if self._live is None:
            from chalicelib.access.store import AccessStoreError, access_store

            try:
                found = access_store(self._env)
                self._live = {p.id for p in found.passkeys()} if found else set()
            except AccessStoreError as exc:
                raise StoreError(str(exc)) from None
        return self._live

    def subscriptions(self, dashboard: str, now: float) -> list[Subscription]:
        found = self._store.subscriptions(dashboard, now)
        if all(s.owner is None for s in found):
            return found
        live = self.live()
        return [s for s in found if s.owner is None or s.owner in live]

    def unsubscribe(self, dashboard: str, endpoint: str, auth: str | None = None) -> object:
        return self._store.unsubscribe(dashboard, endpoint, auth)


def _local_key(store: EmbeddedStore | None) -> str:
    assert store is not None
    return store.local_vapid_keys()[0]


def run(
    config: Config,
    client: ThingSpeakClient,
    env: Mapping[str, str] | None = None,
    context: Any = None,
    **options: Any,
) -> dict[str, Any]:
    """The Lambda handler's work; returns a summary (also what a test invoke sees).
    `options` go to the Checker (a test's clock)."""
    started = time.monotonic()
    environ = os.environ if env is None else env
    try:
        checker = checker_from_env(config, fetcher(client), environ, **options)
    except (StoreError, PushConfigError, AlertsConfigError) as exc:
        write_line({"msg": "alert_check", "outcome": "misconfigured", "error": str(exc)})
        return {"checked": 0, "error": str(exc)}
    if checker is None:
        write_line({"msg": "alert_check", "outcome": "off", "why": "ALERTS_TABLE is not set"})
        return {"checked": 0, "off": True}
    lines = checker.check_all(budget(context))
    return {
        "checked": len(lines),
        "notified": sum(len(line.get("notified", [])) for line in lines),
        "problems": sum(line["outcome"] != "ok" for line in lines),
        "ms": ms_since(started),
    }


def budget(context: Any) -> float:
    """Seconds the checks may take: what the invocation has left, less a margin (at most
    MARGIN_SECONDS, a quarter of a short invocation), and never over BUDGET_SECONDS.

    Chalice's own contexts (`chalice local`, its test client) say 3 s whatever the
    function's lambda_timeout and end nothing at that time: there the budget is the one a
    deployed check_alerts has (its 60 s timeout leaves it BUDGET_SECONDS)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None or type(context).__module__.startswith("chalice."):
        return BUDGET_SECONDS
    seconds = float(remaining()) / 1000
    return max(0.0, min(BUDGET_SECONDS, seconds - min(MARGIN_SECONDS, seconds / 4)))
