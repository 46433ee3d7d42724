"""A field's last 24 hours as a tiny server-rendered SVG path (a sparkline).

The day is cut into BUCKETS slots; each slot plots the mean of its numeric readings and an
empty slot breaks the line, so a gap in the data shows as a gap, never as a straight line
drawn across it. The curve uses floats (shape only); the min and max labels are formatted
from the readings as sent, through the field's own decimals and conversion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.feed import Feed
from chalicelib.settings import FieldDisplay

BUCKETS = 96  # a quarter of an hour each
WIDTH = BUCKETS - 1
HEIGHT = 24.0
SPAN = timedelta(hours=24)


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
        if low is None or number_value < low[0]:
            low = (number_value, raw.strip())
        if high is None or number_value > high[0]:
            high = (number_value, raw.strip())
    if low is None or high is None or sum(1 for c in counts if c) < 2:
        return None
    means = [s / c if c else None for s, c in zip(sums, counts, strict=True)]
    # Every configured conversion is increasing, so converting cannot flip low and high.
    return Trend(_path(means, low[0], high[0]), low[1], high[1], start, end)


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _path(means: list[float | None], low: float, high: float) -> str:
    spread = high - low
    segments: list[list[str]] = []
    previous: float | None = None
    for x, mean in enumerate(means):
        if mean is not None:
            y = HEIGHT / 2 if spread == 0 else HEIGHT - (mean - low) / spread * HEIGHT
            point = f"{x} {y:.1f}".removesuffix(".0")
            if previous is None:
                segments.append([f"M{point}"])
            else:
                segments[-1].append(f"L{point}")
        previous = mean
    # A lone reading between gaps is a zero-length line: with round caps, a dot.
    return "".join("".join(s) + ("h0" if len(s) == 1 else "") for s in segments)
