"""Where alert state and push subscriptions live: the interface both stores keep
(dynamo_store.py in AWS, sqlite_store.py on a laptop), and which one the environment names.

Every condition record carries a version, and the only way to change one is `swap`: a
write that succeeds only if the record still has the version the writer read. Of any
number of overlapping checks, retries and cold starts that see the same change of state,
exactly one wins the write, and only the winner sends the notification. The record keeps
that notification (its outbox) until it has been sent, so a check that dies between the
write and the send is finished by the next one.

One DynamoDB table (`ALERTS_TABLE`, keys `pk`/`sk`, TTL attribute `expires`):
- `alert#<dashboard>` / `<condition>`: a condition's state; expires a year after its last
  write, so a dashboard removed from the file does not stay forever.
- `subs#<dashboard>` / `<sha256 of the endpoint>`: a push subscription; expires
  SUBSCRIPTION_DAYS after the browser last sent it (the page sends it on every visit).
  `owner` names the passkey that subscribed to a private dashboard.
- `subs#<dashboard>` / `#count`: how many subscriptions the dashboard has, changed in the
  same transaction as each one added or removed, so the cap holds under concurrency.
- `meta` / `vapid`: the VAPID public key for browsers. The private key is not here:
  it is an SSM SecureString that only `check_alerts` may read.
The web function's policy reaches only the `subs#` and `meta` items.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal, Protocol

from chalicelib.alerts.rules import ConditionState
from chalicelib.alerts.subscriptions import Subscription

SUBSCRIPTION_DAYS = 180
RECORD_DAYS = 365
DAY = 86400
MAX_SUBSCRIPTIONS = 50  # per dashboard: a household's phones, not a mailing list

Subscribed = Literal["created", "renewed", "full", "not_yours"]
Unsubscribed = Literal["removed", "unknown", "not_yours"]


class StoreError(Exception):
    """The store could not be read or written; one line, without any secret."""


@dataclass(frozen=True)
class Record:
    """A stored condition state with the version a conditional write compares."""

    state: ConditionState = field(default_factory=ConditionState)
    version: int = 0  # 0: never written
    outbox: str | None = None  # the notice (JSON) this change still owes, until sent
    lease_until: float = 0.0  # epoch seconds: a send is under way until then
    expires: int = 0  # epoch seconds


class AlertStore(Protocol):
    def records(self, dashboard: str) -> dict[str, Record]: ...

    def swap(self, dashboard: str, key: str, old: Record, new: Record) -> bool:
        """Write `new` if the record is still at `old.version`; False if someone was first."""
        ...

    def subscriptions(self, dashboard: str, now: float) -> list[Subscription]: ...

    def subscribe(self, dashboard: str, subscription: Subscription, now: float) -> Subscribed:
        """Adds (under the cap, atomically) or renews; a known endpoint is changed only
        with its own `auth` secret ("not_yours" otherwise)."""
        ...

    def unsubscribe(
        self, dashboard: str, endpoint: str, auth: str | None = None
    ) -> Unsubscribed | None:
        """Removes it if `auth` is its secret (None: the checker pruning a dead one)."""
        ...

    def public_key(self) -> str | None: ...

    def set_public_key(self, key: str) -> None: ...


def subscription_id(endpoint: str) -> str:
    # Endpoints are capability URLs up to 1 KB: keyed (and logged) by digest only.
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()[:40]


def state_json(record: Record) -> str:
    state = record.state
    since = state.since.isoformat() if state.since else None
    return json.dumps({"alarm": state.alarm, "failures": state.failures, "since": since})


def state_of(text: str) -> ConditionState:
    data = json.loads(text)
    since = datetime.fromisoformat(data["since"]) if data.get("since") else None
    return ConditionState(bool(data["alarm"]), int(data["failures"]), since)


def store_from_env(env: Mapping[str, str]) -> AlertStore | None:
    """ALERTS_TABLE (DynamoDB), else ALERTS_DB (a SQLite file, local only), else None."""
    table = env.get("ALERTS_TABLE", "").strip()
    local = env.get("ALERTS_DB", "").strip()
    if table and local:
        raise StoreError("ALERTS_TABLE and ALERTS_DB are both set: choose one.")
    return _store(table, local) if table or local else None


@lru_cache(maxsize=8)
def _store(table: str, local: str) -> AlertStore:
    # One per container and setting: its client and connections are reused by every check.
    if table:
        from chalicelib.alerts.dynamo_store import DynamoStore

        return DynamoStore(table)
    from chalicelib.alerts.sqlite_store import EmbeddedStore

    return EmbeddedStore(local)
