"""Passkeys, invitations and the session secret in one SQLite file (ACCESS_DB), locally."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from typing import Any

from chalicelib.access.store import (
    Invitation,
    Passkey,
    dashboards_of,
    dashboards_text,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS passkeys (id TEXT PRIMARY KEY, credential BLOB, label TEXT,
    dashboards TEXT, created INTEGER, last_used INTEGER);
CREATE TABLE IF NOT EXISTS invitations (hash TEXT PRIMARY KEY, label TEXT, dashboards TEXT,
    expires INTEGER);
CREATE TABLE IF NOT EXISTS access_meta (name TEXT PRIMARY KEY, value TEXT);
"""


class SqliteAccessStore:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
        with self._lock:
            self._db.executescript(_SCHEMA)

    def passkey(self, passkey_id: str) -> Passkey | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM passkeys WHERE id = ?", (passkey_id,)).fetchone()
        return _passkey(row) if row else None

    def passkeys(self) -> list[Passkey]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM passkeys ORDER BY created").fetchall()
        return [_passkey(row) for row in rows]

    def add_passkey(self, passkey: Passkey) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO passkeys VALUES (?, ?, ?, ?, ?, ?)",
                (
                    passkey.id,
                    passkey.credential,
                    passkey.label,
                    dashboards_text(passkey.dashboards),
                    passkey.created,
                    passkey.last_used,
                ),
            )

    def touch(self, passkey_id: str, now: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE passkeys SET last_used = ? WHERE id = ?", (int(now), passkey_id)
            )

    def remove_passkey(self, passkey_id: str) -> bool:
        with self._lock:
            done = self._db.execute("DELETE FROM passkeys WHERE id = ?", (passkey_id,))
        return done.rowcount > 0

    def add_invitation(self, invitation: Invitation) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO invitations VALUES (?, ?, ?, ?)",
                (
                    invitation.token_hash,
                    invitation.label,
                    dashboards_text(invitation.dashboards),
                    invitation.expires,
                ),
            )

    def invitation(self, token_hash: str, now: float) -> Invitation | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM invitations WHERE hash = ? AND expires > ?", (token_hash, now)
            ).fetchone()
        return _invitation(row) if row else None

    def take_invitation(self, token_hash: str, now: float) -> Invitation | None:
        with self._lock:
            # One statement: the row is gone for whoever comes second.
            row = self._db.execute(
                "DELETE FROM invitations WHERE hash = ? RETURNING *", (token_hash,)
            ).fetchone()
        if row is None:
            return None
        found = _invitation(row)
        return found if found.expires > now else None

    def session_secret(self) -> str:
        """Locally the file stands in for SSM: made on first use."""
        with self._lock:
            made = secrets.token_urlsafe(32)
            self._db.execute(
                "INSERT OR IGNORE INTO access_meta VALUES ('session_secret', ?)", (made,)
            )
            row = self._db.execute(
                "SELECT value FROM access_meta WHERE name = 'session_secret'"
            ).fetchone()
        return str(row[0])

    def rotate_session_secret(self) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO access_meta VALUES ('session_secret', ?)",
                (secrets.token_urlsafe(32),),
            )


def _passkey(row: tuple[Any, ...]) -> Passkey:
    id_, credential, label, dashboards, created, last_used = row
    return Passkey(
        str(id_),
        bytes(credential),
        str(label),
        dashboards_of(str(dashboards)),
        int(created),
        int(last_used),
    )


def _invitation(row: tuple[Any, ...]) -> Invitation:
    hash_, label, dashboards, expires = row
    return Invitation(str(hash_), str(label), dashboards_of(str(dashboards)), int(expires))
