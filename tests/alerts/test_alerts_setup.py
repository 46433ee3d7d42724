"""`python -m deploy.alerts setup` against moto (safe to run again, one-line errors), and
`make alerts`' local loop against the emulator."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import boto3
import pytest

from chalicelib.alerts.dynamo_store import DynamoStore
from chalicelib.alerts.sqlite_store import EmbeddedStore
from chalicelib.alerts.subscriptions import parse_allowed_hosts, parse_subscription
from chalicelib.alerts.webpush import public_key
from deploy import policy
from deploy.alerts import main
from emulator import Emulator
from tests.support.push_service import PushService
from tests.support.servers import loopback

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
TABLE = "thingspeak-glance-prod-alerts"
PARAM = "/thingspeak-glance/prod/vapid-private-key"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what the commands read and write: config, policies, dashboards files."""
    (tmp_path / ".chalice").mkdir()
    for name in ("config.json", "policy-prod.json", "policy-prod-check_alerts.json"):
        shutil.copy(ROOT / ".chalice" / name, tmp_path / ".chalice" / name)
    (tmp_path / "chalicelib").mkdir()
    for name in ("dashboards.toml", "dashboards.prod.toml"):
        shutil.copy(ROOT / "chalicelib" / name, tmp_path / "chalicelib" / name)
    return tmp_path / ".chalice" / "config.json"


def setup(config: Path, session: boto3.Session, *extra: str) -> int:
    argv = ["setup", "--stage", "prod", "--region", REGION, "--config", str(config), *extra]
    return main(argv, session=session)


def test_setup_creates_everything_once_and_records_it_for_the_stage(project, aws, capsys):
    before = json.loads(project.read_text())["stages"]["prod"]

    assert setup(project, aws) == 0
    first = capsys.readouterr().out
    assert setup(project, aws) == 0
    second = capsys.readouterr().out

    assert f"table {TABLE}: created" in first and f"table {TABLE}: already there" in second
    assert "push keys: made" in first and "push keys: kept" in second
    assert "wrote ALERTS_TABLE" in first and "already had ALERTS_TABLE" in second
    assert "aws sns subscribe --region eu-west-1 --topic-arn arn:aws:sns:" in second
    dynamodb = aws.client("dynamodb")
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires")
    [topic] = aws.client("sns").list_topics()["Topics"]
    parameter = aws.client("ssm").get_parameter(Name=PARAM, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert DynamoStore(TABLE, dynamodb).public_key() == public_key(parameter["Value"])
    assert parameter["Value"] not in first + second  # never printed

    prod = json.loads(project.read_text())["stages"]["prod"]
    assert prod["environment_variables"] == {
        **before["environment_variables"],
        "ALERTS_TABLE": TABLE,
        "ALERTS_TOPIC_ARN": topic["TopicArn"],
        "PUSH_VAPID_KEY_PARAM": PARAM,
        "PUSH_VAPID_SUBJECT": "https://weather.example.com",
    }
    assert {k: v for k, v in prod.items() if k != "environment_variables"} == {
        k: v for k, v in before.items() if k != "environment_variables"
    }
    assert policy.main(["--stage", "prod", "--config", str(project), "--check"]) == 0


def test_setup_keeps_an_existing_push_key_so_phones_stay_subscribed(project, aws):
    aws.client("ssm").put_parameter(
        Name=PARAM, Value="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", Type="SecureString"
    )

    assert setup(project, aws, "--contact", "owner@example.com") == 0

    stored = DynamoStore(TABLE, aws.client("dynamodb")).public_key()
    assert stored == public_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
    env = json.loads(project.read_text())["stages"]["prod"]["environment_variables"]
    assert env["PUSH_VAPID_SUBJECT"] == "mailto:owner@example.com"


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--stage", "nope"], "has no stage 'nope'"),
        (["--contact", "not an address"], "neither an email address nor an https URL"),
        (["--stage", "dev"], "pass --contact"),
    ],
)
def test_setup_mistakes_are_one_line(project, aws, capsys, argv, problem):
    base = ["setup", "--stage", "prod", "--region", REGION, "--config", str(project)]
    for index in range(0, len(argv), 2):
        flag = argv[index]
        if flag in base:
            base[base.index(flag) + 1] = argv[index + 1]
        else:
            base += argv[index : index + 2]

    assert main(base, session=aws) == 1

    err = capsys.readouterr().err
    assert err.startswith("error: ") and problem in err and err.count("\n") == 1


def test_setup_refuses_a_table_of_the_same_name_that_is_not_ours(project, aws, capsys):
    aws.client("dynamodb").create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )

    assert setup(project, aws) == 1

    err = capsys.readouterr().err
    assert "exists with other keys than pk and sk" in err and err.count("\n") == 1


def test_a_missing_region_is_a_usage_error(capsys):
    assert main(["setup", "--stage", "prod"]) == 2
    assert capsys.readouterr().err.startswith("error: the following arguments are required")


# --- make alerts ---------------------------------------------------------------------------


def test_the_local_loop_prints_an_alert_when_the_demo_crosses_its_line(project, tmp_path, capsys):
    db = tmp_path / "alerts.sqlite3"
    with (
        loopback(Emulator(), lambda e: e.url) as emu,
        loopback(PushService(), lambda p: p.origin, probe=False) as push,
    ):
        settings = json.loads(project.read_text())
        settings["stages"]["local"]["environment_variables"]["THINGSPEAK_URL"] = emu.url
        project.write_text(json.dumps(settings))
        # A phone subscribed through `chalice local` sharing the same ALERTS_DB.
        store = EmbeddedStore(str(db))
        browser = push.subscribe(application_server_key=store.local_vapid_keys()[1])
        environ = {"ALERTS_DB": str(db), "PUSH_SERVICE_HOSTS": f"127.0.0.1:{push.port}"}
        allow = parse_allowed_hosts(environ["PUSH_SERVICE_HOSTS"])
        store.subscribe("weather", parse_subscription(browser, allow), time.time())
        emu.go_quiet(12397)
        emu.add_entry(12397, {4: "99"})  # as the emulator's write API would

        argv = ["watch", "--config", str(project), "--rounds", "3", "--every", "0"]
        assert main(argv, environ=environ, sleep=lambda _: None) == 0
        pushed = [json.loads(m)["body"] for m in push.messages_for(browser)]

    out = capsys.readouterr().out
    # Every demo dashboard, the private greenhouse too: its key comes from the local stage.
    assert "checking weather, balcony, greenhouse every 0 s against" in out
    alerts = [line for line in out.splitlines() if line.startswith("ALERT ")]
    assert len(alerts) == 1
    assert "Weather station: Temperature 99.0 °F, above 80 °F (at " in alerts[0]
    assert pushed == [alerts[0].split("  ", 1)[1]]
