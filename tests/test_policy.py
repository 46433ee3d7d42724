"""The prod IAM policies: least privilege, generated from the dashboards file, and the
checked-in files agreeing with what `python -m deploy.policy` generates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from deploy.policy import main

ROOT = Path(__file__).resolve().parent.parent


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
    assert logs["Resource"] == "arn:aws:logs:*:*:log-group:/aws/lambda/thingspeak-glance-prod*"
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
