"""A Web Push service stand-in on loopback, strict the way real ones are.

`with PushService() as push:` serves http://127.0.0.1:<free port> from a thread until the
block ends. `push.subscribe()` plays the browser: it makes a key pair and auth secret and
returns PushSubscription JSON. Every POST to an endpoint must carry a valid VAPID JWT
(RFC 8292), a TTL and an aes128gcm body the subscription can decrypt (RFC 8291); what
passes is kept in `messages` (decrypted), what fails is answered 400/401/403 and kept
in `requests` with the reason. The decryption and JWT checks are written here from the
RFCs with `cryptography`'s primitives, not with the sender's libraries, so a mistake in
how the app uses those libraries cannot cancel itself out.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAX_BODY = 4096  # RFC 8030 section 7.2: what every push service must accept, and no more here
MAX_EXP_AHEAD = 24 * 3600  # RFC 8292 section 2


class Refused(Exception):
    """Why a request is refused, and with which status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def point(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def decrypt_push_message(
    body: bytes, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes
) -> bytes:
    """The browser's side of RFC 8291 (over RFC 8188's aes128gcm); Refused(400) if wrong."""
    if len(body) < 21:
        raise Refused(400, "body shorter than the aes128gcm header")
    salt, record_size, id_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    sender, ciphertext = body[21 : 21 + id_length], body[21 + id_length :]
    if id_length != 65:
        raise Refused(400, "keyid is not the sender's uncompressed P-256 key")
    if len(ciphertext) < 17 or len(ciphertext) > record_size:
        raise Refused(400, "body is not exactly one record")  # RFC 8291 section 4
    try:
        sender_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender)
    except ValueError:
        raise Refused(400, "keyid is not a point on P-256") from None
    shared = private_key.exchange(ec.ECDH(), sender_key)
    key_info = b"WebPush: info\x00" + point(private_key) + sender
    ikm = HKDF(hashes.SHA256(), 32, salt=auth_secret, info=key_info).derive(shared)
    cek = HKDF(hashes.SHA256(), 16, salt=salt, info=b"Content-Encoding: aes128gcm\x00").derive(ikm)
    nonce = HKDF(hashes.SHA256(), 12, salt=salt, info=b"Content-Encoding: nonce\x00").derive(ikm)
    try:
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
    except InvalidTag:
        raise Refused(400, "body does not decrypt with this subscription's keys") from None
    unpadded = padded.rstrip(b"\x00")
    if not unpadded.endswith(b"\x02"):
        raise Refused(400, "last record lacks its 0x02 delimiter")
    return unpadded[:-1]


def verify_vapid(
    authorization: str | None, audience: str, now: float
) -> tuple[dict[str, Any], str]:
    """(claims, k) of an RFC 8292 `vapid t=..., k=...` header; Refused(401) if not valid."""
    scheme, _, params = (authorization or "").partition(" ")
    if scheme.lower() != "vapid":
        raise Refused(401, "Authorization is not vapid")
    values: dict[str, str] = {}
    for part in params.split(","):
        name, _, value = part.strip().partition("=")
        values[name] = value
    token, k = values.get("t", ""), values.get("k", "")
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(k))
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(unb64url(header_b64))
        claims = json.loads(unb64url(claims_b64))
        signature = unb64url(signature_b64)
    except ValueError:
        raise Refused(401, "VAPID t or k is malformed") from None
    if not isinstance(header, dict) or header.get("alg") != "ES256" or len(signature) != 64:
        raise Refused(401, "VAPID JWT is not ES256")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refused(401, "VAPID signature does not verify with k") from None
    if not isinstance(claims, dict):
        raise Refused(401, "VAPID claims are not an object")
    if claims.get("aud") != audience:
        raise Refused(401, f"VAPID aud {claims.get('aud')!r} is not {audience!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool) or not now < exp <= now + MAX_EXP_AHEAD:
        raise Refused(401, "VAPID exp is not in the next 24 hours")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not _valid_subject(sub):
        raise Refused(401, "VAPID sub is not a mailto: or https: URL")
    return claims, k


def _valid_subject(sub: str) -> bool:
    parts = urlsplit(sub)
    return (parts.scheme == "mailto" and "@" in parts.path) or (
        parts.scheme == "https" and bool(parts.hostname)
    )


@dataclass(frozen=True)
class BrowserSubscription:
    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    auth: bytes = field(repr=False)
    application_server_key: str | None = None  # set: only that VAPID key may push here

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point(self.private_key)), "auth": b64url(self.auth)},
        }


@dataclass(frozen=True)
class Message:
    """A push the stand-in verified and decrypted."""

    subscription_id: str
    plaintext: bytes
    headers: Mapping[str, str]
    claims: Mapping[str, Any]
    vapid_key: str  # the `k` it was signed with


@dataclass(frozen=True)
class SeenRequest:
    """Any request that reached the stand-in, and how it was answered."""

    method: str
    path: str
    subscription_id: str | None
    headers: Mapping[str, str]
    body: bytes
    status: int
    reason: str  # "" when delivered


@dataclass(frozen=True)
class Canned:
    status: int
    headers: Mapping[str, str]


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.subscriptions: dict[str, BrowserSubscription] = {}
        self.canned: dict[str, Canned] = {}
        self.messages: list[Message] = []
        self.requests: list[SeenRequest] = []
        self.connections = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 5  # a stalled client cannot hold a handler thread past this

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `requests`, not stderr

    def do_POST(self) -> None:
        headers = {name: value for name, value in self.headers.items()}
        body = b""
        sub_id = None
        try:
            body = self._body()  # read first: refusing unread data would reset the connection
            sub_id, subscription = self._subscription()
            with self.server.state.lock:
                canned = self.server.state.canned.get(sub_id)
            if canned is not None:
                self._record(sub_id, headers, body, canned.status, "told to answer so")
                self._answer(canned.status, canned.headers)
                return
            message = self._verify(subscription, headers, body)
        except Refused as refused:
            self._record(sub_id, headers, body, refused.status, refused.reason)
            self._answer(refused.status)
            return
        with self.server.state.lock:
            self.server.state.messages.append(message)
        self._record(sub_id, headers, body, 201, "")
        self._answer(201, {"Location": f"/message/{uuid.uuid4().hex}"})

    def do_GET(self) -> None:
        self._record(None, dict(self.headers.items()), b"", 405, "only POST")
        self._answer(405)

    def _subscription(self) -> tuple[str, BrowserSubscription]:
        prefix, _, sub_id = self.path.partition("/push/")
        with self.server.state.lock:
            subscription = self.server.state.subscriptions.get(sub_id)
        if prefix or subscription is None:
            raise Refused(404, "no such subscription")
        return sub_id, subscription

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise Refused(411, "no Content-Length")
        if int(length) > MAX_BODY:
            raise Refused(413, f"body over {MAX_BODY} bytes")
        return self.rfile.read(int(length))

    def _verify(
        self, subscription: BrowserSubscription, headers: Mapping[str, str], body: bytes
    ) -> Message:
        claims, k = verify_vapid(headers.get("Authorization"), self.server.origin, time.time())
        expected_key = subscription.application_server_key
        if expected_key is not None and k != expected_key:
            raise Refused(403, "VAPID key is not the subscription's applicationServerKey")
        ttl = headers.get("TTL")
        if ttl is None or not ttl.isdigit():
            raise Refused(400, "TTL header missing or not a number")
        if headers.get("Content-Encoding") != "aes128gcm":
            raise Refused(400, "Content-Encoding is not aes128gcm")
        plaintext = decrypt_push_message(body, subscription.private_key, subscription.auth)
        return Message(subscription.id, plaintext, headers, claims, k)

    def _answer(self, status: int, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # Recorded before answering: a test reads `requests` as soon as its client has the answer.
    def _record(
        self,
        sub_id: str | None,
        headers: Mapping[str, str],
        body: bytes,
        status: int,
        reason: str,
    ) -> None:
        seen = SeenRequest(self.command, self.path, sub_id, headers, body, status, reason)
        with self.server.state.lock:
            self.server.state.requests.append(seen)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, state: _State) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.state = state
        super().__init__((host, 0), _Handler)
        shown = f"[{host}]" if ":" in host else host
        self.origin = f"http://{shown}:{self.server_address[1]}"

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.state.lock:
            self.state.connections += 1
        return True


class PushService:
    """The stand-in; start it with `with`, and it stops when the block ends."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._state = _State()
        self._server = _Server(host, self._state)
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        return self._server.origin

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def subscribe(self, application_server_key: str | None = None) -> dict[str, Any]:
        """A new subscription, as a browser's PushSubscription.toJSON() gives it."""
        sub_id = uuid.uuid4().hex
        subscription = BrowserSubscription(
            sub_id,
            f"{self.origin}/push/{sub_id}",
            ec.generate_private_key(ec.SECP256R1()),
            uuid.uuid4().bytes,  # 16 random bytes, like the browser's auth secret
            application_server_key,
        )
        with self._state.lock:
            self._state.subscriptions[sub_id] = subscription
        return subscription.to_json()

    def answer(
        self,
        subscription: Mapping[str, Any] | str,
        status: int | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer every push to this subscription with `status` unchecked; None: back to normal."""
        sub_id = self._id(subscription)
        with self._state.lock:
            if status is None:
                self._state.canned.pop(sub_id, None)
            else:
                self._state.canned[sub_id] = Canned(status, dict(headers or {}))

    def messages_for(self, subscription: Mapping[str, Any] | str) -> list[bytes]:
        sub_id = self._id(subscription)
        return [m.plaintext for m in self.messages if m.subscription_id == sub_id]

    @property
    def messages(self) -> list[Message]:
        with self._state.lock:
            return list(self._state.messages)

    @property
    def requests(self) -> list[SeenRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def connections(self) -> int:
        """TCP connections accepted so far, whether or not a request followed."""
        with self._state.lock:
            return self._state.connections

    def _id(self, subscription: Mapping[str, Any] | str) -> str:
        endpoint = subscription if isinstance(subscription, str) else subscription["endpoint"]
        return str(endpoint).rpartition("/push/")[2]

    def start(self) -> PushService:
        if self._thread is not None:
            raise RuntimeError("a PushService starts once")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # bounds how long stop() waits
            name=f"push-service {self.origin}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=2)
        with contextlib.suppress(OSError):
            self._server.server_close()

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
