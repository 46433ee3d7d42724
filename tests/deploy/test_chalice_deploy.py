"""`chalice deploy`, a redeploy and `chalice delete` of the prod stage, run as a user would,
against moto's server (tests/deploy/moto_chalice.py fills the gaps moto 5.2.5 has for Chalice).

What the account holds is read back with boto3 and compared with .chalice/config.json, the
checked-in IAM policies and the routes and functions the app defines. Expectations are
built per function from the config and the app, so a scheduled function added later is
checked (memory, timeout, environment, role, EventBridge rule and target) without new code.

Not checked because moto 5.2.5 drops them (a real account would hold them):
`minimumCompressionSize` (UpdateRestApi ignores the patch) and the binary media types
(ImportRestApi/PutRestApi ignore `x-amazon-apigateway-binary-media-types`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts.local_app import NOT_SHIPPED, ROOT
from tests.deploy.moto_chalice import MotoServer, moto_server

pytestmark = pytest.mark.slow

STAGE = "prod"
REGION = "eu-west-1"
DOMAIN = "weather.example.com"
ZONE = "example.com"
BIN = Path(sys.executable).parent
COMMAND_TIMEOUT = 300  # seconds; a build or a deploy pip-downloads the requirements

# The app as `chalice deploy` loads it (stage environment set), printed as JSON.
DESCRIBE_APP = """
import json, os, sys
from chalice.app import ScheduledEventConfig
from chalice.cli.factory import CLIFactory

factory = CLIFactory(project_dir=".", environ=os.environ)
app = factory.create_config_obj(chalice_stage_name=sys.argv[1]).chalice_app
schedules = {
    s.name: s.schedule_expression if isinstance(s.schedule_expression, str)
    else s.schedule_expression.to_string()
    for s in app.event_sources if isinstance(s, ScheduledEventConfig)
}
print(json.dumps({
    "app_name": app.app_name,
    "routes": sorted(app.routes),
    "handlers": sorted({s.name for s in app.event_sources}
                       | {f.name for f in app.pure_lambda_functions}),
    "schedules": schedules,
}))
"""


@dataclass(frozen=True)
class Project:
    """A throwaway copy of the project, and the environment a user's shell would have."""

    path: Path
    env: Mapping[str, str]
    server: MotoServer
    timings: dict[str, float] = field(default_factory=dict)

    def run(self, step: str, *argv: str) -> str:
        started = time.monotonic()
        done = subprocess.run(
            argv,
            cwd=self.path,
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        self.timings[step] = time.monotonic() - started
        assert done.returncode == 0, (
            f"{step} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
            f"--- moto server log ---\n{self.server.log_tail()}"
        )
        return done.stdout

    def config(self) -> dict[str, Any]:
        text = (self.path / ".chalice" / "config.json").read_text(encoding="utf-8")
        config: dict[str, Any] = json.loads(text)
        return config


@dataclass(frozen=True)
class Function:
    """One Lambda function as the config and the app say it should be deployed."""

    handler_name: str  # chalice's name: api_handler for the web app, else the Python function
    lambda_name: str
    handler: str
    memory: int
    timeout: int
    environment: Mapping[str, str]
    role_name: str
    policy: Mapping[str, Any]
    schedule: str | None  # EventBridge schedule expression, for @app.schedule functions


@dataclass(frozen=True)
class Aws:
    """boto3 clients for the moto server, with dummy credentials."""

    acm: Any
    apigateway: Any
    dynamodb: Any
    events: Any
    iam: Any
    lambda_: Any
    logs: Any
    route53: Any
    sns: Any
    ssm: Any

    @classmethod
    def at(cls, url: str) -> Aws:
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        services = (
            "acm",
            "apigateway",
            "dynamodb",
            "events",
            "iam",
            "lambda",
            "logs",
            "route53",
            "sns",
            "ssm",
        )
        clients = [session.client(name, endpoint_url=url) for name in services]  # type: ignore[call-overload]
        return cls(*clients)


@pytest.fixture
def server() -> Iterator[MotoServer]:
    with moto_server() as running:
        yield running


@pytest.fixture
def project(tmp_path: Path, server: MotoServer) -> Project:
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    # A clean shell: neither the developer's AWS setup nor settings tests put in os.environ
    # (conftest sets app variables) may reach the commands. PIP_* may point at a cache.
    env = {
        name: value
        for name, value in os.environ.items()
        if name in ("HOME", "LANG", "LC_ALL", "TMPDIR") or name.startswith("PIP_")
    }
    env.update(
        PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", os.defpath)]),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=server.url,
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return Project(copy, env, server)


def test_deploy_redeploy_and_delete_leave_exactly_what_the_config_says(project: Project) -> None:
    aws = Aws.at(project.server.url)
    domain_command = [str(BIN / "python"), "-m", "deploy.domain"]
    where = ["--domain", DOMAIN, "--hosted-zone", ZONE, "--region", REGION]
    chalice = str(BIN / "chalice")

    aws.route53.create_hosted_zone(Name=ZONE, CallerReference="test_chalice_deploy")
    project.run("certificate", *domain_command, "certificate", *where, "--interval", "0.25")
    certificate_arn = custom_domain(project.config())["certificate_arn"]
    certificate = aws.acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
    assert certificate["Status"] == "ISSUED"
    alerts_setup = [str(BIN / "python"), "-m", "deploy.alerts", "setup", "--stage", STAGE]
    project.run("alerts setup", *alerts_setup, "--region", REGION)
    alerts = assert_alerts_set_up(aws, project.config())
    for name in parameter_names(project) - {alerts["PUSH_VAPID_KEY_PARAM"]}:
        aws.ssm.put_parameter(Name=name, Value="READKEY0123456789", Type="SecureString")

    project.run("build", str(BIN / "python"), "-m", "deploy.build", "--stage", STAGE)
    project.run("deploy", chalice, "deploy", "--stage", STAGE)
    app = describe_app(project)
    functions = expected_functions(project, app)
    assert_deployed(aws, project, app, functions)
    assert_deployed_code_is_the_built_package(aws, project, functions)
    assert_check_alerts(aws, functions, alerts)

    guard = [str(BIN / "python"), "-m", "deploy.guard", "--stage", STAGE, "--region", REGION]
    out = project.run("guard", *guard)
    assert "(set)" in out and "redeployed" in out
    assert_guarded(aws, project, app, functions)
    again = project.run("guard again", *guard)  # nothing left to do: nothing done
    assert "(set)" not in again and "redeployed" not in again, again

    project.run("alias", *domain_command, "alias", *where)
    assert_alias_points_at_the_domain(aws)

    project.run("redeploy", chalice, "deploy", "--stage", STAGE)
    assert_deployed(aws, project, app, functions)
    assert_alias_points_at_the_domain(aws)
    # moto 5.2.5's CreateDeployment gives the stage fresh settings, so the redeploy drops
    # the throttling here (AWS keeps a stage's settings, but may reset gateway responses
    # with PutRestApi's overwrite): the documented flow runs the guard after every deploy.
    print("after redeploy, before the guard:", guard_state(aws, app))
    print(project.run("guard after redeploy", *guard))
    assert_guarded(aws, project, app, functions)

    project.run("delete", chalice, "delete", "--stage", STAGE)
    assert_nothing_of_ours_left(aws, app)
    assert_the_users_own_resources_left(aws, certificate_arn, parameter_names(project))
    # What the alerts setup made is the user's too: `chalice delete` leaves it.
    assert aws.dynamodb.describe_table(TableName=alerts["ALERTS_TABLE"])["Table"]
    topics = [t["TopicArn"] for t in aws.sns.list_topics()["Topics"]]
    assert alerts["ALERTS_TOPIC_ARN"] in topics
    print("timings:", {step: round(seconds, 2) for step, seconds in project.timings.items()})


def guard_state(aws: Aws, app: Mapping[str, Any]) -> dict[str, Any]:
    """What a redeploy left of the guard's settings (printed: moto and AWS differ here)."""
    (api,) = [a for a in aws.apigateway.get_rest_apis()["items"] if a["name"] == app["app_name"]]
    (stage,) = aws.apigateway.get_stages(restApiId=api["id"])["item"]
    responses = aws.apigateway.get_gateway_responses(restApiId=api["id"])["items"]
    groups = aws.logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    return {
        "throttling": stage.get("methodSettings", {}).get("*/*"),
        "gateway responses": sorted(r["responseType"] for r in responses),
        "log groups": {g["logGroupName"]: g.get("retentionInDays") for g in groups},
    }


def assert_guarded(
    aws: Aws, project: Project, app: Mapping[str, Any], functions: list[Function]
) -> None:
    """What `python -m deploy.guard` adds to a deploy, and what Chalice sets beside it."""
    api_id = assert_rest_api(aws, project.config(), app)
    stage_name = project.config()["stages"][STAGE]["api_gateway_stage"]
    kept = json.loads((project.path / ".chalice" / "guard.json").read_text())["stages"][STAGE]
    stage = aws.apigateway.get_stage(restApiId=api_id, stageName=stage_name)
    settings = stage["methodSettings"]["*/*"]
    assert settings["throttlingRateLimit"] == kept["rate_limit"] == 10
    assert settings["throttlingBurstLimit"] == kept["burst_limit"] == 20
    responses = {
        r["responseType"]: r
        for r in aws.apigateway.get_gateway_responses(restApiId=api_id)["items"]
    }
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == "404"
    body = json.loads(missing["responseTemplates"]["application/json"])
    assert body["error"]["code"] == "not_found" and body["error"]["message"]
    assert "<h1>Page not found</h1>" in missing["responseTemplates"]["text/html"]
    assert responses["THROTTLED"]["statusCode"] == "429"
    throttled = json.loads(responses["THROTTLED"]["responseTemplates"]["application/json"])
    assert throttled["error"]["code"] == "throttled"
    config = project.config()
    for function in functions:
        concurrency = aws.lambda_.get_function_concurrency(FunctionName=function.lambda_name)
        wanted = lookup(config, function.handler_name, "reserved_concurrency", None)
        assert concurrency.get("ReservedConcurrentExecutions") == wanted
        # The group each function writes to: Chalice sets check_alerts', the guard the web
        # function's (Chalice's own log group for api_handler is misnamed, chalice#2079).
        group = f"/aws/lambda/{function.lambda_name}"
        found = aws.logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        (log_group,) = [g for g in found if g["logGroupName"] == group]
        web = function.handler_name == "api_handler"
        days = (
            kept["log_retention_in_days"]
            if web
            else lookup(config, function.handler_name, "log_retention_in_days", None)
        )
        assert log_group.get("retentionInDays") == days == 30
    assert lookup(config, "api_handler", "reserved_concurrency", None) == 5
    assert lookup(config, "api_handler", "log_retention_in_days", None) is None
    assert lookup(config, "check_alerts", "reserved_concurrency", None) is None
    groups = aws.logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    assert sorted(g["logGroupName"] for g in groups) == sorted(
        f"/aws/lambda/{f.lambda_name}" for f in functions
    )


# --- what the config and the app say ----------------------------------------------------


def custom_domain(config: Mapping[str, Any]) -> dict[str, Any]:
    domain: dict[str, Any] = config["stages"][STAGE]["api_gateway_custom_domain"]
    return domain


def endpoint_type(config: Mapping[str, Any]) -> str:
    found: str = lookup(config, "api_handler", "api_gateway_endpoint_type", "EDGE")
    return found


def describe_app(project: Project) -> dict[str, Any]:
    out = project.run("describe app", str(BIN / "python"), "-c", DESCRIBE_APP, STAGE)
    described: dict[str, Any] = json.loads(out)
    return described


def lookup(config: Mapping[str, Any], handler_name: str, key: str, default: Any) -> Any:
    """A per-function setting in Chalice 1.34's order of precedence."""
    stage = config.get("stages", {}).get(STAGE, {})
    for scope in (
        stage.get("lambda_functions", {}).get(handler_name, {}),
        stage,
        config.get("lambda_functions", {}).get(handler_name, {}),
        config,
    ):
        if scope.get(key) is not None:
            return scope[key]
    return default


def environment(config: Mapping[str, Any], handler_name: str) -> dict[str, str]:
    # Chalice 1.34 merges these three only: top-level `lambda_functions` has no say here.
    stage = config.get("stages", {}).get(STAGE, {})
    merged: dict[str, str] = {}
    for scope in (config, stage, stage.get("lambda_functions", {}).get(handler_name, {})):
        merged.update(scope.get("environment_variables", {}))
    return merged


def expected_functions(project: Project, app: Mapping[str, Any]) -> list[Function]:
    config = project.config()
    prefix = f"{app['app_name']}-{STAGE}"
    names = (["api_handler"] if app["routes"] else []) + list(app["handlers"])
    functions = []
    for name in names:
        assert lookup(config, name, "autogen_policy", True) is False, (
            f"{name}: prod must deploy with a checked-in least-privilege policy"
        )
        policy_file = lookup(config, name, "iam_policy_file", f"policy-{STAGE}.json")
        web = name == "api_handler"
        functions.append(
            Function(
                handler_name=name,
                lambda_name=prefix if web else f"{prefix}-{name}",
                handler="app.app" if web else f"app.{name}",
                memory=lookup(config, name, "lambda_memory_size", 128),
                timeout=lookup(config, name, "lambda_timeout", 60),
                environment=environment(config, name),
                role_name=f"{prefix}-{name}",
                policy=json.loads((project.path / ".chalice" / policy_file).read_text()),
                schedule=app["schedules"].get(name),
            )
        )
    return functions


def parameter_names(project: Project) -> set[str]:
    """The SSM parameters the functions read: `*_PARAM` settings, and each dashboard's
    `read_api_key_param` in the TOML file a setting names (GLANCE_CONFIG)."""
    config = project.config()
    handlers = ["api_handler", *config.get("stages", {}).get(STAGE, {}).get("lambda_functions", {})]
    names: set[str] = set()
    for handler in handlers:
        for key, value in environment(config, handler).items():
            if key.endswith("_PARAM") and value:
                names.add(value)
            elif value.endswith(".toml") and (project.path / value).is_file():
                tree = tomllib.loads((project.path / value).read_text(encoding="utf-8"))
                names.update(values_of("read_api_key_param", tree))
    return names


def values_of(key: str, tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        for name, value in tree.items():
            if name == key and isinstance(value, str):
                yield value
            else:
                yield from values_of(key, value)
    elif isinstance(tree, list):
        for item in tree:
            yield from values_of(key, item)


# --- what the account holds ------------------------------------------------------------


def ours(names: list[str], prefix: str) -> list[str]:
    return sorted(name for name in names if name == prefix or name.startswith(prefix + "-"))


def assert_deployed(
    aws: Aws, project: Project, app: Mapping[str, Any], functions: list[Function]
) -> None:
    prefix = f"{app['app_name']}-{STAGE}"
    deployed = [f["FunctionName"] for f in aws.lambda_.list_functions()["Functions"]]
    assert ours(deployed, prefix) == sorted(f.lambda_name for f in functions)
    roles = [r["RoleName"] for r in aws.iam.list_roles()["Roles"]]
    assert ours(roles, prefix) == sorted({f.role_name for f in functions})
    api_id = assert_rest_api(aws, project.config(), app)
    for function in functions:
        assert_function(aws, function)
        if function.handler_name == "api_handler":
            assert_invokable_by_api(aws, function, api_id)
        if function.schedule is not None:
            configuration = aws.lambda_.get_function_configuration(
                FunctionName=function.lambda_name
            )
            assert_schedule(
                aws.events, aws.lambda_, configuration["FunctionArn"], function.schedule
            )
    assert_custom_domain(aws, project.config(), api_id)


def assert_deployed_code_is_the_built_package(
    aws: Aws, project: Project, functions: list[Function]
) -> None:
    """Each function runs the zip Chalice built after deploy.build: byte code included."""
    built = {
        base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode(): path
        for path in (project.path / ".chalice" / "deployments").glob("*.zip")
    }
    for function in functions:
        got = aws.lambda_.get_function_configuration(FunctionName=function.lambda_name)
        assert got["CodeSha256"] in built, f"{function.lambda_name} runs a zip not built here"
        with zipfile.ZipFile(built[got["CodeSha256"]]) as archive:
            names = set(archive.namelist())
            for cached in (
                "__pycache__/app.cpython-{v}.pyc",
                "chalice/__pycache__/app.cpython-{v}.pyc",
                "chalicelib/web/__pycache__/dashboard.cpython-{v}.pyc",
                "requests/__pycache__/sessions.cpython-{v}.pyc",
                "jinja2/__pycache__/environment.cpython-{v}.pyc",
            ):
                name = cached.format(v=f"{sys.version_info.major}{sys.version_info.minor}")
                assert name in names, f"{name} missing from the deployed package"
                assert archive.read(name)[4:8] == (0b11).to_bytes(4, "little")  # checked-hash


def assert_function(aws: Aws, expected: Function) -> None:
    got = aws.lambda_.get_function_configuration(FunctionName=expected.lambda_name)
    assert got["Handler"] == expected.handler
    assert got["MemorySize"] == expected.memory
    assert got["Timeout"] == expected.timeout
    assert got.get("Environment", {}).get("Variables", {}) == expected.environment
    version = tuple(int(part) for part in got["Runtime"].removeprefix("python").split("."))
    assert got["Runtime"].startswith("python") and version >= (3, 12), got["Runtime"]
    role_name = got["Role"].rsplit("/", 1)[-1]
    assert role_name == expected.role_name
    # Exactly the checked-in policy, inline, and nothing broader attached beside it.
    assert aws.iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    inline = aws.iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    assert len(inline) == 1, inline
    document = aws.iam.get_role_policy(RoleName=role_name, PolicyName=inline[0])
    assert document["PolicyDocument"] == expected.policy


def assert_rest_api(aws: Aws, config: Mapping[str, Any], app: Mapping[str, Any]) -> str:
    apis = [a for a in aws.apigateway.get_rest_apis()["items"] if a["name"] == app["app_name"]]
    assert len(apis) == 1, f"expected one REST API, found {len(apis)}"
    api = apis[0]
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"] == [endpoint_type(config)]
    resources = aws.apigateway.get_resources(restApiId=api["id"])["items"]
    with_methods = sorted(r["path"] for r in resources if r.get("resourceMethods"))
    assert with_methods == app["routes"]
    assert {"/", "/api/latest"} <= set(with_methods)
    stages = [s["stageName"] for s in aws.apigateway.get_stages(restApiId=api["id"])["item"]]
    assert stages == [config["stages"][STAGE]["api_gateway_stage"]]
    api_id: str = api["id"]
    return api_id


def assert_invokable_by_api(aws: Aws, function: Function, api_id: str) -> None:
    policy = json.loads(aws.lambda_.get_policy(FunctionName=function.lambda_name)["Policy"])
    grants = [
        s
        for s in policy["Statement"]
        if s["Principal"] == {"Service": "apigateway.amazonaws.com"}
        and s["Action"] == "lambda:InvokeFunction"
    ]
    assert len(grants) == 1, grants
    assert grants[0]["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(f":{api_id}/*")


def assert_custom_domain(aws: Aws, config: Mapping[str, Any], api_id: str) -> None:
    wanted = custom_domain(config)
    domains = aws.apigateway.get_domain_names()["items"]
    assert [d["domainName"] for d in domains] == [wanted["domain_name"]]
    domain = domains[0]
    assert domain["regionalCertificateArn"] == wanted["certificate_arn"]
    assert domain["securityPolicy"] == "TLS_1_2" == wanted.get("tls_version", "TLS_1_2")
    assert domain["endpointConfiguration"]["types"] == ["REGIONAL"] == [endpoint_type(config)]
    mappings = aws.apigateway.get_base_path_mappings(domainName=DOMAIN)["items"]
    stage = config["stages"][STAGE]["api_gateway_stage"]
    assert mappings == [{"basePath": "(none)", "restApiId": api_id, "stage": stage}]


def assert_schedule(events: Any, lambda_: Any, function_arn: str, expression: str) -> None:
    """One enabled EventBridge rule with `expression` whose only target is the function,
    and the function lets EventBridge invoke it for that rule."""
    rules = events.list_rule_names_by_target(TargetArn=function_arn)["RuleNames"]
    assert len(rules) == 1, f"{function_arn}: rules {rules}"
    rule = events.describe_rule(Name=rules[0])
    assert rule["ScheduleExpression"] == expression
    assert rule["State"] == "ENABLED"
    targets = events.list_targets_by_rule(Rule=rules[0])["Targets"]
    assert [t["Arn"] for t in targets] == [function_arn]
    policy = json.loads(lambda_.get_policy(FunctionName=function_arn)["Policy"])
    sources = [
        s["Condition"]["ArnLike"]["AWS:SourceArn"]
        for s in policy["Statement"]
        if s["Principal"] == {"Service": "events.amazonaws.com"}
    ]
    assert sources == [rule["Arn"]]


def assert_alerts_set_up(aws: Aws, config: Mapping[str, Any]) -> dict[str, str]:
    """The setup command made the table, topic and key, and wrote their names for prod."""
    env = config["stages"][STAGE]["environment_variables"]
    names = {k: env[k] for k in ("ALERTS_TABLE", "ALERTS_TOPIC_ARN", "PUSH_VAPID_KEY_PARAM")}
    table = aws.dynamodb.describe_table(TableName=names["ALERTS_TABLE"])["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = aws.dynamodb.describe_time_to_live(TableName=names["ALERTS_TABLE"])
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert names["ALERTS_TOPIC_ARN"] in [t["TopicArn"] for t in aws.sns.list_topics()["Topics"]]
    key = aws.ssm.get_parameter(Name=names["PUSH_VAPID_KEY_PARAM"])["Parameter"]
    assert key["Type"] == "SecureString"
    return names


def assert_check_alerts(aws: Aws, functions: list[Function], alerts: Mapping[str, str]) -> None:
    """Beyond what the config says (checked for every function): what it must say."""
    (check,) = [f for f in functions if f.handler_name == "check_alerts"]
    (web,) = [f for f in functions if f.handler_name == "api_handler"]
    assert check.schedule == "rate(5 minutes)"
    assert (check.memory, check.timeout) == (256, 60)
    assert check.role_name != web.role_name and check.policy != web.policy
    got = aws.lambda_.get_function_configuration(FunctionName=check.lambda_name)
    assert {k: got["Environment"]["Variables"][k] for k in alerts} == dict(alerts)
    assert "sns:Publish" in json.dumps(check.policy)
    assert alerts["PUSH_VAPID_KEY_PARAM"].lstrip("/") in json.dumps(check.policy)
    assert alerts["PUSH_VAPID_KEY_PARAM"].lstrip("/") not in json.dumps(web.policy)


def domain_aliases(aws: Aws) -> dict[str, str]:
    zone = aws.route53.list_hosted_zones_by_name(DNSName=ZONE + ".")["HostedZones"][0]
    records = aws.route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    return {
        r["Type"]: r["AliasTarget"]["DNSName"].rstrip(".")
        for r in records
        if r["Name"].rstrip(".") == DOMAIN and "AliasTarget" in r
    }


def assert_alias_points_at_the_domain(aws: Aws) -> None:
    target = aws.apigateway.get_domain_name(domainName=DOMAIN)["regionalDomainName"]
    assert domain_aliases(aws) == {"A": target, "AAAA": target}


def assert_nothing_of_ours_left(aws: Aws, app: Mapping[str, Any]) -> None:
    prefix = f"{app['app_name']}-{STAGE}"
    assert (
        ours([f["FunctionName"] for f in aws.lambda_.list_functions()["Functions"]], prefix) == []
    )
    assert [
        a for a in aws.apigateway.get_rest_apis()["items"] if a["name"] == app["app_name"]
    ] == []
    # README's teardown says `chalice delete` removes the custom domain (aws/chalice#1918).
    assert aws.apigateway.get_domain_names()["items"] == []
    assert ours([r["RoleName"] for r in aws.iam.list_roles()["Roles"]], prefix) == []
    rules = aws.events.list_rules()["Rules"]
    assert [r["Name"] for r in rules if r["Name"].startswith(prefix)] == []


def assert_the_users_own_resources_left(
    aws: Aws, certificate_arn: str, parameters: set[str]
) -> None:
    """`chalice delete` leaves what `deploy.domain` and the user made: the certificate, the
    validation CNAME, the A/AAAA aliases (now pointing at nothing: README's teardown deletes
    them) and the SSM parameters."""
    certificate = aws.acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
    assert certificate["Status"] == "ISSUED"
    assert set(domain_aliases(aws)) == {"A", "AAAA"}
    zone = aws.route53.list_hosted_zones_by_name(DNSName=ZONE + ".")["HostedZones"][0]
    records = aws.route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    assert any(r["Type"] == "CNAME" and "acm-validations" in str(r) for r in records)
    for name in parameters:
        assert aws.ssm.get_parameter(Name=name)["Parameter"]["Name"] == name
