"""Handlers of the push routes (routes.py): the VAPID public key, and (un)subscribing.

Bodies are small, checked JSON; an endpoint off the push-service allow-list is refused
before anything is stored (and so is never contacted); each dashboard has at most
MAX_SUBSCRIPTIONS. Nothing here can read the VAPID private key: the public key comes
from the store, where `python -m deploy.alerts setup` put it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import weakref
from collections.abc import Mapping
from typing import Any

from chalice.app import Response

from chalicelib.access.session import ANONYMOUS, Viewer
from chalicelib.alerts.store import MAX_SUBSCRIPTIONS, AlertStore, StoreError, store_from_env
from chalicelib.alerts.subscriptions import (
    MAX_ENDPOINT_CHARS,
    InvalidSubscription,
    PushConfigError,
    parse_allowed_hosts,
    parse_subscription,
)
from chalicelib.config.model import Config
from chalicelib.logs import note
from chalicelib.web import responses

# A browser's PushSubscription JSON is about 400 bytes with an FCM endpoint.
MAX_BODY_BYTES = 4096
SHAPE = '{"dashboard": "<name>", "subscription": {"endpoint": "https://...", "keys": {...}}}'


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


# The public key once found, per store: read once per container, not on every visit (a
# new key, from setup run again, reaches the web function with its next containers).
_public_keys: weakref.WeakKeyDictionary[AlertStore, str] = weakref.WeakKeyDictionary()


def push_key(env: Mapping[str, str] | None = None) -> Response:
    try:
        store = _store(env)
        key = _public_keys.get(store)
        if key is None:
            key = store.public_key()
            if key:
                _public_keys[store] = key
    except _Refused as refused:
        return refused.response
    except StoreError as exc:
        return _unavailable(exc)
    if not key:
        return responses.json_error(
            "alerts_not_ready",
            "Alerts are being set up: the push key is not stored yet "
            "(the site's owner runs python -m deploy.alerts setup).",
            503,
            "Alerts are not ready",
        )
    return responses.json_body({"publicKey": key})


def subscriptions(
    config: Config,
    method: str,
    raw_body: bytes | str | None,
    env: Mapping[str, str] | None = None,
    now: float | None = None,
    viewer: Viewer = ANONYMOUS,
) -> Response:
    """POST: 201 (again for a known subscription). DELETE: 204, known or not. A private
    dashboard's alerts need a session allowed to see it; changing or removing a known
    subscription needs its own `auth` secret."""
    env = os.environ if env is None else env
    try:
        store = _store(env)
        dashboard, raw = _body(raw_body)
        found = config.dashboard(dashboard)
        if found is None or not viewer.may_see(found):
            if config.has_private and not viewer.signed_in:
                # Private or unknown: the same answer, so neither can be told apart.
                from chalicelib.access.pages import sign_in_required

                raise _Refused(sign_in_required())
            shown = dashboard[:80]
            raise _Refused(
                responses.json_error(
                    "not_found", f"There is no dashboard called {shown!r} here.", 404
                )
            )
        if method == "DELETE":
            endpoint = raw.get("endpoint") if isinstance(raw, dict) else None
            if not isinstance(endpoint, str) or not 0 < len(endpoint) <= MAX_ENDPOINT_CHARS:
                raise _Refused(_bad("subscription endpoint is missing or too long"))
            keys = raw.get("keys")
            auth = keys.get("auth") if isinstance(keys, dict) else None
            if not isinstance(auth, str) or not auth:
                raise _Refused(_bad("subscription keys.auth is missing"))
            if store.unsubscribe(dashboard, endpoint, _canonical(auth)) == "not_yours":
                raise _Refused(_not_yours())
            return Response(body="", status_code=204)
        try:
            subscription = parse_subscription(
                raw, parse_allowed_hosts(env.get("PUSH_SERVICE_HOSTS"))
            )
        except InvalidSubscription as exc:
            raise _Refused(_bad(str(exc))) from None
        if not found.public:
            subscription = dataclasses.replace(subscription, owner=viewer.passkey)
        added = store.subscribe(dashboard, subscription, time.time() if now is None else now)
    except _Refused as refused:
        return refused.response
    except StoreError as exc:
        return _unavailable(exc)
    except PushConfigError as exc:
        note(alerts_error=str(exc))
        return responses.json_error(
            "alerts_misconfigured", "Alerts are misconfigured.", 503, "Alerts are off"
        )
    if added == "not_yours":
        return _not_yours()
    if added == "full":
        return responses.json_error(
            "too_many_subscriptions",
            f"This dashboard already notifies {MAX_SUBSCRIPTIONS} browsers, its limit: "
            "turn notifications off on one you no longer use.",
            409,
            "Too many subscriptions",
        )
    return responses.json_body({"dashboard": dashboard, "subscribed": True}, 201)


def _canonical(auth: str) -> str:
    """The auth secret as the store keeps it (unpadded base64url), however it was sent."""
    return auth.strip().rstrip("=").replace("+", "-").replace("/", "_")


def _not_yours() -> Response:
    return responses.json_error(
        "not_yours",
        "This subscription can be changed only by the browser that made it.",
        403,
        "Not your subscription",
    )


def _store(env: Mapping[str, str] | None) -> AlertStore:
    store = store_from_env(os.environ if env is None else env)
    if store is None:
        raise _Refused(
            responses.json_error(
                "alerts_off",
                "This site has no alerts set up (its owner turns them on with "
                "python -m deploy.alerts setup).",
                404,
                "Alerts are not turned on",
            )
        )
    return store


def _body(raw_body: bytes | str | None) -> tuple[str, Any]:
    if raw_body is not None and len(raw_body) > MAX_BODY_BYTES:
        raise _Refused(
            responses.json_error(
                "too_large", f"The body is over {MAX_BODY_BYTES} bytes.", 413, "Body too large"
            )
        )
    try:
        data = json.loads(raw_body or b"")
    except (ValueError, RecursionError):
        raise _Refused(_bad(f"the body is not JSON; send {SHAPE}")) from None
    if not isinstance(data, dict) or set(data) != {"dashboard", "subscription"}:
        raise _Refused(_bad(f"the body must be exactly {SHAPE}"))
    dashboard = data["dashboard"]
    if not isinstance(dashboard, str) or not dashboard:
        raise _Refused(_bad("dashboard must be a dashboard's name"))
    return dashboard, data["subscription"]


def _bad(message: str) -> Response:
    return responses.json_error(
        "bad_request", message[:1].upper() + message[1:] + ".", 400, "Bad request"
    )


def _unavailable(exc: StoreError) -> Response:
    note(alerts_error=str(exc))  # the owner's clue goes to the log, not to the visitor
    return responses.json_error(
        "alerts_unavailable",
        "Alerts could not be reached just now; try again in a minute.",
        503,
        "Alerts are unavailable",
    )
