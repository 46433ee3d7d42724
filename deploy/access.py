"""Sign-in with passkeys (docs/access.md): setup, invitations, the passkeys and revoking them.

    python -m deploy.access setup --stage prod --region eu-west-1
    python -m deploy.access invite --stage prod [--label "Peter's phone"] [--dashboards a,b]
    python -m deploy.access list --stage prod
    python -m deploy.access revoke --stage prod <id> | --all

`setup` makes (or finds) the session secret (an SSM SecureString) and where passkeys and
invitations live: the stage's alerts table when it has one, else a table of its own. It
writes ACCESS_TABLE, SESSION_SECRET_PARAM and SITE_URL (https:// and the custom domain,
when the stage has one) into the stage's environment in .chalice/config.json and
regenerates the stage's IAM policies. Safe to run again.

`invite` prints a link valid for 15 minutes, once (the token is stored only as a hash),
and the same link as a QR code. On the `local` stage everything lives in the SQLite file
`make serve` reads (ACCESS_DB), and the link is http://localhost:8000/join#....
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from deploy import config as chalice_config
from deploy import policy
from deploy.alerts import ensure_table, write_environment
from deploy.errors import DeployError, call

CONFIG = Path(".chalice/config.json")
ROOT = Path(__file__).resolve().parent.parent


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="python -m deploy.access",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    setup_ = commands.add_parser("setup", help="create the session secret and the passkey store")
    setup_.add_argument("--region", required=True, help="the stage's region, e.g. eu-west-1")
    invite_ = commands.add_parser("invite", help="print a one-time link that makes a passkey")
    invite_.add_argument("--label", default="", help='who or what it is for: "Peter\'s phone"')
    invite_.add_argument(
        "--dashboards", help="the only dashboards this passkey may see: a,b (default: all)"
    )
    invite_.add_argument("--no-qr", action="store_true", help="the link only, no QR code")
    commands.add_parser("list", help="the passkeys: label, dashboards, created, last used")
    revoke_ = commands.add_parser("revoke", help="sign a passkey out for good, or everyone")
    revoke_.add_argument("id", nargs="?", help="a passkey's id (or its first characters)")
    revoke_.add_argument("--all", action="store_true", help="sign every device out now")
    for sub in (setup_, invite_, commands.choices["list"], revoke_):
        sub.add_argument("--stage", required=True)
        sub.add_argument("--config", type=Path, default=CONFIG)
        if sub is not setup_:
            sub.add_argument("--region", help="the stage's region (default: AWS_DEFAULT_REGION)")
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    session: Any = None,
    now: Callable[[], float] = time.time,
    out: Callable[[str], None] | None = None,
) -> int:
    say = out or _say
    try:
        args = parse(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        stage = Stage(args, session)
        if args.command == "setup":
            setup(stage, say)
        elif args.command == "invite":
            invite(stage, args, now, say)
        elif args.command == "list":
            list_passkeys(stage, say)
        else:
            revoke(stage, args, say)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


class Stage:
    """A stage's settings, and its store (SQLite locally, DynamoDB otherwise)."""

    def __init__(self, args: argparse.Namespace, session: Any) -> None:
        self.args = args
        self.name: str = args.stage
        self.path: Path = args.config
        self.settings = chalice_config.load(self.path)
        self.config = chalice_config.stage(self.settings, self.name, self.path)
        self.env = policy.stage_environment(self.settings, self.name)
        self.app_name = str(self.settings.get("app_name", "thingspeak-glance"))
        self._session = session

    @property
    def session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.Session(region_name=self.args.region)
        return self._session

    @property
    def local(self) -> bool:
        return not self.env.get("ACCESS_TABLE") and bool(self.env.get("ACCESS_DB"))

    def store(self) -> Any:
        if self.local:
            from chalicelib.access.sqlite_store import SqliteAccessStore

            path = Path(self.env["ACCESS_DB"])
            if not path.is_absolute():  # as `make serve` runs: from the project folder
                path = self.path.resolve().parent.parent / path
            return SqliteAccessStore(str(path))
        table = self.env.get("ACCESS_TABLE")
        if not table:
            raise DeployError(
                f"stage {self.name} has no ACCESS_TABLE: run python -m deploy.access setup "
                f"--stage {self.name} --region <region> first."
            )
        from chalicelib.access.dynamo_store import DynamoAccessStore

        return DynamoAccessStore(table, client=self.session.client("dynamodb"))

    def site_url(self) -> str:
        from chalicelib.access.session import SiteUrl

        site = SiteUrl.parse(self.env.get("SITE_URL"))
        if site is None:
            raise DeployError(
                f"stage {self.name} has no usable SITE_URL (https://your.domain, or "
                "http://localhost:PORT locally): set it in .chalice/config.json, or run "
                "python -m deploy.domain, which writes it."
            )
        return site.origin


# --- setup ---------------------------------------------------------------------------------


def setup(stage: Stage, say: Callable[[str], None]) -> None:
    region = stage.args.region
    names = policy.access_names(stage.app_name, stage.name, stage.env)
    dynamodb = stage.session.client("dynamodb", region_name=region)
    created = call(f"set up the table {names.table}", lambda: ensure_table(dynamodb, names.table))
    shared = names.table == stage.env.get("ALERTS_TABLE")
    kind = "the alerts table, shared" if shared else "its own table"
    say(f"table {names.table}: {'created' if created else 'already there'} ({kind})")
    ssm = stage.session.client("ssm", region_name=region)
    made = call(
        f"set up the session secret {names.secret_param}",
        lambda: ensure_secret(ssm, names.secret_param),
    )
    say(f"session secret in SSM {names.secret_param}: {'made' if made else 'kept'}")
    values = {"ACCESS_TABLE": names.table, "SESSION_SECRET_PARAM": names.secret_param}
    domain = stage.config.get("api_gateway_custom_domain", {}).get("domain_name")
    if domain:
        values["SITE_URL"] = f"https://{domain}"
    elif not stage.env.get("SITE_URL"):
        say(
            "note: this stage has no custom domain: set SITE_URL to its execute-api URL "
            "(https://<id>.execute-api.<region>.amazonaws.com) in .chalice/config.json"
        )
    changed = write_environment(stage.path, stage.name, values)
    where = f"{stage.path} (stage {stage.name})"
    say(f"{'wrote' if changed else 'already had'} {', '.join(values)} in {where}")
    scoped = stage.settings.get("stages", {}).get(stage.name, {})
    if scoped.get("autogen_policy", stage.settings.get("autogen_policy", True)) is False:
        written = policy.write(stage.name, stage.path)
        say(f"wrote {', '.join(str(p) for p in written)}")
    else:
        say(
            f"note: stage {stage.name} lets Chalice generate its IAM policy, which cannot see "
            "the sign-in calls: set autogen_policy false and run python -m deploy.policy"
        )
    say(f"next: AWS_DEFAULT_REGION={region} chalice deploy --stage {stage.name}, then:")
    say(f"      python -m deploy.access invite --stage {stage.name} --region {region}")


def ensure_secret(ssm: Any, name: str, rotate: bool = False) -> bool:
    """The session secret exists; True if this call made (or replaced) it."""
    if not rotate:
        try:
            ssm.get_parameter(Name=name, WithDecryption=True)
            return False
        except ssm.exceptions.ParameterNotFound:
            pass
    try:
        ssm.put_parameter(
            Name=name,
            Value=secrets.token_urlsafe(32),
            Type="SecureString",
            Overwrite=rotate,
            Description="ThingSpeak Glance: signs the sign-in cookies (rotate: revoke --all)",
        )
    except ssm.exceptions.ParameterAlreadyExists:
        return False  # another setup was first
    return True


# --- invite, list, revoke ---------------------------------------------------------------------


def invite(
    stage: Stage, args: argparse.Namespace, now: Callable[[], float], say: Callable[[str], None]
) -> None:
    from chalicelib.access.store import INVITATION_SECONDS, Invitation, token_hash

    origin = stage.site_url()
    dashboards = _dashboards(stage, args.dashboards)
    token = secrets.token_urlsafe(24)
    expires = int(now()) + INVITATION_SECONDS
    label = (args.label or "").strip()[:80] or "a passkey"
    invitation = Invitation(token_hash(token), label, dashboards, expires)
    _store_call(lambda: stage.store().add_invitation(invitation))
    link = f"{origin}/join#{token}"
    scope = "every dashboard" if dashboards is None else ", ".join(dashboards)
    until = datetime.fromtimestamp(expires, UTC).astimezone().strftime("%H:%M")
    say(f"Invitation for {label} ({scope}); open it on the phone before {until}, once:")
    say(link)
    if not args.no_qr:
        qr = _qr(link)
        if qr:
            say(qr)


def _qr(link: str) -> str | None:
    try:
        import segno
    except ImportError:
        return None
    import io

    buffer = io.StringIO()
    segno.make(link, error="l").terminal(out=buffer, compact=True)
    return buffer.getvalue().rstrip("\n")


def _dashboards(stage: Stage, raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    wanted = tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    if not wanted:
        raise DeployError("--dashboards names no dashboard: give a,b (or leave it out).")
    from chalicelib.config.loader import load_config
    from chalicelib.config.model import ConfigError

    try:
        config = load_config(stage.env, root=stage.path.resolve().parent.parent, resolve_keys=False)
    except ConfigError as exc:
        raise DeployError(str(exc)) from None
    known = [d.name for d in config.dashboards]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise DeployError(
            f"--dashboards: no dashboard {unknown[0]!r} on stage {stage.name} "
            f"(it has {', '.join(known)})."
        )
    return wanted


def list_passkeys(stage: Stage, say: Callable[[str], None]) -> None:
    passkeys = _store_call(lambda: stage.store().passkeys())
    if not passkeys:
        say("no passkeys yet: python -m deploy.access invite --stage " + stage.name)
        return
    say(f"{'id':<12}  {'label':<24}  {'dashboards':<20}  {'created':<16}  last used")
    for p in passkeys:
        scope = "all" if p.dashboards is None else ",".join(p.dashboards)
        say(
            f"{p.id[:12]:<12}  {p.label[:24]:<24}  {scope[:20]:<20}  {_when(p.created):<16}  "
            f"{_when(p.last_used)}"
        )


def revoke(stage: Stage, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    if args.all == bool(args.id):
        raise DeployError("give a passkey's id (see list), or --all to sign everyone out.")
    if args.all:
        if stage.local:
            store = stage.store()
            store.rotate_session_secret()
        else:
            param = stage.env.get("SESSION_SECRET_PARAM")
            if not param:
                raise DeployError(f"stage {stage.name} has no SESSION_SECRET_PARAM: run setup.")
            ssm = stage.session.client("ssm")
            call("rotate the session secret", lambda: ensure_secret(ssm, param, rotate=True))
        say("the session secret is new: every device is signed out (within a minute).")
        say("passkeys stay: each signs in again with one tap.")
        return
    store = stage.store()
    passkeys = _store_call(lambda: store.passkeys())
    found = [p for p in passkeys if p.id.startswith(args.id.strip().lower())]
    if len(found) != 1:
        which = "no passkey" if not found else f"{len(found)} passkeys"
        raise DeployError(f"{which} with id {args.id!r}: see python -m deploy.access list.")
    _store_call(lambda: store.remove_passkey(found[0].id))
    say(
        f"revoked {found[0].id[:12]} ({found[0].label}): its device is signed out within a day, "
        "its alerts stop at once."
    )


def _store_call(action: Callable[[], Any]) -> Any:
    from chalicelib.access.store import AccessStoreError

    try:
        return action()
    except AccessStoreError as exc:
        raise DeployError(str(exc)) from None


def _when(epoch: int) -> str:
    if not epoch:
        return "never"
    return datetime.fromtimestamp(epoch, UTC).astimezone().strftime("%Y-%m-%d %H:%M")


if __name__ == "__main__":
    sys.exit(main())
