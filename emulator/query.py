"""A read's history parameters, interpreted the way ThingSpeak's open-source code does
(iobridge/thingspeak: ApplicationController#get_date_range, FeedFactory#calculate_limit,
FeedHelper#timeparam_valid?, DailyFeed.valid_params, ApplicationController#set_variables).

Where that code would crash (an unparseable `start`, a `round` of "abc") the emulator
ignores the parameter instead; the channel's `timezone`/`offset` are not emulated (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from emulator.ruby import present, to_i

DEFAULT_RESULTS = 100
MAX_RESULTS = 8000
BUCKET_MINUTES = frozenset({10, 15, 20, 30, 60, 240, 720, 1440})
OLDEST = datetime(2010, 1, 1, tzinfo=UTC)  # get_date_range's "all of it"
MAX_ROUND = 30  # sprintf would happily print a million decimals; nobody needs them

Kind = Literal["timescale", "sum", "average", "median"]
# The precedence of FeedFactory#calculate_feeds.
KINDS: tuple[Kind, ...] = ("timescale", "sum", "average", "median")


@dataclass(frozen=True)
class Aggregation:
    kind: Kind
    minutes: int
    # ThingSpeak answers 1440 (or "daily") from whole UTC days instead: see history.py.
    daily: bool

    @property
    def seconds(self) -> int:
        return self.minutes * 60


@dataclass(frozen=True)
class HistoryQuery:
    start: datetime  # both ends included, as in SQL's BETWEEN
    end: datetime
    limit: int  # the newest `limit` entries of the range, before any bucketing
    aggregation: Aggregation | None = None
    round: int | None = None
    days: bool = False  # the daily path adds today's row only when `days` was given


def parse(query: Mapping[str, str], now: datetime) -> HistoryQuery:
    start, end = _date_range(query, now)
    return HistoryQuery(
        start,
        end,
        _limit(query),
        _aggregation(query),
        _round(query.get("round")),
        present(query.get("days")),
    )


def results(raw: str | None) -> int | None:
    # The emulator always clamped results to 1..8000 and ignored one it could not read;
    # ThingSpeak's code would ask its database for LIMIT 0 or LIMIT -5.
    if raw is None:
        return None
    try:
        return max(1, min(int(raw), MAX_RESULTS))
    except ValueError:
        return None


def _limit(query: Mapping[str, str]) -> int:
    wanted = results(query.get("results"))
    if wanted is not None:
        return wanted
    # calculate_limit: 100, or 8000 once a date range is asked for (`minutes` is not one).
    ranged = any(present(query.get(name)) for name in ("days", "start", "end"))
    return MAX_RESULTS if ranged else DEFAULT_RESULTS


def _date_range(query: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    # get_date_range: `results`, `start` or `days` open the whole history; otherwise the
    # last day. Later assignments win: days, then minutes, then start.
    everything = results(query.get("results")) is not None or any(
        present(query.get(name)) for name in ("start", "days")
    )
    start = OLDEST if everything else now - timedelta(days=1)
    end = now
    if present(days := query.get("days")):
        start = now - timedelta(days=to_i(days or ""))
    if present(minutes := query.get("minutes")):
        start = now - timedelta(minutes=to_i(minutes or ""))
    start = _moment(query.get("start")) or start
    end = _moment(query.get("end")) or end
    if end - start > timedelta(days=30) and not everything:
        start = end - timedelta(days=30)  # "only get a maximum of 30 days worth of data"
    return start, end


def _moment(raw: str | None) -> datetime | None:
    """`YYYY-MM-DD HH:NN:SS` (or any ISO 8601 form) in UTC unless it names its own zone."""
    if not present(raw):
        return None
    try:
        moment = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _aggregation(query: Mapping[str, str]) -> Aggregation | None:
    for kind in KINDS:
        raw = query.get(kind)
        if raw == "daily":  # set_variables turns "daily" into "1440"
            raw = "1440"
        if present(raw) and (minutes := to_i(raw or "")) in BUCKET_MINUTES:
            # DailyFeed.valid_params compares the string itself: "1440" but not "1440.0".
            return Aggregation(kind, minutes, daily=raw == "1440")
    return None


def _round(raw: str | None) -> int | None:
    if raw is None or not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ROUND:
        return None
    return int(raw)
