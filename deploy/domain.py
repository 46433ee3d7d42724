"""Custom domain with a managed certificate, the two steps `chalice deploy` leaves to you.

DNS in Route53 (this command writes the records):

    python -m deploy.domain certificate --domain weather.example.com --hosted-zone example.com
    chalice deploy --stage prod
    python -m deploy.domain alias --domain weather.example.com --hosted-zone example.com

DNS elsewhere, at a registrar or Cloudflare (it prints the records for you to create):

    python -m deploy.domain certificate --domain weather.example.com --dns manual
    chalice deploy --stage prod
    python -m deploy.domain alias --domain weather.example.com --dns manual

`certificate` requests (or reuses) an ACM certificate with DNS validation, writes (or
prints) the validation CNAME, waits for ISSUED and records the certificate and domain in
.chalice/config.json. `alias` points the domain at the API Gateway domain that `chalice
deploy` created, read from AWS: A and AAAA alias records in Route53, or a CNAME to create.
Both are safe to run again; every failure ends with one line saying what to do.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from deploy import acm, config, manual, route53
from deploy.errors import DeployError, call

PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
MANUAL = "manual"


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One `error:` line like every other failure; the usage is one --help away.
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="python -m deploy.domain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("certificate", "request or reuse the certificate, validate it by DNS, record it"),
        ("alias", "after `chalice deploy`: point the domain at API Gateway"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--domain", required=True, help="e.g. weather.example.com")
        command.add_argument(
            "--hosted-zone", help="Route53 zone name or id, e.g. example.com: records written"
        )
        command.add_argument(
            "--dns",
            choices=("route53", MANUAL),
            help="manual: DNS is elsewhere (registrar, Cloudflare); records are printed",
        )
        command.add_argument("--stage", default="prod")
        command.add_argument("--region", help="the API's region (default: your AWS config)")
        command.add_argument("--config", type=Path, default=Path(".chalice/config.json"))
        if name == "certificate":
            command.add_argument("--timeout", type=float, default=900, help="seconds to wait")
            command.add_argument("--interval", type=float, default=15, help="seconds between polls")
    args = parser.parse_args(argv)
    chosen = commands.choices[args.command]
    if args.dns == MANUAL and args.hosted_zone:
        chosen.error(
            "--hosted-zone and --dns manual exclude each other: pass --hosted-zone for DNS in "
            "Route53 (records written for you), --dns manual for DNS elsewhere (records printed)"
        )
    if args.dns != MANUAL and not args.hosted_zone:
        chosen.error(
            "say where the DNS of the domain is: --hosted-zone example.com (a Route53 zone), "
            "or --dns manual (a registrar or Cloudflare)"
        )
    return args


def main(
    argv: Sequence[str] | None = None,
    session: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    try:
        args = parse(argv)
    except SystemExit as exc:  # --help, or a usage error already printed on one line
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if session is None:
            import boto3

            session = boto3.Session(region_name=args.region)
        run = certificate if args.command == "certificate" else alias
        run(args, session, sleep)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Nothing is left half-done: every step is idempotent, so running again resumes.
        print("interrupted: run the same command again to carry on.", file=sys.stderr)
        return 130
    return 0


def say(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True)
class Target:
    domain: str
    zone: route53.Zone | None  # None: DNS is elsewhere, and the records are printed
    endpoint: str  # REGIONAL or EDGE, from the stage's config
    region: str  # the API's
    certificate_region: str


def _target(args: argparse.Namespace, session: Any) -> Target:
    """What both commands work on, checked: the zone exists and holds the domain, and any
    recorded certificate is in the region the endpoint type needs."""
    domain = args.domain.rstrip(".").lower()
    endpoint, region, certificate_region = _regions(args, session)
    if args.dns == MANUAL:
        return Target(domain, None, endpoint, region, certificate_region)
    zone = route53.find_zone(session.client("route53"), args.hosted_zone)
    route53.check_inside(zone, domain)
    return Target(domain, zone, endpoint, region, certificate_region)


def _regions(args: argparse.Namespace, session: Any) -> tuple[str, str, str]:
    """(endpoint type, API region, certificate region), checked for consistency."""
    settings = config.load(args.config)
    stage = config.stage(settings, args.stage, args.config)
    endpoint = config.endpoint_type(settings, args.stage)
    region = args.region or session.region_name
    if not region:
        raise DeployError("No AWS region set: pass --region or set AWS_DEFAULT_REGION.")
    # EDGE APIs sit behind CloudFront, which only takes certificates from us-east-1.
    certificate_region = region if endpoint == "REGIONAL" else "us-east-1"
    recorded = stage.get("api_gateway_custom_domain", {}).get("certificate_arn", "")
    if recorded and PLACEHOLDER not in recorded:
        found = acm.region_of(recorded)
        if found != certificate_region:
            raise DeployError(
                f"The certificate in {args.config} (stage {args.stage}) is in {found}, but a "
                f"{endpoint} API in {region} needs one in {certificate_region}: pass --region "
                f"{found if endpoint == 'REGIONAL' else region} or remove certificate_arn and run "
                "`certificate` again."
            )
    return endpoint, region, certificate_region


def _dns_flag(args: argparse.Namespace) -> str:
    return "--dns manual" if args.dns == MANUAL else f"--hosted-zone {args.hosted_zone}"


def certificate(args: argparse.Namespace, session: Any, sleep: Callable[[float], None]) -> None:
    target = _target(args, session)
    domain, zone = target.domain, target.zone
    client = session.client("acm", region_name=target.certificate_region)
    arn, requested = acm.find_or_request(client, domain)
    say(f"{'requested' if requested else 'reusing'} certificate {arn}")
    records = acm.validation_records(client, arn, sleep=sleep)
    where_to_look: Callable[[list[acm.ValidationRecord]], str]
    if zone is None:
        unseen = acm.unseen(acm.describe(client, arn))
        # A reused certificate may be validated already: then its record exists, keep it.
        lines = manual.validation_record(domain, unseen) if unseen else manual.already_seen(records)
        for line in lines:
            say(line)
        where_to_look = manual.where_to_look
    else:
        route53.upsert(
            session.client("route53"),
            zone,
            [route53.cname(r.name, r.value) for r in records],
            f"ACM validation for {domain}",
        )
        for record in records:
            say(f"validation record {record.name} CNAME {record.value} is in zone {zone.name}")
        where_to_look = _in_zone(zone)
    acm.wait_issued(client, arn, domain, where_to_look, args.timeout, args.interval, say, sleep)
    say(
        f"certificate for {domain} is ISSUED "
        f"({target.certificate_region}, for a {target.endpoint} API in {target.region})"
    )
    changed = config.write_custom_domain(args.config, args.stage, domain, arn)
    where = f"{args.config} (stage {args.stage})"
    say(f"{'wrote' if changed else 'already had'} domain and certificate in {where}")
    # chalice deploy takes its region only from the environment or the AWS config.
    say(
        f"next: AWS_DEFAULT_REGION={target.region} chalice deploy --stage {args.stage}, then "
        f"python -m deploy.domain alias --domain {domain} {_dns_flag(args)} "
        f"--region {target.region}"
    )


def _in_zone(zone: route53.Zone) -> Callable[[list[acm.ValidationRecord]], str]:
    def where_to_look(_unseen: list[acm.ValidationRecord]) -> str:
        # The record is in the zone (just written), so the zone's delegation is the suspect.
        return (
            f"check that the validation CNAME is in the hosted zone {zone.name} and that your "
            "registrar uses that zone's name servers"
        )

    return where_to_look


def alias(args: argparse.Namespace, session: Any, sleep: Callable[[float], None]) -> None:
    target = _target(args, session)
    domain, zone, endpoint, region = target.domain, target.zone, target.endpoint, target.region
    gateway = session.client("apigateway", region_name=region)
    found = call("read the API Gateway domain", lambda: _deployed_domain(gateway, domain))
    if found is None:
        raise DeployError(
            f"API Gateway in {region} has no custom domain {domain} yet: run "
            f"`chalice deploy --stage {args.stage}` first (with the domain in {args.config})."
        )
    # What was deployed decides the alias target; the config only has to agree with it.
    deployed = (found.get("endpointConfiguration", {}).get("types") or [endpoint])[0]
    prefix = "regional" if deployed == "REGIONAL" else "distribution"
    points_at, points_zone = found.get(f"{prefix}DomainName"), found.get(f"{prefix}HostedZoneId")
    if deployed != endpoint or not points_at or not points_zone:
        raise DeployError(
            f"The API Gateway domain {domain} is {deployed}, but {args.config} (stage "
            f"{args.stage}) says {endpoint}: run `chalice deploy --stage {args.stage}` again "
            "so both agree."
        )
    if zone is None:
        for line in manual.final_record(domain, points_at):
            say(line)
    else:
        route53.upsert(
            session.client("route53"),
            zone,
            route53.aliases(domain, points_at, points_zone),
            f"ThingSpeak Glance: {domain}",
        )
        say(f"{domain} A and AAAA alias records point at {points_at} (zone {points_zone})")
    status = found.get("domainNameStatus", "AVAILABLE")
    if status != "AVAILABLE":
        say(f"API Gateway says the domain is {status}: it answers once AVAILABLE (minutes)")
    say(f"https://{domain}/")


def _deployed_domain(gateway: Any, domain: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = gateway.get_domain_name(domainName=domain)
        return found
    except gateway.exceptions.NotFoundException:
        return None


if __name__ == "__main__":
    sys.exit(main())
