"""A field's own page, its JSON and its CSV (the view is display/field_view.py): which
field and range were asked for, and one built view per state of what it shows.

24 h comes from the dashboard's cached day (no request of its own); a view is built once
per state of what it shows (the feed's version, the history's, an upstream error), and
a conditional request gets a 304.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from chalice.app import Response
from jinja2 import Template

from chalicelib.display.field_view import FieldView, build_field_view
from chalicelib.logs import note
from chalicelib.thingspeak.averages import (
    DEFAULT_RANGE,
    RANGES,
    AveragesSnapshot,
    FieldAverages,
    Range,
)
from chalicelib.thingspeak.cache import Snapshot
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed
from chalicelib.web import responses
from chalicelib.web.csv_export import csv_of
from chalicelib.web.dashboard import DashboardPages
from chalicelib.web.error_pages import BAD_REQUEST, NOT_FOUND, ErrorPages, public_message
from chalicelib.web.etags import content_tag, settings_tag

CHART_HEIGHT = 60.0  # viewBox units; the CSS gives the chart its size on screen
CHART_SLOTS = 100  # up to 200 real points: every peak and dip a wide chart can show
TABLE_ROWS = 30
CSV_TYPE = "text/csv; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
# "4", or "4.csv" for the same view as CSV.
_FIELD = re.compile(r"^([1-8])(\.csv)?$")
Kind = Literal["page", "api", "csv"]


# What a built view depends on: (range, field, feed version, history version, error code).
_State = tuple[str, int, int, int, str | None]


@dataclass
class _Built:
    """One state's view, and what was made of it when first asked: the page HTML, the
    JSON and CSV bodies and each kind's ETag. Built once per new reading, not per request."""

    state: _State
    view: FieldView
    page: str
    bodies: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class FieldPages:
    """One dashboard's field pages, JSON and CSV."""

    def __init__(
        self,
        view: DashboardPages,
        history: FieldAverages,
        errors: ErrorPages,
        build: str,
        home: str,
    ) -> None:
        self._view = view
        self._dashboard = view.dashboard
        self._history = history
        self._errors = errors
        self._home = home
        self._build = settings_tag(build, view.dashboard)
        self._built: dict[tuple[str, int], _Built] = {}

    @cached_property
    def _template(self) -> Template:
        # The renderer's own environment: autoescape, and the precompiled templates.
        return self._view.renderer.template("field.html")

    def respond(
        self, field: str, headers: Mapping[str, str], query: Mapping[str, str] | None, api: bool
    ) -> Response:
        match = _FIELD.match(field)
        kind = kind_of(field, api)
        if match is None or (api and match[2]):
            return self._problem(kind, NOT_FOUND, _no_field(field), 404)
        number = int(match[1])
        shown = self._dashboard.field_order
        if shown and number not in shown:
            return self._problem(kind, NOT_FOUND, _no_field(field), 404)
        range_, problem = _range(query)
        if problem or range_ is None:
            return self._problem(kind, BAD_REQUEST, problem or "", 400)
        try:
            snapshot = self._view.latest.get()
            if not shown and snapshot.feed.channel.field(number) is None:
                return self._problem(kind, NOT_FOUND, _no_field(field), 404)
            history = self._history_of(number, range_, snapshot.feed)
        except ThingSpeakError as exc:
            note(cache="error", error=exc.code)
            if kind == "page":
                return self._errors.thingspeak_page(exc, self._dashboard)
            if kind == "api":
                return responses.json_error(
                    exc.code, public_message(exc), responses.status_for(exc), exc.title
                )
            return _plain(f"{exc.title}: {public_message(exc)}", responses.status_for(exc))
        note(cache=snapshot.cache, history=history.cache if history else None)
        built = self._build_view(number, range_, snapshot, history)
        etag = built.tags.get(kind)
        if etag is None:
            etag = built.tags[kind] = self._etag(kind, built.view)
        if responses.not_modified(headers, etag):
            return responses.not_modified_response(etag)
        if kind == "page":
            return responses.html(built.page, etag=etag)
        body = built.bodies.get(kind)
        if body is None:
            body = built.bodies[kind] = _body(kind, built.view)
        if kind == "api":
            return responses.json_text(body, etag=etag)
        disposition = f'attachment; filename="{built.view.filename}"'
        heads: responses.Headers = {"Content-Type": CSV_TYPE, "Cache-Control": "no-cache"}
        heads.update({"ETag": etag, "Content-Disposition": disposition})
        return Response(body=body, status_code=200, headers=heads)

    def _history_of(self, number: int, range_: Range, day: Feed) -> AveragesSnapshot | None:
        if range_.minutes is None or day.latest is None:
            return None  # the day is all there is
        return self._history.get(number, range_, day)

    def _build_view(
        self, number: int, range_: Range, snapshot: Snapshot, history: AveragesSnapshot | None
    ) -> _Built:
        error = history.error if history else snapshot.error
        state = (
            range_.name,
            number,
            snapshot.version,
            history.version if history else 0,
            error.code if error else None,
        )
        key = (range_.name, number)
        held = self._built.get(key)
        if held is None or held.state != state:
            view = build_field_view(self._dashboard, number, range_, snapshot.feed, history, error)
            page = self._template.render(
                view=view, assets=self._view.renderer.assets, home=self._home
            )
            held = self._built[key] = _Built(state, view, page)
        return held

    def _etag(self, kind: str, view: FieldView) -> str:
        # What the view shows, keyed like the settings part (etags.py): nothing a visitor
        # could test guesses against offline.
        last = view.samples[-1] if view.samples else None
        shown = (
            view.range.name,
            view.number,
            view.chart,
            last,
            len(view.samples),
            view.error,
            view.current,
        )
        digest = content_tag(shown)
        return f'W/"field-{kind}-{digest}-{self._build}"'

    def _problem(self, kind: Kind, code: str, message: str, status: int) -> Response:
        return problem(self._errors, kind, code, message, status)


def _body(kind: str, view: FieldView) -> str:
    if kind == "api":
        return responses.json_dumps(view.to_json())
    return csv_of(view)


def kind_of(field: str, api: bool) -> Kind:
    """What a refusal must look like: our page, JSON, or one plain line for a CSV."""
    return "api" if api else "csv" if field.endswith(".csv") else "page"


def problem(errors: ErrorPages, kind: Kind, code: str, message: str, status: int) -> Response:
    if kind == "page":
        return errors.page(code, message, status)
    if kind == "api":
        return responses.json_error(code, message, status)
    return _plain(message, status)


def _range(query: Mapping[str, str] | None) -> tuple[Range | None, str | None]:
    """The range asked for, or why the request is refused."""
    # Link decorations (utm_* and the like) choose nothing and are ignored, as elsewhere.
    other = sorted(
        k
        for k in (query or {})
        if k != "range" and not k.lower().startswith(responses.IGNORED_PARAMETERS)
    )
    if other:
        names = ", ".join(name[:40] for name in other[:5])
        return None, f"This page takes only range=24h, 7d or 30d (got: {names})."
    wanted = (query or {}).get("range")
    if wanted is None:
        return DEFAULT_RANGE, None
    found = RANGES.get(wanted)
    if found is None:
        return None, f"There is no range {wanted[:40]!r}: choose 24h, 7d or 30d."
    return found, None


def _no_field(field: str) -> str:
    return f"This dashboard shows no field {field[:40]!r}."


def _plain(message: str, status: int) -> Response:
    return Response(
        body=message + "\n",
        status_code=status,
        headers={"Content-Type": TEXT, "Cache-Control": "no-store"},
    )
