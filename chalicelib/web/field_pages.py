"""A field's own page, its JSON and its CSV: 24 h of readings, or 7 and 30 days of
ThingSpeak's averages (history.py), each point one a finger can read off the chart.

24 h comes from the dashboard's cached day (no request of its own); a view is built once
per state of what it shows (the feed's version, the history's, an upstream error), and
a conditional request gets a 304.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from chalice.app import Response
from jinja2 import Template

from chalicelib.display.reading import TEMPERATURE_UNITS, Sparkline, format_value, sparkline_of
from chalicelib.display.times import FULL_SPAN_TOLERANCE, iso, span_label, utc_text
from chalicelib.display.trend import Trend, numeric, trend_of
from chalicelib.logs import note
from chalicelib.thingspeak.averages import (
    DEFAULT_RANGE,
    MAX_REQUESTS,
    RANGES,
    AveragesSnapshot,
    FieldAverages,
    Range,
    span_of,
    what_of,
)
from chalicelib.thingspeak.cache import MAX_RESULTS, Snapshot
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed, Sample
from chalicelib.web import responses
from chalicelib.web.dashboard import DashboardView
from chalicelib.web.error_pages import BAD_REQUEST, NOT_FOUND, ErrorPages

CHART_HEIGHT = 60.0  # viewBox units; the CSS gives the chart its size on screen
CHART_SLOTS = 100  # up to 200 real points: every peak and dip a wide chart can show
TABLE_ROWS = 30
CSV_TYPE = "text/csv; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
# "4", or "4.csv" for the same view as CSV.
_FIELD = re.compile(r"^([1-8])(\.csv)?$")
Kind = Literal["page", "api", "csv"]


@dataclass(frozen=True)
class Row:
    """One line of the table: when, and the value as the page formats it."""

    at: datetime
    display: str | None
    numeric: bool = True
    precise: bool = False  # a reading's own second; an average's bucket starts on the minute

    @property
    def iso(self) -> str:
        return iso(self.at)

    @property
    def text(self) -> str:
        return utc_text(self.at, self.precise)


@dataclass(frozen=True)
class RangeLink:
    """A link to one range of a field page, and whether it is the one shown."""

    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class FieldView:
    """What the field page, its JSON and its CSV show."""

    dashboard: str
    title: str
    channel_id: int
    number: int
    label: str
    unit: str | None
    range: Range
    what: str  # one point: "reading", "hourly average"
    chart: Sparkline | None
    capped: bool  # ThingSpeak's 8000-entry limit (or our request cap) cut the span short
    rows: tuple[Row, ...]  # the newest points, newest first
    samples: tuple[Sample, ...]  # every point, its value as sent, oldest first: the CSV
    error: ThingSpeakError | None  # this is an older copy, because of it

    @property
    def whats(self) -> str:
        return self.what + "s"

    @property
    def span_phrase(self) -> str:
        """The span shown: "last 7 days", or what the chart really covers, "last 11 days"."""
        return self.chart.span_phrase if self.chart else f"last {self.range.label}"

    @property
    def what_phrase(self) -> str:
        """ "a reading", "an hourly average", as the page says what a point is."""
        if self.what == "reading":
            return "a reading as the channel sent it"
        article = "an" if self.what.startswith(("hourly", "8-")) else "a"
        return f"{article} {self.what} that ThingSpeak computed"

    @property
    def cap_reason(self) -> str:
        if self.range.minutes is None:
            return (
                f"ThingSpeak hands out at most {MAX_RESULTS} readings at a time, and this "
                "channel posts so often that they cover no more."
            )
        return (
            f"ThingSpeak averages at most {MAX_RESULTS} readings a request; this channel "
            f"posts so often that {MAX_REQUESTS} requests reach no further back."
        )

    @property
    def height(self) -> str:
        return f"{CHART_HEIGHT:g}"

    @property
    def temperature(self) -> bool:
        return self.unit in TEMPERATURE_UNITS

    @property
    def base(self) -> str:
        return f"/d/{self.dashboard}/field/{self.number}"

    @property
    def csv_href(self) -> str:
        return f"{self.number}.csv?range={self.range.name}"

    @property
    def links(self) -> tuple[RangeLink, ...]:
        # Relative: the same page whether it was reached by /field/4 or /d/<name>/field/4.
        return tuple(
            RangeLink(r.label, f"{self.number}?range={r.name}", r == self.range)
            for r in RANGES.values()
        )

    @property
    def low_at(self) -> Row | None:
        return Row(self.chart.low_at, self.chart.low, precise=self.precise) if self.chart else None

    @property
    def high_at(self) -> Row | None:
        return (
            Row(self.chart.high_at, self.chart.high, precise=self.precise) if self.chart else None
        )

    @property
    def precise(self) -> bool:
        return self.range.minutes is None

    @property
    def filename(self) -> str:
        return f"{self.dashboard}-field{self.number}-{self.range.name}.csv"

    def to_json(self) -> dict[str, Any]:
        return {
            "dashboard": self.dashboard,
            "title": self.title,
            "field": self.number,
            "label": self.label,
            "unit": self.unit,
            "range": self.range.name,
            "what": self.what,
            "span": self.chart.span if self.chart else None,
            "capped": self.capped,
            "points": len(self.samples),
            "csv": f"{self.base}.csv?range={self.range.name}",
            "trend": self.chart.to_json() if self.chart else None,
            "stale": self.error is not None,
            "upstream_error": (
                {"code": self.error.code, "message": self.error.message} if self.error else None
            ),
        }

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["created_at", _cell(self.label) or f"field{self.number}"])
        writer.writerows((iso(s.created_at), _cell(s.value or "")) for s in self.samples)
        return out.getvalue()


# What a built view depends on: (range, field, feed version, history version, error code).
_State = tuple[str, int, int, int, str | None]


class FieldPages:
    """One dashboard's field pages, JSON and CSV."""

    def __init__(
        self,
        view: DashboardView,
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
        self._build = hashlib.sha256((repr(view.dashboard) + build).encode()).hexdigest()[:12]
        self._built: dict[tuple[str, int], tuple[_State, FieldView, str]] = {}

    @cached_property
    def _template(self) -> Template:
        # The renderer's own environment: autoescape, and the precompiled templates.
        return self._view.renderer._env.get_template("field.html")

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
                    exc.code, exc.message, responses.status_for(exc), exc.title
                )
            return _plain(f"{exc.title}: {exc.message}", responses.status_for(exc))
        note(cache=snapshot.cache, history=history.cache if history else None)
        view, page = self._build_view(number, range_, snapshot, history)
        etag = self._etag(kind, view)
        if responses.not_modified(headers, etag):
            return responses.not_modified_response(etag)
        if kind == "api":
            return responses.json_body(view.to_json(), etag=etag)
        if kind == "csv":
            disposition = f'attachment; filename="{view.filename}"'
            heads: responses.Headers = {"Content-Type": CSV_TYPE, "Cache-Control": "no-cache"}
            heads.update({"ETag": etag, "Content-Disposition": disposition})
            return Response(body=view.to_csv(), status_code=200, headers=heads)
        return responses.html(page, etag=etag)

    def _history_of(self, number: int, range_: Range, day: Feed) -> AveragesSnapshot | None:
        if range_.minutes is None or day.latest is None:
            return None  # the day is all there is
        return self._history.get(number, range_, day)

    def _build_view(
        self, number: int, range_: Range, snapshot: Snapshot, history: AveragesSnapshot | None
    ) -> tuple[FieldView, str]:
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
        if held is None or held[0] != state:
            view = self._make(number, range_, snapshot.feed, history, error)
            page = self._template.render(
                view=view, assets=self._view.renderer.assets, home=self._home
            )
            held = (state, view, page)
            self._built[key] = held
        return held[1], held[2]

    def _make(
        self,
        number: int,
        range_: Range,
        day: Feed,
        history: AveragesSnapshot | None,
        error: ThingSpeakError | None,
    ) -> FieldView:
        display = self._dashboard.display_for(number)
        field = day.channel.field(number)
        if history is None:
            chart, capped, samples = _day_chart(day, number, range_)
            what = what_of(None)
        else:
            chart, capped, samples = _long_chart(history, range_)
            what = what_of(history.fetched.plan.minutes)
        sparkline = None
        if chart is not None:
            sparkline = sparkline_of(replace(chart[0], what=what), display)
            sparkline = replace(sparkline, span=span_label(chart[1], chart[2], range_.length))
        newest = samples[-TABLE_ROWS:][::-1]
        return FieldView(
            dashboard=self._dashboard.name,
            title=self._dashboard.title or day.channel.name,
            channel_id=day.channel.id,
            number=number,
            label=display.label or (field.name if field else f"Field {number}"),
            unit=display.unit or (display.conversion.unit if display.conversion else None),
            range=range_,
            what=what,
            chart=sparkline,
            capped=capped,
            rows=tuple(
                Row(s.created_at, *format_value(s.value, display), range_.minutes is None)
                for s in newest
            ),
            samples=samples,
            error=error,
        )

    def _etag(self, kind: str, view: FieldView) -> str:
        # Another container showing the same points gives the same tag.
        last = view.samples[-1] if view.samples else None
        shown = (view.range.name, view.number, view.chart, last, len(view.samples), view.error)
        digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:16]
        return f'W/"field-{kind}-{digest}-{self._build}"'

    def _problem(self, kind: Kind, code: str, message: str, status: int) -> Response:
        return problem(self._errors, kind, code, message, status)


def kind_of(field: str, api: bool) -> Kind:
    """What a refusal must look like: our page, JSON, or one plain line for a CSV."""
    return "api" if api else "csv" if field.endswith(".csv") else "page"


def problem(errors: ErrorPages, kind: Kind, code: str, message: str, status: int) -> Response:
    if kind == "page":
        return errors.page(code, message, status)
    if kind == "api":
        return responses.json_error(code, message, status)
    return _plain(message, status)


# A chart: the trend itself, and the span it covers.
_Chart = tuple[Trend, datetime, datetime]


def _day_chart(
    day: Feed, number: int, range_: Range
) -> tuple[_Chart | None, bool, tuple[Sample, ...]]:
    """The readings of the day held: the span a capped day really covers, not 24 h."""
    latest = day.latest
    if latest is None:
        return None, False, ()
    end = latest.created_at
    first = bisect_left(day.stamps, (end - range_.length).timestamp())
    column = day.column(number)[first:]
    entries = day.entries[first:]
    samples = tuple(
        Sample(e.created_at, v) for e, v in zip(entries, column, strict=True) if v is not None
    )
    times, values, raws = numeric(day.stamps[first:], column)
    if not times:
        return None, False, samples
    start = max(end - range_.length, datetime.fromtimestamp(times[0], UTC))
    if start - (end - range_.length) <= FULL_SPAN_TOLERANCE:
        start = end - range_.length
    trend = trend_of(times, values, raws, start, end, CHART_HEIGHT, slots=CHART_SLOTS)
    capped = len(day.entries) >= MAX_RESULTS and start > end - range_.length
    return (trend, start, end) if trend else None, capped, samples


def _long_chart(
    history: AveragesSnapshot, range_: Range
) -> tuple[_Chart | None, bool, tuple[Sample, ...]]:
    fetched = history.fetched
    samples = fetched.samples
    stamps = [s.created_at.timestamp() for s in samples]
    times, values, raws = numeric(stamps, tuple(s.value for s in samples))
    if not times:
        return None, fetched.plan.capped, samples
    start, end = span_of(fetched, range_)
    bucket = fetched.plan.minutes * 60.0
    trend = trend_of(
        times, values, raws, start, end, CHART_HEIGHT, interval=bucket, slots=CHART_SLOTS
    )
    return (trend, start, end) if trend else None, fetched.plan.capped, samples


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


def _cell(value: str) -> str:
    """The value as sent, unless a spreadsheet would run it as a formula."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False
