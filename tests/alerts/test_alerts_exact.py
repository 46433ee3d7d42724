"""Issue #17, alerts exact under load: overlapping checks, deliberately slowed (a hook
delaying the fetch and the send, not a hoped-for race), tell one change exactly once, in
both stores; a check slower than its lease sends nothing and the next one sends it once;
and the check's time budget comes from the invocation, not from chalice's 3 s stand-in.

DynamoDB applies a conditional write atomically; moto applies it in two steps (read,
then write) that two threads can interleave, so two writers can both "win". AtomicClient
gives moto DynamoDB's atomicity, nothing more."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.local import LambdaContext
from moto import mock_aws

from chalicelib.alerts import scheduled
from chalicelib.alerts.check import BUDGET_SECONDS, Checker
from chalicelib.alerts.delivery import Report
from chalicelib.alerts.dynamo_store import DynamoStore
from chalicelib.alerts.scheduled import checker_from_env, fetcher
from chalicelib.alerts.sqlite_store import EmbeddedStore
from chalicelib.alerts.store import AlertStore, Record
from chalicelib.alerts.subscriptions import parse_allowed_hosts, parse_subscription
from chalicelib.alerts.wording import Notice
from chalicelib.config.loader import load_config
from chalicelib.config.model import Config, Dashboard
from chalicelib.thingspeak.client import ThingSpeakClient
from chalicelib.thingspeak.feed import Feed
from deploy.alerts import ensure_table, ensure_vapid
from emulator import Emulator
from tests.conftest import FakeClock, write_dashboards
from tests.support.push_service import PushService

REGION = "eu-west-1"
CHANNEL = 1014  # °C, shown in °F
GARDEN = f"""
[[dashboard]]
name = "garden"
channel = {CHANNEL}
title = "Garden"
stale_after_minutes = 600
  [[dashboard.field]]
  number = 1
  label = "Temperature"
  convert = "c_to_f"
  [[dashboard.alert]]
  field = 1
  below = 32.0
  clear_at = 34.0
"""
RULE = "field1-below-32"


class AtomicClient:
    """A boto3 DynamoDB client whose writes moto applies one at a time, as DynamoDB does."""

    _lock = threading.Lock()

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **kwargs: Any) -> Any:
        with self._lock:
            return self._client.put_item(**kwargs)


@dataclass
class Site:
    """A garden with one phone subscribed, and a way to make checkers as cold starts do."""

    quiet_emulator: Emulator
    push: PushService
    config: Config
    env: dict[str, str]
    new_store: Callable[[], AlertStore]
    clock: FakeClock = field(default_factory=lambda: FakeClock(datetime.now(UTC)))
    sent: list[tuple[str, str]] = field(default_factory=list)  # (checker, notice kind)
    phone: dict[str, Any] = field(default_factory=dict)

    def checker(
        self,
        name: str,
        fetch_delay: float = 0.0,
        send_delay: float = 0.0,
        stall: float | None = None,
    ) -> Checker:
        real = fetcher(ThingSpeakClient(self.config.thingspeak_url))

        def slow_fetch(dashboard: Dashboard) -> Feed:
            time.sleep(fetch_delay)
            return real(dashboard)

        made = checker_from_env(
            self.config,
            slow_fetch,
            self.env,
            store=self.new_store(),
            now=self.clock,
            log=lambda _: None,
        )
        assert made is not None
        deliver = made.notifier.deliver

        def slow_send(notice: Notice) -> Report:
            time.sleep(send_delay)
            report = deliver(notice)
            self.sent.append((name, notice.kind))
            return report

        store = made.store if stall is None else SlowStore(made.store, self.clock, stall)
        return replace(made, deliver=slow_send, store=store)


@pytest.fixture(scope="module")
def quiet_emulator() -> Iterator[Emulator]:
    with Emulator() as emulator:
        emulator.go_quiet(CHANNEL)
        yield emulator


def _config(quiet_emulator: Emulator, tmp: Path) -> Config:
    env = {"THINGSPEAK_URL": quiet_emulator.url, **write_dashboards(tmp, GARDEN)}
    return load_config(env, root=tmp)


@pytest.fixture(params=["dynamodb", "sqlite"])
def site(request, quiet_emulator, push, tmp_path, aws) -> Iterator[Site]:
    quiet_emulator.add_entry(CHANNEL, {1: "5.0"})  # 41 °F: fine
    hosts = f"127.0.0.1:{push.port}"
    allow = parse_allowed_hosts(hosts)
    if request.param == "sqlite":
        path = str(tmp_path / "alerts.sqlite3")
        first = EmbeddedStore(path)
        public = first.local_vapid_keys()[1]
        made = Site(
            quiet_emulator,
            push,
            _config(quiet_emulator, tmp_path),
            {"ALERTS_DB": path, "PUSH_SERVICE_HOSTS": hosts},
            lambda: EmbeddedStore(path),
        )
        yield _subscribed(made, first, public, allow)
        return
    with mock_aws():
        table = f"alerts-{uuid.uuid4().hex[:8]}"
        ensure_table(boto3.client("dynamodb", region_name=REGION), table)
        param = f"/glance-test/{table}/vapid"
        public, _ = ensure_vapid(boto3.client("ssm", region_name=REGION), param)

        def new_store() -> AlertStore:
            return DynamoStore(table, AtomicClient(boto3.client("dynamodb", region_name=REGION)))

        env = {"ALERTS_TABLE": table, "PUSH_VAPID_KEY_PARAM": param, "PUSH_SERVICE_HOSTS": hosts}
        made = Site(quiet_emulator, push, _config(quiet_emulator, tmp_path), env, new_store)
        yield _subscribed(made, new_store(), public, allow)


def _subscribed(site: Site, store: AlertStore, public: str, allow: Any) -> Site:
    site.phone = site.push.subscribe(application_server_key=public)
    store.subscribe("garden", parse_subscription(site.phone, allow), time.time())
    return site


def overlap(*checkers: Checker) -> list[list[dict[str, Any]]]:
    """The checks started at the same instant, as overlapping invocations; bounded."""
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
    assert not any(t.is_alive() for t in threads)
    return results


def test_two_overlapping_slowed_checks_tell_each_change_exactly_once_20_times(site):
    site.checker("first").check_all()  # the fine state recorded
    assert site.sent == []
    rng = random.Random(17)
    kinds = []
    for loop in range(20):
        crossing = loop % 2 == 0
        site.quiet_emulator.add_entry(
            CHANNEL, {1: "-1.0" if crossing else "5.0"}
        )  # 30.2 °F or 41 °F
        before = len(site.sent)
        # One check slow to fetch, the other slow to send, by amounts that reorder them.
        slow_fetch = site.checker("a", fetch_delay=rng.uniform(0, 0.08), send_delay=0.0)
        slow_send = site.checker("b", fetch_delay=0.0, send_delay=rng.uniform(0.02, 0.15))
        results = overlap(slow_fetch, slow_send)
        overlap(site.checker("c"), site.checker("d"))  # and the next checks after them

        told = site.sent[before:]
        assert len(told) == 1, (loop, told)
        kinds.append(told[0][1])
        notified = [n for lines in results for line in lines for n in line["notified"]]
        assert len(notified) == 1, (loop, results)
    assert kinds == ["crossed", "cleared"] * 10
    assert (
        len(site.push.messages_for(site.phone)) == 20
    )  # what the phone got: one message per change


class SlowStore:
    """The store, whose first winning write of a notice returns only after `stall`
    seconds of the site's clock (a check frozen or starved after winning)."""

    def __init__(self, store: AlertStore, clock: FakeClock, stall: float) -> None:
        self._store, self._clock, self._stall = store, clock, stall

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def swap(self, dashboard: str, key: str, old: Record, new: Record) -> bool:
        won = self._store.swap(dashboard, key, old, new)
        if won and new.outbox is not None and old.outbox is None:
            self._clock.now += timedelta(seconds=self._stall)
        return won


def test_a_check_slower_than_its_lease_sends_nothing_and_the_next_one_sends_once(site):
    site.checker("first").check_all()
    site.quiet_emulator.add_entry(CHANNEL, {1: "-1.0"})
    stalled = site.checker("slow", stall=250)

    [line] = stalled.check_all()

    assert line["notified"] == [] and site.sent == []  # 50 s of lease left: too little to send
    site.checker("within").check_all()  # the lease still holds: nobody sends
    assert site.sent == []
    site.clock.now += timedelta(seconds=60)  # the lease is over
    site.checker("next").check_all()
    site.checker("after").check_all()
    assert site.sent == [("next", "crossed")]
    assert len(site.push.messages_for(site.phone)) == 1


# --- the time budget ---------------------------------------------------------------------------


class Invocation:
    """What Lambda passes: the time the invocation has left."""

    def __init__(self, millis: float) -> None:
        self.millis = millis

    def get_remaining_time_in_millis(self) -> float:
        return self.millis


def test_the_budget_is_the_invocations_remaining_time_less_a_margin():
    assert scheduled.budget(Invocation(60_000)) == BUDGET_SECONDS  # a deployed check_alerts
    assert scheduled.budget(Invocation(20_000)) == 15.0
    assert scheduled.budget(Invocation(3_000)) == 2.25  # a short invocation keeps a quarter
    assert scheduled.budget(Invocation(0)) == 0.0
    assert scheduled.budget(None) == BUDGET_SECONDS


def test_chalices_3_s_stand_in_context_does_not_time_a_normal_first_check_out(site):
    context = LambdaContext("check_alerts", memory_size=256)  # what chalice's test client passes
    assert context.get_remaining_time_in_millis() <= 3000
    assert scheduled.budget(context) == BUDGET_SECONDS
    # A first check slower than 1 s (cold clients, a slow ThingSpeak) is still "ok".
    lines = site.checker("cold", fetch_delay=1.2).check_all(scheduled.budget(context))
    assert [line["outcome"] for line in lines] == ["ok"]
