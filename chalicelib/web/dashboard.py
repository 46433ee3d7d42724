"""One dashboard's page and JSON.

A page is rendered once per new reading, not once per view: the HTML is kept with the
state it was rendered from (feed version, staleness, upstream error, the "N min ago"
words) and reused until that state changes. Conditional requests get a 304.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from chalice.app import Response

from chalicelib.config.model import Dashboard
from chalicelib.display.reading import Reading, build_reading, is_stale
from chalicelib.display.times import humanize_age
from chalicelib.logs import note
from chalicelib.thingspeak.cache import LatestFeed, Snapshot
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.web import responses
from chalicelib.web.error_pages import BAD_REQUEST, ErrorPages, public_message
from chalicelib.web.etags import content_tag, settings_tag
from chalicelib.web.rendering import Renderer

# What a rendered reading depends on besides the feed: (feed version, stale, error code).
_State = tuple[int, bool, str | None]


class DashboardPages:
    """One dashboard's page and JSON, cached per container and rendered once per state."""

    def __init__(
        self,
        dashboard: Dashboard,
        latest: LatestFeed,
        renderer: Renderer,
        build: str,
        errors: ErrorPages,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        overview_link: bool = False,
    ) -> None:
        self.dashboard = dashboard
        self.latest = latest
        self.renderer = renderer
        self.api_path = f"/api/d/{dashboard.name}"
        self._errors = errors
        self._overview_link = overview_link
        self._now = now
        # Settings and assets change only with a deploy; both belong in every ETag.
        self._build = settings_tag(build, dashboard)
        # (state, value) pairs: one reading and one page, for the newest state only.
        self._reading_cache: tuple[_State, Reading] | None = None
        self._page_cache: tuple[tuple[object, ...], str] | None = None
        self._feed_tag: tuple[int, str] = (-1, "")

    def page(self, headers: Mapping[str, str], query: Mapping[str, str] | None = None) -> Response:
        if problem := responses.unexpected_parameters(query, self._overview_link):
            return self._errors.page(BAD_REQUEST, problem, 400)
        try:
            snapshot, now = self._snapshot(), self._now()
        except ThingSpeakError as exc:
            return self._errors.thingspeak_page(exc, self.dashboard)
        state = self._state(snapshot, now)
        etag = self._etag("page", snapshot, state)
        if responses.not_modified(headers, etag):
            return responses.not_modified_response(etag)
        reading = self._reading(snapshot, state, now)
        age = reading.age(now)
        key = (*state, humanize_age(age) if age is not None else None)
        if self._page_cache is None or self._page_cache[0] != key:
            page = self.renderer.page(
                reading,
                now,
                self.api_path,
                self._overview_link,
                self.dashboard.name,
                private=not self.dashboard.public,
            )
            self._page_cache = (key, page)
        return responses.html(self._page_cache[1], etag=etag)

    def api_latest(
        self, headers: Mapping[str, str], query: Mapping[str, str] | None = None
    ) -> Response:
        if problem := responses.unexpected_parameters(query, self._overview_link):
            return responses.json_error(BAD_REQUEST, problem, 400)
        try:
            snapshot, now = self._snapshot(), self._now()
        except ThingSpeakError as exc:
            message = public_message(exc)
            return responses.json_error(exc.code, message, responses.status_for(exc), exc.title)
        state = self._state(snapshot, now)
        etag = self._etag("api", snapshot, state)
        if responses.not_modified(headers, etag):
            return responses.not_modified_response(etag)
        data = {
            **self._reading(snapshot, state, now).to_json(now),
            "dashboard": self.dashboard.name,
        }
        return responses.json_body(data, etag=etag)

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
        return (snapshot.version, is_stale(snapshot.feed, self.dashboard, now), error)

    def _reading(self, snapshot: Snapshot, state: _State, now: datetime) -> Reading:
        """The view model, rebuilt only when what it shows has changed."""
        if self._reading_cache is None or self._reading_cache[0] != state:
            reading = build_reading(snapshot.feed, self.dashboard, now, snapshot.error)
            self._reading_cache = (state, reading)
        return self._reading_cache[1]

    def _etag(self, kind: str, snapshot: Snapshot, state: _State) -> str:
        version, stale, error = state
        if self._feed_tag[0] != version:
            # Entry id and channel metadata, not our version counter: a refetch of the
            # same reading keeps the same ETag.
            latest = snapshot.feed.latest
            channel = content_tag(snapshot.feed.channel, size=8)
            self._feed_tag = (version, f"{latest.entry_id if latest else 'empty'}-{channel}")
        # Weak: "N min ago" and age_seconds move on while the reading stays the same.
        return f'W/"{kind}-{self._feed_tag[1]}-{int(stale)}-{error or "ok"}-{self._build}"'
