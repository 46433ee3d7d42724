"""HTTP details in one place: response shapes, security headers, error statuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.errors import (
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


def html(body: str, status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers=_headers(HTML, status))


def json_body(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body=body, status_code=status, headers=_headers(JSON, status))


def _headers(content_type: str, status: int) -> dict[str, str]:
    # Errors must not be cached by browsers or API Gateway; readings are revalidated
    # on every view because they change as often as every 15 seconds.
    return {
        "Content-Type": content_type,
        "Cache-Control": "no-cache" if status < 400 else "no-store",
    }


def add_security_headers(csp: str) -> Callable[[Request, Callable[[Request], Response]], Response]:
    """Chalice HTTP middleware: every response, error responses included, gets them."""
    headers = security_headers(csp)

    def middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
        response = get_response(event)
        response.headers.update(headers)
        return response

    return middleware
