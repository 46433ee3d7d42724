"""The sign-in pages and the answers a visitor without a session gets. Standard library
only: the WebAuthn library loads in ceremonies.py, on the sign-in routes alone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property

from chalice.app import Response

from chalicelib.access.gate import Access
from chalicelib.access.session import local_next, same_origin, signin_location
from chalicelib.web import responses
from chalicelib.web.rendering import TEMPLATES_DIR, Renderer, _sha256

NOINDEX = "noindex"
SIGN_IN_REQUIRED = "sign_in_required"
PRIVATE_CACHE = "private, no-cache"
# Read by the service worker (templates/sw.js): no offline copy after the session lapses.
PRIVATE_UNTIL = "X-Glance-Private-Until"


def mark_private(
    response: Response, cookie: str | None = None, until: int | None = None
) -> Response:
    """A response that carries (or stands in for) private data: never shared by a cache,
    varies with the cookie, never indexed."""
    headers = response.headers
    if response.status_code < 400:
        headers["Cache-Control"] = PRIVATE_CACHE
        if until is not None:
            headers[PRIVATE_UNTIL] = str(until)
    headers["Vary"] = "Cookie"
    headers["X-Robots-Tag"] = NOINDEX
    if cookie:
        headers["Set-Cookie"] = cookie
    return response


def to_signin(path: str, cookie: str | None = None) -> Response:
    """303 to the sign-in page, for a private page (or one that does not exist)."""
    response = Response(
        body="",
        status_code=303,
        headers={"Location": signin_location(path), "Cache-Control": "no-store"},
    )
    return mark_private(response, cookie)


def sign_in_required(cookie: str | None = None) -> Response:
    response = responses.json_error(
        SIGN_IN_REQUIRED,
        "Sign in to see this (with a passkey, at /signin).",
        401,
        "Sign in required",
    )
    return mark_private(response, cookie)


class AccessPages:
    """/signin, /join (an invitation) and /signout: one page, one button each."""

    def __init__(self, renderer: Renderer, access: Access) -> None:
        self._renderer = renderer
        self._access = access

    @cached_property
    def _script(self) -> str:
        return (TEMPLATES_DIR / "access.js").read_text(encoding="utf-8")

    @cached_property
    def _csp(self) -> str:
        # The site's policy, with this page's own script, and nothing posted by a form.
        csp = self._renderer.assets.csp
        return re.sub(r"script-src [^;]*", f"script-src {_sha256(self._script)}", csp)

    def page(self, mode: str, query: Mapping[str, str] | None, signed_in: bool) -> Response:
        ready = self._access.enabled or mode == "signout"
        texts = {
            "signin": (
                "Sign in",
                "Some dashboards here are private. Sign in with the passkey you made for "
                "this site on this device.",
                "Sign in with a passkey",
            ),
            "join": (
                "Create a passkey",
                "You were invited to this site's private dashboards. Create a passkey on "
                "this device: your fingerprint, face or screen lock signs you in from then on.",
                "Create a passkey",
            ),
            "signout": (
                "Sign out",
                "Sign this device out. Its passkey stays: signing in again takes one tap.",
                "Sign out",
            ),
        }
        from markupsafe import Markup

        heading, lead, button = texts[mode]
        if not ready:
            lead = "Sign-in is not set up on this site yet."
        elif mode == "signin" and signed_in:
            lead = "This device is signed in. Sign in again to use another passkey."
        body = self._renderer.template("access.html").render(
            assets=self._renderer.assets,
            mode=mode,
            next=local_next((query or {}).get("next")),
            heading=heading,
            lead=lead,
            button=button,
            ready=ready,
            script=Markup(self._script),  # ours, byte for byte, or its hash breaks
        )
        response = responses.html(body)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = self._csp
        response.headers["X-Robots-Tag"] = NOINDEX
        response.headers["Vary"] = "Cookie"
        return response

    def sign_out(self, headers: Mapping[str, str]) -> Response:
        if not same_origin(headers, self._access.site):
            return cross_site()
        response = responses.json_body({"signedOut": True})
        response.headers["Cache-Control"] = "no-store"
        response.headers["Set-Cookie"] = self._access.clear_cookie()
        response.headers["Clear-Site-Data"] = '"cache"'
        return response


def cross_site() -> Response:
    return responses.json_error(
        "cross_site",
        "This request came from another site and was refused.",
        403,
        "Refused",
    )
