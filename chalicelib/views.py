"""The composition root: settings, client, cache and renderer wired once per container."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chalice import Response

from chalicelib import web
from chalicelib.errors import ThingSpeakError
from chalicelib.logs import note
from chalicelib.reading import Reading, build_reading
from chalicelib.render import ErrorView, Renderer
from chalicelib.service import FeedSource, LatestFeed
from chalicelib.settings import Settings, SettingsError
from chalicelib.thingspeak import ReadKey, ThingSpeakClient


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
        self.renderer = renderer or Renderer()
        self._now = now

    @classmethod
    def from_env(cls) -> Glance:
        try:
            return cls(Settings.from_env())
        except SettingsError as exc:
            # A clean one-line exit for `chalice local` and the Lambda init log alike.
            raise SystemExit(f"ThingSpeak Glance cannot start: {exc}") from None

    def reading(self) -> Reading:
        try:
            snapshot = self.latest.get()
        except ThingSpeakError as exc:
            note(cache="error", error=exc.code)
            raise
        note(cache=snapshot.cache, entry_id=snapshot.feed.latest and snapshot.feed.latest.entry_id)
        if snapshot.error is not None:
            note(error=snapshot.error.code)
        return build_reading(snapshot.feed, self.settings, self._now(), snapshot.error)

    def page(self) -> Response:
        try:
            reading = self.reading()
        except ThingSpeakError as exc:
            return web.html(self.renderer.error(_error_view(exc)), web.status_for(exc))
        return web.html(self.renderer.page(reading))

    def api_latest(self) -> Response:
        try:
            reading = self.reading()
        except ThingSpeakError as exc:
            return web.json_body({"error": _error_json(exc)}, web.status_for(exc))
        return web.json_body(reading.to_json())


def read_key(settings: Settings) -> ReadKey:
    if settings.read_api_key_param:
        from chalicelib.secrets import SsmReadKey

        return SsmReadKey(settings.read_api_key_param)
    key = settings.read_api_key
    return lambda: key


def _error_view(exc: ThingSpeakError) -> ErrorView:
    return ErrorView(code=exc.code, title=exc.title, message=exc.message)


def _error_json(exc: ThingSpeakError) -> dict[str, str]:
    return {"code": exc.code, "title": exc.title, "message": exc.message}
