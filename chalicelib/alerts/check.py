"""The scheduled check (`check_alerts`): every dashboard at once, within a time budget.

Per dashboard: read its newest entry (one request per channel and key), read its
condition records (one query), step each condition (rules.py), write only
what changed, and send what a change owes (delivery.py). One JSON line per
dashboard goes to stdout (CloudWatch): what was seen and sent, never a key or endpoint.

How a change is sent exactly once: the write that records the new state also records
its notice and a lease (store.py): a conditional write, so of any number of overlapping
checks exactly one wins it, before anything is sent. Only the winner sends; it then
clears the notice. If it dies first, the lease runs out and a later check sends it. A
check that is merely slow never sends once its lease could have run out: it sends only
with SEND_SECONDS of its lease still ahead (by the clock read then, not when it fetched),
so the check that takes over after the lease is the only one to send. Only a check dying
after its send and before clearing the notice can make a change be told twice.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.alerts.delivery import Notifier, Report
from chalicelib.alerts.rules import Observation, condition_keys, step
from chalicelib.alerts.store import DAY, RECORD_DAYS, AlertStore, Record, StoreError
from chalicelib.alerts.wording import MessageClock, Notice, render
from chalicelib.config.model import Config, Dashboard
from chalicelib.display.times import iso
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.thingspeak.feed import Feed

BUDGET_SECONDS = 45.0  # under check_alerts' lambda_timeout (60 s in .chalice/config.json)
MARGIN_SECONDS = 5.0  # what the handler keeps to write its lines and return
LEASE_SECONDS = 300.0  # longer than any one send; a dead sender's notice waits this long
# What a send may take at most (pushes time out after 4 s, 8 at a time, 50 per dashboard;
# one SNS publish): a check sends only with this much of its lease still ahead.
SEND_SECONDS = 60.0
WORKERS = 8
# A record is rewritten (same state) when its TTL has less than this left, so a long
# alarm never expires into "fine" and fires again.
RENEW_WITHIN_SECONDS = (RECORD_DAYS - 30) * DAY

Fetch = Callable[[Dashboard], Feed]
Log = Callable[[dict[str, Any]], None]
Deliver = Callable[[Notice], Report]


def write_line(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Checker:
    """Checks every dashboard once: fetch, step each condition, notify on a change."""

    config: Config
    fetch: Fetch
    store: AlertStore
    notifier: Notifier
    clock: MessageClock = field(default_factory=MessageClock)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    log: Log = write_line
    # What sends a notice: the notifier's deliver, unless a test slows it down (a hook
    # like `fetch`, which a test may slow down too).
    deliver: Deliver | None = None

    def check_all(self, budget: float = BUDGET_SECONDS) -> list[dict[str, Any]]:
        """One line per dashboard; those not done within `budget` seconds say timed_out."""
        groups: dict[tuple[object, ...], list[Dashboard]] = {}
        for dashboard in self.config.dashboards:
            key = dashboard.source
            groups.setdefault(key, []).append(dashboard)
        pool = ThreadPoolExecutor(min(WORKERS, len(groups)), thread_name_prefix="alert-check")
        futures: dict[Future[list[dict[str, Any]]], list[Dashboard]] = {
            pool.submit(self._check_group, group): group for group in groups.values()
        }
        done, _ = wait(futures, timeout=max(budget, 0.0))
        # A check still running keeps its thread; its lease lets the next check finish it.
        pool.shutdown(wait=False, cancel_futures=True)
        lines: list[dict[str, Any]] = []
        for future, group in futures.items():
            if future in done:
                lines.extend(future.result())
            else:
                lines.extend(_line(d, "timed_out", budget_s=round(budget, 1)) for d in group)
        for line in lines:
            self.log(line)
        return lines

    def _check_group(self, group: list[Dashboard]) -> list[dict[str, Any]]:
        """Dashboards of one channel and key share one read of its newest entry."""
        started = time.monotonic()
        try:
            feed, error = self.fetch(group[0]), None
        except ThingSpeakError as exc:
            feed, error = None, exc
        fetch_ms = ms_since(started)
        return [self._check_one(d, Observation(self.now(), feed, error), fetch_ms) for d in group]

    def _check_one(
        self, dashboard: Dashboard, seen: Observation, fetch_ms: float
    ) -> dict[str, Any]:
        started = time.monotonic()
        latest = seen.feed.latest if seen.feed else None
        line = _line(
            dashboard,
            "ok" if seen.error is None else "thingspeak_error",
            error=seen.error.code if seen.error else None,
            latest_at=iso(latest.created_at) if latest else None,
            fetch_ms=fetch_ms,
        )
        sent: list[dict[str, Any]] = []
        try:
            records = self.store.records(dashboard.name)
            alarms = []
            for key in condition_keys(dashboard):
                record, delivered = self._advance(dashboard, key, records.get(key, Record()), seen)
                if record.state.alarm:
                    alarms.append(key)
                if delivered is not None:
                    sent.append(delivered)
            line["alarms"] = alarms
        except StoreError as exc:
            line.update(outcome="store_error", error=str(exc))
        except Exception as exc:  # one dashboard's surprise must not stop the others
            line.update(outcome="error", error=_where(exc))
        line["notified"] = sent
        line["ms"] = ms_since(started)
        return line

    def _advance(
        self, dashboard: Dashboard, key: str, record: Record, seen: Observation
    ) -> tuple[Record, dict[str, Any] | None]:
        """Steps one condition; (its record as now stored, what was sent if anything)."""
        state, event = step(dashboard, key, record.state, seen)
        now = self.now().timestamp()  # leases go by the clock now, not when the fetch ended
        renew = record.version > 0 and record.expires - now < RENEW_WITHIN_SECONDS
        mine = False
        if state != record.state or event is not None or renew:
            outbox = render(event, seen.now, self.clock).to_json() if event else record.outbox
            lease = now + LEASE_SECONDS if event else record.lease_until
            new = Record(state, record.version + 1, outbox, lease, int(now) + RECORD_DAYS * DAY)
            if not self.store.swap(dashboard.name, key, record, new):
                return record, None  # another check recorded this change and sends it
            record, mine = new, event is not None
        owed = record.outbox
        if owed is None:
            return record, None
        if not mine:
            if record.lease_until > now:
                return record, None  # being sent by another check right now
            claimed = replace(record, version=record.version + 1, lease_until=now + LEASE_SECONDS)
            if not self.store.swap(dashboard.name, key, record, claimed):
                return record, None
            record = claimed
        if self.now().timestamp() > record.lease_until - SEND_SECONDS:
            # Too slow: our lease could run out mid-send and another check take over. The
            # notice stays; the check after the lease sends it, and only that one.
            return record, None
        notice = Notice.from_json(owed)
        report = (self.deliver or self.notifier.deliver)(notice)
        done = replace(record, version=record.version + 1, outbox=None, lease_until=0.0)
        # Losing this swap means a newer change came meanwhile, with its own notice.
        if self.store.swap(dashboard.name, key, record, done):
            record = done
        return record, {
            "kind": notice.kind,
            "condition": key,
            "text": notice.body,
            **report.to_json(),
        }


def _line(dashboard: Dashboard, outcome: str, **facts: Any) -> dict[str, Any]:
    line = {"msg": "alert_check", "dashboard": dashboard.name, "channel": dashboard.channel}
    line["outcome"] = outcome
    line.update({k: v for k, v in facts.items() if v is not None})
    return line


def _where(exc: BaseException) -> str:
    """The error's type and innermost line, never its message (which could quote a secret)."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"


def ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
