"""The push routes the bell uses, and `check_alerts` invoked as Lambda invokes it, through
the real Chalice app (chalice.test.Client) with moto for AWS."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.alerts.dynamo_store import DynamoStore
from chalicelib.alerts.store import MAX_SUBSCRIPTIONS
from tests.alerts.conftest import GARDEN, REGION, Aws
from tests.conftest import app_module
from tests.support.push_service import PushService
from tests.support.servers import loopback

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def alerts_env(monkeypatch, stage, push) -> dict[str, str]:
    env = {
        "ALERTS_TABLE": stage.table,
        "ALERTS_TOPIC_ARN": stage.topic_arn,
        "PUSH_VAPID_KEY_PARAM": stage.vapid_param,
        "PUSH_VAPID_SUBJECT": "mailto:alerts@example.com",
        "PUSH_SERVICE_HOSTS": f"127.0.0.1:{push.port}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def client(make_client, emu, alerts_env) -> Client:
    emu.go_quiet(1014)  # only the readings a test posts from now on
    return make_client({"THINGSPEAK_URL": emu.url}, dashboards=GARDEN)


def post(client: Client, body: Any, method: str = "POST") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.http.request(method, "/api/push/subscriptions", headers=JSON, body=raw)


def body_of(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.body)
    return data


def stored(stage: Aws) -> list[str]:
    return [s.endpoint for s in DynamoStore(stage.table).subscriptions("garden", time.time())]


# --- the key ---------------------------------------------------------------------------------


def test_the_page_gets_the_public_push_key_and_never_the_private_one(client, stage):
    response = client.http.get("/api/push/key")

    assert response.status_code == 200
    assert body_of(response) == {"publicKey": stage.public_key}
    assert stage.private_key() not in response.body.decode()
    head = client.http.request("HEAD", "/api/push/key")
    assert (head.status_code, head.body) == (200, b"")


def test_without_alerts_set_up_the_routes_say_so_in_json(make_client, emu, push, monkeypatch):
    for name in ("ALERTS_TABLE", "ALERTS_DB"):
        monkeypatch.delenv(name, raising=False)
    client = make_client({"THINGSPEAK_URL": emu.url}, dashboards=GARDEN)

    key = client.http.get("/api/push/key")
    added = post(client, {"dashboard": "garden", "subscription": push.subscribe()})

    for response in (key, added):
        assert response.status_code == 404
        assert body_of(response)["error"]["code"] == "alerts_off"
        assert "python -m deploy.alerts setup" in body_of(response)["error"]["message"]


def test_a_table_without_its_key_yet_is_not_ready_and_a_missing_table_is_unavailable(
    make_client, emu, stage, monkeypatch, capsys
):
    boto3.client("dynamodb", region_name=REGION).delete_item(
        TableName=stage.table, Key={"pk": {"S": "meta"}, "sk": {"S": "vapid"}}
    )
    monkeypatch.setenv("ALERTS_TABLE", stage.table)
    client = make_client({"THINGSPEAK_URL": emu.url}, dashboards=GARDEN)
    not_ready = client.http.get("/api/push/key")
    monkeypatch.setenv("ALERTS_TABLE", "no-such-table")
    missing = client.http.get("/api/push/key")

    assert not_ready.status_code == 503
    assert body_of(not_ready)["error"]["code"] == "alerts_not_ready"
    assert missing.status_code == 503
    assert body_of(missing)["error"]["code"] == "alerts_unavailable"
    assert "no-such-table" not in missing.body.decode()  # the owner's clue is in the log
    log = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    assert "no-such-table does not exist" in log[-1]["alerts_error"]


# --- subscribing -----------------------------------------------------------------------------


def test_subscribing_is_201_and_idempotent_and_unsubscribing_is_204(client, stage, push):
    browser = push.subscribe(application_server_key=stage.public_key)
    browser["expirationTime"] = None  # as PushSubscription.toJSON() gives it
    body = {"dashboard": "garden", "subscription": browser}

    first, again = post(client, body), post(client, body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert body_of(first) == {"dashboard": "garden", "subscribed": True}
    assert stored(stage) == [browser["endpoint"]]

    gone, gone_again = post(client, body, "DELETE"), post(client, body, "DELETE")
    assert (gone.status_code, gone_again.status_code) == (204, 204)
    assert gone.body in (b"", "")
    assert stored(stage) == []


def test_an_unknown_dashboard_is_a_404_in_json(client, push):
    response = post(client, {"dashboard": "shed", "subscription": push.subscribe()})

    assert response.status_code == 404
    assert body_of(response)["error"]["code"] == "not_found"
    assert "shed" in body_of(response)["error"]["message"]


def _subscription(push: PushService, **changes: Any) -> dict[str, Any]:
    browser = push.subscribe()
    return {**browser, **changes}


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda push: b"not json", "not JSON"),
        (lambda push: [1, 2], "must be exactly"),
        (lambda push: {"dashboard": "garden"}, "must be exactly"),
        (lambda push: {"dashboard": "garden", "subscription": {}, "extra": 1}, "must be exactly"),
        (lambda push: {"dashboard": 7, "subscription": push.subscribe()}, "Dashboard must be"),
        (lambda push: {"dashboard": "garden", "subscription": "x"}, "JSON object"),
        (
            lambda push: {"dashboard": "garden", "subscription": _subscription(push, keys={})},
            "p256dh is missing",
        ),
        (
            lambda push: {
                "dashboard": "garden",
                "subscription": _subscription(push, endpoint="javascript:alert(1)"),
            },
            "not a push service",
        ),
    ],
)
def test_a_bad_body_is_a_400_with_one_line_saying_what_is_wrong(client, push, make, problem):
    response = post(client, make(push))

    assert response.status_code == 400
    error = body_of(response)["error"]
    assert error["code"] == "bad_request"
    assert problem in error["message"] and "\n" not in error["message"]


def test_a_body_over_the_limit_is_refused_unread(client, push):
    browser = push.subscribe()
    browser["padding"] = "x" * 5000

    response = post(client, {"dashboard": "garden", "subscription": browser})

    assert response.status_code == 413
    assert body_of(response)["error"]["code"] == "too_large"


def test_an_endpoint_off_the_allow_list_is_a_400_and_never_contacted(client, stage):
    # A push service on a port nobody listed.
    with loopback(PushService(), lambda p: p.origin, probe=False) as elsewhere:
        response = post(client, {"dashboard": "garden", "subscription": elsewhere.subscribe()})
        assert elsewhere.connections == 0

    assert response.status_code == 400
    assert "not a push service this app sends to" in body_of(response)["error"]["message"]
    assert stored(stage) == []


@pytest.mark.slow  # the cap's worth of subscriptions, each a VAPID-signed request
def test_a_dashboard_takes_at_most_its_cap_of_subscriptions(client, stage, push):
    browsers = [push.subscribe() for _ in range(MAX_SUBSCRIPTIONS + 1)]
    answers = [
        post(client, {"dashboard": "garden", "subscription": b}).status_code for b in browsers
    ]
    known_again = post(client, {"dashboard": "garden", "subscription": browsers[0]})

    assert answers == [201] * MAX_SUBSCRIPTIONS + [409]
    assert known_again.status_code == 201  # a browser already subscribed is renewed
    assert len(stored(stage)) == MAX_SUBSCRIPTIONS


def test_unsubscribing_needs_the_endpoint_and_its_auth_secret(client, stage, push):
    # Issue #15: the endpoint alone no longer removes a subscription; its auth secret does.
    browser = push.subscribe()
    post(client, {"dashboard": "garden", "subscription": browser})

    bad = post(client, {"dashboard": "garden", "subscription": {"keys": {}}}, "DELETE")
    bare = post(
        client, {"dashboard": "garden", "subscription": {"endpoint": browser["endpoint"]}}, "DELETE"
    )
    good = post(client, {"dashboard": "garden", "subscription": browser}, "DELETE")

    assert bad.status_code == 400 and bare.status_code == 400
    assert good.status_code == 204
    assert stored(stage) == []


# --- check_alerts as Lambda runs it ----------------------------------------------------------


def test_check_alerts_invoked_on_its_schedule_checks_and_notifies(client, stage, push, emu, capsys):
    browser = push.subscribe(application_server_key=stage.public_key)
    assert post(client, {"dashboard": "garden", "subscription": browser}).status_code == 201
    emu.add_entry(1014, {1: "-2.0"})  # 28.4 °F
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )

    first = client.lambda_.invoke("check_alerts", event)
    second = client.lambda_.invoke("check_alerts", event)

    assert first.payload["checked"] == 1 and first.payload["notified"] == 1
    assert second.payload["notified"] == 0
    [email] = stage.emails()
    assert email.startswith("Alert: Garden | Garden: Temperature 28.4 °F, below 32 °F (at ")
    [message] = push.messages_for(browser)
    assert json.loads(message)["body"] == email.split(" | ")[1]
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"alert_check"' in x]
    assert [line["dashboard"] for line in lines] == ["garden", "garden"]
    assert stage.private_key() not in json.dumps([first.payload, second.payload, lines])


def test_check_alerts_without_alerts_set_up_says_so_and_does_nothing(
    make_client, emu, monkeypatch, capsys
):
    monkeypatch.delenv("ALERTS_TABLE", raising=False)
    client = make_client({"THINGSPEAK_URL": emu.url}, dashboards=GARDEN)
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )

    result = client.lambda_.invoke("check_alerts", event)

    assert result.payload == {"checked": 0, "off": True}
    assert '"outcome":"off"' in capsys.readouterr().out


def test_the_page_does_not_load_the_alert_code():
    import subprocess
    import sys

    probe = (
        "import sys, app; "
        "print(sorted(m for m in sys.modules if m.startswith(('chalicelib.alerts.', "
        "'cryptography', 'http_ece', 'py_vapid', 'sqlite3', 'boto3')) "
        "and m != 'chalicelib.alerts.routes'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={"THINGSPEAK_CHANNEL_ID": "9", "PATH": "/usr/bin:/bin"},
        cwd=app_module.__file__.rsplit("/", 1)[0],
        check=True,
    )
    assert done.stdout.strip() == "[]"
