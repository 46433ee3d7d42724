"""The overview: one card per dashboard, fetched concurrently within one time bound.

A cold overview of N channels costs about the slowest channel, not the sum, and a
failing or hanging channel shows its problem on its own card while the others show
their readings. Cards need only the newest entry, so a cold cache fetches each
channel's tail, not its day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib.display.card import Card, build_card
from chalicelib.display.times import humanize_age
from chalicelib.logs import note
from chalicelib.thingspeak.cache import Snapshot
from chalicelib.thingspeak.errors import ThingSpeakError, UpstreamTimeout
from chalicelib.web import responses
from chalicelib.web.dashboard import DashboardPages
from chalicelib.web.error_pages import BAD_REQUEST, ErrorPages, public_message
from chalicelib.web.etags import content_tag, settings_tag
from chalicelib.web.rendering import Renderer

if TYPE_CHECKING:  # imported when first needed: a dashboard's cold view never does
    from concurrent.futures import Future, ThreadPoolExecutor

# Under the 8 s a visitor is promised, whatever any one channel does; each read has its
# own 7 s deadline, so this only matters for a read already queued behind another.
OVERVIEW_SECONDS = 7.5
MAX_WORKERS = 8


class Overview:
    def __init__(
        self,
        views: Sequence[DashboardPages],
        renderer: Renderer,
        errors: ErrorPages,
        build: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        seconds: float = OVERVIEW_SECONDS,
        access_link: tuple[str, str] | None = None,
    ) -> None:
        self._views = tuple(views)
        self._access_link = access_link
        self._renderer = renderer
        self._errors = errors
        self._build = settings_tag(build, *(v.dashboard for v in views))
        if access_link:  # the same cards with "Sign in" or "Sign out" are not the same page
            self._build += "-in" if access_link[0] == "/signout" else "-out"
        self._now = now
        self._seconds = seconds
        self._pool: ThreadPoolExecutor | None = None
        self._page_cache: tuple[object, str] | None = None

    @property
    def has_views(self) -> bool:
        return bool(self._views)

    def page(self, headers: Mapping[str, str], query: Mapping[str, str] | None = None) -> Response:
        if problem := responses.unexpected_parameters(query, several=True):
            return self._errors.page(BAD_REQUEST, problem, 400)
        cards, now = self.cards(), self._now()
        etag = self._etag("overview", cards)
        if responses.not_modified(headers, etag):
            return responses.not_modified_response(etag)
        key = tuple((c, humanize_age(now - c.created_at) if c.created_at else None) for c in cards)
        if self._page_cache is None or self._page_cache[0] != key:
            self._page_cache = (key, self._renderer.overview(cards, now, self._access_link))
        return responses.html(self._page_cache[1], etag=etag)

    def api(self, headers: Mapping[str, str], query: Mapping[str, str] | None = None) -> Response:
        if problem := responses.unexpected_parameters(query, several=True):
            return responses.json_error(BAD_REQUEST, problem, 400)
        cards, now = self.cards(), self._now()
        etag = self._etag("dashboards", cards)
        if responses.not_modified(headers, etag):
            return responses.not_modified_response(etag)
        return responses.json_body([card.to_json(now) for card in cards], etag=etag)

    def cards(self) -> tuple[Card, ...]:
        results = self._fetch_all()
        now = self._now()
        cards = []
        for view, result in zip(self._views, results, strict=True):
            if isinstance(result, ThingSpeakError):
                shown = public_message(result)
                if shown != result.message:  # configuration details: signed-in people only
                    result = type(result)(shown)
                cards.append(build_card(view.dashboard, None, now, result))
            else:
                cards.append(build_card(view.dashboard, result.feed, now, result.error))
        # Not `cache`: that field holds one word for a one-channel view.
        note(
            dashboards={
                v.dashboard.name: _cache(r) for v, r in zip(self._views, results, strict=True)
            }
        )
        return tuple(cards)

    def _fetch_all(self) -> list[Snapshot | ThingSpeakError]:
        if len(self._views) == 1:
            return [_get(self._views[0])]
        from concurrent.futures import ThreadPoolExecutor, wait

        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=min(MAX_WORKERS, len(self._views)), thread_name_prefix="overview"
            )
        futures = [self._pool.submit(_get, view) for view in self._views]
        wait(futures, timeout=self._seconds)
        return [_result(future, self._seconds) for future in futures]

    def _etag(self, kind: str, cards: tuple[Card, ...]) -> str:
        # What a card shows besides its age: "N min ago" moves on under a weak ETag.
        shown = [
            (
                c.name,
                c.title,
                c.created_at_iso,
                c.headline,
                c.others,
                c.stale,
                c.error and c.error.code,
            )
            for c in cards
        ]
        digest = content_tag(shown)
        return f'W/"{kind}-{digest}-{self._build}"'


def _get(view: DashboardPages) -> Snapshot | ThingSpeakError:
    try:
        return view.latest.get(day=False)
    except ThingSpeakError as exc:
        return exc


def _result(
    future: Future[Snapshot | ThingSpeakError], seconds: float
) -> Snapshot | ThingSpeakError:
    if future.done():
        return future.result()
    return UpstreamTimeout(f"ThingSpeak did not answer within {seconds:g} seconds.")


def _cache(result: Snapshot | ThingSpeakError) -> str:
    if isinstance(result, ThingSpeakError):
        return f"error:{result.code}"
    return result.cache
