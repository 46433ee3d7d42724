"""The composition root: configuration, client, caches and renderer wired once per container.

One ThingSpeak client (one Session) for every channel; one cache per channel and key, so
two dashboards of the same channel cost one upstream call per window, and a key never
travels to another channel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from chalice.app import Response

from chalicelib import static, web
from chalicelib.config import Config, ConfigError, Dashboard, load_config
from chalicelib.errorpages import NOT_FOUND, ErrorPages
from chalicelib.feed import Feed
from chalicelib.overview import Overview
from chalicelib.render import Renderer
from chalicelib.service import Fetch, LatestFeed
from chalicelib.thingspeak import ReadKey, ThingSpeakClient
from chalicelib.views import DashboardView


class Site:
    def __init__(
        self,
        config: Config,
        client: ThingSpeakClient | None = None,
        renderer: Renderer | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.renderer = renderer or Renderer(refresh_seconds=config.refresh_seconds)
        self.client = client or ThingSpeakClient(config.thingspeak_url)
        self.errors = ErrorPages(self.renderer, config)
        build = self.renderer.assets.csp
        several = len(config.dashboards) > 1
        feeds: dict[tuple[int, str | None, str | None], LatestFeed] = {}
        keys: dict[str, ReadKey] = {}
        self.views: dict[str, DashboardView] = {}
        for dashboard in config.dashboards:
            cache_key = (dashboard.channel, dashboard.read_api_key_param, dashboard.read_api_key)
            if cache_key not in feeds:
                fetch = _fetcher(self.client, dashboard, _read_key(dashboard, keys))
                feeds[cache_key] = LatestFeed(fetch, config.cache_ttl_seconds, wall=now)
            self.views[dashboard.name] = DashboardView(
                dashboard, feeds[cache_key], self.renderer, build, self.errors, now, several
            )
        self.first = self.views[config.dashboards[0].name]
        # With one dashboard, / is its page; /api/dashboards still lists it.
        self.overview = Overview(list(self.views.values()), self.renderer, self.errors, build, now)
        self._several = several
        self._static = static.load()

    @classmethod
    def from_env(cls) -> Site:
        try:
            return cls(load_config())
        except ConfigError as exc:
            # A clean one-line exit for `chalice local` and the Lambda init log alike.
            raise SystemExit(f"ThingSpeak Glance cannot start: {exc}") from None

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
            return web.json_error(NOT_FOUND, _no_dashboard(name), 404)
        return view.api_latest(headers, query)

    def dashboards_api(
        self, headers: Mapping[str, str], query: Mapping[str, str] | None
    ) -> Response:
        return self.overview.api(headers, query)

    def static_file(self, name: str, headers: Mapping[str, str]) -> Response:
        """Manifest, icons, robots.txt; any other name gets our 404 page, not API Gateway's."""
        found = self._static.get(f"/{name}")
        if found is None:
            return self.errors.page(NOT_FOUND, f"There is no page called /{name} here.", 404)
        if web.not_modified(headers, found.etag):
            return web.not_modified_response(found.etag, found.cache_control)
        return web.static(found.body, found.content_type, found.etag, found.cache_control)


def _no_dashboard(name: str) -> str:
    return f"There is no dashboard called {name[:80]!r} here."


def _fetcher(client: ThingSpeakClient, dashboard: Dashboard, key: ReadKey) -> Fetch:
    channel = dashboard.channel

    def fetch(results: int, minutes: int | None) -> Feed:
        extra = {"minutes": str(minutes)} if minutes else None
        return client.feed(channel, results, key, extra)

    return fetch


def _read_key(dashboard: Dashboard, ssm_keys: dict[str, ReadKey]) -> ReadKey:
    """This dashboard's key: each SSM parameter is fetched once per warm container."""
    param = dashboard.read_api_key_param
    if param:
        if param not in ssm_keys:
            from chalicelib.secrets import SsmReadKey  # boto3 only when a parameter is set

            ssm_keys[param] = SsmReadKey(param)
        return ssm_keys[param]
    key = dashboard.read_api_key
    return lambda: key
