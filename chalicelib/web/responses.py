"""HTTP details in one place: response shapes, security headers, error statuses."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Request, Response

from chalicelib.thingspeak.errors import (
    ChannelNotFound,
    MalformedResponse,
    ReadKeyRequired,
    ReadKeyUnavailable,
    ThingSpeakError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

# The one table from failure to status. ReadKeyRequired is a 502, not a 4xx: the viewer
# did nothing wrong, the deployment is missing a credential for its upstream.
STATUS_BY_ERROR: dict[type[ThingSpeakError], int] = {
    ReadKeyRequired: 502,
    ReadKeyUnavailable: 502,
    ChannelNotFound: 404,
    UpstreamUnavailable: 502,
    MalformedResponse: 502,
    UpstreamTimeout: 504,
}

HTML = "text/html; charset=utf-8"
# What the static files send as bytes: Chalice's (and so API Gateway's) binary types.
BINARY_TYPES = ("image/png", "image/x-icon")
# Chalice's type for response headers (a list value sends the header several times).
Headers = dict[str, str | list[str]]
JSON = "application/json; charset=utf-8"


def status_for(error: ThingSpeakError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 502


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def html(body: str, status: int = 200, etag: str | None = None) -> Response:
    return Response(body=body, status_code=status, headers=_headers(HTML, status, etag))


def json_body(data: Any, status: int = 200, etag: str | None = None) -> Response:
    return json_text(json_dumps(data), status, etag)


def json_dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_text(body: str, status: int = 200, etag: str | None = None) -> Response:
    """A JSON body already serialised (a cached one)."""
    return Response(body=body, status_code=status, headers=_headers(JSON, status, etag))


def json_error(code: str, message: str, status: int, title: str | None = None) -> Response:
    error = {"code": code, "title": title or TITLES.get(code, code), "message": message}
    return json_body({"error": error}, status)


# Titles of the errors that are ours, not ThingSpeak's.
TITLES = {"bad_request": "Nothing to choose here", "not_found": "Page not found"}


def static(
    body: bytes, content_type: str, etag: str, cache_control: str = "public, max-age=86400"
) -> Response:
    # Icons and the manifest change only with a deploy (the service worker is revalidated
    # on every check). Chalice base64-encodes bytes for its binary types (image/png, and
    # image/x-icon, which app.py adds); text must reach it as str.
    headers: Headers = {"Content-Type": content_type, "Cache-Control": cache_control}
    headers["ETag"] = etag
    payload: bytes | str = body if content_type in BINARY_TYPES else body.decode("utf-8")
    return Response(body=payload, status_code=200, headers=headers)


# Link decorations that messengers and campaigns add; they choose nothing, so they are
# ignored rather than answered with a 400.
IGNORED_PARAMETERS = ("utm_", "fbclid", "gclid", "mc_")


def unexpected_parameters(query: Mapping[str, str] | None, several: bool = False) -> str | None:
    """Why the request is refused, if it tries to choose anything (channel, key, results).
    `several`: the site has several dashboards, so the words name the address, not one channel."""
    names = sorted(k for k in (query or {}) if not k.lower().startswith(IGNORED_PARAMETERS))
    if not names:
        return None
    shown = ", ".join(name[:40] for name in names[:5])
    if several:
        return (
            f"This address takes no parameters (got: {shown}). Each dashboard has its own "
            "address, /d/<name>, listed on the overview at /."
        )
    return (
        f"This address takes no parameters (got: {shown}). It always shows the channel "
        "this site is configured for."
    )


def not_modified(request_headers: Mapping[str, str], etag: str) -> bool:
    """If-None-Match with the weak comparison RFC 9110 prescribes for it."""
    header = request_headers.get("if-none-match")
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    return any(
        tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted for tag in header.split(",")
    )


def not_modified_response(etag: str, cache_control: str = "no-cache") -> Response:
    return Response(
        body="", status_code=304, headers={"ETag": etag, "Cache-Control": cache_control}
    )


def _headers(content_type: str, status: int, etag: str | None) -> Headers:
    # Readings are revalidated on every view (they change as often as every 15 s; the
    # ETag makes that a 304); errors must not be cached by browsers or API Gateway.
    headers: Headers = {
        "Content-Type": content_type,
        "Cache-Control": "no-cache" if status < 400 else "no-store",
    }
    if etag:
        headers["ETag"] = etag
    return headers


def add_security_headers(csp: str) -> Callable[[Request, Callable[[Request], Response]], Response]:
    """Chalice HTTP middleware: every response, error responses included, gets them."""
    headers = security_headers(csp)

    def middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
        response = get_response(event)
        own_csp = response.headers.get("Content-Security-Policy")  # the sign-in pages' own
        response.headers.update(headers)
        if own_csp:
            response.headers["Content-Security-Policy"] = own_csp
        return response

    return middleware


def head_like_get(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """HEAD gets GET's status and headers without the body (RFC 9110 9.3.2), its
    Content-Length included: the length the GET's body would have."""
    response = get_response(event)
    if event.method == "HEAD":
        response.headers["Content-Length"] = str(body_length(response.body))
        # Bytes stay bytes: Chalice refuses a str body for a binary type (an icon's HEAD).
        response.body = b"" if isinstance(response.body, bytes) else ""
    return response


def body_length(body: object) -> int:
    """Bytes on the wire for a Chalice body: str as UTF-8, bytes as they are (API Gateway
    decodes a binary type's base64), anything else as Chalice serialises it."""
    if isinstance(body, bytes):
        return len(body)
    if not isinstance(body, str):
        body = json.dumps(body, separators=(",", ":"))
    return len(body.encode("utf-8"))


def keep_head_length() -> None:
    """`chalice local` only: its server writes its own `Content-Length: 0` for an empty
    body, then ours, and a client reads one or both. For HEAD, keep just ours."""
    from chalice import local

    handler = local.ChaliceRequestHandler
    if getattr(handler, "_glance_head", False):
        return
    send_with_body = handler._send_http_response_with_body

    def send(self: Any, code: int, headers: Any, body: str | bytes) -> None:
        if self.command != "HEAD" or "Content-Length" not in headers:
            send_with_body(self, code, headers, body)
            return
        self.send_response(code)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)

    setattr(handler, "_send_http_response_with_body", send)  # noqa: B010
    setattr(handler, "_glance_head", True)  # noqa: B010
