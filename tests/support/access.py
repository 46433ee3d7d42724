"""Signing a test request in, as a device that has just signed in with its passkey."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chalicelib.access.session import COOKIE, Session, encode, passkey_id
from chalicelib.access.sqlite_store import SqliteAccessStore
from chalicelib.access.store import Passkey


def sign_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Passkey sign-in for the next site (SITE_URL and a local ACCESS_DB, as
    docs/access.md sets them up), and the Cookie header of a passkey that may see every
    dashboard, as a device that has just signed in carries it."""
    db = str(tmp_path / "access.sqlite3")
    monkeypatch.setenv("SITE_URL", "http://localhost:8000")
    monkeypatch.setenv("ACCESS_DB", db)
    monkeypatch.delenv("ACCESS_TABLE", raising=False)
    monkeypatch.delenv("SESSION_SECRET_PARAM", raising=False)
    store = SqliteAccessStore(db)
    pid, now = passkey_id(b"the owner's laptop"), int(time.time())
    store.add_passkey(Passkey(pid, b"x", "owner", None, now, now))
    return {"Cookie": f"{COOKIE}={encode(Session(pid, '*', now), store.session_secret())}"}
