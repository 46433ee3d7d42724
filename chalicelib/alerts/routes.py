"""The alert routes, as a Blueprint that app.py registers: the push key and (un)subscribing.

The handlers (push_api.py) are imported inside each route, so the page's cold start
never loads them, nor the store or crypto behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Request, Response

from chalicelib.config.model import Config

if TYPE_CHECKING:
    from chalicelib.web.root import Site

alert_routes = Blueprint(__name__)
_config: list[Callable[[], Config]] = []
_site: list[Callable[[], Site]] = []


def serve_config(config: Callable[[], Config], site: Callable[[], Site] | None = None) -> None:
    """Where the routes find the site's configuration and its access check (asked per
    request, so a test can swap the site)."""
    _config[:] = [config]
    _site[:] = [site] if site else []


@alert_routes.route("/api/push/key", methods=["GET", "HEAD"])
def push_key() -> Response:
    from chalicelib.alerts import push_api

    return push_api.push_key()


@alert_routes.route("/api/push/subscriptions", methods=["POST", "DELETE"])
def push_subscriptions() -> Response:
    from chalicelib.access.pages import cross_site
    from chalicelib.access.session import ANONYMOUS, same_origin
    from chalicelib.alerts import push_api

    request = _request()
    viewer, cookie = ANONYMOUS, None
    if _site:
        site = _site[0]()
        # Changing what a phone is sent: never on another site's behalf.
        if not same_origin(request.headers, site.access.site):
            return cross_site()
        viewer, cookie = site.visitor(request.headers)
    response = push_api.subscriptions(_config[0](), request.method, request.raw_body, viewer=viewer)
    if cookie:
        response.headers["Set-Cookie"] = cookie
    return response


def _request() -> Request:
    request = alert_routes.current_request
    assert request is not None  # Chalice sets it before calling any view
    return request
