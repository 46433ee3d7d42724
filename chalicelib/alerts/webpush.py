"""Web Push: browser subscriptions in, encrypted alerts out (RFC 8030, 8291, 8292).

The web handler only parses and checks subscriptions, so everything here that needs
`cryptography`, `http_ece`, `py_vapid` or `requests` imports it inside the function that
sends or makes keys: the page's cold start never pays for them.

The VAPID private key is the base64url of its raw 32-byte scalar (what `generate_vapid_keys`
returns and the SSM SecureString holds). It never appears in a log record, an exception
or a return value; subscription endpoints are capability URLs, so logs name only their host.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

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
        target = _target(url)
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
    return Subscription(endpoint, _b64encode(p256dh), _b64encode(auth))


def _decoded_key(value: object, name: str, size: int) -> bytes:
    if not isinstance(value, str):
        raise InvalidSubscription(f"subscription key {name} is missing")
    raw = _b64decode(value)
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


@dataclass(frozen=True)
class Delivery:
    """What a push service answered, and what that means for the subscription."""

    status: int | None  # the push service's answer; None when nothing answered
    outcome: Outcome


def send(
    subscription: Subscription,
    payload: bytes,
    vapid_private_key: str,
    subject: str,
    allow: AllowList,
    ttl: int = 86400,
    timeout: float = 5.0,
) -> Delivery:
    """Encrypt (aes128gcm), sign (VAPID) and POST one message.

    201/202: sent. 404/410: gone (delete the subscription); keys that can never be
    encrypted to count as gone too. Anything else, a refused endpoint or a network error:
    failed. Raises PushConfigError for an unusable key or subject, ValueError for a payload
    over MAX_PAYLOAD_BYTES or a negative ttl; never for the network.
    """
    host = _host_for_log(subscription.endpoint)
    if not allow.allows(subscription.endpoint):
        _log.warning("push to %s refused: not an allowed push service", host)
        return Delivery(None, "failed")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"push payload is {len(payload)} bytes; at most {MAX_PAYLOAD_BYTES}")
    if ttl < 0:
        raise ValueError("push ttl must be zero or more seconds")
    _check_subject(subject)
    signing_key = _private_key(vapid_private_key)
    try:
        body = _encrypt(payload, subscription)
    except ValueError:
        _log.warning("push to %s dropped: the subscription's keys are unusable", host)
        return Delivery(None, "gone")
    headers = {
        "Authorization": _vapid_authorization(signing_key, _origin(subscription.endpoint), subject),
        "TTL": str(ttl),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }
    return _post(subscription.endpoint, body, headers, timeout, host)


def generate_vapid_keys() -> tuple[str, str]:
    """(private key: base64url raw 32 bytes, public key: base64url uncompressed point)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = _b64encode(key.private_numbers().private_value.to_bytes(32, "big"))
    return private, _public_b64(key)


def public_key(vapid_private_key: str) -> str:
    """The browser's applicationServerKey for this private key."""
    return _public_b64(_private_key(vapid_private_key))


def _private_key(text: str) -> EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec

    raw = _b64decode(text.strip())
    if raw is None or len(raw) != 32:
        raise PushConfigError("VAPID private key must be the base64url of 32 bytes")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        raise PushConfigError("VAPID private key is not a valid P-256 key") from None


def _public_b64(key: EllipticCurvePrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return _b64encode(point)


def _check_subject(subject: str) -> None:
    parts = urlsplit(subject)
    if parts.scheme == "mailto" and "@" in parts.path:
        return
    if parts.scheme == "https" and parts.hostname:
        return
    raise PushConfigError("VAPID subject must be a mailto: address or an https: URL")


def _encrypt(payload: bytes, subscription: Subscription) -> bytes:
    import os

    import http_ece  # type: ignore[import-untyped]
    from cryptography.hazmat.primitives.asymmetric import ec

    receiver = _b64decode(subscription.p256dh)
    auth = _b64decode(subscription.auth)
    if receiver is None or auth is None:
        raise ValueError("subscription keys are not base64url")
    # A fresh sender key and salt per message, as RFC 8291 requires.
    body: bytes = http_ece.encrypt(
        payload,
        salt=os.urandom(16),
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=receiver,
        auth_secret=auth,
        version="aes128gcm",
    )
    return body


def _vapid_authorization(key: EllipticCurvePrivateKey, audience: str, subject: str) -> str:
    from py_vapid.jwt import sign  # type: ignore[import-untyped]

    # py_vapid's Vapid.sign() refuses an IPv6 audience, so sign the claims directly.
    claims = {"aud": audience, "exp": int(time.time()) + VAPID_LIFETIME_SECONDS, "sub": subject}
    token: str = sign(claims, key)
    return f"vapid t={token}, k={_public_b64(key)}"


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float, host: str) -> Delivery:
    import requests

    try:
        with requests.Session() as session:
            # No proxy or .netrc from the environment: a netrc entry would replace the
            # VAPID Authorization header, and a proxy would see every endpoint.
            session.trust_env = False
            # No redirects: a push service's Location could point anywhere, off the allow-list.
            response = session.post(
                url,
                data=body,
                headers=headers,
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,  # only the status matters; never read an unbounded body
            )
            status = response.status_code
            response.close()
    except requests.RequestException as error:
        _log.warning("push to %s failed: %s", host, type(error).__name__)
        return Delivery(None, "failed")
    if status in (201, 202):
        _log.info("push to %s sent (%d)", host, status)
        return Delivery(status, "sent")
    if status in (404, 410):
        _log.info("push to %s: subscription gone (%d)", host, status)
        return Delivery(status, "gone")
    _log.warning("push to %s failed: status %d", host, status)
    return Delivery(status, "failed")


def _target(url: str) -> tuple[str, str, int] | None:
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
    return scheme, host, port if port is not None else _default_port(scheme)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _origin(url: str) -> str:
    """RFC 6454 serialisation, which VAPID's `aud` must equal: no default port."""
    target = _target(url)
    if target is None:
        raise ValueError("not an endpoint URL")
    scheme, host, port = target
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" if port == _default_port(scheme) else f"{scheme}://{shown}:{port}"


def _host_for_log(url: str) -> str:
    target = _target(url)
    return target[1] if target is not None else "an invalid endpoint"


_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _b64decode(text: str) -> bytes | None:
    if not _B64URL.fullmatch(text):
        return None
    bare = text.rstrip("=")
    if len(bare) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        return None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
