"""`python -m deploy.policy`: the stage's IAM policy, generated from its configuration.

The function may read exactly the SSM parameters its dashboards file names, and nothing
else; a test fails while the checked-in policy and the file disagree. Run it after
adding a dashboard with a read_api_key_param.

    python -m deploy.policy [--stage prod] [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.config import ConfigError, load_config
from deploy import config as chalice_config
from deploy.errors import DeployError

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"


def stage_environment(config: dict[str, Any], stage: str) -> dict[str, str]:
    """What Chalice gives the function: top-level variables, overridden by the stage's."""
    stage_config = config.get("stages", {}).get(stage, {})
    return {
        **config.get("environment_variables", {}),
        **stage_config.get("environment_variables", {}),
    }


def policy_path(config: dict[str, Any], stage: str, path: Path = CONFIG) -> Path:
    name = config.get("stages", {}).get(stage, {}).get("iam_policy_file", f"policy-{stage}.json")
    return path.parent / str(name)


def parameter_arn(name: str) -> str:
    # SSM's ARN for "/a/b" is ...:parameter/a/b, and for "a/b" also ...:parameter/a/b.
    return "arn:aws:ssm:*:*:parameter/" + name.lstrip("/")


def web_policy(app_name: str, stage: str, parameters: tuple[str, ...]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:*:*:log-group:/aws/lambda/{app_name}-{stage}*",
        }
    ]
    if parameters:
        arns = [parameter_arn(p) for p in parameters]
        statements.append(
            {
                "Sid": "ReadTheReadKeys",
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": arns if len(arns) > 1 else arns[0],
            }
        )
        statements.append(
            {
                "Sid": "DecryptTheReadKeysThroughSsmOnly",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "arn:aws:kms:*:*:key/*",
                "Condition": {
                    "StringLike": {
                        "kms:ViaService": "ssm.*.amazonaws.com",
                        "kms:EncryptionContext:PARAMETER_ARN": arns if len(arns) > 1 else arns[0],
                    }
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def generate(stage: str, path: Path = CONFIG) -> tuple[Path, dict[str, Any]]:
    config = chalice_config.load(path)
    chalice_config.stage(config, stage, path)
    try:
        dashboards = load_config(
            stage_environment(config, stage), root=path.parent.parent, resolve_keys=False
        )
    except ConfigError as exc:
        raise DeployError(f"stage {stage}: {exc}") from None
    app_name = str(config.get("app_name", "thingspeak-glance"))
    return policy_path(config, stage, path), web_policy(app_name, stage, dashboards.ssm_parameters)


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.policy", description=__doc__)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--config", type=Path, default=CONFIG, help=argparse.SUPPRESS)
    parser.add_argument(
        "--check", action="store_true", help="only say whether the checked-in policy agrees"
    )
    args = parser.parse_args(argv)
    try:
        target, policy = generate(args.stage, args.config)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    if args.check:
        if current and json.loads(current) == policy:
            print(f"{target.name} agrees with the stage's dashboards")
            return 0
        print(
            f"error: {target.name} does not match the stage's dashboards: run "
            f"python -m deploy.policy --stage {args.stage}",
            file=sys.stderr,
        )
        return 1
    target.write_text(render(policy), encoding="utf-8")
    print(f"wrote {target} ({len(policy['Statement'])} statements)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
