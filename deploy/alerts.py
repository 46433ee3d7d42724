"""Alerts: what `chalice deploy` does not create, and a local loop to watch them fire.

    python -m deploy.alerts setup --stage prod --region eu-west-1 [--contact you@example.com]
    chalice deploy --stage prod

`setup` makes (or finds) the stage's DynamoDB table (on-demand, TTL on `expires`), its
SNS topic and its VAPID key pair: the private key as an SSM SecureString, the public
key in the table, where the web function may read it. It writes ALERTS_TABLE,
ALERTS_TOPIC_ARN, PUSH_VAPID_KEY_PARAM and PUSH_VAPID_SUBJECT into the stage's
environment in .chalice/config.json and regenerates the stage's IAM policies. Every
step is safe to run again; every failure is one line saying what to do.

    python -m deploy.alerts watch [--stage local] [--every 15] [--quiet-after 1]

`watch` (`make alerts`) checks the stage's dashboards in a loop against the emulator of
`make serve`, keeps state in SQLite (ALERTS_DB, or memory) and prints each notification;
subscriptions the page registered under `chalice local` with the same ALERTS_DB get a push.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from deploy import config as chalice_config
from deploy import policy
from deploy.errors import DeployError, call

CONFIG = Path(".chalice/config.json")
KEY_SCHEMA = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
TTL_ATTRIBUTE = "expires"


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="python -m deploy.alerts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    setup_ = commands.add_parser("setup", help="create the table, topic and push keys")
    setup_.add_argument("--stage", required=True)
    setup_.add_argument("--region", required=True, help="the stage's region, e.g. eu-west-1")
    setup_.add_argument(
        "--contact",
        help="who push services may contact about these alerts: an email address or an "
        "https URL (default: the stage's custom domain)",
    )
    setup_.add_argument("--config", type=Path, default=CONFIG)
    watch_ = commands.add_parser("watch", help="check locally in a loop, printing alerts")
    watch_.add_argument("--stage", default="local")
    watch_.add_argument("--every", type=float, default=15.0, help="seconds between checks")
    watch_.add_argument(
        "--quiet-after",
        type=float,
        help="minutes without a reading before a channel counts as quiet (default: the file's)",
    )
    watch_.add_argument("--db", help="SQLite file shared with chalice local (default: ALERTS_DB)")
    watch_.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    watch_.add_argument("--config", type=Path, default=CONFIG)
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    session: Any = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    try:
        args = parse(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.command == "setup":
            if session is None:
                import boto3

                session = boto3.Session(region_name=args.region)
            setup(args, session)
        else:
            watch(args, os.environ if environ is None else environ, sleep)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped.", file=sys.stderr)
        return 130
    return 0


def say(line: str) -> None:
    print(line, flush=True)


# --- setup ---------------------------------------------------------------------------------


def setup(args: argparse.Namespace, session: Any) -> None:
    settings = chalice_config.load(args.config)
    stage = chalice_config.stage(settings, args.stage, args.config)
    app_name = str(settings.get("app_name", "thingspeak-glance"))
    env = policy.stage_environment(settings, args.stage)
    names = policy.alert_names(app_name, args.stage, env)
    subject = _subject(args.contact or env.get("PUSH_VAPID_SUBJECT"), stage)
    region = args.region

    dynamodb = session.client("dynamodb", region_name=region)
    created = call(f"set up the table {names.table}", lambda: ensure_table(dynamodb, names.table))
    say(f"table {names.table}: {'created' if created else 'already there'} (on-demand, TTL on)")

    sns = session.client("sns", region_name=region)
    topic_name = names.topic_arn.rsplit(":", 1)[-1]
    topic_arn: str = call(
        f"create the topic {topic_name}", lambda: sns.create_topic(Name=topic_name)["TopicArn"]
    )
    say(f"topic {topic_arn}: ready")

    ssm = session.client("ssm", region_name=region)
    public, made = call(
        f"set up the push key {names.vapid_param}", lambda: ensure_vapid(ssm, names.vapid_param)
    )
    _store_public_key(dynamodb, names.table, public)
    kept = "made" if made else "kept"
    say(f"push keys: {kept}; private key in SSM {names.vapid_param}, public key in the table")

    values = {
        "ALERTS_TABLE": names.table,
        "ALERTS_TOPIC_ARN": topic_arn,
        "PUSH_VAPID_KEY_PARAM": names.vapid_param,
        "PUSH_VAPID_SUBJECT": subject,
    }
    changed = write_environment(args.config, args.stage, values)
    where = f"{args.config} (stage {args.stage})"
    say(f"{'wrote' if changed else 'already had'} {', '.join(values)} in {where}")
    if _generated_policy(settings, args.stage):
        written = policy.write(args.stage, args.config)
        say(f"wrote {', '.join(str(p) for p in written)}")
    else:
        say(
            f"note: stage {args.stage} lets Chalice generate its IAM policy, which cannot see "
            "the alert calls: set autogen_policy false and run python -m deploy.policy"
        )
    say(
        f"email alerts: aws sns subscribe --region {region} --topic-arn {topic_arn} "
        "--protocol email --notification-endpoint you@example.com (then confirm the email)"
    )
    say(f"next: AWS_DEFAULT_REGION={region} chalice deploy --stage {args.stage}")


def _subject(contact: str | None, stage: Mapping[str, Any]) -> str:
    if not contact:
        domain = stage.get("api_gateway_custom_domain", {}).get("domain_name")
        if not domain:
            raise DeployError(
                "Push services want a contact for the sender: pass --contact with your email "
                "address (or an https URL)."
            )
        return f"https://{domain}"
    contact = contact.strip()
    if contact.startswith("https://") and len(contact) > 8:
        return contact
    address = contact.removeprefix("mailto:")
    local, at, domain = address.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in address):
        raise DeployError(
            f"--contact {contact!r} is neither an email address nor an https URL: pass one."
        )
    return f"mailto:{address}"


def ensure_table(dynamodb: Any, name: str) -> bool:
    """The table exists, is usable and has its TTL on; True if this call created it."""
    created = False
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=KEY_SCHEMA,
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": "app", "Value": "thingspeak-glance"}],
        )
        created = True
        table = {"KeySchema": KEY_SCHEMA}
    if sorted(table["KeySchema"], key=lambda k: k["KeyType"]) != KEY_SCHEMA:
        raise DeployError(
            f"The table {name} exists with other keys than pk and sk: it is not this app's; "
            "set ALERTS_TABLE in the stage to another name, or delete that table."
        )
    waiter = dynamodb.get_waiter("table_exists")
    waiter.wait(TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 90})
    ttl = dynamodb.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
    if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        if ttl.get("AttributeName") != TTL_ATTRIBUTE:
            raise DeployError(
                f"The table {name} expires items by {ttl.get('AttributeName')!r}, not "
                f"{TTL_ATTRIBUTE!r}: turn its TTL off in the console and run setup again."
            )
    else:
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    return created


def ensure_vapid(ssm: Any, name: str) -> tuple[str, bool]:
    """(public key, whether this call made the pair). An existing key is kept: browsers
    subscribed with its public half would otherwise have to subscribe again."""
    from chalicelib.alerts.subscriptions import PushConfigError
    from chalicelib.alerts.webpush import generate_vapid_keys, public_key

    try:
        private = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        made = False
    except ssm.exceptions.ParameterNotFound:
        private, _ = generate_vapid_keys()
        try:
            ssm.put_parameter(
                Name=name,
                Value=private,
                Type="SecureString",
                Overwrite=False,
                Description="ThingSpeak Glance: VAPID private key for Web Push alerts",
            )
            made = True
        except ssm.exceptions.ParameterAlreadyExists:  # another setup was first: use its key
            private = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
            made = False
    try:
        return public_key(private), made
    except PushConfigError:
        raise DeployError(
            f"SSM {name} holds no usable VAPID private key: delete it (aws ssm "
            f"delete-parameter --name {name}) and run setup again; phones subscribe again."
        ) from None


def _store_public_key(dynamodb: Any, table: str, public: str) -> None:
    from chalicelib.alerts.dynamo_store import DynamoStore
    from chalicelib.alerts.store import StoreError

    store = DynamoStore(table, client=dynamodb)
    try:
        if store.public_key() != public:
            store.set_public_key(public)
    except StoreError as exc:
        raise DeployError(str(exc)) from None


def _generated_policy(settings: Mapping[str, Any], stage: str) -> bool:
    scoped = settings.get("stages", {}).get(stage, {})
    return scoped.get("autogen_policy", settings.get("autogen_policy", True)) is False


def write_environment(path: Path, stage: str, values: Mapping[str, str]) -> bool:
    """Sets the stage's environment variables; True if the file changed."""
    settings = chalice_config.load(path)
    env = chalice_config.stage(settings, stage, path).setdefault("environment_variables", {})
    if all(env.get(k) == v for k, v in values.items()):
        return False
    env.update(values)
    chalice_config.save(path, settings)
    return True


# --- watch ---------------------------------------------------------------------------------


def watch(
    args: argparse.Namespace, environ: Mapping[str, str], sleep: Callable[[float], None]
) -> None:
    from chalicelib.alerts.scheduled import checker_from_env, fetcher
    from chalicelib.alerts.sqlite_store import EmbeddedStore
    from chalicelib.alerts.subscriptions import PushConfigError
    from chalicelib.alerts.wording import AlertsConfigError
    from chalicelib.config.loader import load_config
    from chalicelib.config.model import ConfigError
    from chalicelib.thingspeak.client import ThingSpeakClient

    settings = chalice_config.load(args.config)
    chalice_config.stage(settings, args.stage, args.config)
    # As `chalice local` does: the stage's variables over the shell's.
    env = {**environ, **policy.stage_environment(settings, args.stage)}
    for name in ("ALERTS_TABLE", "PUSH_VAPID_KEY_PARAM"):
        env.pop(name, None)  # local state and keys only: never AWS from here
    try:
        config = load_config(env, root=args.config.resolve().parent.parent)
    except ConfigError as exc:
        raise DeployError(str(exc)) from None
    if args.quiet_after is not None:
        minutes = args.quiet_after
        shorter = tuple(
            dataclasses.replace(d, stale_after_minutes=minutes) for d in config.dashboards
        )
        config = dataclasses.replace(config, dashboards=shorter)
    store = EmbeddedStore(args.db or environ.get("ALERTS_DB") or ":memory:")
    store.local_vapid_keys()  # so GET /api/push/key answers under chalice local too
    try:
        checker = checker_from_env(
            config,
            fetcher(ThingSpeakClient(config.thingspeak_url)),
            env,
            store=store,
            echo=lambda text: say(f"ALERT {datetime.now():%H:%M:%S}  {text}"),
            log=_problems_only,
        )
    except (PushConfigError, AlertsConfigError) as exc:
        raise DeployError(str(exc)) from None
    assert checker is not None  # a store was given
    names = ", ".join(d.name for d in config.dashboards)
    quiet = f"; quiet after {args.quiet_after:g} min" if args.quiet_after is not None else ""
    say(
        f"checking {names} every {args.every:g} s against {config.thingspeak_url} "
        f"(state in {store.path}{quiet}); Ctrl-C stops"
    )
    rounds = 0
    while args.rounds is None or rounds < args.rounds:
        if rounds:
            sleep(args.every)
        checker.check_all()
        rounds += 1


def _problems_only(line: dict[str, Any]) -> None:
    if line.get("outcome") != "ok":
        say(f"{line['dashboard']}: {line['outcome']} {line.get('error', '')}".rstrip())
    for sent in line.get("notified", []):
        pushed = sent.get("sent", 0) + sent.get("gone", 0) + sent.get("failed", 0)
        if pushed or sent.get("push_error"):
            say(
                f"  pushed to {sent.get('sent', 0)} of {pushed} subscription(s)"
                + (f"; {sent['push_error']}" if sent.get("push_error") else "")
            )


if __name__ == "__main__":
    sys.exit(main())
