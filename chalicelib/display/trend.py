"""A field's readings over a span: a small server-rendered SVG path (the sparkline) and
the real readings a finger can pick out of it.

The span is the last 24 hours, or less when ThingSpeak's 8000-entry cap (or the channel's
own age) covers less: the chart and its labels then say so ("last 2 h 13 min") instead of
claiming a day. The span is cut into SLOTS; each slot keeps its lowest and highest
reading, so the curve keeps every peak and dip while shipping at most 2 x SLOTS points,
each a real reading (value as sent, and when). Two points are joined only when the time
between them is no more than GAP_FACTOR times the channel's usual interval (or two
slots), so a gap in the data shows as a gap, never as a straight line drawn across it.
The curve uses floats (shape only); min, max and every point's label are formatted from
the readings as sent, through the field's own decimals and conversion.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from operator import sub

from chalicelib.display.times import DAY, FULL_SPAN_TOLERANCE
from chalicelib.thingspeak.feed import Feed

WIDTH = 100.0
HEIGHT = 24.0
SLOTS = 40
# A day chart's slots instead: UTC's half hours, so that the viewer's midnight (a whole or
# half hour of UTC in all but three small zones) is a slot boundary, and the points kept
# hold the exact lowest and highest since it ("today", glance.js).
DAY_GRID = 1800.0
GAP_FACTOR = 3
# A day whose first reading comes this late is still called a day.


@dataclass(frozen=True)
class Point:
    """One real reading on a chart: when, its value for the curve, and as sent."""

    at: int  # unix seconds
    value: float  # for the curve only
    raw: str  # the reading as sent


@dataclass(frozen=True)
class Trend:
    """A field's chart over its true span: path, points, and the real extremes."""

    path: str  # SVG path data in a WIDTH x height box, y pointing down
    points: tuple[Point, ...]  # oldest first; the last is the newest reading
    ys: tuple[float, ...]  # each point's y in the box
    low: Point  # the lowest reading of the span, as sent
    high: Point
    start: datetime  # the span the chart really shows
    end: datetime
    what: str = "reading"  # what one point is

    @property
    def low_raw(self) -> str:
        return self.low.raw

    @property
    def high_raw(self) -> str:
        return self.high.raw


def build_trend(feed: Feed, number: int, height: float = HEIGHT) -> Trend | None:
    return build_trends(feed, (number,), height)[number]


def build_trends(
    feed: Feed, numbers: tuple[int, ...], height: float = HEIGHT
) -> dict[int, Trend | None]:
    """Each field's trend over the day before its newest entry."""
    latest = feed.latest
    if latest is None:
        return dict.fromkeys(numbers)
    end = latest.created_at
    first = bisect_left(feed.stamps, (end - DAY).timestamp())
    stamps = feed.stamps[first:]
    usual: float | None = None  # of the whole feed: most fields report in every entry
    trends: dict[int, Trend | None] = {}
    for number in numbers:
        times, values, raws = numeric(stamps, feed.column(number)[first:])
        if len(times) < 2:
            trends[number] = None
            continue
        if times is stamps:
            usual = _usual_interval(stamps) if usual is None else usual
            interval = usual
        else:
            interval = _usual_interval(times)
        start = max(end - DAY, datetime.fromtimestamp(times[0], UTC))
        if start - (end - DAY) <= FULL_SPAN_TOLERANCE:
            start = end - DAY
        trends[number] = trend_of(
            times, values, raws, start, end, height, interval=interval, grid=DAY_GRID
        )
    return trends


def numeric(
    stamps: list[float], column: tuple[str | None, ...]
) -> tuple[list[float], list[float], list[str]]:
    """The numeric readings of a column with their times; text, nulls and nan left out."""
    try:
        # Most columns are all numbers: then one pass in C does it.
        values = list(map(float, column))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    else:
        texts: list[str] = column  # type: ignore[assignment]
        if all(map(math.isfinite, values)) and "_" not in "".join(texts):
            return stamps, values, list(texts)
    times, values, raws = [], [], []
    for at, raw in zip(stamps, column, strict=True):
        value = None if raw is None else _number(raw)
        if value is not None and raw is not None:
            times.append(at)
            values.append(value)
            raws.append(raw)
    return times, values, raws


def trend_of(
    times: list[float],
    values: list[float],
    raws: list[str],
    start: datetime,
    end: datetime,
    height: float = HEIGHT,
    what: str = "reading",
    interval: float | None = None,
    slots: int = SLOTS,
    grid: float | None = None,
) -> Trend | None:
    """The chart of numeric readings (oldest first) over [start, end]; `interval` is the
    usual time between them (measured when not given); `slots` as SLOTS, for a larger chart."""
    if not times:
        return None
    t0, t1 = start.timestamp(), end.timestamp()
    length = max(t1 - t0, 1.0)
    bounds = _bounds(t0, length, slots, grid)
    chosen = _decimate(times, values, bounds)
    slots = len(bounds) + 1
    low, high = min(values), max(values)
    low_i, high_i = values.index(low), values.index(high)
    spread = high - low
    points = tuple(Point(int(times[i]), values[i], raws[i].strip()) for i in chosen)
    ys = tuple(
        round(height / 2 if spread == 0 else height - (p.value - low) / spread * height, 1)
        for p in points
    )
    usual = _usual_interval(times) if interval is None else interval
    reach = max(GAP_FACTOR * usual, 2 * length / slots)
    return Trend(
        path=_path(points, ys, t0, length, reach),
        points=points,
        ys=ys,
        low=Point(int(times[low_i]), low, raws[low_i].strip()),
        high=Point(int(times[high_i]), high, raws[high_i].strip()),
        start=start,
        end=end,
        what=what,
    )


def _bounds(t0: float, length: float, slots: int, grid: float | None) -> list[float]:
    """Where one slot ends and the next begins: `slots` equal parts, or the multiples of
    `grid` seconds (of Unix time: UTC's half hours, say) within the span."""
    if grid is None:
        return [t0 + length * slot / slots for slot in range(1, slots)]
    first, end = math.floor(t0 / grid) * grid + grid, t0 + length
    return [first + k * grid for k in range(max(0, math.ceil((end - first) / grid)))]


def _decimate(times: list[float], values: list[float], bounds: list[float]) -> list[int]:
    """Indices of each slot's lowest and highest reading, plus the newest, in time order."""
    chosen = {0, len(times) - 1}
    begin = 0
    for slot in range(len(bounds) + 1):
        end = len(times) if slot == len(bounds) else bisect_left(times, bounds[slot])
        if end > begin:
            part = values[begin:end]
            chosen.add(begin + part.index(min(part)))
            chosen.add(begin + part.index(max(part)))
        begin = end
    return sorted(chosen)


def _usual_interval(times: list[float]) -> float:
    gaps = sorted(map(sub, times[1:], times))
    return gaps[len(gaps) // 2] if gaps else 0.0


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    # float() also reads "1_000" and "nan"; neither is a reading the page would show.
    return value if math.isfinite(value) and "_" not in raw else None


def _path(
    points: tuple[Point, ...], ys: tuple[float, ...], t0: float, length: float, reach: float
) -> str:
    """Path data; a point joins the previous one if at most `reach` seconds after it. After
    a segment's "M", each further pair is a line to it (SVG's implicit lineto: no "L")."""
    segments: list[list[str]] = []
    previous: float | None = None
    for point, y in zip(points, ys, strict=True):
        x = (point.at - t0) / length * WIDTH
        text = f"{_short(x)} {_short(y)}"
        if previous is not None and point.at - previous <= reach:
            segments[-1].append(f" {text}")
        else:
            segments.append([f"M{text}"])
        previous = point.at
    # A lone reading between gaps is a zero-length line: with round caps, a dot.
    return "".join("".join(s) + ("h0" if len(s) == 1 else "") for s in segments)


def _short(value: float) -> str:
    """One decimal in as few characters as SVG reads it: "12", "3.5", ".5"."""
    text = f"{value:.1f}".removesuffix(".0")
    return text[1:] if text.startswith("0.") else text


QUARTER = 900  # seconds: every zone's midnight is a whole quarter hour of UTC


def quarter_sums(feed: Feed, number: int) -> tuple[int, tuple[Decimal, ...]] | None:
    """A field of amounts (rain since the last reading, say) summed by UTC quarter hour
    over the day before the newest entry: (the first quarter's Unix start, the sums).
    Whatever the viewer's zone, its midnight starts a quarter, so the page's script adds
    up exactly the day's total since it."""
    latest = feed.latest
    if latest is None:
        return None
    end = latest.created_at.timestamp()
    first = bisect_left(feed.stamps, end - DAY.total_seconds())
    begin = int(end - DAY.total_seconds()) // QUARTER * QUARTER
    sums = [Decimal(0)] * (int(end - begin) // QUARTER + 1)
    for at, raw in zip(feed.stamps[first:], feed.column(number)[first:], strict=True):
        if raw is None or _number(raw) is None:
            continue
        try:
            sums[int(at - begin) // QUARTER] += Decimal(raw.strip())
        except (ArithmeticError, IndexError):
            continue
    return begin, tuple(sums)
