"""The composition root: settings, client, cache and renderer wired once per container.

A page is rendered once per new reading, not once per view: the HTML is kept with the
state it was rendered from (feed version, staleness, upstream error, the "N min ago"
words) and reused until that state changes. Conditional requests get a 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from chalice import Response

from chalicelib import static, web
from chalicelib.errors import ThingSpeakError
from chalicelib.logs import note
from chalicelib.reading import Reading, build_reading, is_stale
from chalicelib.render import ErrorView, Renderer, humanize_age
from chalicelib.service import FeedSource, LatestFeed, Snapshot
from chalicelib.settings import Settings, SettingsError
from chalicelib.thingspeak import ReadKey, ThingSpeakClient

# What a rendered reading depends on besides the feed: (feed version, stale, error code).
_State = tuple[int, bool, str | None]


class Glance:
    def __init__(
        self,
        settings: Settings,
        source: FeedSource | None = None,
        renderer: Renderer | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.latest = LatestFeed(
            source or ThingSpeakClient(settings.thingspeak_url, read_key(settings)),
            settings.channel_id,
            settings.cache_ttl_seconds,
        )
        self.renderer = renderer or Renderer(refresh_seconds=settings.refresh_seconds)
        self._now = now
        # Settings and assets change only with a deploy; both belong in every ETag.
        self._build = hashlib.sha256(
            (repr(settings) + self.renderer.assets.csp).encode()
        ).hexdigest()[:12]
        # (state, value) pairs: one reading and one page, for the newest state only.
        self._reading_cache: tuple[_State, Reading] | None = None
        self._page_cache: tuple[tuple[object, ...], str] | None = None
        self._static = static.load()
        self._feed_tag: tuple[int, str] = (-1, "")

    @classmethod
    def from_env(cls) -> Glance:
        try:
            return cls(Settings.from_env())
        except SettingsError as exc:
            # A clean one-line exit for `chalice local` and the Lambda init log alike.
            raise SystemExit(f"ThingSpeak Glance cannot start: {exc}") from None

    def page(self, headers: Mapping[str, str], query: Mapping[str, str] | None = None) -> Response:
        if problem := web.unexpected_parameters(query):
            view = ErrorView(code="bad_request", title="Nothing to choose here", message=problem)
            return web.html(self.renderer.error(view), 400)
        try:
            snapshot, now = self._snapshot(), self._now()
        except ThingSpeakError as exc:
            view = ErrorView(code=exc.code, title=exc.title, message=exc.message)
            return web.html(self.renderer.error(view), web.status_for(exc))
        state = self._state(snapshot, now)
        etag = self._etag("page", snapshot, state)
        if web.not_modified(headers, etag):
            return web.not_modified_response(etag)
        reading = self._reading(snapshot, state, now)
        age = reading.age(now)
        key = (*state, humanize_age(age) if age is not None else None)
        if self._page_cache is None or self._page_cache[0] != key:
            self._page_cache = (key, self.renderer.page(reading, now))
        return web.html(self._page_cache[1], etag=etag)

    def api_latest(
        self, headers: Mapping[str, str], query: Mapping[str, str] | None = None
    ) -> Response:
        if problem := web.unexpected_parameters(query):
            error = {"code": "bad_request", "title": "Nothing to choose here", "message": problem}
            return web.json_body({"error": error}, 400)
        try:
            snapshot, now = self._snapshot(), self._now()
        except ThingSpeakError as exc:
            error = {"code": exc.code, "title": exc.title, "message": exc.message}
            return web.json_body({"error": error}, web.status_for(exc))
        state = self._state(snapshot, now)
        etag = self._etag("api", snapshot, state)
        if web.not_modified(headers, etag):
            return web.not_modified_response(etag)
        return web.json_body(self._reading(snapshot, state, now).to_json(now), etag=etag)

    def static_file(self, name: str, headers: Mapping[str, str]) -> Response:
        """Manifest, icons, robots.txt; any other name gets our 404 page, not API Gateway's."""
        found = self._static.get(f"/{name}")
        if found is None:
            view = ErrorView(
                code="not_found",
                title="Page not found",
                message=f"There is no page called /{name} here.",
            )
            return web.html(self.renderer.error(view), 404)
        if web.not_modified(headers, found.etag):
            return web.not_modified_response(found.etag, "public, max-age=86400")
        return web.static(found.body, found.content_type, found.etag)

    def _snapshot(self) -> Snapshot:
        try:
            snapshot = self.latest.get()
        except ThingSpeakError as exc:
            note(cache="error", error=exc.code)
            raise
        latest = snapshot.feed.latest
        note(cache=snapshot.cache, entry_id=latest.entry_id if latest else None)
        if snapshot.error is not None:
            note(error=snapshot.error.code)
        return snapshot

    def _state(self, snapshot: Snapshot, now: datetime) -> _State:
        error = snapshot.error.code if snapshot.error else None
        return (snapshot.version, is_stale(snapshot.feed, self.settings, now), error)

    def _reading(self, snapshot: Snapshot, state: _State, now: datetime) -> Reading:
        """The view model, rebuilt only when what it shows has changed."""
        if self._reading_cache is None or self._reading_cache[0] != state:
            reading = build_reading(snapshot.feed, self.settings, now, snapshot.error)
            self._reading_cache = (state, reading)
        return self._reading_cache[1]

    def _etag(self, kind: str, snapshot: Snapshot, state: _State) -> str:
        version, stale, error = state
        if self._feed_tag[0] != version:
            # Entry id and channel metadata, not our version counter: another container
            # holding the same reading must give the same ETag.
            latest = snapshot.feed.latest
            channel = hashlib.sha256(repr(snapshot.feed.channel).encode()).hexdigest()[:8]
            self._feed_tag = (version, f"{latest.entry_id if latest else 'empty'}-{channel}")
        # Weak: "N min ago" and age_seconds move on while the reading stays the same.
        return f'W/"{kind}-{self._feed_tag[1]}-{int(stale)}-{error or "ok"}-{self._build}"'


def read_key(settings: Settings) -> ReadKey:
    if settings.read_api_key_param:
        from chalicelib.secrets import SsmReadKey

        return SsmReadKey(settings.read_api_key_param)
    key = settings.read_api_key
    return lambda: key
