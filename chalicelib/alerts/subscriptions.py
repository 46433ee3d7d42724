"""Push subscriptions as browsers post them, checked without contacting anything, and the
allow-list of push services the server may ever send to (PUSH_SERVICE_HOSTS).

The web routes use only this module: nothing here imports cryptography or an HTTP client.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    pass

_log = logging.getLogger(__name__)

DEFAULT_PUSH_SERVICE_HOSTS: tuple[str, ...] = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, Opera
    "jmt17.google.com",  # Chromium builds without Google's API keys (Debian's, Ubuntu's)
    "updates.push.services.mozilla.com",  # Firefox
    "web.push.apple.com",  # Safari
    "*.notify.windows.com",  # Edge on Windows (WNS)
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_ENDPOINT_CHARS = 1024
# RFC 8291 section 4: a 4096-octet body less the 86-octet header, 16-octet tag and 1 pad octet.
MAX_PAYLOAD_BYTES = 3993
VAPID_LIFETIME_SECONDS = 12 * 3600

Outcome = Literal["sent", "gone", "failed"]


class PushConfigError(ValueError):
    """PUSH_SERVICE_HOSTS, the VAPID key or the VAPID subject is unusable; one line."""


class InvalidSubscription(ValueError):
    """A subscription a browser (or anyone) posted is unusable; safe to show as a 400."""


@dataclass(frozen=True)
class HostPattern:
    """One allow-list entry: a host (or *.domain) and an optional port."""

    host: str  # lower case, IPv6 without brackets; "*.example.com" keeps its "*."
    port: int | None = None  # None: 443 (or 80 for plain-http loopback)

    def matches(self, host: str, port: int, scheme: str) -> bool:
        if scheme == "http" and self.host not in LOOPBACK_HOSTS:
            return False
        wanted_port = self.port if self.port is not None else (443 if scheme == "https" else 80)
        if port != wanted_port:
            return False
        if self.host.startswith("*."):
            suffix = self.host[1:]
            return host.endswith(suffix) and len(host) > len(suffix)
        return host == self.host


@dataclass(frozen=True)
class AllowList:
    """The push services the server may ever contact."""

    patterns: tuple[HostPattern, ...]

    def allows(self, url: str) -> bool:
        target = endpoint_target(url)
        if target is None:
            return False
        scheme, host, port = target
        return any(pattern.matches(host, port, scheme) for pattern in self.patterns)


_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_PORT = re.compile(r"[0-9]{1,5}")


def parse_allowed_hosts(raw: str | None) -> AllowList:
    """PUSH_SERVICE_HOSTS: comma-separated `host`, `host:port`, `*.domain` or `[::1]:port`."""
    entries = [entry.strip() for entry in (raw or "").split(",")]
    entries = [entry for entry in entries if entry]
    if not entries:
        entries = list(DEFAULT_PUSH_SERVICE_HOSTS)
    return AllowList(tuple(_parse_host_entry(entry) for entry in entries))


def _parse_host_entry(entry: str) -> HostPattern:
    def problem(what: str) -> PushConfigError:
        return PushConfigError(f"PUSH_SERVICE_HOSTS entry {entry!r} {what}")

    if "/" in entry or "@" in entry:
        raise problem("must be a host or host:port, not a URL")
    port_text: str | None = None
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or not host or (rest and not rest.startswith(":")):
            raise problem("is not [IPv6 address] or [IPv6 address]:port")
        try:
            host = ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise problem("has an invalid IPv6 address") from None
        port_text = rest[1:] if rest else None
    elif entry.count(":") > 1:
        raise problem("is an IPv6 address: write it in brackets, like [::1]:8443")
    else:
        host, colon, after = entry.partition(":")
        port_text = after if colon else None
        labels = host.lower().split(".")
        if labels[0] == "*":
            labels = labels[1:]
            if len(labels) < 2:
                raise problem("is a wildcard too broad to allow; name a domain, like *.example.com")
        if not labels or not all(_LABEL.fullmatch(label) for label in labels):
            raise problem("is not a host name")
    port: int | None = None
    if port_text is not None:
        if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
            raise problem("has a port that is not 1-65535")
        port = int(port_text)
    return HostPattern(host.lower(), port)


@dataclass(frozen=True)
class Subscription:
    """A browser's push subscription: where to send, and the keys to encrypt to."""

    endpoint: str
    p256dh: str  # base64url (unpadded) uncompressed P-256 point
    auth: str = field(repr=False)  # base64url (unpadded) 16-byte secret shared with the browser
    # The passkey (chalicelib/access/) that subscribed to a private dashboard: revoked, and
    # this subscription is sent nothing more. None: a public dashboard's.
    owner: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The browser's PushSubscription JSON shape; `parse_subscription` reads it back."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def parse_subscription(raw: object, allow: AllowList) -> Subscription:
    """A browser's PushSubscription JSON, checked without contacting anything."""
    if not isinstance(raw, dict):
        raise InvalidSubscription("subscription must be a JSON object with endpoint and keys")
    endpoint = raw.get("endpoint")
    keys = raw.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidSubscription("subscription endpoint is missing")
    if len(endpoint) > MAX_ENDPOINT_CHARS:
        raise InvalidSubscription(f"subscription endpoint is longer than {MAX_ENDPOINT_CHARS}")
    if not allow.allows(endpoint):
        raise InvalidSubscription("subscription endpoint is not a push service this app sends to")
    if not isinstance(keys, dict):
        raise InvalidSubscription("subscription keys are missing")
    p256dh = _decoded_key(keys.get("p256dh"), "p256dh", 65)
    if p256dh[0] != 4 or not _on_p256(p256dh):
        raise InvalidSubscription("subscription key p256dh is not an uncompressed P-256 point")
    auth = _decoded_key(keys.get("auth"), "auth", 16)
    return Subscription(endpoint, b64encode(p256dh), b64encode(auth))


def _decoded_key(value: object, name: str, size: int) -> bytes:
    if not isinstance(value, str):
        raise InvalidSubscription(f"subscription key {name} is missing")
    raw = b64decode(value)
    if raw is None:
        raise InvalidSubscription(f"subscription key {name} is not base64url")
    if len(raw) != size:
        raise InvalidSubscription(f"subscription key {name} is not {size} bytes")
    return raw


# P-256 (SEC 2 secp256r1) curve constants, for the membership check below.
_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def _on_p256(point: bytes) -> bool:
    # The web route must not import cryptography, yet a point off the curve could never be
    # sent to; the curve equation is the whole of that check.
    x = int.from_bytes(point[1:33], "big")
    y = int.from_bytes(point[33:65], "big")
    return x < _P and y < _P and (y * y - (x * x * x - 3 * x + _B)) % _P == 0


def endpoint_target(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an endpoint fit to be POSTed to, or None."""
    if not isinstance(url, str) or not re.fullmatch(r"[\x21-\x7e]+", url) or "\\" in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or "@" in parts.netloc or not parts.hostname:
        return None
    if "#" in url:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        try:
            host = ipaddress.IPv6Address(host).compressed
        except ValueError:
            return None
    return scheme, host, port if port is not None else default_port(scheme)


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def b64decode(text: str) -> bytes | None:
    if not _B64URL.fullmatch(text):
        return None
    bare = text.rstrip("=")
    if len(bare) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        return None


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
