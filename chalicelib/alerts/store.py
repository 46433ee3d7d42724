"""Where alert state and push subscriptions live: DynamoDB in AWS, SQLite on a laptop.

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
- `meta` / `vapid`: the VAPID public key for browsers. The private key is not here:
  it is an SSM SecureString that only `check_alerts` may read.
The web function's policy reaches only the `subs#` and `meta` items.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

from chalicelib.alerts.rules import ConditionState
from chalicelib.alerts.webpush import Subscription

SUBSCRIPTION_DAYS = 180
RECORD_DAYS = 365
DAY = 86400
MAX_SUBSCRIPTIONS = 50  # per dashboard: a household's phones, not a mailing list

Subscribed = Literal["created", "renewed", "full"]


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

    def subscribe(self, dashboard: str, subscription: Subscription, now: float) -> Subscribed: ...

    def unsubscribe(self, dashboard: str, endpoint: str) -> None: ...

    def public_key(self) -> str | None: ...

    def set_public_key(self, key: str) -> None: ...


def subscription_id(endpoint: str) -> str:
    # Endpoints are capability URLs up to 1 KB: keyed (and logged) by digest only.
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()[:40]


def _state_json(record: Record) -> str:
    state = record.state
    since = state.since.isoformat() if state.since else None
    return json.dumps({"alarm": state.alarm, "failures": state.failures, "since": since})


def _state(text: str) -> ConditionState:
    data = json.loads(text)
    since = datetime.fromisoformat(data["since"]) if data.get("since") else None
    return ConditionState(bool(data["alarm"]), int(data["failures"]), since)


# --- DynamoDB ------------------------------------------------------------------------------


class DynamoStore:
    def __init__(self, table: str, client: Any = None) -> None:
        self.table = table
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:  # boto3 clients are thread-safe; creating them is not
            if self._client is None:
                import boto3
                from botocore.config import Config

                config = Config(
                    connect_timeout=3,
                    read_timeout=5,
                    retries={"max_attempts": 3, "mode": "standard"},
                )
                self._client = boto3.client("dynamodb", config=config)
            return self._client

    def records(self, dashboard: str) -> dict[str, Record]:
        items = self._query(f"alert#{dashboard}", "read alert states")
        return {item["sk"]["S"]: _record(item) for item in items}

    def swap(self, dashboard: str, key: str, old: Record, new: Record) -> bool:
        item: dict[str, Any] = {
            "pk": {"S": f"alert#{dashboard}"},
            "sk": {"S": key},
            "state": {"S": _state_json(new)},
            "version": {"N": str(new.version)},
            "lease_until": {"N": repr(new.lease_until)},
            "expires": {"N": str(new.expires)},
        }
        if new.outbox is not None:
            item["outbox"] = {"S": new.outbox}
        if old.version == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :seen",
                "ExpressionAttributeValues": {":seen": {"N": str(old.version)}},
            }
        return self._put(item, condition, "write an alert state")

    def subscriptions(self, dashboard: str, now: float) -> list[Subscription]:
        items = self._query(f"subs#{dashboard}", "read push subscriptions")
        # TTL deletes lazily (within days), so an expired item can still be listed.
        return [
            Subscription(i["endpoint"]["S"], i["p256dh"]["S"], i["auth"]["S"])
            for i in items
            if int(i["expires"]["N"]) > now
        ]

    def subscribe(self, dashboard: str, subscription: Subscription, now: float) -> Subscribed:
        item = {
            "pk": {"S": f"subs#{dashboard}"},
            "sk": {"S": subscription_id(subscription.endpoint)},
            "endpoint": {"S": subscription.endpoint},
            "p256dh": {"S": subscription.p256dh},
            "auth": {"S": subscription.auth},
            "expires": {"N": str(int(now) + SUBSCRIPTION_DAYS * DAY)},
        }
        known = {"ConditionExpression": "attribute_exists(pk)"}
        if self._put(item, known, "renew a push subscription"):
            return "renewed"
        if len(self._query(f"subs#{dashboard}", "count push subscriptions")) >= MAX_SUBSCRIPTIONS:
            return "full"
        new = {"ConditionExpression": "attribute_not_exists(pk)"}
        if self._put(item, new, "add a push subscription"):
            return "created"
        return "renewed"  # the same browser, twice at once: the other request added it

    def unsubscribe(self, dashboard: str, endpoint: str) -> None:
        key = {"pk": {"S": f"subs#{dashboard}"}, "sk": {"S": subscription_id(endpoint)}}
        self._call("remove a push subscription", "delete_item", Key=key)

    def public_key(self) -> str | None:
        key = {"pk": {"S": "meta"}, "sk": {"S": "vapid"}}
        answer = self._call("read the push key", "get_item", Key=key, ConsistentRead=True)
        item = answer.get("Item")
        return str(item["public_key"]["S"]) if item else None

    def set_public_key(self, key: str) -> None:
        item = {"pk": {"S": "meta"}, "sk": {"S": "vapid"}, "public_key": {"S": key}}
        self._call("store the push key", "put_item", Item=item)

    def _query(self, pk: str, action: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page: dict[str, Any] = {}
        while True:
            answer = self._call(
                action,
                "query",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
                ConsistentRead=True,
                **page,
            )
            items.extend(answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return items
            page = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}

    def _put(self, item: dict[str, Any], condition: dict[str, Any], action: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_item(TableName=self.table, Item=item, **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise StoreError(self._explain(action, exc)) from None
        except Exception as exc:  # botocore's own errors (connection, timeout)
            raise StoreError(
                f"Could not {action} in {self.table} ({type(exc).__name__})."
            ) from None
        return True

    def _call(self, action: str, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return getattr(self.client, operation)(TableName=self.table, **kwargs)
        except ClientError as exc:
            raise StoreError(self._explain(action, exc)) from None
        except Exception as exc:
            raise StoreError(
                f"Could not {action} in {self.table} ({type(exc).__name__})."
            ) from None

    def _explain(self, action: str, exc: Any) -> str:
        code = exc.response.get("Error", {}).get("Code", "error")
        if code == "ResourceNotFoundException":
            return (
                f"The alerts table {self.table} does not exist in this region: run "
                "python -m deploy.alerts setup."
            )
        return f"DynamoDB refused to {action} in {self.table} ({code})."


def _record(item: Mapping[str, Any]) -> Record:
    return Record(
        state=_state(item["state"]["S"]),
        version=int(item["version"]["N"]),
        outbox=item["outbox"]["S"] if "outbox" in item else None,
        lease_until=float(item.get("lease_until", {}).get("N", "0")),
        expires=int(item.get("expires", {}).get("N", "0")),
    )


# --- SQLite, for `make alerts` and `chalice local` ---------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (dashboard TEXT, key TEXT, version INTEGER, state TEXT,
    outbox TEXT, lease_until REAL, expires INTEGER, PRIMARY KEY (dashboard, key));
CREATE TABLE IF NOT EXISTS subscriptions (dashboard TEXT, id TEXT, endpoint TEXT,
    p256dh TEXT, auth TEXT, expires INTEGER, PRIMARY KEY (dashboard, id));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
"""


class EmbeddedStore:
    """The same store in one SQLite file (or ":memory:"), for running without AWS.

    Transactions take SQLite's write lock first (BEGIN IMMEDIATE), so `chalice local`
    adding subscriptions and `make alerts` checking can share one file safely.
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
        with self._lock:
            self._db.executescript(_SCHEMA)

    def records(self, dashboard: str) -> dict[str, Record]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, version, state, outbox, lease_until, expires FROM records "
                "WHERE dashboard = ?",
                (dashboard,),
            ).fetchall()
        return {
            key: Record(_state(state), version, outbox, lease, expires)
            for key, version, state, outbox, lease, expires in rows
        }

    def swap(self, dashboard: str, key: str, old: Record, new: Record) -> bool:
        with self._lock, self._transaction():
            row = self._db.execute(
                "SELECT version FROM records WHERE dashboard = ? AND key = ?", (dashboard, key)
            ).fetchone()
            if (row[0] if row else 0) != old.version:
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    dashboard,
                    key,
                    new.version,
                    _state_json(new),
                    new.outbox,
                    new.lease_until,
                    new.expires,
                ),
            )
            return True

    def subscriptions(self, dashboard: str, now: float) -> list[Subscription]:
        with self._lock:
            rows = self._db.execute(
                "SELECT endpoint, p256dh, auth FROM subscriptions WHERE dashboard = ? "
                "AND expires > ? ORDER BY id",
                (dashboard, now),
            ).fetchall()
        return [Subscription(*row) for row in rows]

    def subscribe(self, dashboard: str, subscription: Subscription, now: float) -> Subscribed:
        sub_id = subscription_id(subscription.endpoint)
        with self._lock, self._transaction():
            known = self._db.execute(
                "SELECT 1 FROM subscriptions WHERE dashboard = ? AND id = ?", (dashboard, sub_id)
            ).fetchone()
            if not known:
                (count,) = self._db.execute(
                    "SELECT COUNT(*) FROM subscriptions WHERE dashboard = ?", (dashboard,)
                ).fetchone()
                if count >= MAX_SUBSCRIPTIONS:
                    return "full"
            self._db.execute(
                "INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?, ?, ?, ?)",
                (
                    dashboard,
                    sub_id,
                    subscription.endpoint,
                    subscription.p256dh,
                    subscription.auth,
                    int(now) + SUBSCRIPTION_DAYS * DAY,
                ),
            )
        return "renewed" if known else "created"

    def unsubscribe(self, dashboard: str, endpoint: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM subscriptions WHERE dashboard = ? AND id = ?",
                (dashboard, subscription_id(endpoint)),
            )

    def public_key(self) -> str | None:
        return self._meta("vapid_public")

    def set_public_key(self, key: str) -> None:
        self._set_meta("vapid_public", key)

    def local_vapid_keys(self) -> tuple[str, str]:
        """(private, public), made on first use: locally the file stands in for SSM."""
        from chalicelib.alerts.webpush import generate_vapid_keys, public_key

        private = self._meta("vapid_private")
        if private is None:
            private, _ = generate_vapid_keys()
            self._set_meta("vapid_private", private)
        public = public_key(private)
        if self.public_key() != public:
            self.set_public_key(public)
        return private, public

    def _meta(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def _set_meta(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


# --- from the environment ------------------------------------------------------------------


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
    return DynamoStore(table) if table else EmbeddedStore(local)


def expiry(now: float, days: int = RECORD_DAYS) -> int:
    return int(now) + days * DAY


def clock() -> float:
    return time.time()
