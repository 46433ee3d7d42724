"""The scheduled alert check, end to end: the emulator as ThingSpeak, moto as DynamoDB, SSM
and SNS (an SQS queue subscribed to the topic shows what was emailed), and the loopback
push service stand-in, which verifies VAPID and decrypts what a phone would get."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import uuid
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.alerts.check import BUDGET_SECONDS, LEASE_SECONDS, Checker
from chalicelib.alerts.dynamo_store import DynamoStore
from chalicelib.alerts.rules import Observation, step
from chalicelib.alerts.scheduled import checker_from_env, fetcher, run
from chalicelib.alerts.sqlite_store import EmbeddedStore
from chalicelib.alerts.store import Record
from chalicelib.alerts.subscriptions import parse_allowed_hosts, parse_subscription
from chalicelib.alerts.wording import render
from chalicelib.config.loader import load_config
from chalicelib.config.model import Config
from chalicelib.thingspeak.client import ThingSpeakClient
from emulator import PRIVATE_READ_KEY, Emulator
from emulator.server import SLOW_SECONDS
from tests.alerts.conftest import GARDEN, REGION, SUBJECT, Aws
from tests.alerts.test_alerts_exact import AtomicClient
from tests.conftest import FakeClock, write_dashboards
from tests.support.push_service import PushService


@dataclass
class Rig:
    """One site's dashboards, checked the way check_alerts checks them."""

    emu: Emulator
    stage: Aws
    push: PushService
    config: Config
    clock: FakeClock = field(default_factory=lambda: FakeClock(datetime.now(UTC)))
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            "ALERTS_TABLE": self.stage.table,
            "ALERTS_TOPIC_ARN": self.stage.topic_arn,
            "PUSH_VAPID_KEY_PARAM": self.stage.vapid_param,
            "PUSH_VAPID_SUBJECT": SUBJECT,
            "PUSH_SERVICE_HOSTS": f"127.0.0.1:{self.push.port}",
        }

    def checker(self, **options: Any) -> Checker:
        client = ThingSpeakClient(self.config.thingspeak_url)
        options.setdefault("log", self.lines.append)
        made = checker_from_env(self.config, fetcher(client), self.env, now=self.clock, **options)
        assert made is not None
        return made

    def check(self, times: int = 1) -> list[dict[str, Any]]:
        lines = []
        for _ in range(times):
            lines += self.checker().check_all()
        return lines

    def later(self, minutes: float) -> None:
        self.clock.now += timedelta(minutes=minutes)

    def phone(self, dashboard: str = "garden") -> dict[str, Any]:
        """A browser subscribed to a dashboard's alerts, as the page would subscribe it."""
        browser = self.push.subscribe(application_server_key=self.stage.public_key)
        allow = parse_allowed_hosts(self.env["PUSH_SERVICE_HOSTS"])
        store = DynamoStore(self.stage.table)
        store.subscribe(dashboard, parse_subscription(browser, allow), time.time())
        return browser

    def pushed(self, browser: dict[str, Any]) -> list[str]:
        return [json.loads(m)["body"] for m in self.push.messages_for(browser)]


def rig_for(emu: Emulator, stage: Aws, push: PushService, tmp: Path, toml: str = GARDEN) -> Rig:
    env = {"THINGSPEAK_URL": emu.url, **write_dashboards(tmp, toml)}
    return Rig(emu, stage, push, load_config(env, root=tmp))


@pytest.fixture
def rig(emu: Emulator, stage: Aws, push: PushService, tmp_path: Path) -> Rig:
    emu.go_quiet(1014)  # only the readings a test posts from now on
    emu.add_entry(1014, {1: "5.0"})  # 41 °F
    return rig_for(emu, stage, push, tmp_path)


def hhmm(at: datetime, now: datetime) -> str:
    """How a message sent at `now` says `at`: its time, and its day too when that is not the
    day of sending (a check soon after midnight about a reading before it)."""
    at, now = at.astimezone(UTC), now.astimezone(UTC)
    day = "" if at.date() == now.date() else f"{at.day} {at.strftime('%b')} "
    return day + at.strftime("%H:%M UTC")


# --- what gets told --------------------------------------------------------------------------


def test_a_sensor_going_quiet_and_coming_back_is_told_once_each_by_email_and_push(rig):
    phone = rig.phone()
    # On the injected clock, to the whole second as ThingSpeak keeps it: "47 min" is then
    # exact, however long the machine took to get here.
    last = rig.clock.now.replace(microsecond=0)
    rig.emu.add_entry(1014, {1: "5.1"}, created_at=last)
    rig.check()
    rig.later(47)
    told = rig.clock.now

    rig.check(times=3)
    assert rig.stage.emails() == [
        f"Alert: Garden | Garden: no new reading for 47 min (last at {hhmm(last, told)})"
    ]
    assert rig.pushed(phone) == [f"Garden: no new reading for 47 min (last at {hhmm(last, told)})"]

    back = datetime.now(UTC)
    rig.emu.add_entry(1014, {1: "5.2"}, created_at=back)
    rig.clock.now = back + timedelta(minutes=1)
    rig.check(times=2)
    assert rig.stage.emails() == [
        f"Alert: Garden | Garden: new readings again (latest at {hhmm(back, rig.clock.now)})"
    ]
    [_, push_back] = rig.push.messages_for(phone)
    assert json.loads(push_back) == {
        "title": "Garden",
        "body": f"Garden: new readings again (latest at {hhmm(back, rig.clock.now)})",
        "tag": "garden:quiet",  # the phone replaces "quiet" with "back"
        "url": "/d/garden",
    }


def test_a_threshold_crossed_and_cleared_is_told_in_the_unit_the_page_shows(rig):
    phone = rig.phone()
    rig.check()
    cold = datetime.now(UTC)
    rig.emu.add_entry(1014, {1: "-0.2"}, created_at=cold)  # 31.64 °F, shown as 31.6

    rig.check(times=2)
    warm = datetime.now(UTC)  # the entry's own time, not a clock read after the fact
    rig.emu.add_entry(1014, {1: "1.3"}, created_at=warm)  # 34.3 °F: past clear_at
    rig.check(times=2)

    expected = [
        f"Garden: Temperature 31.6 °F, below 32 °F (at {hhmm(cold, rig.clock.now)})",
        f"Garden: Temperature 34.3 °F, no longer below 32 °F (at {hhmm(warm, rig.clock.now)})",
    ]
    assert [email.split(" | ")[1] for email in rig.stage.emails()] == expected
    assert rig.pushed(phone) == expected


def test_a_value_hovering_at_the_line_is_one_notification_per_change_of_state(rig):
    phone = rig.phone()
    # °F as shown: 31.6 32.4 31.8 33.3 31.5 32.0 33.6 | 34.3 | 33.1 31.8 32.2 31.1
    readings = ["-0.2", "0.2", "-0.1", "0.7", "-0.3", "0.0", "0.9", "1.3", "0.6", "-0.1", "0.1"]
    readings.append("-0.5")
    changes, alarm = 0, False
    for value in readings:
        rig.emu.add_entry(1014, {1: value})
        shown = round(float(value) * 1.8 + 32, 1)
        now_alarm = shown < 32 if not alarm else shown < 34
        changes += now_alarm != alarm
        alarm = now_alarm
        rig.check()

    emails, pushes = rig.stage.emails(), rig.pushed(phone)
    assert changes == 3  # below, cleared at 34.3, below again
    assert len(emails) == len(pushes) == changes
    print(
        f"\nflapping: {len(readings)} readings, {changes} changes of state, "
        f"{len(emails) / changes:.1f} email and {len(pushes) / changes:.1f} push per change"
    )


def test_overlapping_checks_send_one_notification_for_one_change(rig):
    phone = rig.phone()
    rig.check()
    rig.emu.add_entry(1014, {1: "-1.0"})
    # Eight invocations at once, each as a cold start with its own store and client; each
    # client's conditional writes atomic, as DynamoDB's are (moto's are not on their own).
    checkers = [
        rig.checker(
            store=DynamoStore(
                rig.stage.table, AtomicClient(boto3.client("dynamodb", region_name=REGION))
            )
        )
        for _ in range(8)
    ]
    start = threading.Barrier(len(checkers))
    results: list[list[dict[str, Any]]] = []

    def invoke(checker: Checker) -> None:
        start.wait(timeout=10)
        results.append(checker.check_all())

    threads = [threading.Thread(target=invoke, args=(c,)) for c in checkers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    rig.check(times=2)  # and the retries after them

    notified = [n for lines in results for line in lines for n in line["notified"]]
    assert len(results) == 8
    assert len(notified) == 1
    assert len(rig.stage.emails()) == 1
    assert len(rig.pushed(phone)) == 1


def test_thingspeak_failing_is_no_quiet_alarm_but_one_cant_check_and_one_works_again(rig):
    rig.check()
    rig.emu.set_fault(1014, "error_503")
    started = rig.clock.now
    lines, emails, told = [], [], []
    for _ in range(6):  # half an hour of failing checks, past the stale limit
        lines += rig.check()
        sent = rig.stage.emails()
        emails += sent
        told += [rig.clock.now] * len(sent)  # when each was sent, for how it says the time
        rig.later(6)
    rig.emu.set_fault(1014, None)
    rig.emu.add_entry(1014, {1: "5.0"}, created_at=datetime.now(UTC))
    rig.clock.now = datetime.now(UTC) + timedelta(minutes=1)
    rig.check(times=2)
    emails += rig.stage.emails()

    assert [line["outcome"] for line in lines] == ["thingspeak_error"] * 6
    assert all(line["error"] == "thingspeak_unavailable" for line in lines)
    assert len(told) == 1, emails  # one can't-check while failing
    assert [email.split(" | ")[1] for email in emails] == [
        f"Garden: can't check the readings since {hhmm(started, told[0])} "
        "(ThingSpeak is not answering properly)",
        f"Garden: readings can be checked again (at {hhmm(rig.clock.now, rig.clock.now)})",
    ]


def test_a_subscription_the_push_service_says_is_gone_is_removed(rig):
    kept, gone = rig.phone(), rig.phone()
    rig.push.answer(gone, 410)
    rig.emu.add_entry(1014, {1: "-2.0"})

    [line] = rig.check()
    rig.emu.add_entry(1014, {1: "3.0"})
    rig.check()

    assert line["notified"][0] | {"text": ""} == {
        "kind": "crossed",
        "condition": "field1-below-32",
        "text": "",
        "sns": "published",
        "sent": 1,
        "gone": 1,
        "failed": 0,
    }
    left = DynamoStore(rig.stage.table).subscriptions("garden", time.time())
    assert [s.endpoint for s in left] == [kept["endpoint"]]
    assert len(rig.pushed(kept)) == 2
    assert len([r for r in rig.push.requests if r.status == 410]) == 1


def test_a_stored_endpoint_off_the_current_allow_list_is_never_contacted(rig):
    stranger = rig.phone()  # allowed when it was stored
    rig.emu.add_entry(1014, {1: "-2.0"})
    narrowed = {**rig.env, "PUSH_SERVICE_HOSTS": "127.0.0.1:1"}  # that host is off it now
    client = ThingSpeakClient(rig.config.thingspeak_url)

    checker = checker_from_env(
        rig.config, fetcher(client), narrowed, now=rig.clock, log=lambda _: None
    )
    assert checker is not None
    [line] = checker.check_all()

    assert line["notified"][0]["failed"] == 1
    assert rig.push.connections == 0
    assert rig.pushed(stranger) == []
    assert len(rig.stage.emails()) == 1  # email does not depend on it


# --- exactly once, across failures -----------------------------------------------------------


def test_a_change_whose_check_died_before_sending_is_sent_once_by_a_later_check(rig):
    phone = rig.phone()
    rig.emu.add_entry(1014, {1: "-2.0"})
    store = DynamoStore(rig.stage.table)
    checker = rig.checker()
    # The check wins the write, then dies before sending: its notice and lease stay.
    died = _record_without_sending(checker, store)
    assert died.outbox is not None

    rig.check()  # within the lease: the dead check might still be sending
    assert rig.stage.emails() == []

    rig.later(6)  # the lease (5 min) is over
    rig.check(times=2)
    assert len(rig.stage.emails()) == 1
    assert len(rig.pushed(phone)) == 1
    assert store.records("garden")["field1-below-32"].outbox is None


def _record_without_sending(checker: Checker, store: DynamoStore) -> Record:
    dashboard = checker.config.dashboards[0]
    feed = fetcher(ThingSpeakClient(checker.config.thingspeak_url))(dashboard)
    seen = Observation(checker.now(), feed)
    state, event = step(dashboard, "field1-below-32", Record().state, seen)
    assert event is not None
    now = seen.now.timestamp()
    outbox = render(event, seen.now, checker.clock).to_json()
    record = Record(state, 1, outbox, now + LEASE_SECONDS, int(now) + 86400)
    assert store.swap("garden", "field1-below-32", Record(), record)
    return record


# --- secrets ---------------------------------------------------------------------------------

PRIVATE = """
[[dashboard]]
name = "vault"
channel = 1001
read_api_key_param = "{param}"
stale_after_minutes = 5
"""


def test_no_key_or_endpoint_ever_reaches_a_log_line_or_the_result(
    emu, stage, push, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    param = f"/glance-test/{uuid.uuid4().hex[:8]}/vault"
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=param, Value=PRIVATE_READ_KEY, Type="SecureString"
    )
    rig = rig_for(emu, stage, push, tmp_path, PRIVATE.format(param=param))
    phone = rig.phone("vault")
    gone = rig.phone("vault")
    push.answer(gone, 410)
    client = ThingSpeakClient(rig.config.thingspeak_url)
    out = io.StringIO()

    with redirect_stdout(out):
        rig.later(60)  # quiet: something is sent
        first = run(rig.config, client, rig.env, now=rig.clock)
        emu.set_fault(1001, "error_503")
        runs = [run(rig.config, client, rig.env, now=rig.clock) for _ in range(3)]

    logged = out.getvalue() + "".join(r.getMessage() for r in caplog.records)
    results = json.dumps([first, *runs])
    assert first["notified"] == 1 and len(rig.pushed(phone)) == 2  # quiet, can't check
    for secret in (stage.private_key(), PRIVATE_READ_KEY, phone["endpoint"], gone["endpoint"]):
        assert secret not in logged
        assert secret not in results
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {line["msg"] for line in lines} == {"alert_check"}
    assert len(lines) == 4  # one per dashboard and check


# --- time and scale --------------------------------------------------------------------------


def test_a_check_that_cannot_finish_in_its_budget_is_logged_and_holds_no_one_up(
    emu, stage, push, tmp_path
):
    toml = GARDEN + '\n[[dashboard]]\nname = "slow"\nchannel = 1004\n'
    rig = rig_for(emu, stage, push, tmp_path, toml)
    started = time.monotonic()

    lines = rig.checker().check_all(budget=1.0)

    took = time.monotonic() - started
    assert {line["dashboard"]: line["outcome"] for line in lines} == {
        "garden": "ok",
        "slow": "timed_out",
    }
    # The slow channel answers only after SLOW_SECONDS: the check gave up on it, it did not
    # wait it out (generous for a busy machine, and still far from 15 s).
    assert took < SLOW_SECONDS / 3


def test_24_dashboards_are_checked_well_within_the_checks_budget(emu, stage, push, tmp_path):
    channels = [12397, 1002, 1003, 1011, 1014, 1015, 1016, 1017]
    toml = "".join(
        f'[[dashboard]]\nname = "d{i}"\nchannel = {channels[i % len(channels)]}\n'
        f"  [[dashboard.alert]]\n  field = 1\n  above = 1e9\n"
        for i in range(24)
    )
    rig = rig_for(emu, stage, push, tmp_path, toml)
    timings = []
    for _ in range(3):
        started = time.monotonic()
        lines = rig.check()
        timings.append(time.monotonic() - started)

    assert len(lines) == 24 and all(line["outcome"] == "ok" for line in lines)
    print(
        f"\ncheck of 24 dashboards on 8 channels (moto DynamoDB, emulator): "
        f"{', '.join(f'{t * 1000:.0f} ms' for t in timings)}"
    )
    # Well inside the scheduled check's own budget (a third of it), even on a busy machine.
    assert max(timings[1:]) < BUDGET_SECONDS / 3


# --- the embedded store behaves like the table ----------------------------------------------


def test_the_embedded_store_gives_the_same_notifications(emu, stage, push, tmp_path):
    rig = rig_for(emu, stage, push, tmp_path)
    store = EmbeddedStore(str(tmp_path / "alerts.sqlite3"))
    said: list[str] = []
    env = {"PUSH_SERVICE_HOSTS": f"127.0.0.1:{push.port}"}
    browser = push.subscribe(application_server_key=store.local_vapid_keys()[1])
    store.subscribe(
        "garden",
        parse_subscription(browser, parse_allowed_hosts(env["PUSH_SERVICE_HOSTS"])),
        time.time(),
    )
    client = ThingSpeakClient(rig.config.thingspeak_url)

    def check() -> None:
        made = checker_from_env(
            rig.config,
            fetcher(client),
            env,
            store=store,
            echo=said.append,
            log=lambda _: None,
            now=rig.clock,
        )
        assert made is not None
        made.check_all()

    emu.go_quiet(1014)
    cold = datetime.now(UTC)  # the entry's own time, not a clock read after the fact
    emu.add_entry(1014, {1: "-2.0"}, created_at=cold)
    for _ in range(3):
        check()
    told = rig.clock.now
    rig.later(40)
    check()

    assert said == [
        f"Garden: Temperature 28.4 °F, below 32 °F (at {hhmm(cold, told)})",
        said[1],
    ]
    assert said[1].startswith("Garden: no new reading for 40 min")
    assert [json.loads(m)["body"] for m in push.messages_for(browser)] == said
