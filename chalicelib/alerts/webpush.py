"""Web Push out: encrypted alerts to browsers (RFC 8030, 8291, 8292), and VAPID keys.

Everything that needs `cryptography`, `http_ece`, `py_vapid` or `requests` imports it
inside the function that sends or makes keys: only the scheduled check ever pays for them.

The VAPID private key is the base64url of its raw 32-byte scalar (what `generate_vapid_keys`
returns and the SSM SecureString holds). It never appears in a log record, an exception
or a return value; subscription endpoints are capability URLs, so logs name only their host.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from chalicelib.alerts.subscriptions import (
    MAX_PAYLOAD_BYTES,
    VAPID_LIFETIME_SECONDS,
    AllowList,
    Outcome,
    PushConfigError,
    Subscription,
    b64decode,
    b64encode,
    default_port,
    endpoint_target,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

_log = logging.getLogger(__name__)


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
    private = b64encode(key.private_numbers().private_value.to_bytes(32, "big"))
    return private, _public_b64(key)


def public_key(vapid_private_key: str) -> str:
    """The browser's applicationServerKey for this private key."""
    return _public_b64(_private_key(vapid_private_key))


def _private_key(text: str) -> EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec

    raw = b64decode(text.strip())
    if raw is None or len(raw) != 32:
        raise PushConfigError("VAPID private key must be the base64url of 32 bytes")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        raise PushConfigError("VAPID private key is not a valid P-256 key") from None


def _public_b64(key: EllipticCurvePrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64encode(point)


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

    receiver = b64decode(subscription.p256dh)
    auth = b64decode(subscription.auth)
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


def _origin(url: str) -> str:
    """RFC 6454 serialisation, which VAPID's `aud` must equal: no default port."""
    target = endpoint_target(url)
    if target is None:
        raise ValueError("not an endpoint URL")
    scheme, host, port = target
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" if port == default_port(scheme) else f"{scheme}://{shown}:{port}"


def _host_for_log(url: str) -> str:
    target = endpoint_target(url)
    return target[1] if target is not None else "an invalid endpoint"
