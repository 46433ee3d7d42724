"""One structured JSON line per request, for CloudWatch Logs Insights.

Lambda sends stdout to CloudWatch as one event per line, and Logs Insights discovers the
fields of a JSON event by itself (`fields route, status, cache, upstream_ms`). Whatever
runs during the request adds its facts with `note(...)`; the middleware writes the line.
Nothing secret is ever noted: the read key, URLs with query strings and raw upstream
bodies never reach this module.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the ThingSpeak client notes its facts before Chalice has loaded
    from chalice.app import Request, Response

_facts: ContextVar[dict[str, Any] | None] = ContextVar("request_facts", default=None)


def note(**facts: Any) -> None:
    current = _facts.get()
    if current is not None:
        current.update(facts)


def access_log(event: Request, get_response: Callable[[Request], Response]) -> Response:
    started = time.perf_counter()
    facts: dict[str, Any] = {}
    token = _facts.set(facts)
    status = 500
    try:
        response = get_response(event)
        status = response.status_code
        return response
    finally:
        _facts.reset(token)
        context = event.context or {}
        line = {
            "msg": "request",
            "method": event.method,
            "route": context.get("resourcePath", event.path),
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "request_id": context.get("requestId"),
            **facts,
        }
        sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
