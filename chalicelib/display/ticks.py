"""Light marks on a chart: time ticks (midnight and every 6 hours on a day chart, days on
7 and 30) and, on the field page, a value scale at round numbers.

Drawn on the server in UTC, and labelled so ("06 UTC"): the page's script moves them to
the viewer's own midnight and hours (glance.js, `ticks`), so no label ever claims a time
of day it is not. A label close to either end is left out, where it would be cut off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SIX_HOURS = timedelta(hours=6)
ONE_DAY = timedelta(days=1)
LONG = timedelta(days=2)  # longer than this: a tick a day
WEEKS = timedelta(days=10)  # longer than this: a label a week, counted back from the newest
EDGE = 5.0  # percent of the width kept clear of labels at either end


@dataclass(frozen=True)
class Tick:
    x: float  # percent of the chart's width
    label: str | None

    @property
    def p(self) -> int:
        """The CSS class's position (p0, p2 ... p100): within 1 % of x."""
        return position(self.x)


def position(percent: float) -> int:
    return 2 * round(min(max(percent, 0.0), 100.0) / 2)


def time_ticks(start: datetime, end: datetime) -> tuple[Tick, ...]:
    length = (end - start).total_seconds()
    if length <= 0:
        return ()
    long = end - start > LONG
    step = ONE_DAY if long else SIX_HOURS
    midnight = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    at = midnight
    while at < start:
        at += step
    moments = []
    while at <= end:
        moments.append(at)
        at += step
    ticks = []
    for n, moment in enumerate(moments):
        x = round((moment - start).total_seconds() / length * 100, 1)
        label = f"{moment:%a}" if long else f"{moment:%H} UTC"
        if end - start > WEEKS:
            label = f"{moment.day} {moment:%b}" if (len(moments) - 1 - n) % 7 == 0 else ""
        ticks.append(Tick(x, label if EDGE <= x <= 100 - EDGE and label else None))
    return tuple(ticks)


@dataclass(frozen=True)
class Level:
    y: float  # percent of the chart's height, from the top
    text: str  # a round value, formatted with a point

    @property
    def p(self) -> int:
        return position(self.y)


def value_scale(low: str | None, high: str | None, count: int = 3) -> tuple[Level, ...]:
    """Round values between the chart's lowest and highest (as the page shows them), at
    the heights the curve puts them: the top of the chart is the highest, the bottom the
    lowest."""
    try:
        lo, hi = float(low or ""), float(high or "")
    except ValueError:
        return ()
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        return ()
    if hi == lo:
        return (Level(50.0, low or ""),)
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    steps = [m * power for m in (0.5, 1, 2, 2.5, 5, 10)]
    at = next(n for n, step in enumerate(steps) if step >= raw)
    # A scale needs two values to be read: a round step that leaves only one in the range
    # (3.03 wide from 38.5: only 40 at a step of 2) gives way to the next smaller one.
    levels = _levels(lo, hi, steps[at])
    while len(levels) < 2 and at > 0:
        at -= 1
        levels = _levels(lo, hi, steps[at])
    return levels


def _levels(lo: float, hi: float, step: float) -> tuple[Level, ...]:
    power = 10 ** math.floor(math.log10(step) + 1e-9)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    decimals += 1 if round(step / power, 6) == 2.5 and power < 10 else 0
    levels = []
    value = math.ceil(lo / step) * step
    while value <= hi + 1e-9:
        y = round((hi - value) / (hi - lo) * 100, 1)
        text = f"{value:.{decimals}f}"
        if text.lstrip("-").strip("0.") == "":
            text = text.lstrip("-")
        levels.append(Level(y, text))
        value += step
    return tuple(levels)
