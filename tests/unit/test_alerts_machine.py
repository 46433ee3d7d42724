"""The alert state machine and its messages, without any network or store: what a person
gets told, and when, for each sequence of readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.alerts.rules import (
    CHECK,
    QUIET,
    ConditionState,
    Event,
    Observation,
    condition_keys,
    rule_key,
    step,
)
from chalicelib.alerts.wording import (
    AlertsConfigError,
    MessageClock,
    email_subject,
    message_clock,
    render,
)
from chalicelib.config.model import AlertRule, Dashboard, FieldDisplay
from chalicelib.config.units import CONVERSIONS
from chalicelib.thingspeak.errors import UpstreamUnavailable
from chalicelib.thingspeak.feed import Feed, parse_feed

NOW = datetime(2026, 1, 15, 6, 50, tzinfo=UTC)
FROST = AlertRule(field=1, direction="below", threshold=32.0, clear_at=34.0)
GARDEN = Dashboard(
    name="garden",
    channel=7,
    title="Garden",
    fields=(FieldDisplay(1, label="Temperature", decimals=1, conversion=CONVERSIONS["c_to_f"]),),
    alerts=(FROST,),
)
DOWN = UpstreamUnavailable("ThingSpeak answered HTTP 503.")


def feed(value: str | None, at: datetime = NOW) -> Feed:
    payload: dict[str, Any] = {
        "channel": {"id": 7, "name": "Backyard", "field1": "Temp"},
        "feeds": [{"entry_id": 1, "created_at": at.isoformat(), "field1": value}],
    }
    return parse_feed(payload)


def run(
    dashboard: Dashboard, key: str, observations: list[Observation]
) -> tuple[ConditionState, list[Event]]:
    state, events = ConditionState(), []
    for seen in observations:
        state, event = step(dashboard, key, state, seen)
        if event is not None:
            events.append(event)
    return state, events


def celsius(*values: str) -> list[Observation]:
    return [Observation(NOW, feed(v)) for v in values]


def test_each_condition_of_a_dashboard_has_its_own_key():
    assert condition_keys(GARDEN) == (CHECK, QUIET, "field1-below-32")
    assert condition_keys(Dashboard("x", 1, quiet_alert=False)) == (CHECK,)


def test_a_threshold_is_compared_in_the_unit_and_rounding_the_page_shows():
    # -0.2 °C is 31.64 °F, shown as 31.6: below 32. 0.0 °C is 32.0 °F: not below.
    _, events = run(GARDEN, rule_key(FROST), celsius("0.0", "-0.2"))

    assert [e.kind for e in events] == ["crossed"]
    assert (events[0].value, events[0].unit, events[0].label) == ("31.6", "°F", "Temperature")


def test_a_value_hovering_at_the_line_notifies_once_until_it_passes_clear_at():
    # 31.6, 32.4, 31.8, 33.3, 31.5 °F ... and finally 34.3 °F
    hovering = celsius("-0.2", "0.2", "-0.1", "0.7", "-0.3", "1.3")

    state, events = run(GARDEN, rule_key(FROST), hovering)

    assert [e.kind for e in events] == ["crossed", "cleared"]
    assert events[1].value == "34.3"
    assert not state.alarm


def test_without_clear_at_the_line_itself_clears_it():
    plain = Dashboard("g", 7, alerts=(AlertRule(1, "above", 30.0, 30.0),))
    _, events = run(plain, rule_key(plain.alerts[0]), celsius("30.5", "30", "30.1"))

    assert [e.kind for e in events] == ["crossed", "cleared", "crossed"]


@pytest.mark.parametrize("value", [None, "", "nan", "open", "-1e999999"])
def test_a_missing_or_unreadable_value_changes_nothing(value):
    alarmed = ConditionState(alarm=True, since=NOW)

    state, event = step(GARDEN, rule_key(FROST), alarmed, Observation(NOW, feed(value)))

    assert (state, event) == (alarmed, None)


def test_quiet_after_the_stale_limit_and_back_with_the_next_reading():
    last = NOW - timedelta(minutes=47)
    seen = [
        Observation(last + timedelta(minutes=29), feed("1", last)),
        Observation(NOW, feed("1", last)),
        Observation(NOW + timedelta(minutes=5), feed("1", last)),
        Observation(NOW + timedelta(minutes=10), feed("2", NOW + timedelta(minutes=9))),
    ]

    _, events = run(GARDEN, QUIET, seen)

    assert [e.kind for e in events] == ["quiet", "back"]
    assert events[0].age == timedelta(minutes=47)
    assert events[0].at == last


def test_thingspeak_failing_is_never_a_quiet_alarm_and_says_cant_check_once():
    last = NOW - timedelta(hours=5)
    failing = [Observation(NOW + timedelta(minutes=5 * i), error=DOWN) for i in range(8)]
    healed = Observation(NOW + timedelta(minutes=45), feed("1", NOW + timedelta(minutes=44)))

    quiet_state, quiet_events = run(GARDEN, QUIET, [*failing, healed])
    check_state, check_events = run(GARDEN, CHECK, [*failing, healed])
    _, stale_first = run(GARDEN, QUIET, [Observation(NOW, feed("1", last)), *failing])

    assert quiet_events == [] and not quiet_state.alarm
    assert [e.kind for e in check_events] == ["cant_check", "checking_again"]
    assert check_events[0].at == NOW  # since the first failure, not the third
    assert check_events[0].reason == DOWN.title
    assert check_state == ConditionState(since=healed.now)
    assert [e.kind for e in stale_first] == ["quiet"]  # raised before the outage, kept


def test_two_failures_then_a_success_start_the_count_again():
    fail = Observation(NOW, error=DOWN)
    ok = Observation(NOW, feed("1"))

    _, events = run(GARDEN, CHECK, [fail, fail, ok, fail, fail, ok])

    assert events == []


CLOCK = MessageClock()


def event(**kw: Any) -> Event:
    base: dict[str, Any] = {"condition": "c", "dashboard": "garden", "title": "Garden"}
    return Event(**{**base, **kw})


@pytest.mark.parametrize(
    ("made", "text"),
    [
        (
            event(
                kind="crossed",
                at=NOW.replace(hour=6, minute=42),
                label="Temperature",
                value="31.6",
                unit="°F",
                rule=FROST,
            ),
            "Garden: Temperature 31.6 °F, below 32 °F (at 06:42 UTC)",
        ),
        (
            event(kind="cleared", at=NOW, label="Humidity", value="80", unit=None, rule=FROST),
            "Garden: Humidity 80, no longer below 32 (at 06:50 UTC)",
        ),
        (
            event(
                kind="quiet",
                at=NOW.replace(hour=5, minute=55),
                age=timedelta(minutes=47, seconds=20),
            ),
            "Garden: no new reading for 47 min (last at 05:55 UTC)",
        ),
        (
            event(kind="quiet", at=NOW - timedelta(days=3), age=timedelta(days=3)),
            "Garden: no new reading for 3 days (last at 12 Jan 06:50 UTC)",
        ),
        (
            event(kind="quiet", at=NOW, age=timedelta(hours=5, minutes=3)),
            "Garden: no new reading for 5 h 3 min (last at 06:50 UTC)",
        ),
        (event(kind="back", at=NOW), "Garden: new readings again (latest at 06:50 UTC)"),
        (
            event(kind="cant_check", at=NOW, reason="ThingSpeak is not answering properly"),
            "Garden: can't check the readings since 06:50 UTC "
            "(ThingSpeak is not answering properly)",
        ),
        (
            event(kind="checking_again", at=NOW),
            "Garden: readings can be checked again (at 06:50 UTC)",
        ),
    ],
)
def test_messages_say_what_happened_in_a_persons_words(made, text):
    notice = render(made, NOW, CLOCK)

    assert notice.body == text
    assert notice.url == "/d/garden"


def test_a_chosen_time_zone_is_shown_without_a_suffix():
    berlin = message_clock("Europe/Berlin")
    made = event(kind="back", at=NOW)

    assert render(made, NOW, berlin).body == "Garden: new readings again (latest at 07:50)"
    with pytest.raises(AlertsConfigError, match="ALERTS_TIMEZONE 'Mars/Olympus'"):
        message_clock("Mars/Olympus")


def test_email_subjects_are_ascii_and_short():
    assert email_subject("Gewächshaus °C") == "Alert: Gewachshaus C"
    assert len(email_subject("x" * 300)) < 100
    assert email_subject("°°°") == "ThingSpeak Glance alert"
