"""The composition root: configuration, client, caches and renderer wired once per container.

One ThingSpeak client (one Session) for every channel; one cache per channel and key, so
two dashboards of the same channel cost one upstream call per window, and a key never
travels to another channel.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib.config.loader import load_config
from chalicelib.config.model import Config, ConfigError, Dashboard
from chalicelib.thingspeak.cache import Fetch, LatestFeed
from chalicelib.thingspeak.client import ReadKey, ThingSpeakClient
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed, Series
from chalicelib.thingspeak.keys import read_key_for
from chalicelib.web import responses
from chalicelib.web.dashboard import DashboardPages
from chalicelib.web.error_pages import NOT_FOUND, ErrorPages
from chalicelib.web.rendering import Renderer

if TYPE_CHECKING:  # the field pages load with their first view, not with every cold start
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
    ) -> None:
        self.config = config
        self.client = client or ThingSpeakClient(config.thingspeak_url)
        feeds: dict[tuple[int, str | None, str | None], LatestFeed] = {}
        keys: dict[str, ReadKey] = {}
        feed_of: dict[str, LatestFeed] = {}
        for dashboard in config.dashboards:
            cache_key = dashboard.source
            if cache_key not in feeds:
                fetch = _fetcher(self.client, dashboard, read_key_for(dashboard, keys))
                feeds[cache_key] = LatestFeed(fetch, config.cache_ttl_seconds, wall=now)
            feed_of[dashboard.name] = feeds[cache_key]
        several = len(config.dashboards) > 1
        if prefetch:
            _prefetch(list(feeds.values()), day=not several)
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

    @cached_property
    def overview(self) -> Overview:
        # Made when first needed: a dashboard's cold view never loads it (nor its threads).
        from chalicelib.web import overview as cards

        return cards.Overview(
            list(self.views.values()), self.renderer, self.errors, self._build, self._now
        )

    @cached_property
    def _static(self) -> dict[str, StaticFile]:
        # Read when first asked for: a cold page view needs none of it.
        from chalicelib.web import static_files as static

        return static.load()

    @classmethod
    def from_env(cls) -> Site:
        try:
            config = load_config()
        except ConfigError as exc:
            # A clean one-line exit for `chalice local` and the Lambda init log alike.
            raise SystemExit(f"ThingSpeak Glance cannot start: {exc}") from None
        # Lambda names the handler it runs: the web function's, not check_alerts'.
        return cls(config, prefetch=os.environ.get("_HANDLER") == WEB_HANDLER)

    def home(self, headers: Mapping[str, str], query: Mapping[str, str] | None) -> Response:
        if self._several:
            return self.overview.page(headers, query)
        return self.first.page(headers, query)

    def dashboard_page(
        self, name: str, headers: Mapping[str, str], query: Mapping[str, str] | None
    ) -> Response:
        view = self.views.get(name)
        if view is None:
            return self.errors.page(NOT_FOUND, _no_dashboard(name), 404)
        return view.page(headers, query)

    def dashboard_api(
        self, name: str, headers: Mapping[str, str], query: Mapping[str, str] | None
    ) -> Response:
        view = self.views.get(name)
        if view is None:
            return responses.json_error(NOT_FOUND, _no_dashboard(name), 404)
        return view.api_latest(headers, query)

    def dashboards_api(
        self, headers: Mapping[str, str], query: Mapping[str, str] | None
    ) -> Response:
        return self.overview.api(headers, query)

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

        pages = self._field_pages_of(self.first if name is None else self.views.get(name))
        if pages is None:
            kind = fields.kind_of(field, api)
            return fields.problem(self.errors, kind, NOT_FOUND, _no_dashboard(name or ""), 404)
        return pages.respond(field, headers, query, api)

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
                fetch = _series_fetcher(self.client, dashboard, read_key_for(dashboard, self._keys))
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


def alerts_on(env: Mapping[str, str]) -> bool:
    """Whether push subscriptions have a store (chalicelib/alertstore.py), so the dashboard
    pages offer the bell; read here without importing the alert code into the page's start."""
    return any(env.get(name, "").strip() for name in ("ALERTS_TABLE", "ALERTS_DB"))


# The handler `chalice deploy` gives the web function (Lambda's _HANDLER variable).
WEB_HANDLER = "app.app"


def _prefetch(feeds: list[LatestFeed], day: bool) -> None:
    """On a cold web function, ask ThingSpeak for the first view's data at once, in the
    background: the round trip overlaps the rest of the start-up (Jinja2, the templates)
    instead of following it. The view then finds the reading cached, or waits on the
    fetch under way (one request either way); a failure is remembered like any other."""

    def get(feed: LatestFeed) -> None:
        with contextlib.suppress(ThingSpeakError):
            feed.get(day=day)

    for feed in feeds:
        threading.Thread(target=get, args=(feed,), name="prefetch", daemon=True).start()


def _no_dashboard(name: str) -> str:
    return f"There is no dashboard called {name[:80]!r} here."


def _fetcher(client: ThingSpeakClient, dashboard: Dashboard, key: ReadKey) -> Fetch:
    channel = dashboard.channel

    def fetch(results: int, minutes: int | None) -> Feed:
        extra = {"minutes": str(minutes)} if minutes else None
        return client.feed(channel, results, key, extra)

    return fetch


def _series_fetcher(
    client: ThingSpeakClient, dashboard: Dashboard, key: ReadKey
) -> Callable[[int, Mapping[str, str]], Series]:
    channel = dashboard.channel

    def fetch(number: int, params: Mapping[str, str]) -> Series:
        return client.series(channel, number, params, key)

    return fetch
