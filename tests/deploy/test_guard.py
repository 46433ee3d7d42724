"""`python -m deploy.guard` against moto in process: the numbers kept, safe to run again,
what a redeploy may undo put back, one-line errors. (tests/test_chalice_deploy.py runs it
after a real `chalice deploy` and redeploy against moto's server.)"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.guard import main

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
APP = "thingspeak-glance"
WEB = f"{APP}-prod"
GROUP = f"/aws/lambda/{WEB}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    return tmp_path / ".chalice" / "config.json"


@pytest.fixture
def session(aws: boto3.Session) -> boto3.Session:
    return aws


def deployed(session: boto3.Session, concurrency: int | None = 5) -> str:
    """What `chalice deploy` leaves: a REST API with stage "api" and the web function."""
    gateway = session.client("apigateway")
    api_id: str = gateway.create_rest_api(name=APP)["id"]
    root = gateway.get_resources(restApiId=api_id)["items"][0]["id"]
    gateway.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    gateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    gateway.create_deployment(restApiId=api_id, stageName="api")
    role = session.client("iam").create_role(
        RoleName=WEB, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "app = None\n")
    lambda_ = session.client("lambda")
    lambda_.create_function(
        FunctionName=WEB,
        Runtime="python3.13",
        Role=role,
        Handler="app.app",
        Code={"ZipFile": code.getvalue()},
    )
    if concurrency is not None:
        lambda_.put_function_concurrency(FunctionName=WEB, ReservedConcurrentExecutions=concurrency)
    return api_id


def guard(config: Path, session: boto3.Session, *extra: str) -> int:
    argv = ["--stage", "prod", "--region", REGION, "--config", str(config), *extra]
    return main(argv, session=session)


def throttling(session: boto3.Session, api_id: str) -> dict[str, Any]:
    stage = session.client("apigateway").get_stage(restApiId=api_id, stageName="api")
    settings: dict[str, Any] = stage["methodSettings"]["*/*"]
    return {k: settings[k] for k in ("throttlingRateLimit", "throttlingBurstLimit")}


def responses(session: boto3.Session, api_id: str) -> dict[str, dict[str, Any]]:
    items = session.client("apigateway").get_gateway_responses(restApiId=api_id)["items"]
    return {item["responseType"]: item for item in items}


def test_defaults_are_applied_kept_and_left_alone_the_second_time(project, session, capsys):
    api_id = deployed(session)

    assert guard(project, session) == 0
    first = capsys.readouterr().out
    assert guard(project, session) == 0
    second = capsys.readouterr().out

    assert throttling(session, api_id) == {"throttlingRateLimit": 10.0, "throttlingBurstLimit": 20}
    kept = json.loads((project.parent / "guard.json").read_text())
    assert kept == {
        "stages": {"prod": {"rate_limit": 10, "burst_limit": 20, "log_retention_in_days": 30}}
    }
    found = responses(session, api_id)
    missing = found["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == "404"
    assert json.loads(missing["responseTemplates"]["application/json"]) == {
        "error": {
            "code": "not_found",
            "title": "Page not found",
            "message": "There is nothing at this address: check it, or start from the front page.",
        }
    }
    html = missing["responseTemplates"]["text/html"]
    assert html.startswith("<!doctype html>") and '<a href="/">' in html
    assert "$" not in html + json.dumps(found) and "#" not in html  # Velocity's characters
    assert missing["responseParameters"]["gatewayresponse.header.X-Content-Type-Options"] == (
        "'nosniff'"
    )
    assert found["THROTTLED"]["statusCode"] == "429"
    logs = session.client("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in logs] == [(GROUP, 30)]

    assert "stage api redeployed" in first and first.count("(set)") == 4
    assert "(set)" not in second and "redeployed" not in second
    assert second.count("(already set)") == 4
    assert f"{WEB}: 5 at most at once" in second


def test_flags_are_kept_for_the_next_deploy(project, session, capsys):
    api_id = deployed(session)

    assert guard(project, session, "--rate", "2.5", "--burst", "8", "--log-days", "7") == 0
    assert "kept rate 2.5/s, burst 8 and web logs 7 days" in capsys.readouterr().out
    assert guard(project, session, "--burst", "9") == 0  # the other kept numbers stay

    assert throttling(session, api_id) == {"throttlingRateLimit": 2.5, "throttlingBurstLimit": 9}
    kept = json.loads((project.parent / "guard.json").read_text())["stages"]["prod"]
    assert kept == {"rate_limit": 2.5, "burst_limit": 9, "log_retention_in_days": 7}
    logs = session.client("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
    assert [g.get("retentionInDays") for g in logs] == [7]


def test_what_a_redeploy_undoes_is_put_back(project, session, capsys):
    api_id = deployed(session)
    assert guard(project, session) == 0
    gateway = session.client("apigateway")
    # PutRestApi in overwrite mode replaces the API's definition, gateway responses included;
    # moto's CreateDeployment gives the stage fresh settings.
    gateway.delete_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    gateway.create_deployment(restApiId=api_id, stageName="api")
    capsys.readouterr()

    assert guard(project, session) == 0

    out = capsys.readouterr().out
    assert "MISSING_AUTHENTICATION_TOKEN: 404 not_found, JSON and HTML (set)" in out
    assert "THROTTLED: 429 throttled (already set)" in out
    assert "redeployed" in out and "burst 20 (set)" in out
    assert responses(session, api_id)["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert throttling(session, api_id) == {"throttlingRateLimit": 10.0, "throttlingBurstLimit": 20}


def test_the_api_is_found_from_chalices_record_of_the_deploy(project, session, capsys):
    other = session.client("apigateway").create_rest_api(name=APP)["id"]  # a namesake
    api_id = deployed(session)
    (project.parent / "deployed").mkdir()
    record = {"resources": [{"resource_type": "rest_api", "rest_api_id": api_id}]}
    (project.parent / "deployed" / "prod.json").write_text(json.dumps(record))

    assert guard(project, session) == 0

    assert f"REST API {api_id} ({APP}), stage api" in capsys.readouterr().out
    assert responses(session, other) == {}


@pytest.mark.parametrize(
    ("prepare", "extra", "problem"),
    [
        ("nothing", (), "No REST API called thingspeak-glance in eu-west-1: run `chalice deploy"),
        ("twins", (), "2 REST APIs are called thingspeak-glance"),
        ("stale record", (), "names is not in eu-west-1: pass the --region you deployed to"),
        ("no function", (), "No Lambda function thingspeak-glance-prod: run `chalice deploy"),
        ("no concurrency", (), "has reserved concurrency None, the config says 5"),
        ("deployed", ("--stage", "nope"), "has no stage 'nope'"),
    ],
)
def test_mistakes_are_one_line(project, session, capsys, prepare, extra, problem):
    gateway = session.client("apigateway")
    if prepare == "twins":
        deployed(session)
        gateway.create_rest_api(name=APP)
    elif prepare == "stale record":
        (project.parent / "deployed").mkdir()
        record = {"resources": [{"resource_type": "rest_api", "rest_api_id": "gone123"}]}
        (project.parent / "deployed" / "prod.json").write_text(json.dumps(record))
    elif prepare == "no function":
        deployed(session)
        session.client("lambda").delete_function(FunctionName=WEB)
    elif prepare == "no concurrency":
        deployed(session, concurrency=None)
    elif prepare == "deployed":
        deployed(session)

    assert guard(project, session, *extra) == 1

    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and problem in err, err


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--rate", "0"], "argument --rate: 0 is not in (0, 10000]"),
        (["--rate", "fast"], "argument --rate: 'fast' is not a number"),
        (["--burst", "2.5"], "argument --burst: '2.5' is not a whole number"),
        (["--burst", "9000"], "argument --burst: 9000 is not in 1..5000"),
        (["--log-days", "10"], "argument --log-days: CloudWatch Logs keeps logs for one of 1, 3,"),
    ],
)
def test_bad_numbers_are_usage_errors(argv, problem, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and problem in err, err
