"""The WebAuthn ceremonies (POST /api/access/<step>), with Yubico's fido2 library.

Imported only by the sign-in routes: no page's cold start loads fido2 or what it pulls in.

- register-options {token} / register {token, credential}: an invitation's passkey. The
  token is checked (not used up) for the options, and taken, once, when the new
  credential has been verified; that device is then signed in.
- signin-options {} / signin {credential, next}: any passkey of this site (discoverable
  credentials: no user name is asked).

The challenge travels in a short-lived cookie signed with the session secret, so no
ceremony is stored anywhere. Every step checks Origin against SITE_URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from chalice.app import Response
from fido2.server import Fido2Server
from fido2.webauthn import (
    AttestedCredentialData,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from chalicelib.access.gate import Access
from chalicelib.access.pages import cross_site
from chalicelib.access.session import (
    CHALLENGE_COOKIE,
    cookie_value,
    local_next,
    passkey_id,
    same_origin,
)
from chalicelib.access.store import AccessStoreError, Invitation, Passkey, token_hash
from chalicelib.logs import note
from chalicelib.web import responses

MAX_BODY_BYTES = 16384
CEREMONY_SECONDS = 300
STEPS = ("signin-options", "signin", "register-options", "register")


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def respond(
    step: str,
    access: Access,
    known_dashboards: tuple[str, ...],
    headers: Mapping[str, str],
    raw_body: bytes | str | None,
) -> Response:
    if step not in STEPS:
        return responses.json_error("not_found", "There is no such sign-in step.", 404)
    if not same_origin(headers, access.site) or access.site is None:
        return cross_site()
    if not access.enabled:
        return _error("sign_in_unavailable", "Sign-in is not set up on this site.", 503)
    try:
        body = _body(raw_body)
        ceremony = _Ceremony(access, headers)
        if step == "signin-options":
            return ceremony.signin_options()
        if step == "signin":
            return ceremony.signin(body)
        if step == "register-options":
            return ceremony.register_options(body)
        return ceremony.register(body, known_dashboards)
    except _Refused as refused:
        return refused.response
    except AccessStoreError as exc:
        note(access_error=str(exc))
        return _error("sign_in_unavailable", "Sign-in could not be reached; try again.", 503)


class _Ceremony:
    def __init__(self, access: Access, headers: Mapping[str, str]) -> None:
        assert access.site is not None
        self.access = access
        self.headers = headers
        site = access.site
        self.server = Fido2Server(
            PublicKeyCredentialRpEntity(name="ThingSpeak Glance", id=site.host),
            verify_origin=lambda origin: origin == site.origin,
        )

    def signin_options(self) -> Response:
        options, state = self.server.authenticate_begin(
            user_verification=UserVerificationRequirement.PREFERRED
        )
        return self._with_challenge(dict(options), "get", state, "")

    def signin(self, body: Mapping[str, Any]) -> Response:
        state = self._challenge("get", "")
        credential = body.get("credential")
        if not isinstance(credential, dict) or not isinstance(credential.get("rawId"), str):
            raise _Refused(_bad("credential is missing"))
        found = self.access.store().passkey(passkey_id(_unb64(credential["rawId"])))
        if found is None:
            raise _Refused(_failed("This passkey is not (or no longer) allowed here."))
        try:
            self.server.authenticate_complete(
                state, [AttestedCredentialData(found.credential)], credential
            )
        except Exception as exc:  # the library says ValueError; a malformed body, others
            note(access_error=f"sign-in refused: {exc}"[:200])
            raise _Refused(_failed("The passkey could not be verified.")) from None
        self.access.store().touch(found.id, self.access.now())
        note(signed_in=found.id)
        next_ = local_next(body.get("next") if isinstance(body.get("next"), str) else None)
        return self._signed_in({"next": next_}, found.id, found.dashboards)

    def register_options(self, body: Mapping[str, Any]) -> Response:
        invitation = self._invitation(body)
        user = PublicKeyCredentialUserEntity(
            name=invitation.label or "Glance",
            id=secrets.token_bytes(16),
            display_name=invitation.label or "ThingSpeak Glance",
        )
        options, state = self.server.register_begin(
            user,
            resident_key_requirement=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        return self._with_challenge(dict(options), "create", state, invitation.token_hash)

    def register(self, body: Mapping[str, Any], known: tuple[str, ...]) -> Response:
        invitation = self._invitation(body)
        state = self._challenge("create", invitation.token_hash)
        credential = body.get("credential")
        if not isinstance(credential, dict):
            raise _Refused(_bad("credential is missing"))
        try:
            auth_data = self.server.register_complete(state, credential)
        except Exception as exc:
            note(access_error=f"registration refused: {exc}"[:200])
            raise _Refused(_failed("The new passkey could not be verified.")) from None
        data = auth_data.credential_data
        assert data is not None
        now = self.access.now()
        store = self.access.store()
        taken = store.take_invitation(invitation.token_hash, now)  # single use: one winner
        if taken is None:
            raise _Refused(_gone())
        dashboards = taken.dashboards
        if dashboards is not None:
            dashboards = tuple(d for d in dashboards if d in known)
        passkey = Passkey(
            id=passkey_id(data.credential_id),
            credential=bytes(data),
            label=taken.label,
            dashboards=dashboards,
            created=int(now),
            last_used=int(now),
        )
        store.add_passkey(passkey)
        note(passkey_created=passkey.id)
        return self._signed_in({"next": "/"}, passkey.id, passkey.dashboards, status=201)

    def _invitation(self, body: Mapping[str, Any]) -> Invitation:
        token = body.get("token")
        if not isinstance(token, str) or not 16 <= len(token) <= 200:
            raise _Refused(_gone())
        found = self.access.store().invitation(token_hash(token), self.access.now())
        if found is None:
            raise _Refused(_gone())
        return found

    def _signed_in(
        self,
        data: dict[str, Any],
        passkey: str,
        dashboards: tuple[str, ...] | None,
        status: int = 200,
    ) -> Response:
        response = responses.json_body(data, status)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Set-Cookie"] = self.access.issue(passkey, dashboards)
        return response

    # --- the challenge, in a signed cookie --------------------------------------------------

    def _with_challenge(
        self, options: dict[str, Any], kind: str, state: Mapping[str, Any], bound: str
    ) -> Response:
        expires = int(self.access.now()) + CEREMONY_SECONDS
        uv = getattr(state.get("user_verification"), "value", None) or ""
        payload = f"{kind}.{state['challenge']}.{uv}.{bound or '-'}.{expires}"
        value = f"{payload}.{self._mac(payload)}"
        response = responses.json_body(_jsonable(options))
        response.headers["Cache-Control"] = "no-store"
        secure = "; Secure" if self.access.site and self.access.site.secure else ""
        response.headers["Set-Cookie"] = (
            f"{CHALLENGE_COOKIE}={value}; Max-Age={CEREMONY_SECONDS}; Path=/api/access; "
            f"HttpOnly; SameSite=Strict{secure}"
        )
        return response

    def _challenge(self, kind: str, bound: str) -> dict[str, Any]:
        value = cookie_value(self.headers, CHALLENGE_COOKIE) or ""
        parts = value.split(".")
        if len(parts) == 6:
            payload = ".".join(parts[:5])
            seen_kind, challenge, uv, seen_bound, expires, mac = parts
            if (
                hmac.compare_digest(mac, self._mac(payload))
                and seen_kind == kind
                and seen_bound == (bound or "-")
                and expires.isdigit()
                and int(expires) >= self.access.now()
            ):
                return {"challenge": challenge, "user_verification": uv or None}
        raise _Refused(_failed("The sign-in took too long or was started elsewhere; try again."))

    def _mac(self, payload: str) -> str:
        assert self.access.secret is not None
        key = hashlib.sha256(b"ceremony:" + self.access.secret().encode()).digest()
        mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _jsonable(value: Any) -> Any:
    """fido2's option objects as JSON: bytes as base64url, enums as their values."""
    if isinstance(value, bytes):
        return base64.urlsafe_b64encode(value).decode().rstrip("=")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):
        return value.value
    return value


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise _Refused(_bad("rawId is not base64url")) from None


def _body(raw_body: bytes | str | None) -> dict[str, Any]:
    if raw_body is not None and len(raw_body) > MAX_BODY_BYTES:
        raise _Refused(_bad("the body is too large"))
    try:
        data = json.loads(raw_body or b"{}")
    except (ValueError, RecursionError):
        raise _Refused(_bad("the body is not JSON")) from None
    if not isinstance(data, dict):
        raise _Refused(_bad("the body must be a JSON object"))
    return data


def _error(code: str, message: str, status: int, title: str = "Sign-in failed") -> Response:
    response = responses.json_error(code, message, status, title)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _bad(message: str) -> Response:
    return _error("bad_request", message[:1].upper() + message[1:] + ".", 400, "Bad request")


def _failed(message: str) -> Response:
    return _error("sign_in_failed", message, 401)


def _gone() -> Response:
    return _error(
        "invitation_gone",
        "This invitation has been used or has expired: ask for a new link.",
        410,
        "Invitation used or expired",
    )
