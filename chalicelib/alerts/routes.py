"""The alert routes, as a Blueprint that app.py registers: the push key and (un)subscribing.

The handlers (push_api.py) are imported inside each route, so the page's cold start
never loads them, nor the store or crypto behind them.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Blueprint, Request, Response

from chalicelib.config.model import Config

alert_routes = Blueprint(__name__)
_config: list[Callable[[], Config]] = []


def serve_config(config: Callable[[], Config]) -> None:
    """Where the routes find the site's configuration (asked per request, so a test can
    swap the site)."""
    _config[:] = [config]


@alert_routes.route("/api/push/key", methods=["GET", "HEAD"])
def push_key() -> Response:
    from chalicelib.alerts import push_api

    return push_api.push_key()


@alert_routes.route("/api/push/subscriptions", methods=["POST", "DELETE"])
def push_subscriptions() -> Response:
    from chalicelib.alerts import push_api

    request = _request()
    return push_api.subscriptions(_config[0](), request.method, request.raw_body)


def _request() -> Request:
    request = alert_routes.current_request
    assert request is not None  # Chalice sets it before calling any view
    return request
