"""Alert state and push subscriptions in one SQLite file, for `make alerts` and `chalice local`."""

from __future__ import annotations

import sqlite3
import threading

from chalicelib.alerts.store import (
    DAY,
    MAX_SUBSCRIPTIONS,
    SUBSCRIPTION_DAYS,
    Record,
    Subscribed,
    Unsubscribed,
    state_json,
    state_of,
    subscription_id,
)
from chalicelib.alerts.subscriptions import Subscription

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
            columns = [row[1] for row in self._db.execute("PRAGMA table_info(subscriptions)")]
            if "owner" not in columns:  # a file from before sign-in
                self._db.execute("ALTER TABLE subscriptions ADD COLUMN owner TEXT")

    def records(self, dashboard: str) -> dict[str, Record]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, version, state, outbox, lease_until, expires FROM records "
                "WHERE dashboard = ?",
                (dashboard,),
            ).fetchall()
        return {
            key: Record(state_of(state), version, outbox, lease, expires)
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
                    state_json(new),
                    new.outbox,
                    new.lease_until,
                    new.expires,
                ),
            )
            return True

    def subscriptions(self, dashboard: str, now: float) -> list[Subscription]:
        with self._lock:
            rows = self._db.execute(
                "SELECT endpoint, p256dh, auth, owner FROM subscriptions WHERE dashboard = ? "
                "AND expires > ? ORDER BY id",
                (dashboard, now),
            ).fetchall()
        return [Subscription(*row) for row in rows]

    def subscribe(self, dashboard: str, subscription: Subscription, now: float) -> Subscribed:
        sub_id = subscription_id(subscription.endpoint)
        # Count and write inside one BEGIN IMMEDIATE: no other writer between them.
        with self._lock, self._transaction():
            known = self._db.execute(
                "SELECT auth FROM subscriptions WHERE dashboard = ? AND id = ? AND expires > ?",
                (dashboard, sub_id, now),
            ).fetchone()
            if known and known[0] != subscription.auth:
                return "not_yours"
            if not known:
                (count,) = self._db.execute(
                    "SELECT COUNT(*) FROM subscriptions WHERE dashboard = ? AND expires > ?",
                    (dashboard, now),
                ).fetchone()
                if count >= MAX_SUBSCRIPTIONS:
                    return "full"
            self._db.execute(
                "INSERT OR REPLACE INTO subscriptions "
                "(dashboard, id, endpoint, p256dh, auth, expires, owner) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    dashboard,
                    sub_id,
                    subscription.endpoint,
                    subscription.p256dh,
                    subscription.auth,
                    int(now) + SUBSCRIPTION_DAYS * DAY,
                    subscription.owner,
                ),
            )
        return "renewed" if known else "created"

    def unsubscribe(
        self, dashboard: str, endpoint: str, auth: str | None = None
    ) -> Unsubscribed | None:
        key = (dashboard, subscription_id(endpoint))
        with self._lock, self._transaction():
            row = self._db.execute(
                "SELECT auth FROM subscriptions WHERE dashboard = ? AND id = ?", key
            ).fetchone()
            if row is None:
                return "unknown"
            if auth is not None and row[0] != auth:
                return "not_yours"
            self._db.execute("DELETE FROM subscriptions WHERE dashboard = ? AND id = ?", key)
        return "removed"

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
