"""A field's last 24 hours as a tiny server-rendered SVG path (a sparkline).

The day is cut into BUCKETS slots; each slot plots the mean of its numeric readings. Two
slots are joined only when the time between them is no more than GAP_FACTOR times the
channel's usual interval, so a gap in the data shows as a gap, never as a straight line
drawn across it, while an hourly channel still draws a line, not a row of dots.
The curve uses floats (shape only); the min and max labels are formatted
from the readings as sent, through the field's own decimals and conversion.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.config import FieldDisplay
from chalicelib.feed import Feed

BUCKETS = 96  # a quarter of an hour each
WIDTH = BUCKETS - 1
HEIGHT = 24.0
SPAN = timedelta(hours=24)
GAP_FACTOR = 3


@dataclass(frozen=True)
class Trend:
    path: str  # SVG path data in a WIDTH x HEIGHT box, y pointing down
    low: str  # the lowest reading as sent
    high: str
    start: datetime
    end: datetime


def build_trend(feed: Feed, number: int, display: FieldDisplay) -> Trend | None:
    latest = feed.latest
    if latest is None:
        return None
    end = latest.created_at
    start = end - SPAN
    sums = [0.0] * BUCKETS
    counts = [0] * BUCKETS
    low: tuple[float, str] | None = None
    high: tuple[float, str] | None = None
    times: list[datetime] = []
    for entry in feed.entries:
        if entry.created_at < start:
            continue
        raw = entry.value(number)
        number_value = _number(raw)
        if number_value is None or raw is None:
            continue
        slot = min(int((entry.created_at - start) / SPAN * BUCKETS), BUCKETS - 1)
        sums[slot] += number_value
        counts[slot] += 1
        times.append(entry.created_at)
        if low is None or number_value < low[0]:
            low = (number_value, raw.strip())
        if high is None or number_value > high[0]:
            high = (number_value, raw.strip())
    if low is None or high is None or sum(1 for c in counts if c) < 2:
        return None
    means = [s / c if c else None for s, c in zip(sums, counts, strict=True)]
    usual = statistics.median((b - a).total_seconds() for a, b in itertools.pairwise(times))
    slot_seconds = SPAN.total_seconds() / BUCKETS
    reach = max(1, math.ceil(GAP_FACTOR * usual / slot_seconds))
    # Every configured conversion is increasing, so converting cannot flip low and high.
    return Trend(_path(means, low[0], high[0], reach), low[1], high[1], start, end)


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _path(means: list[float | None], low: float, high: float, reach: int) -> str:
    """Path data; a slot joins the previous drawn one if at most `reach` slots away."""
    spread = high - low
    segments: list[list[str]] = []
    previous: int | None = None
    for x, mean in enumerate(means):
        if mean is None:
            continue
        y = HEIGHT / 2 if spread == 0 else HEIGHT - (mean - low) / spread * HEIGHT
        point = f"{x} {y:.1f}".removesuffix(".0")
        if previous is not None and x - previous <= reach:
            segments[-1].append(f"L{point}")
        else:
            segments.append([f"M{point}"])
        previous = x
    # A lone reading between gaps is a zero-length line: with round caps, a dot.
    return "".join("".join(s) + ("h0" if len(s) == 1 else "") for s in segments)
