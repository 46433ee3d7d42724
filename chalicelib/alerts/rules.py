"""What one check means for a dashboard's alert conditions: a pure state machine.

Each condition is either fine or in alarm, and `step` says, for one condition and one
check, what its state becomes and whether that change is worth telling someone. Nothing
here reads the clock, the network or the store, so every rule below is testable alone:

- quiet: no new entry for longer than `stale_after_minutes`; back when one arrives.
- a threshold: the value as the page shows it (after the field's conversion, rounded
  to its decimals) strictly past the line; cleared only at or past `clear_at`, so a value
  hovering at the line changes state once, not on every check.
- check: ThingSpeak itself failing. It never raises a quiet alarm (the sensor may be
  fine); after CANT_CHECK_AFTER failed checks in a row one "can't check" is raised, and
  the first check that works again clears it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from chalicelib.config.model import AlertRule, Dashboard
from chalicelib.display.reading import field_reading
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed

CHECK = "check"
QUIET = "quiet"
CANT_CHECK_AFTER = 3

Kind = Literal["quiet", "back", "crossed", "cleared", "cant_check", "checking_again"]


@dataclass(frozen=True)
class ConditionState:
    """One condition of one dashboard as last recorded: its state and what led to it."""

    alarm: bool = False
    failures: int = 0  # CHECK only: failed checks in a row
    since: datetime | None = None  # when the alarm (or the run of failures) began


@dataclass(frozen=True)
class Observation:
    """What one check saw: a feed (its newest entry is enough), or why there is none."""

    now: datetime
    feed: Feed | None = None
    error: ThingSpeakError | None = None


@dataclass(frozen=True)
class Event:
    """A change of state worth a notification, with what a message needs to say it."""

    kind: Kind
    condition: str
    dashboard: str
    title: str
    at: datetime  # the reading's time; for CHECK, when failing began or ended
    label: str | None = None
    value: str | None = None  # as the page shows it
    unit: str | None = None
    rule: AlertRule | None = None
    age: timedelta | None = None  # quiet: how long since the last reading
    reason: str | None = None  # cant_check: what ThingSpeak did, in words


def rule_key(rule: AlertRule) -> str:
    # Two rules on one field (a frost warning and a hard freeze) are two conditions.
    return f"field{rule.field}-{rule.direction}-{rule.threshold:g}"


def condition_keys(dashboard: Dashboard) -> tuple[str, ...]:
    quiet = (QUIET,) if dashboard.quiet_alert else ()
    return (CHECK, *quiet, *(rule_key(rule) for rule in dashboard.alerts))


def title_of(dashboard: Dashboard, feed: Feed | None) -> str:
    """The name the page shows: the dashboard's title, else the channel's own name."""
    if dashboard.title:
        return dashboard.title
    if feed is not None:
        return feed.channel.name
    return dashboard.name.capitalize()


def step(
    dashboard: Dashboard, key: str, state: ConditionState, seen: Observation
) -> tuple[ConditionState, Event | None]:
    """The condition's next state after this check, and the event if it changed."""
    if key == CHECK:
        return _check(dashboard, state, seen)
    if seen.feed is None:
        return state, None  # ThingSpeak failing says nothing about the sensor
    if key == QUIET:
        return _quiet(dashboard, state, seen, seen.feed)
    for rule in dashboard.alerts:
        if rule_key(rule) == key:
            return _threshold(dashboard, rule, state, seen, seen.feed)
    return state, None  # a rule removed from the file: leave its last state alone


def _check(
    dashboard: Dashboard, state: ConditionState, seen: Observation
) -> tuple[ConditionState, Event | None]:
    title = title_of(dashboard, seen.feed)
    if seen.error is None:
        if state.alarm:
            event = Event("checking_again", CHECK, dashboard.name, title, seen.now)
            return ConditionState(since=seen.now), event
        return (ConditionState() if state.failures else state), None
    if state.alarm:
        return state, None  # said once; counting on would only cost writes
    failures = state.failures + 1
    since = state.since if state.failures and state.since else seen.now
    failing = replace(state, failures=failures, since=since)
    if failures < CANT_CHECK_AFTER:
        return failing, None
    event = Event("cant_check", CHECK, dashboard.name, title, since, reason=seen.error.title)
    return replace(failing, alarm=True), event


def _quiet(
    dashboard: Dashboard, state: ConditionState, seen: Observation, feed: Feed
) -> tuple[ConditionState, Event | None]:
    latest = feed.latest
    if latest is None:
        return state, None  # a channel that never had an entry is not late with one
    age = seen.now - latest.created_at
    quiet = age > timedelta(minutes=dashboard.stale_after_minutes)
    if quiet == state.alarm:
        return state, None
    kind: Kind = "quiet" if quiet else "back"
    title = title_of(dashboard, feed)
    event = Event(kind, QUIET, dashboard.name, title, latest.created_at, age=age)
    return ConditionState(alarm=quiet, since=seen.now), event


def _threshold(
    dashboard: Dashboard,
    rule: AlertRule,
    state: ConditionState,
    seen: Observation,
    feed: Feed,
) -> tuple[ConditionState, Event | None]:
    latest = feed.latest
    if latest is None:
        return state, None
    shown = field_reading(feed, rule.field, dashboard)
    value = _number(shown.display) if shown.numeric else None
    if value is None:
        return state, None  # no reading, text, or a sensor's failed read: nothing to compare
    threshold, clear_at = Decimal(repr(rule.threshold)), Decimal(repr(rule.clear_at))
    if rule.direction == "below":
        crossed, cleared = value < threshold, value >= clear_at
    else:
        crossed, cleared = value > threshold, value <= clear_at
    if not state.alarm and crossed:
        kind: Kind = "crossed"
    elif state.alarm and cleared:
        kind = "cleared"
    else:
        return state, None
    event = Event(
        kind,
        rule_key(rule),
        dashboard.name,
        title_of(dashboard, feed),
        latest.created_at,
        label=shown.label,
        value=shown.display,
        unit=shown.unit,
        rule=rule,
    )
    return ConditionState(alarm=kind == "crossed", since=seen.now), event


def _number(text: str | None) -> Decimal | None:
    # The displayed text, not the raw value: a message never says "32.0 °F, below 32 °F".
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None
