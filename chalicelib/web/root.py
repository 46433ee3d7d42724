"""The composition root: configuration, client, caches and renderer wired once per container.

One ThingSpeak client (one Session) for every channel; one cache per channel and key, so
two dashboards of the same channel cost one upstream call per window, and a key never
travels to another channel.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib.access.gate import Access
from chalicelib.access.pages import mark_private, sign_in_required, to_signin
from chalicelib.access.session import ANONYMOUS, Viewer, current_viewer
from chalicelib.config.model import Config
from chalicelib.thingspeak.client import ThingSpeakClient
from chalicelib.thingspeak.keys import read_key_for
from chalicelib.web import responses
from chalicelib.web.dashboard import DashboardPages
from chalicelib.web.error_pages import NOT_FOUND, ErrorPages
from chalicelib.web.rendering import Renderer
from chalicelib.web.start import Start, begin
from chalicelib.web.wiring import (
    Channels,
    alerts_on,
    prefetch_feeds,
    series_fetcher,
    wire_channels,
)

if TYPE_CHECKING:  # the field pages load with their first view, not with every cold start
    from chalicelib.access.pages import AccessPages
    from chalicelib.thingspeak.averages import FieldAverages
    from chalicelib.web.field_pages import FieldPages
    from chalicelib.web.overview import Overview
    from chalicelib.web.static_files import StaticFile


class Site:
    def __init__(
        self,
        config: Config,
        client: ThingSpeakClient | None = None,
        renderer: Renderer | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        prefetch: bool = False,
        access: Access | None = None,
        channels: Channels | None = None,
    ) -> None:
        self.config = config
        # Who may see the private dashboards (chalicelib/access/): SITE_URL, the session
        # secret and the passkey store, from the environment.
        self.access = access or Access(os.environ)
        self._private = config.has_private
        # Made (and on a cold web function already asked) before the rest of the app loaded,
        # when app.py starts with chalicelib/web/start.py.
        asked = channels is not None and prefetch
        channels = channels or wire_channels(config, client, now)
        self.client = channels.client
        feed_of, keys = channels.feed_of, channels.keys
        several = len(config.dashboards) > 1
        if prefetch:
            if not asked:
                prefetch_feeds(list(channels.feeds.values()), day=not several)
            if self._private:  # the session secret, while ThingSpeak is asked
                self.access.prefetch()
        self.renderer = renderer or Renderer(
            refresh_seconds=config.refresh_seconds, alerts=alerts_on(os.environ)
        )
        self.errors = ErrorPages(self.renderer, config)
        build = self.renderer.assets.csp
        self.views: dict[str, DashboardPages] = {
            d.name: DashboardPages(
                d, feed_of[d.name], self.renderer, build, self.errors, now, several
            )
            for d in config.dashboards
        }
        self.first = self.views[config.dashboards[0].name]
        # With one dashboard, / is its page; /api/dashboards still lists it.
        self._several = several
        self._now, self._build, self._keys = now, build, keys
        self._field_pages: dict[str, FieldPages] = {}
        self._averages: dict[tuple[int, str | None, str | None], FieldAverages] = {}
        self._overviews: dict[tuple[tuple[str, ...], bool], Overview] = {}

    @property
    def overview(self) -> Overview:
        """The overview a visitor without a session gets."""
        return self._overview_for(ANONYMOUS)

    def _overview_for(self, viewer: Viewer) -> Overview:
        # One per set of dashboards shown, made when first needed: a dashboard's cold view
        # never loads it (nor its threads).
        shown = tuple(v for v in self.views.values() if viewer.may_see(v.dashboard))
        key = (tuple(v.dashboard.name for v in shown), viewer.signed_in)
        found = self._overviews.get(key)
        if found is None:
            from chalicelib.web import overview as cards

            link = None
            if viewer.signed_in:
                link = ("/signout", "Sign out")
            elif self._private:
                link = ("/signin?next=/", "Sign in to see the private dashboards")
            found = cards.Overview(
                list(shown), self.renderer, self.errors, self._build, self._now, access_link=link
            )
            self._overviews[key] = found
        return found

    @cached_property
    def access_pages(self) -> AccessPages:
        from chalicelib.access.pages import AccessPages

        return AccessPages(self.renderer, self.access)

    def visitor(self, headers: Mapping[str, str]) -> tuple[Viewer, str | None]:
        """Who asks (and a Set-Cookie to send back): on a site without private dashboards,
        everyone is simply a visitor and no cookie is looked at."""
        viewer, cookie = self.access.visitor(headers) if self._private else (ANONYMOUS, None)
        current_viewer.set(viewer)
        return viewer, cookie

    def _guarded(
        self,
        view: DashboardPages | None,
        headers: Mapping[str, str],
        path: str,
        api: bool,
        answer: Callable[[DashboardPages], Response],
        missing: Callable[[], Response],
    ) -> Response:
        """The answer for a visitor allowed to see the dashboard; for anyone else, the same
        answer whether the name is private or unknown: sign in (no session), or not found."""
        viewer, cookie = self.visitor(headers)
        if view is not None and viewer.may_see(view.dashboard):
            response = answer(view)
            if not view.dashboard.public:
                return mark_private(response, cookie, viewer.until)
            return _with_cookie(response, cookie)
        if self._private and not viewer.signed_in:
            return sign_in_required(cookie) if api else to_signin(path, cookie)
        response = missing()
        return mark_private(response, cookie) if viewer.signed_in else response

    @cached_property
    def _static(self) -> dict[str, StaticFile]:
        # Read when first asked for: a cold page view needs none of it.
        from chalicelib.web import static_files as static

        return static.load()

    @classmethod
    def from_env(cls, start: Start | None = None) -> Site:
        """The site of this environment's configuration, from what `begin` made."""
        start = start or begin()
        return cls(start.config, prefetch=start.cold_web, channels=start.channels)

    def home(self, headers: Mapping[str, str], query: Mapping[str, str] | None) -> Response:
        if self._several:
            return self._overview_response(headers, lambda o: o.page(headers, query), api=False)
        return self._guarded(
            self.first,
            headers,
            "/",
            False,
            lambda view: view.page(headers, query),
            lambda: self.errors.page(NOT_FOUND, _no_dashboard(""), 404),
        )

    def latest_api(self, headers: Mapping[str, str], query: Mapping[str, str] | None) -> Response:
        """/api/latest: the first dashboard's JSON."""
        return self._guarded(
            self.first,
            headers,
            "/",
            True,
            lambda view: view.api_latest(headers, query),
            lambda: responses.json_error(NOT_FOUND, _no_dashboard(""), 404),
        )

    def dashboard_page(
        self, name: str, headers: Mapping[str, str], query: Mapping[str, str] | None
    ) -> Response:
        return self._guarded(
            self.views.get(name),
            headers,
            f"/d/{name}",
            False,
            lambda view: view.page(headers, query),
            lambda: self.errors.page(NOT_FOUND, _no_dashboard(name), 404),
        )

    def dashboard_api(
        self, name: str, headers: Mapping[str, str], query: Mapping[str, str] | None
    ) -> Response:
        return self._guarded(
            self.views.get(name),
            headers,
            f"/d/{name}",
            True,
            lambda view: view.api_latest(headers, query),
            lambda: responses.json_error(NOT_FOUND, _no_dashboard(name), 404),
        )

    def dashboards_api(
        self, headers: Mapping[str, str], query: Mapping[str, str] | None
    ) -> Response:
        return self._overview_response(headers, lambda o: o.api(headers, query), api=True)

    def _overview_response(
        self, headers: Mapping[str, str], answer: Callable[[Overview], Response], api: bool
    ) -> Response:
        viewer, cookie = self.visitor(headers)
        overview = self._overview_for(viewer)
        if not overview.has_views:  # every dashboard is private: nothing to show but sign-in
            return sign_in_required(cookie) if api else to_signin("/", cookie)
        response = answer(overview)
        if self._private:
            response = mark_private(response, cookie, viewer.until)
            if not viewer.signed_in:
                response.headers["Link"] = '</signin>; rel="sign-in"'
                # The anonymous overview is the same for everyone: no need to hide it.
                if response.status_code < 400:
                    response.headers["Cache-Control"] = "no-cache"
                del response.headers["X-Robots-Tag"]
        return response

    def field(
        self,
        name: str | None,
        field: str,
        headers: Mapping[str, str],
        query: Mapping[str, str] | None,
        api: bool = False,
    ) -> Response:
        """A field's page (or its CSV: `4.csv`), or its JSON; name None: the first dashboard."""
        from chalicelib.web import field_pages as fields

        kind = fields.kind_of(field, api)
        view = self.first if name is None else self.views.get(name)
        path = f"/d/{name}/field/{field}" if name is not None else f"/field/{field}"

        def answer(view: DashboardPages) -> Response:
            pages = self._field_pages_of(view)
            assert pages is not None
            return pages.respond(field, headers, query, api)

        return self._guarded(
            view,
            headers,
            path,
            kind != "page",
            answer,
            lambda: fields.problem(self.errors, kind, NOT_FOUND, _no_dashboard(name or ""), 404),
        )

    def _field_pages_of(self, view: DashboardPages | None) -> FieldPages | None:
        if view is None:
            return None
        from chalicelib.thingspeak.averages import FieldAverages
        from chalicelib.web.field_pages import FieldPages

        dashboard = view.dashboard
        pages = self._field_pages.get(dashboard.name)
        if pages is None:
            # One set of averages per channel and key, like the feeds: a key reads only its channel.
            cache_key = dashboard.source
            averages = self._averages.get(cache_key)
            if averages is None:
                fetch = series_fetcher(self.client, dashboard, read_key_for(dashboard, self._keys))
                averages = FieldAverages(fetch, self.config.cache_ttl_seconds, wall=self._now)
                self._averages[cache_key] = averages
            home = f"/d/{dashboard.name}" if self._several else "/"
            pages = FieldPages(view, averages, self.errors, self._build, home)
            self._field_pages[dashboard.name] = pages
        return pages

    def static_file(self, name: str, headers: Mapping[str, str]) -> Response:
        """Manifest, icons, robots.txt; any other name gets our 404 page, not API Gateway's."""
        found = self._static.get(f"/{name}")
        if found is None:
            return self.errors.page(NOT_FOUND, f"There is no page called /{name} here.", 404)
        if responses.not_modified(headers, found.etag):
            return responses.not_modified_response(found.etag, found.cache_control)
        return responses.static(found.body, found.content_type, found.etag, found.cache_control)


def _with_cookie(response: Response, cookie: str | None) -> Response:
    if cookie:
        response.headers["Set-Cookie"] = cookie
        response.headers["Vary"] = "Cookie"
    return response


def _no_dashboard(name: str) -> str:
    return f"There is no dashboard called {name[:80]!r} here."
