"""The sign-in routes, as a Blueprint that app.py registers: /signin, /join (an
invitation), /signout and the WebAuthn ceremonies. The pages load no WebAuthn code; only
`POST /api/access/<step>` imports it (ceremonies.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Request, Response

if TYPE_CHECKING:
    from chalicelib.web.root import Site

access_routes = Blueprint(__name__)
_site: list[Callable[[], Site]] = []
READ = ["GET", "HEAD"]


def serve_site(site: Callable[[], Site]) -> None:
    """Where the routes find the site (asked per request, so a test can swap it)."""
    _site[:] = [site]


@access_routes.route("/signin", methods=READ)
def signin() -> Response:
    return _page("signin")


@access_routes.route("/join", methods=READ)
def join() -> Response:
    """An invitation's page; the token follows in the link's #fragment."""
    return _page("join")


@access_routes.route("/signout", methods=["GET", "HEAD", "POST"])
def signout() -> Response:
    request = _request()
    if request.method == "POST":
        return _site[0]().access_pages.sign_out(request.headers)
    return _page("signout")


@access_routes.route("/api/access/{step}", methods=["POST"])
def access_step(step: str) -> Response:
    from chalicelib.access import ceremonies

    site, request = _site[0](), _request()
    names = tuple(d.name for d in site.config.dashboards)
    return ceremonies.respond(step, site.access, names, request.headers, request.raw_body)


def _page(mode: str) -> Response:
    site, request = _site[0](), _request()
    viewer, _ = site.visitor(request.headers)
    return site.access_pages.page(mode, request.query_params, viewer.signed_in)


def _request() -> Request:
    request = access_routes.current_request
    assert request is not None  # Chalice sets it before calling any view
    return request
