"""Who is asking: the session cookie, checked with the standard library only.

The cookie (one, HttpOnly, SameSite=Lax, Secure unless the site is http://localhost) is

    glance=1.<passkey id>.<scope>.<checked>.<signature>

- passkey id: the store's id of the passkey that signed in (a digest of its credential id);
- scope: `*` (every dashboard) or the dashboard names the passkey may see, `:`-separated;
- checked: when the store last confirmed the passkey (epoch seconds);
- signature: HMAC-SHA256 of the rest under the session secret (an SSM SecureString).

Checking it costs no store read: the signature vouches for the rest. Once `checked` is a
day old, the next request reads the passkey from the store once (revoked: signed out;
else the scope is refreshed, `checked` moves on and the cookie is renewed for another 90
days). A cookie whose `checked` is over 90 days old is refused: unused that long, the
session has ended. Rotating the secret (`deploy.access revoke --all`) ends every session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from chalicelib.config.model import Dashboard

COOKIE = "glance"
CHALLENGE_COOKIE = "glance_ceremony"
VERSION = "1"
DAY = 86400
RECHECK_SECONDS = DAY  # at most one store read per device per day
IDLE_SECONDS = 90 * DAY  # unused this long: signed out
ALL = "*"
_SCOPE = re.compile(r"^(\*|[a-z0-9-]{1,40}(:[a-z0-9-]{1,40})*|)$")
LOOPBACK = ("localhost", "127.0.0.1", "::1")
_ID = re.compile(r"^[a-f0-9]{32}$")


@dataclass(frozen=True)
class Viewer:
    """The visitor: anonymous, or a passkey and the dashboards it may see (None: all)."""

    passkey: str | None = None
    dashboards: frozenset[str] | None = frozenset()
    # When the session lapses unless used again (epoch seconds): the service worker shows
    # no offline copy of a private page after it.
    until: int | None = None

    @property
    def signed_in(self) -> bool:
        return self.passkey is not None

    def may_see(self, dashboard: Dashboard) -> bool:
        if dashboard.public:
            return True
        if self.passkey is None:
            return False
        return self.dashboards is None or dashboard.name in self.dashboards


ANONYMOUS = Viewer()
# The viewer of the request being answered: error pages give configuration details
# (SSM names, files, policies) only to signed-in people.
current_viewer: ContextVar[Viewer] = ContextVar("viewer", default=ANONYMOUS)


def detailed() -> bool:
    return current_viewer.get().signed_in


@dataclass(frozen=True)
class Session:
    passkey: str
    scope: str  # "*" or names joined by ":"
    checked: int

    @property
    def viewer(self) -> Viewer:
        names = None if self.scope == ALL else frozenset(filter(None, self.scope.split(":")))
        return Viewer(self.passkey, names, self.checked + IDLE_SECONDS)


def scope_of(dashboards: tuple[str, ...] | None) -> str:
    return ALL if dashboards is None else ":".join(dashboards)


def _sign(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def encode(session: Session, secret: str) -> str:
    payload = f"{VERSION}.{session.passkey}.{session.scope}.{session.checked}"
    return f"{payload}.{_sign(secret, payload)}"


def decode(value: str, secret: str, now: float) -> Session | None:
    """The session if the cookie is ours, intact and not idle for 90 days; else None."""
    parts = value.split(".")
    if len(parts) != 5 or parts[0] != VERSION:
        return None
    _, passkey, scope, checked, signature = parts
    expected = _sign(secret, ".".join(parts[:4]))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    if not _ID.match(passkey) or not _SCOPE.match(scope) or not checked.isdigit():
        return None
    at = int(checked)
    if at > now + 300 or now - at > IDLE_SECONDS:
        return None
    return Session(passkey, scope, at)


def cookie_value(headers: Mapping[str, str], name: str = COOKIE) -> str | None:
    raw = headers.get("cookie") or headers.get("Cookie") or ""
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


@dataclass(frozen=True)
class SiteUrl:
    """SITE_URL: the site's own origin. Invitation links, the passkeys' relying party and
    the Origin check of state-changing requests all come from it, never from a header."""

    origin: str  # scheme://host[:port], no path

    @classmethod
    def parse(cls, raw: str | None) -> SiteUrl | None:
        if not raw or not raw.strip():
            return None
        parts = urlsplit(raw.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            return None  # passkeys need a secure context: https, or http://localhost
        return cls(f"{parts.scheme}://{parts.netloc.lower()}")

    @property
    def host(self) -> str:
        return urlsplit(self.origin).hostname or ""

    @property
    def secure(self) -> bool:
        return self.origin.startswith("https://")


def set_cookie(name: str, value: str, max_age: int, secure: bool) -> str:
    flags = "; Secure" if secure else ""
    return f"{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{flags}"


def same_origin(headers: Mapping[str, str], site: SiteUrl | None) -> bool:
    """A state-changing request may go on: it names our origin, or (a client that is no
    browser, which carries no cookie of ours either) no origin and no cross-site fetch."""
    origin = headers.get("origin") or headers.get("Origin")
    fetch_site = (headers.get("sec-fetch-site") or headers.get("Sec-Fetch-Site") or "").lower()
    if fetch_site == "cross-site":
        return False
    if origin is None:
        return fetch_site in ("", "same-origin", "none")
    return site is not None and origin.rstrip("/").lower() == site.origin


def local_next(raw: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if not raw or len(raw) > 1000:
        return "/"
    if not raw.startswith("/") or raw.startswith(("//", "/\\")):
        return "/"
    if any(c in raw for c in "\\\r\n\t") or any(ord(c) < 32 for c in raw):
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    return raw


def signin_location(path: str) -> str:
    return "/signin?next=" + quote(local_next(path), safe="/")


def passkey_id(credential_id: bytes) -> str:
    """The store's (and the CLI's) id of a passkey: a digest of its credential id."""
    return hashlib.sha256(credential_id).hexdigest()[:32]
