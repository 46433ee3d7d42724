"""`python -m deploy.access` against moto: setup (idempotent), the generated policies, the
stores' single-use invitations and expiry, and the alert cap under concurrent requests."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.access.dynamo_store import DynamoAccessStore
from chalicelib.access.sqlite_store import SqliteAccessStore
from chalicelib.access.store import INVITATION_SECONDS, Invitation, token_hash
from chalicelib.alerts.dynamo_store import DynamoStore
from chalicelib.alerts.sqlite_store import EmbeddedStore
from chalicelib.alerts.store import MAX_SUBSCRIPTIONS
from chalicelib.alerts.subscriptions import Subscription
from deploy import access as access_cli
from deploy.alerts import ensure_table
from tests.conftest import ROOT

REGION = "eu-west-1"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    for name in ("dashboards.toml", "dashboards.prod.toml"):
        (tmp_path / "chalicelib").mkdir(exist_ok=True)
        shutil.copy(ROOT / "chalicelib" / name, tmp_path / "chalicelib" / name)
    return tmp_path


def run(project: Path, *argv: str, session=None, now=time.time) -> tuple[int, list[str]]:
    lines: list[str] = []
    config = ["--config", str(project / ".chalice" / "config.json")]
    code = access_cli.main([*argv, *config], session=session, now=now, out=lines.append)
    return code, lines


def test_setup_is_idempotent_and_writes_env_and_policies(aws, project):
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        code, lines = run(project, "setup", "--stage", "prod", "--region", REGION, session=session)
        assert code == 0, lines
        config = json.loads((project / ".chalice" / "config.json").read_text())
        env = config["stages"]["prod"]["environment_variables"]
        assert env["ACCESS_TABLE"] == "thingspeak-glance-prod-access"
        assert env["SESSION_SECRET_PARAM"] == "/thingspeak-glance/prod/session-secret"
        assert env["SITE_URL"] == "https://weather.example.com"
        ssm = session.client("ssm")
        first = ssm.get_parameter(Name=env["SESSION_SECRET_PARAM"], WithDecryption=True)
        assert first["Parameter"]["Type"] == "SecureString"
        code, again = run(project, "setup", "--stage", "prod", "--region", REGION, session=session)
        assert code == 0 and any("already had" in line for line in again)
        second = ssm.get_parameter(Name=env["SESSION_SECRET_PARAM"], WithDecryption=True)
        assert first["Parameter"]["Value"] == second["Parameter"]["Value"]

        web = json.loads((project / ".chalice" / "policy-prod.json").read_text())
        check = json.loads((project / ".chalice" / "policy-prod-check_alerts.json").read_text())
        by_sid = {s["Sid"]: s for s in web["Statement"]}
        items = by_sid["KeepPasskeysAndInvitations"]
        assert items["Resource"].endswith(":table/thingspeak-glance-prod-access")
        leading = items["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert leading == ["passkey", "invite"]
        assert by_sid["ReadTheSessionSecret"]["Resource"].endswith(
            ":parameter/thingspeak-glance/prod/session-secret"
        )
        check_sids = {s["Sid"]: s for s in check["Statement"]}
        assert check_sids["ListPasskeys"]["Action"] == ["dynamodb:Query"]
        assert check_sids["ListPasskeys"]["Condition"]["ForAllValues:StringLike"][
            "dynamodb:LeadingKeys"
        ] == ["passkey"]
        assert not any("session-secret" in json.dumps(s) for s in check["Statement"])


def test_invite_list_and_revoke_against_dynamodb(aws, project):
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        assert run(project, "setup", "--stage", "prod", "--region", REGION, session=session)[0] == 0
        code, lines = run(
            project,
            "invite",
            "--stage",
            "prod",
            "--label",
            "Peter",
            "--dashboards",
            "garden",
            session=session,
        )
        # The prod file's dashboards decide what --dashboards may name.
        assert code in (0, 1)
        code, lines = run(project, "invite", "--stage", "prod", "--label", "Peter", session=session)
        assert code == 0
        link = lines[1]
        assert link.startswith("https://weather.example.com/join#")
        assert "\u2588" in "\n".join(lines[2:]) or "\u2580" in "\n".join(lines[2:])  # the QR
        token = link.split("#", 1)[1]
        store = DynamoAccessStore(
            "thingspeak-glance-prod-access", client=session.client("dynamodb")
        )
        raw = session.client("dynamodb").scan(TableName="thingspeak-glance-prod-access")
        assert token not in json.dumps(raw)  # stored only as its hash
        assert store.take_invitation(token_hash(token), time.time()) is not None
        assert store.take_invitation(token_hash(token), time.time()) is None
        code, lines = run(project, "list", "--stage", "prod", session=session)
        assert code == 0 and "no passkeys" in lines[0]
        ssm = session.client("ssm")
        before = ssm.get_parameter(
            Name="/thingspeak-glance/prod/session-secret", WithDecryption=True
        )
        assert run(project, "revoke", "--stage", "prod", "--all", session=session)[0] == 0
        after = ssm.get_parameter(
            Name="/thingspeak-glance/prod/session-secret", WithDecryption=True
        )
        assert before["Parameter"]["Value"] != after["Parameter"]["Value"]


@pytest.mark.parametrize("kind", ["sqlite", "dynamodb"])
def test_invitations_are_single_use_and_expire(aws, tmp_path, kind):
    with mock_aws():
        if kind == "sqlite":
            store = SqliteAccessStore(str(tmp_path / "a.sqlite3"))
        else:
            client = boto3.client("dynamodb", region_name=REGION)
            ensure_table(client, "t")
            store = DynamoAccessStore("t", client=client)
        now = 1_900_000_000
        store.add_invitation(Invitation(token_hash("one"), "a", None, now + INVITATION_SECONDS))
        store.add_invitation(Invitation(token_hash("two"), "b", ("x",), now + INVITATION_SECONDS))
        assert store.invitation(token_hash("one"), now) is not None  # looking does not use it
        assert store.invitation(token_hash("one"), now) is not None
        assert store.take_invitation(token_hash("one"), now + 10) is not None
        assert store.take_invitation(token_hash("one"), now + 10) is None
        later = now + INVITATION_SECONDS + 1
        assert store.invitation(token_hash("two"), later) is None
        assert store.take_invitation(token_hash("two"), later) is None


class _OneCallAtATime:
    def __init__(self, client: object) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        found = getattr(self._client, name)
        if not callable(found) or name == "exceptions":
            return found

        def call(*args: object, **kwargs: object) -> object:
            with self._lock:
                return found(*args, **kwargs)

        return call


def _subscription(n: int) -> Subscription:
    return Subscription(f"https://fcm.googleapis.com/fcm/send/{n}", "p256dh", f"auth{n}")


@pytest.mark.parametrize("kind", ["sqlite", "dynamodb"])
def test_the_cap_holds_under_concurrent_subscriptions(aws, tmp_path, kind):
    with mock_aws():
        if kind == "sqlite":
            path = str(tmp_path / "alerts.sqlite3")
            stores = [EmbeddedStore(path) for _ in range(4)]  # four processes' connections
        else:
            client = boto3.client("dynamodb", region_name=REGION)
            ensure_table(client, "alerts")
            # DynamoDB runs each call atomically; moto's in-memory tables do not under threads,
            # so each call is made atomic here. Requests still interleave between calls: the
            # race the cap must survive (count, then write) is all there.
            stores = [DynamoStore("alerts", client=_OneCallAtATime(client))]
        results: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(20)

        def subscribe(worker: int) -> None:
            store = stores[worker % len(stores)]
            start.wait()
            for n in range(worker * 10, worker * 10 + 4):
                outcome = store.subscribe("garden", _subscription(n), time.time())
                with lock:
                    results.append(outcome)

        threads = [threading.Thread(target=subscribe, args=(w,)) for w in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert results.count("created") == MAX_SUBSCRIPTIONS
        assert results.count("full") == 80 - MAX_SUBSCRIPTIONS
        assert len(stores[0].subscriptions("garden", time.time())) == MAX_SUBSCRIPTIONS
        # One goes (with its own secret, never another's), one more fits. Which 50 were
        # stored is the race's to decide: take one that was.
        gone = next(iter(stores[0].subscriptions("garden", time.time())))
        assert stores[0].unsubscribe("garden", gone.endpoint, "wrong") == "not_yours"
        assert stores[0].unsubscribe("garden", gone.endpoint, gone.auth) == "removed"
        assert stores[0].subscribe("garden", _subscription(999), time.time()) == "created"
        assert stores[0].subscribe("garden", _subscription(998), time.time()) == "full"
