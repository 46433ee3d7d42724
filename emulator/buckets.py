"""Bucketing and rounding exactly as ThingSpeak's FeedHelper does them (iobridge/thingspeak
app/helpers/feed_helper.rb: feeds_into_timescales/_sums/_averages/_medians, object_sum,
object_average, object_median, item_round; get_floored_time for the bucket starts).

Their quirks, kept because a client sees them:
- every bucket from the first entry's to the last entry's appears; empty ones are all null;
- an average divides by the number of entries in the bucket, not by the number of
  numeric values, so a dropped reading pulls the average of its bucket down;
- a median of an even count is the mean of the two middle values;
- sums, averages and medians print as Ruby floats ("45.0", "45.266666666666666") unless
  `round` asks for fixed decimals; a sum too big for plain digits ("1.0e+16") is neither
  averaged nor rounded;
- once a value written with a decimal comma has been seen, this and every later
  aggregated value is written with a comma too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from emulator.query import Aggregation
from emulator.ruby import commas, float_to_s, number, sprintf_f
from emulator.weather import Entry, Values


class Shown(Protocol):
    """What a feed row needs: a stored Entry, or a Row made here."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def entry_id(self) -> int | None: ...
    @property
    def values(self) -> Values: ...


@dataclass(frozen=True, slots=True)
class Row:
    created_at: datetime
    values: Values
    # Aggregated rows have none: Feed.select_options leaves entry_id out of the JSON.
    entry_id: int | None = None


def empty(created_at: datetime, fields: Sequence[int]) -> Row:
    return Row(created_at, dict.fromkeys(fields))


def aggregate(
    entries: Sequence[Entry], how: Aggregation, fields: Sequence[int], decimals: int | None
) -> list[Row]:
    """Entries (oldest first) into one row per bucket, from the first entry's to the last's."""
    if not entries:
        return []
    seconds = how.seconds
    first = _stamp(entries[0]) // seconds
    groups: list[list[Entry]] = [[] for _ in range(_stamp(entries[-1]) // seconds - first + 1)]
    for entry in entries:
        groups[_stamp(entry) // seconds - first].append(entry)
    combine = _COMBINE[how.kind]
    comma = [False]  # one flag for the whole answer, set by the first comma seen
    rows = []
    for index, group in enumerate(groups):
        at = datetime.fromtimestamp((first + index) * seconds, UTC)
        if not group:
            rows.append(empty(at, fields))
        else:
            rows.append(Row(at, combine(group, fields, decimals, comma)))
    return rows


def round_rows(rows: Sequence[Shown], fields: Sequence[int], decimals: int) -> list[Shown]:
    """item_round: every numeric value printed with `decimals` decimals, text left alone."""
    rounded: list[Shown] = []
    for row in rows:
        values = {n: _round(row.values.get(n), decimals) for n in fields}
        rounded.append(Row(row.created_at, values, row.entry_id))
    return rounded


def _round(value: str | None, decimals: int) -> str | None:
    parsed = number(value)
    if parsed is None:
        return value
    return commas(sprintf_f(parsed[0], decimals), parsed[1])


def _stamp(entry: Entry) -> int:
    return int(entry.created_at.timestamp())


def _numbers(
    group: Sequence[Entry], fields: Sequence[int], comma: list[bool]
) -> dict[int, list[float]]:
    """The numeric values of each field; the whole bucket is read before anything prints."""
    found: dict[int, list[float]] = {}
    for field in fields:
        parsed = [p for p in map(number, [e.values.get(field) for e in group]) if p is not None]
        comma[0] = comma[0] or any(has_comma for _, has_comma in parsed)
        found[field] = [value for value, _ in parsed]
    return found


def _first(group: Sequence[Entry], fields: Sequence[int], *_: object) -> Values:
    return {n: group[0].values.get(n) for n in fields}  # rounded later, like a plain row


def _sum(
    group: Sequence[Entry], fields: Sequence[int], decimals: int | None, comma: list[bool]
) -> Values:
    found = _numbers(group, fields, comma)
    return {n: _total(values, 1, decimals, comma[0]) for n, values in found.items()}


def _average(
    group: Sequence[Entry], fields: Sequence[int], decimals: int | None, comma: list[bool]
) -> Values:
    found = _numbers(group, fields, comma)
    return {n: _total(values, len(group), decimals, comma[0]) for n, values in found.items()}


def _total(values: list[float], count: int, decimals: int | None, comma: bool) -> str | None:
    if not values:
        return None
    total = 0.0
    for value in values:  # one by one, in order, as Ruby adds them
        total += value
    text = float_to_s(total)
    if number(text) is None:
        return text  # object_sum/object_average skip what is_a_number? rejects
    result = total / count  # a sum divides by 1, exactly
    text = sprintf_f(result, decimals) if decimals is not None else float_to_s(result)
    return commas(text, comma)


def _median(
    group: Sequence[Entry], fields: Sequence[int], decimals: int | None, comma: list[bool]
) -> Values:
    found = _numbers(group, fields, comma)
    return {n: _middle(sorted(values), decimals, comma[0]) for n, values in found.items()}


def _middle(values: list[float], decimals: int | None, comma: bool) -> str | None:
    count = len(values)
    if count == 0:
        return None
    if count % 2 == 0:
        median = (values[(count - 1) // 2] + values[count // 2]) / 2
    else:
        median = values[(count - 1) // 2]
    text = float_to_s(median)
    if decimals is not None and number(text) is not None:
        text = sprintf_f(median, decimals)
    return commas(text, comma)


Combine = Callable[[Sequence[Entry], Sequence[int], int | None, list[bool]], Values]
_COMBINE: dict[str, Combine] = {
    "timescale": _first,
    "sum": _sum,
    "average": _average,
    "median": _median,
}
