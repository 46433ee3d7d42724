"""`python -m deploy.guard`: after every `chalice deploy`, the limits Chalice cannot set.

    chalice deploy --stage prod
    python -m deploy.guard --stage prod --region eu-west-1 [--rate 10] [--burst 20]

- Stage throttling: API Gateway answers 429 above `--rate` requests a second (bursts up
  to `--burst`) and never invokes Lambda for those, so a runaway client or a bot costs
  at most the throttle's worth (docs/cost.md). Chalice has no setting for it (aws/chalice
  #482, #615). The numbers are kept in .chalice/guard.json, per stage: pass the flags
  once, and every later run (after every deploy) applies the same numbers.
- Gateway responses: an unknown path gets the app's own 404 (`{"error": {"code":
  "not_found", ...}}`, or a small HTML page for a browser) instead of API Gateway's
  `403 {"message": "Missing Authentication Token"}`, and a throttled request the app's
  429 shape. The stage is redeployed when they change, which is when they take effect.
- The web function's log retention (default 30 days, kept there too): Chalice 1.34 gives
  `log_retention_in_days` for api_handler to a group named /aws/lambda/<app>-<stage>-
  api_handler that the web function never writes to (it writes /aws/lambda/<app>-<stage>),
  and `chalice package` emits a template CloudFormation rejects (aws/chalice#2079). So
  .chalice/config.json sets it for check_alerts only, and this command gives the web
  function's group its retention (creating the group if no request has yet).

Run it after every `chalice deploy`: a deploy replaces the API's definition (which may
reset gateway responses) and redeploys the stage. It is safe to run again: what is
already right is left alone, and every line says what was set or kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from botocore.exceptions import ClientError

from deploy import config as chalice_config
from deploy.errors import DeployError, aws_errors, call

WEB = "api_handler"
DEFAULT_RATE = 10.0  # requests a second
DEFAULT_BURST = 20
DEFAULT_LOG_DAYS = 30  # as check_alerts' log_retention_in_days in .chalice/config.json
# API Gateway's account-level default limits: a stage cannot be given more.
MAX_RATE = 10000.0
MAX_BURST = 5000
# CloudWatch Logs accepts only these retention periods.
RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731})
RETENTION_DAYS |= {1096, 1827, 2192, 2557, 2922, 3288, 3653}
ALL_METHODS = "*/*"
NOT_FOUND_MESSAGE = "There is nothing at this address: check it, or start from the front page."
THROTTLED_MESSAGE = "Too many requests for now: wait a few seconds and try again."


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"{text} is not in (0, {MAX_RATE:g}] requests a second")
    return value


def _burst(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_BURST:
        raise argparse.ArgumentTypeError(f"{text} is not in 1..{MAX_BURST}")
    return value


def _log_days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if value not in RETENTION_DAYS:
        days = ", ".join(map(str, sorted(RETENTION_DAYS)))
        raise argparse.ArgumentTypeError(f"CloudWatch Logs keeps logs for one of {days} days")
    return value


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="python -m deploy.guard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--region", help="the API's region (default: your AWS config)")
    parser.add_argument(
        "--rate", type=_rate, help=f"requests a second (kept; default {DEFAULT_RATE:g})"
    )
    parser.add_argument(
        "--burst", type=_burst, help=f"requests at once (kept; default {DEFAULT_BURST})"
    )
    parser.add_argument(
        "--log-days",
        type=_log_days,
        help=f"how long the web function's logs are kept (kept; default {DEFAULT_LOG_DAYS})",
    )
    parser.add_argument("--config", type=Path, default=Path(".chalice/config.json"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    try:
        args = parse(argv)
    except SystemExit as exc:  # --help, or a usage error already printed on one line
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if session is None:
            import boto3

            session = boto3.Session(region_name=args.region)
        guard(args, session)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: run the same command again to carry on.", file=sys.stderr)
        return 130
    return 0


def say(line: str) -> None:
    print(line, flush=True)


# --- the settings: .chalice/config.json (Chalice's) and .chalice/guard.json (ours) ---------


@dataclass(frozen=True)
class Settings:
    """What the guard applies to a stage, kept per stage in .chalice/guard.json."""

    rate: float  # requests a second, steady
    burst: int  # requests at once
    log_days: int  # the web function's log retention

    def to_json(self) -> dict[str, float | int]:
        rate: float | int = int(self.rate) if self.rate.is_integer() else self.rate
        return {
            "rate_limit": rate,
            "burst_limit": self.burst,
            "log_retention_in_days": self.log_days,
        }


DEFAULTS = Settings(DEFAULT_RATE, DEFAULT_BURST, DEFAULT_LOG_DAYS)


def settings_path(config_path: Path) -> Path:
    return config_path.parent / "guard.json"


def read_settings(path: Path, stage: str) -> Settings | None:
    """The stage's kept settings, or None if none were kept yet."""
    if not path.exists():
        return None
    kept = chalice_config.load(path).get("stages", {}).get(stage)
    if kept is None:
        return None
    try:
        return Settings(
            _rate(str(kept["rate_limit"])),
            _burst(str(kept["burst_limit"])),
            _log_days(str(kept.get("log_retention_in_days", DEFAULT_LOG_DAYS))),
        )
    except (KeyError, TypeError, AttributeError, argparse.ArgumentTypeError) as exc:
        raise DeployError(
            f"{path} (stage {stage}) needs rate_limit and burst_limit numbers and a valid "
            f"log_retention_in_days ({exc}): fix it, or pass --rate, --burst and --log-days."
        ) from None


def keep_settings(path: Path, stage: str, settings: Settings) -> bool:
    """Records the stage's settings; True if the file changed."""
    kept: dict[str, Any] = chalice_config.load(path) if path.exists() else {}
    stages = kept.setdefault("stages", {})
    if stages.get(stage) == settings.to_json():
        return False
    stages[stage] = settings.to_json()
    if not path.exists():
        try:
            path.write_text("{}\n", encoding="utf-8")
        except OSError as exc:
            raise DeployError(
                f"Could not write {path} ({exc.strerror}): check its folder."
            ) from None
    chalice_config.save(path, kept)
    return True


def chosen_settings(args: argparse.Namespace) -> Settings:
    path = settings_path(args.config)
    kept = read_settings(path, args.stage)
    base = kept or DEFAULTS
    settings = Settings(
        args.rate if args.rate is not None else base.rate,
        args.burst if args.burst is not None else base.burst,
        args.log_days if args.log_days is not None else base.log_days,
    )
    if keep_settings(path, args.stage, settings):
        say(
            f"kept rate {settings.rate:g}/s, burst {settings.burst} and web logs "
            f"{settings.log_days} days in {path} (stage {args.stage})"
        )
    return settings


def lookup(config: Mapping[str, Any], stage: str, function: str, key: str) -> Any:
    """A per-function setting in Chalice 1.34's order: the stage's function, the stage,
    the top-level function, the top level."""
    stage_config = config.get("stages", {}).get(stage, {})
    for scope in (
        stage_config.get("lambda_functions", {}).get(function, {}),
        stage_config,
        config.get("lambda_functions", {}).get(function, {}),
        config,
    ):
        if scope.get(key) is not None:
            return scope[key]
    return None


# --- the gateway responses ---------------------------------------------------------------


def _json_error(code: str, title: str, message: str) -> str:
    # The shape of chalicelib.web.json_error. No "$" or "#": the template is Velocity.
    error = {"code": code, "title": title, "message": message}
    return json.dumps({"error": error}, ensure_ascii=False, separators=(",", ":"))


def _html_error(status: int, title: str, message: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}</title></head><body><h1>{title}</h1><p>{message}</p>"
        f'<p><a href="/">Front page</a></p><p><small>{status}</small></p></body></html>'
    )


# Static header values are quoted in API Gateway's mapping syntax.
HEADERS = {
    "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
    "gatewayresponse.header.Referrer-Policy": "'no-referrer'",
    "gatewayresponse.header.X-Frame-Options": "'DENY'",
    "gatewayresponse.header.Cache-Control": "'no-store'",
}


@dataclass(frozen=True)
class GatewayResponse:
    response_type: str
    status: int
    code: str
    title: str
    message: str

    def templates(self) -> dict[str, str]:
        # API Gateway picks the template by the request's Accept header; JSON otherwise.
        return {
            "application/json": _json_error(self.code, self.title, self.message),
            "text/html": _html_error(self.status, self.title, self.message),
        }

    def wanted(self) -> dict[str, Any]:
        return {
            "statusCode": str(self.status),
            "responseParameters": HEADERS,
            "responseTemplates": self.templates(),
        }


RESPONSES = (
    # Chalice has no catch-all route: every unknown path is this type (a 403 by default).
    GatewayResponse(
        "MISSING_AUTHENTICATION_TOKEN", 404, "not_found", "Page not found", NOT_FOUND_MESSAGE
    ),
    GatewayResponse("THROTTLED", 429, "throttled", "Slow down", THROTTLED_MESSAGE),
)


def _same(found: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    if found is None:
        return False
    return all(
        str(found.get(key)) == value if key == "statusCode" else found.get(key) == value
        for key, value in wanted.items()
    )


# --- finding what `chalice deploy` made -------------------------------------------------


@dataclass(frozen=True)
class Target:
    api_id: str
    stage_name: str  # API Gateway's stage, e.g. "api"
    app_name: str
    web_function: str  # <app>-<stage>
    config: Mapping[str, Any]


def _deployed_api_id(config_path: Path, stage: str) -> str | None:
    deployed = config_path.parent / "deployed" / f"{stage}.json"
    if not deployed.exists():
        return None
    record = chalice_config.load(deployed)
    for resource in record.get("resources", []):
        if resource.get("resource_type") == "rest_api" and resource.get("rest_api_id"):
            return str(resource["rest_api_id"])
    return None


def _api_by_name(gateway: Any, name: str) -> str | None:
    pages = gateway.get_paginator("get_rest_apis").paginate()
    found = [api["id"] for page in pages for api in page.get("items", []) if api["name"] == name]
    if len(found) > 1:
        raise DeployError(
            f"{len(found)} REST APIs are called {name} in this region: run this from the "
            "project folder that deployed them (its .chalice/deployed/ names the one)."
        )
    return str(found[0]) if found else None


def _exists(read: Any, **params: str) -> bool:
    try:
        read(**params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NotFoundException":
            return False
        raise
    return True


def find_target(args: argparse.Namespace, gateway: Any) -> Target:
    config = chalice_config.load(args.config)
    chalice_config.stage(config, args.stage, args.config)
    app_name = str(config.get("app_name") or "")
    if not app_name:
        raise DeployError(f"{args.config} has no app_name: is this a Chalice project?")
    stage_name = str(
        config["stages"][args.stage].get("api_gateway_stage")
        or config.get("api_gateway_stage")
        or "api"
    )
    deploy_first = f"run `chalice deploy --stage {args.stage}` first"
    api_id = _deployed_api_id(args.config, args.stage)
    if api_id is not None:
        recorded = api_id
        if not call("read the REST API", lambda: _exists(gateway.get_rest_api, restApiId=recorded)):
            raise DeployError(
                f"The REST API {api_id} that .chalice/deployed/{args.stage}.json names is not "
                f"in {gateway.meta.region_name}: pass the --region you deployed to, or "
                f"{deploy_first}."
            )
    else:
        api_id = call("list the REST APIs", lambda: _api_by_name(gateway, app_name))
        if api_id is None:
            raise DeployError(
                f"No REST API called {app_name} in {gateway.meta.region_name}: {deploy_first}."
            )
    found = api_id
    if not call(
        "read the stage",
        lambda: _exists(gateway.get_stage, restApiId=found, stageName=stage_name),
    ):
        raise DeployError(f"The REST API {api_id} has no stage {stage_name}: {deploy_first}.")
    return Target(api_id, stage_name, app_name, f"{app_name}-{args.stage}", config)


# --- applying ----------------------------------------------------------------------------


def apply_gateway_responses(gateway: Any, target: Target) -> bool:
    """Puts each response that differs; True if any was put."""
    listed = call(
        "read the gateway responses",
        lambda: gateway.get_gateway_responses(restApiId=target.api_id, limit=500),
    )
    found = {item["responseType"]: item for item in listed.get("items", [])}
    changed = False
    for response in RESPONSES:
        wanted = response.wanted()
        what = f"gateway response {response.response_type}: {response.status} {response.code}"
        if _same(found.get(response.response_type), wanted):
            say(f"{what} (already set)")
            continue
        with aws_errors(f"set the gateway response {response.response_type}"):
            gateway.put_gateway_response(
                restApiId=target.api_id, responseType=response.response_type, **wanted
            )
        say(f"{what}, JSON and HTML (set)")
        changed = True
    return changed


def redeploy_stage(gateway: Any, target: Target) -> None:
    """Gateway responses reach callers with the stage's next deployment."""
    deployment = call(
        "redeploy the stage",
        lambda: gateway.create_deployment(
            restApiId=target.api_id,
            stageName=target.stage_name,
            description="deploy.guard: gateway responses",
        ),
    )
    say(f"stage {target.stage_name} redeployed ({deployment['id']}) so they take effect")


def throttling_of(stage: Mapping[str, Any]) -> tuple[float, int] | None:
    settings = stage.get("methodSettings", {}).get(ALL_METHODS, {})
    rate, burst = settings.get("throttlingRateLimit"), settings.get("throttlingBurstLimit")
    if rate is None or burst is None:
        return None
    return float(rate), int(burst)


def apply_throttling(gateway: Any, target: Target, limits: Settings) -> None:
    stage = call(
        "read the stage",
        lambda: gateway.get_stage(restApiId=target.api_id, stageName=target.stage_name),
    )
    what = (
        f"throttling of stage {target.stage_name}: {limits.rate:g} requests/s, burst {limits.burst}"
    )
    if throttling_of(stage) == (limits.rate, limits.burst):
        say(f"{what} (already set)")
        return
    operations = [
        {
            "op": "replace",
            "path": f"/{ALL_METHODS}/throttling/rateLimit",
            "value": f"{limits.rate:g}",
        },
        {
            "op": "replace",
            "path": f"/{ALL_METHODS}/throttling/burstLimit",
            "value": str(limits.burst),
        },
    ]
    call(
        "set the stage's throttling",
        lambda: gateway.update_stage(
            restApiId=target.api_id, stageName=target.stage_name, patchOperations=operations
        ),
    )
    say(f"{what} (set)")


def apply_log_retention(logs: Any, target: Target, days: int) -> None:
    group = f"/aws/lambda/{target.web_function}"
    found = call(
        "read the web function's log group",
        lambda: logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", []),
    )
    current = next((g for g in found if g["logGroupName"] == group), None)
    if current is not None and current.get("retentionInDays") == days:
        say(f"{group}: kept {days} days (already set)")
        return
    if current is None:
        # Made now, so the first request's logs already expire; the function's role may
        # create its own group only when none exists.
        call(
            "create the web function's log group", lambda: logs.create_log_group(logGroupName=group)
        )
    call(
        "set the web function's log retention",
        lambda: logs.put_retention_policy(logGroupName=group, retentionInDays=days),
    )
    say(f"{group}: kept {days} days (set)")


def report_concurrency(lambda_: Any, target: Target, stage: str) -> None:
    """Chalice sets reserved concurrency; say what the web function has, and whether it agrees."""
    wanted = lookup(target.config, stage, WEB, "reserved_concurrency")
    with aws_errors("read the web function's concurrency"):
        try:
            found = lambda_.get_function_concurrency(FunctionName=target.web_function)
        except lambda_.exceptions.ResourceNotFoundException:
            raise DeployError(
                f"No Lambda function {target.web_function}: run `chalice deploy --stage "
                f"{stage}` first."
            ) from None
    got = found.get("ReservedConcurrentExecutions")
    if wanted is not None and got != wanted:
        raise DeployError(
            f"{target.web_function} has reserved concurrency {got}, the config says {wanted}: "
            f"run `chalice deploy --stage {stage}` again."
        )
    shown = "none reserved (the account's pool)" if got is None else f"{got} at most at once"
    say(f"{target.web_function}: {shown}, set by chalice deploy")


def guard(args: argparse.Namespace, session: Any) -> None:
    region = args.region or session.region_name
    if not region:
        raise DeployError("No AWS region set: pass --region or set AWS_DEFAULT_REGION.")
    settings = chosen_settings(args)
    gateway = session.client("apigateway", region_name=region)
    target = find_target(args, gateway)
    say(f"REST API {target.api_id} ({target.app_name}), stage {target.stage_name}, {region}")
    if apply_gateway_responses(gateway, target):
        redeploy_stage(gateway, target)
    # After any redeploy: throttling is a setting of the stage, not of a deployment.
    apply_throttling(gateway, target, settings)
    apply_log_retention(session.client("logs", region_name=region), target, settings.log_days)
    report_concurrency(session.client("lambda", region_name=region), target, args.stage)


if __name__ == "__main__":
    sys.exit(main())
