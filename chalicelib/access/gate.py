"""The access check every private response passes: who the visitor is, from the session
cookie, at the cost of one HMAC (and at most one store read per device per day).

The session secret is fetched once per container (SSM, or the local SQLite file), on a
cold start in the background while ThingSpeak is read, and looked at again every
SECRET_TTL_SECONDS without holding up a request, so `revoke --all` reaches warm
containers within that time.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from chalicelib.access.session import (
    ANONYMOUS,
    COOKIE,
    IDLE_SECONDS,
    RECHECK_SECONDS,
    Session,
    SiteUrl,
    Viewer,
    cookie_value,
    decode,
    encode,
    scope_of,
    set_cookie,
)
from chalicelib.logs import note

if TYPE_CHECKING:
    from chalicelib.access.sqlite_store import SqliteAccessStore
    from chalicelib.access.store import AccessStore

SECRET_TTL_SECONDS = 60.0


class SecretUnavailable(Exception):
    """The session secret could not be read; the message is for the log only."""


class RotatingSecret:
    """A secret kept for SECRET_TTL_SECONDS, then refreshed in the background."""

    def __init__(
        self,
        fetch: Callable[[], str],
        ttl: float = SECRET_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self._ttl, self._clock = fetch, ttl, clock
        self._value: str | None = None
        self._at = 0.0
        self._lock = threading.Lock()
        self._refreshing = False

    def __call__(self) -> str:
        with self._lock:
            if self._value is None:
                self._value, self._at = self._fetch(), self._clock()
                return self._value
            if self._clock() - self._at > self._ttl and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="secret", daemon=True).start()
            return self._value

    def forget(self) -> None:
        with self._lock:
            self._value = None

    def _refresh(self) -> None:
        try:
            value = self._fetch()
            with self._lock:
                self._value, self._at = value, self._clock()
        except Exception as exc:  # the old secret stays until one is read
            note(access_error=str(exc)[:200])
        finally:
            self._refreshing = False


def _ssm_fetch(parameter: str) -> Callable[[], str]:
    from chalicelib.thingspeak.keys import SsmSecret

    holder: list[object] = []

    def fetch() -> str:
        # A fresh read each time (the class caches), on one client for the container.
        if not holder:
            from chalicelib.thingspeak.keys import _ssm_client

            holder.append(_ssm_client())
        secret = SsmSecret(parameter, holder[0], SecretUnavailable, "session secret")
        return secret()

    return fetch


class Access:
    """Sign-in settings of a site: SITE_URL, the secret's source and the store's name."""

    def __init__(
        self,
        env: Mapping[str, str],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.site = SiteUrl.parse(env.get("SITE_URL"))
        self._env = {k: env.get(k, "") for k in ("ACCESS_TABLE", "ACCESS_DB")}
        param = env.get("SESSION_SECRET_PARAM", "").strip()
        self._wall = wall
        self.secret: RotatingSecret | None = None
        if param:
            self.secret = RotatingSecret(_ssm_fetch(param))
        elif self._env["ACCESS_DB"].strip() and not self._env["ACCESS_TABLE"].strip():
            self.secret = RotatingSecret(lambda: self._local_store().session_secret())
        has_store = any(v.strip() for v in self._env.values())
        self.enabled = self.secret is not None and has_store and self.site is not None

    def now(self) -> float:
        return self._wall()

    def store(self) -> AccessStore:
        from chalicelib.access.store import access_store

        store = access_store(self._env)
        assert store is not None  # enabled means a store is named
        return store

    def _local_store(self) -> SqliteAccessStore:
        from chalicelib.access.sqlite_store import SqliteAccessStore
        from chalicelib.access.store import access_store

        store = access_store(self._env)
        assert isinstance(store, SqliteAccessStore)
        return store

    def prefetch(self) -> None:
        """On a cold start: fetch the secret while the first view's data is on its way."""
        if self.enabled and self.secret is not None:
            secret = self.secret

            def get() -> None:
                with contextlib.suppress(Exception):
                    secret()

            threading.Thread(target=get, name="prefetch-secret", daemon=True).start()

    def visitor(self, headers: Mapping[str, str]) -> tuple[Viewer, str | None]:
        """The viewer, and a Set-Cookie to send with the answer (renewed, or cleared)."""
        value = cookie_value(headers)
        if value is None or not self.enabled or self.secret is None:
            return ANONYMOUS, None
        try:
            secret = self.secret()
        except Exception as exc:
            note(access_error=str(exc)[:200])
            return ANONYMOUS, None
        now = self._wall()
        session = decode(value, secret, now)
        if session is None:
            note(session="refused")
            return ANONYMOUS, self.clear_cookie()
        if now - session.checked <= RECHECK_SECONDS:
            note(session="ok")
            return session.viewer, None
        # A day since the store last confirmed this passkey: once more, then a day's peace.
        from chalicelib.access.store import AccessStoreError

        try:
            store = self.store()
            passkey = store.passkey(session.passkey)
            if passkey is not None:
                store.touch(passkey.id, now)
        except AccessStoreError as exc:
            note(session="unchecked", access_error=str(exc))
            return session.viewer, None  # not renewed: asked again on the next request
        if passkey is None:
            note(session="revoked")
            return ANONYMOUS, self.clear_cookie()
        renewed = Session(passkey.id, scope_of(passkey.dashboards), int(now))
        note(session="renewed")
        return renewed.viewer, self.cookie_for(renewed, secret)

    def issue(self, passkey_id: str, dashboards: tuple[str, ...] | None) -> str:
        """Set-Cookie for a device that has just signed in (or created its passkey)."""
        assert self.secret is not None
        session = Session(passkey_id, scope_of(dashboards), int(self._wall()))
        return self.cookie_for(session, self.secret())

    def cookie_for(self, session: Session, secret: str) -> str:
        secure = self.site is not None and self.site.secure
        return set_cookie(COOKIE, encode(session, secret), IDLE_SECONDS, secure)

    def clear_cookie(self) -> str:
        secure = self.site is not None and self.site.secure
        return set_cookie(COOKIE, "", 0, secure)
