"""The prod IAM policies: least privilege, generated from the dashboards file, and the
checked-in files agreeing with what `python -m deploy.policy` generates."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from deploy.policy import main

ROOT = Path(__file__).resolve().parents[2]


# Each function's log group, as IAM names it (region and account left open).
WEB_GROUP = "arn:aws:logs:*:*:log-group:/aws/lambda/thingspeak-glance-prod"
CHECK_GROUP = WEB_GROUP + "-check_alerts"

# The one read key the prod dashboards file names.
PARAMETER_ARN = "arn:aws:ssm:*:*:parameter/thingspeak-glance/weather"


def test_checked_in_prod_policy_is_least_privilege():
    policy = json.loads((ROOT / ".chalice" / "policy-prod.json").read_text())
    statements = policy["Statement"]
    actions = [
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert all("*" not in action for action in actions)
    assert all(s["Effect"] == "Allow" and s["Resource"] != "*" for s in statements)
    assert "NotAction" not in json.dumps(policy) and "NotResource" not in json.dumps(policy)
    (logs,) = [s for s in statements if s["Action"][0].startswith("logs:")]
    assert logs["Resource"] == [WEB_GROUP, WEB_GROUP + ":*"]
    (ssm,) = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    assert ssm["Resource"] == PARAMETER_ARN
    (kms,) = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert kms["Condition"] == {
        "StringLike": {
            "kms:ViaService": "ssm.*.amazonaws.com",
            "kms:EncryptionContext:PARAMETER_ARN": PARAMETER_ARN,
        }
    }


def test_prod_stage_uses_the_checked_in_policy_a_regional_endpoint_and_tls_1_2():
    prod = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    assert prod["autogen_policy"] is False and prod["iam_policy_file"] == "policy-prod.json"
    assert prod["api_gateway_endpoint_type"] == "REGIONAL"
    assert prod["api_gateway_custom_domain"]["tls_version"] == "TLS_1_2"
    assert prod["environment_variables"]["GLANCE_CONFIG"] == "chalicelib/dashboards.prod.toml"


def test_the_checked_in_prod_policy_agrees_with_the_prod_dashboards_file():
    result = subprocess.run(
        [sys.executable, "-m", "deploy.policy", "--stage", "prod", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_policy_check_fails_when_the_file_names_another_parameter(tmp_path):
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    (project / "chalicelib").mkdir()
    for name in ("config.json", "policy-prod.json"):
        (project / ".chalice" / name).write_text((ROOT / ".chalice" / name).read_text())
    prod = (ROOT / "chalicelib" / "dashboards.prod.toml").read_text()
    (project / "chalicelib" / "dashboards.prod.toml").write_text(
        prod + '\n[[dashboard]]\nname = "shed"\nchannel = 9\nread_api_key_param = "/glance/shed"\n'
    )
    config = project / ".chalice" / "config.json"
    assert main(["--stage", "prod", "--config", str(config), "--check"]) == 1
    assert main(["--stage", "prod", "--config", str(config)]) == 0
    policy = json.loads((project / ".chalice" / "policy-prod.json").read_text())
    (read,) = [s for s in policy["Statement"] if s["Action"] == "ssm:GetParameter"]
    assert read["Resource"] == [
        "arn:aws:ssm:*:*:parameter/thingspeak-glance/weather",
        "arn:aws:ssm:*:*:parameter/glance/shed",
    ]
    assert main(["--stage", "prod", "--config", str(config), "--check"]) == 0


# --- alerts: each function reaches only what it needs ----------------------------------------

TABLE_ARN = "arn:aws:dynamodb:*:*:table/thingspeak-glance-prod-alerts"
VAPID_ARN = "arn:aws:ssm:*:*:parameter/thingspeak-glance/prod/vapid-private-key"


def _statements(name: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads((ROOT / ".chalice" / name).read_text())[
        "Statement"
    ]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _item_access(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """DynamoDB action -> the partition keys (LeadingKeys patterns) it may touch."""
    found: dict[str, set[str]] = {}
    for s in statements:
        for action in _actions(s):
            if action.startswith("dynamodb:"):
                assert s["Resource"] == TABLE_ARN
                leading = s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                found.setdefault(action, set()).update(leading)
    return found


def test_the_web_function_reaches_only_push_subscriptions_and_the_public_key():
    statements = _statements("policy-prod.json")

    # GetItem/UpdateItem on subs#: a subscription's own auth check, and the per-dashboard
    # counter that keeps the cap atomic (issue #15).
    assert _item_access(statements) == {
        "dynamodb:GetItem": {"meta", "subs#*"},
        "dynamodb:PutItem": {"subs#*"},
        "dynamodb:UpdateItem": {"subs#*"},
        "dynamodb:DeleteItem": {"subs#*"},
        "dynamodb:Query": {"subs#*"},
    }
    everything = json.dumps(statements)
    assert "vapid-private-key" not in everything and "sns:" not in everything


def test_check_alerts_has_its_own_least_privilege_policy():
    statements = _statements("policy-prod-check_alerts.json")
    actions = [a for s in statements for a in _actions(s)]

    assert all("*" not in a for a in actions)
    assert all(s["Effect"] == "Allow" and s["Resource"] != "*" for s in statements)
    (logs,) = [s for s in statements if _actions(s)[0].startswith("logs:")]
    assert logs["Resource"] == [CHECK_GROUP, CHECK_GROUP + ":*"]
    (ssm,) = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    assert ssm["Resource"] == [PARAMETER_ARN, VAPID_ARN]
    (kms,) = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert kms["Condition"]["StringLike"]["kms:EncryptionContext:PARAMETER_ARN"] == [
        PARAMETER_ARN,
        VAPID_ARN,
    ]
    assert _item_access(statements) == {
        "dynamodb:Query": {"alert#*", "subs#*"},
        "dynamodb:PutItem": {"alert#*"},
        "dynamodb:GetItem": {"subs#*"},
        "dynamodb:UpdateItem": {"subs#*"},  # a pruned subscription leaves the counter with it
        "dynamodb:DeleteItem": {"subs#*"},
    }
    (sns,) = [s for s in statements if s["Action"] == "sns:Publish"]
    assert sns["Resource"] == "arn:aws:sns:*:*:thingspeak-glance-prod-alerts"


def test_prod_gives_check_alerts_its_policy_file_memory_and_timeout():
    prod = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    check = prod["lambda_functions"]["check_alerts"]

    assert check["iam_policy_file"] == "policy-prod-check_alerts.json"
    assert check["lambda_timeout"] == 60  # the checks' budget is 45 s of it
    assert check["lambda_memory_size"] >= 256  # signing and encrypting pushes


def test_the_policies_follow_the_names_the_alerts_setup_wrote(tmp_path):
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    (project / "chalicelib").mkdir()
    (project / "chalicelib" / "dashboards.prod.toml").write_text(
        (ROOT / "chalicelib" / "dashboards.prod.toml").read_text()
    )
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config["stages"]["prod"]["environment_variables"].update(
        ALERTS_TABLE="my-alerts",
        ALERTS_TOPIC_ARN="arn:aws:sns:eu-west-1:123456789012:my-topic",
        PUSH_VAPID_KEY_PARAM="/mine/vapid",
    )
    path = project / ".chalice" / "config.json"
    path.write_text(json.dumps(config))

    assert main(["--stage", "prod", "--config", str(path)]) == 0

    web = json.loads((project / ".chalice" / "policy-prod.json").read_text())
    check = json.loads((project / ".chalice" / "policy-prod-check_alerts.json").read_text())
    assert {s["Resource"] for s in web["Statement"] if "dynamodb" in json.dumps(s)} == {
        "arn:aws:dynamodb:*:*:table/my-alerts"
    }
    resources = json.dumps(check)
    assert "table/my-alerts" in resources
    assert "arn:aws:sns:eu-west-1:123456789012:my-topic" in resources
    assert "parameter/mine/vapid" in resources


# --- logs: each function writes only its own log group ---------------------------------------


def _log_resources(name: str) -> list[str]:
    (logs,) = [s for s in _statements(name) if _actions(s)[0].startswith("logs:")]
    resources = logs["Resource"]
    return [resources] if isinstance(resources, str) else list(resources)


def _reaches(resources: list[str], arn: str) -> bool:
    # IAM's wildcards: * any run of characters (":" and "/" included), ? one character.
    return any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources)


def _group_arns(group_arn: str) -> list[str]:
    """The ARNs an action on the group or one of its streams is authorised against."""
    return [group_arn, group_arn + ":*", group_arn + ":log-stream:2026/01/01/[$LATEST]abc"]


def test_each_function_writes_its_own_log_group_and_not_the_others():
    web = _log_resources("policy-prod.json")
    check = _log_resources("policy-prod-check_alerts.json")
    region_account = "arn:aws:logs:eu-west-1:123456789012:"
    web_group = WEB_GROUP.replace("arn:aws:logs:*:*:", region_account)
    check_group = CHECK_GROUP.replace("arn:aws:logs:*:*:", region_account)

    assert all(_reaches(web, arn) for arn in _group_arns(web_group))
    assert not any(_reaches(web, arn) for arn in _group_arns(check_group))
    assert all(_reaches(check, arn) for arn in _group_arns(check_group))
    assert not any(_reaches(check, arn) for arn in _group_arns(web_group))
    # Nor the misnamed group Chalice 1.34 would make for api_handler (chalice#2079).
    assert not _reaches(web, web_group + "-api_handler")
