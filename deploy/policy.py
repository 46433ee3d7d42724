"""`python -m deploy.policy`: each function's IAM policy, generated from the stage's config.

The web function may read exactly the SSM parameters its dashboards file names, and of
the alerts table only the public push key: push subscriptions it may add, remove and
count, never read back. `check_alerts`
may read those parameters and the VAPID private key, keep alert states, prune dead
subscriptions and publish to the alerts topic. A test fails while the checked-in files
and the config disagree. Run it after adding a dashboard with a read_api_key_param (the
alerts setup command runs it for you).

    python -m deploy.policy [--stage prod] [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.config.loader import load_config
from chalicelib.config.model import ConfigError
from deploy import config as chalice_config
from deploy.errors import DeployError

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"
WEB = "api_handler"
CHECK = "check_alerts"


def stage_environment(
    config: dict[str, Any], stage: str, function: str | None = None
) -> dict[str, str]:
    """What Chalice gives a function: top-level variables, the stage's, the function's."""
    stage_config = config.get("stages", {}).get(stage, {})
    own = stage_config.get("lambda_functions", {}).get(function, {}) if function else {}
    return {
        **config.get("environment_variables", {}),
        **stage_config.get("environment_variables", {}),
        **own.get("environment_variables", {}),
    }


def policy_path(
    config: dict[str, Any], stage: str, path: Path = CONFIG, function: str = WEB
) -> Path:
    stage_config = config.get("stages", {}).get(stage, {})
    own = stage_config.get("lambda_functions", {}).get(function, {})
    name = own.get("iam_policy_file") or stage_config.get("iam_policy_file", f"policy-{stage}.json")
    return path.parent / str(name)


def parameter_arn(name: str) -> str:
    # SSM's ARN for "/a/b" is ...:parameter/a/b, and for "a/b" also ...:parameter/a/b.
    return "arn:aws:ssm:*:*:parameter/" + name.lstrip("/")


@dataclass(frozen=True)
class AlertNames:
    """The alerts resources of a stage: from its environment once setup has written it,
    else the names setup will give them (so the policy is right before and after)."""

    table: str
    topic_arn: str
    vapid_param: str

    @property
    def table_arn(self) -> str:
        return f"arn:aws:dynamodb:*:*:table/{self.table}"


def alert_names(app_name: str, stage: str, env: Mapping[str, str]) -> AlertNames:
    default = f"{app_name}-{stage}-alerts"
    return AlertNames(
        table=env.get("ALERTS_TABLE") or default,
        topic_arn=env.get("ALERTS_TOPIC_ARN") or f"arn:aws:sns:*:*:{default}",
        vapid_param=env.get("PUSH_VAPID_KEY_PARAM") or f"/{app_name}/{stage}/vapid-private-key",
    )


@dataclass(frozen=True)
class AccessNames:
    """Where a stage keeps its passkeys and invitations, and its session secret."""

    table: str
    secret_param: str

    @property
    def table_arn(self) -> str:
        return f"arn:aws:dynamodb:*:*:table/{self.table}"


def access_names(app_name: str, stage: str, env: Mapping[str, str]) -> AccessNames:
    """The stage's, once setup has written them; else the names setup will give them:
    the alerts table when the stage has one, or a table of its own."""
    table = env.get("ACCESS_TABLE") or env.get("ALERTS_TABLE") or f"{app_name}-{stage}-access"
    param = env.get("SESSION_SECRET_PARAM") or f"/{app_name}/{stage}/session-secret"
    return AccessNames(table=table, secret_param=param)


def configured_access(app_name: str, stage: str, env: Mapping[str, str]) -> AccessNames | None:
    """Sign-in's resources when the stage uses them (ACCESS_TABLE set by setup)."""
    return access_names(app_name, stage, env) if env.get("ACCESS_TABLE") else None


def _one_or_list(values: list[str]) -> str | list[str]:
    return values if len(values) > 1 else values[0]


def _logs(function_name: str) -> dict[str, Any]:
    """The function's own log group and its streams, by exact name: a pattern such as
    /aws/lambda/<app>-<stage>* would also reach /aws/lambda/<app>-<stage>-check_alerts.
    IAM names a log group both ways (CloudWatch Logs' access guide): with a trailing ":*"
    (most actions; it also covers the group's ":log-stream:..." ARNs) and without."""
    group = f"arn:aws:logs:*:*:log-group:/aws/lambda/{function_name}"
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [group, f"{group}:*"],
    }


def _parameters(parameters: tuple[str, ...], read: str, decrypt: str) -> list[dict[str, Any]]:
    if not parameters:
        return []
    arns = _one_or_list([parameter_arn(p) for p in parameters])
    return [
        {"Sid": read, "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": arns},
        {
            "Sid": decrypt,
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "arn:aws:kms:*:*:key/*",
            "Condition": {
                "StringLike": {
                    "kms:ViaService": "ssm.*.amazonaws.com",
                    "kms:EncryptionContext:PARAMETER_ARN": arns,
                }
            },
        },
    ]


def _items(
    sid: str,
    actions: list[str],
    table_arn: str,
    leading: list[str],
    only: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """DynamoDB actions on only the items whose partition key matches `leading` (and
    `only`'s further conditions)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": table_arn,
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": leading}, **(only or {})},
    }


def web_policy(
    app_name: str,
    stage: str,
    parameters: tuple[str, ...],
    alerts: AlertNames | None = None,
    access: AccessNames | None = None,
) -> dict[str, Any]:
    statements = [
        _logs(f"{app_name}-{stage}"),
        *_parameters(parameters, "ReadTheReadKeys", "DecryptTheReadKeysThroughSsmOnly"),
    ]
    if alerts is not None:
        statements += [
            _items("ReadThePushPublicKey", ["dynamodb:GetItem"], alerts.table_arn, ["meta"]),
            # Writes that return nothing of what was stored, and a count with no items:
            # the web function never reads a subscription's endpoint or keys back.
            _items(
                "KeepPushSubscriptions",
                # The counter item goes up with every new subscription, in one transaction.
                ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                alerts.table_arn,
                ["subs#*"],
                {"StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}},
            ),
            # Whether a subscription exists, and the counter: never another item's keys.
            _items(
                "SeeWhetherASubscriptionExists",
                ["dynamodb:GetItem"],
                alerts.table_arn,
                ["subs#*"],
                {
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "n"]},
                    "StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
                },
            ),
            _items(
                "CountPushSubscriptions",
                ["dynamodb:Query"],
                alerts.table_arn,
                ["subs#*"],
                {"StringEquals": {"dynamodb:Select": "COUNT"}},
            ),
        ]
    if access is not None:
        statements += [
            *_parameters(
                (access.secret_param,),
                "ReadTheSessionSecret",
                "DecryptTheSessionSecretThroughSsmOnly",
            ),
            _items(
                "KeepPasskeysAndInvitations",
                [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                ],
                access.table_arn,
                ["passkey", "invite"],
            ),
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def check_policy(
    app_name: str,
    stage: str,
    parameters: tuple[str, ...],
    alerts: AlertNames,
    access: AccessNames | None = None,
) -> dict[str, Any]:
    readable = (*parameters, alerts.vapid_param)
    statements = [
        _logs(f"{app_name}-{stage}-{CHECK}"),
        *_parameters(tuple(dict.fromkeys(readable)), "ReadTheKeys", "DecryptTheKeysThroughSsmOnly"),
        _items(
            "KeepAlertStates",
            ["dynamodb:Query", "dynamodb:PutItem"],
            alerts.table_arn,
            ["alert#*"],
        ),
        _items(
            "ReadAndPrunePushSubscriptions",
            # UpdateItem: a pruned subscription leaves the dashboard's counter with it.
            ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"],
            alerts.table_arn,
            ["subs#*"],
        ),
        {
            "Sid": "PublishAlerts",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": alerts.topic_arn,
        },
    ]
    if access is not None:  # which passkeys still exist: a revoked one's alerts stop
        statements.append(_items("ListPasskeys", ["dynamodb:Query"], access.table_arn, ["passkey"]))
    return {"Version": "2012-10-17", "Statement": statements}


def generate(stage: str, path: Path = CONFIG) -> list[tuple[Path, dict[str, Any]]]:
    """(file, policy) for the web function, and for check_alerts where the stage gives it
    its own policy file (lambda_functions.check_alerts.iam_policy_file)."""
    config = chalice_config.load(path)
    stage_config = chalice_config.stage(config, stage, path)
    env = stage_environment(config, stage)
    try:
        dashboards = load_config(env, root=path.parent.parent, resolve_keys=False)
    except ConfigError as exc:
        raise DeployError(f"stage {stage}: {exc}") from None
    app_name = str(config.get("app_name", "thingspeak-glance"))
    params = dashboards.ssm_parameters
    checking = CHECK in stage_config.get("lambda_functions", {})
    alerts = alert_names(app_name, stage, env) if checking else None
    access = configured_access(app_name, stage, env)
    web = policy_path(config, stage, path), web_policy(app_name, stage, params, alerts, access)
    if alerts is None:
        return [web]
    check_env = stage_environment(config, stage, CHECK)
    check_alerts = alert_names(app_name, stage, check_env)
    check_file = policy_path(config, stage, path, CHECK)
    if check_file == web[0]:
        raise DeployError(
            f"stage {stage}: lambda_functions.{CHECK}.iam_policy_file must name its own file "
            "(it needs what the web function must not have)."
        )
    check_access = configured_access(app_name, stage, check_env)
    return [web, (check_file, check_policy(app_name, stage, params, check_alerts, check_access))]


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2, ensure_ascii=False) + "\n"


def write(stage: str, path: Path = CONFIG) -> list[Path]:
    """Writes every policy file of the stage; the files written."""
    written = []
    for target, policy in generate(stage, path):
        target.write_text(render(policy), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.policy", description=__doc__)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--config", type=Path, default=CONFIG, help=argparse.SUPPRESS)
    parser.add_argument(
        "--check", action="store_true", help="only say whether the checked-in policies agree"
    )
    args = parser.parse_args(argv)
    try:
        policies = generate(args.stage, args.config)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        stale = [
            target.name
            for target, policy in policies
            if not target.exists() or json.loads(target.read_text(encoding="utf-8")) != policy
        ]
        if not stale:
            names = ", ".join(target.name for target, _ in policies)
            print(f"{names} agree with the stage's config")
            return 0
        print(
            f"error: {', '.join(stale)} does not match the stage's config: run "
            f"python -m deploy.policy --stage {args.stage}",
            file=sys.stderr,
        )
        return 1
    for target, policy in policies:
        target.write_text(render(policy), encoding="utf-8")
        print(f"wrote {target} ({len(policy['Statement'])} statements)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
