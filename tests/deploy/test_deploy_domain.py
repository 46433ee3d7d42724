"""`python -m deploy.domain` against moto's ACM, Route53 and API Gateway.

Calls exercised: acm list_certificates, request_certificate, describe_certificate;
route53 list_hosted_zones_by_name, get_hosted_zone, change_resource_record_sets,
list_resource_record_sets (checks); apigateway get_domain_name (create_domain_name to
stand in for `chalice deploy`). Every failure must end with exactly one `error:` line on
stderr and a non-zero exit: `one_error_line` checks both shape and absence of a traceback.
`--dns manual` runs go through `Recording`, which notes every client and API call the
command makes, to show that mode never touches Route53.
"""

from __future__ import annotations

import json
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import moto.settings
import pytest

from deploy.domain import main

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
DOMAIN = "weather.example.com"
ZONE = "example.com"


@pytest.fixture(autouse=True)
def acm_validates_at_once(monkeypatch) -> None:
    validate_after(monkeypatch, -1)  # unless a test says otherwise


def validate_after(monkeypatch, seconds: float) -> None:
    # moto reads MOTO_ACM_VALIDATION_WAIT once, at import, into its settings.
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", seconds)


@pytest.fixture
def zone_id(aws) -> str:
    zone = aws.client("route53").create_hosted_zone(Name=ZONE + ".", CallerReference="glance")
    return zone["HostedZone"]["Id"].split("/")[-1]


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "config.json"
    shutil.copy(ROOT / ".chalice" / "config.json", path)
    return path


def no_wait(_seconds: float) -> None:
    pass


def run(session, config: Path, *args: str, sleep: Callable[[float], None] = no_wait) -> int:
    return main([*args, "--config", str(config)], session=session, sleep=sleep)


def certificate(session, config: Path, *extra: str, zone: str = ZONE, **kwargs) -> int:
    command = ["certificate", "--domain", DOMAIN, "--hosted-zone", zone, "--interval", "0"]
    return run(session, config, *command, *extra, **kwargs)


def alias(session, config: Path) -> int:
    return run(session, config, "alias", "--domain", DOMAIN, "--hosted-zone", ZONE)


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def records(session, zone_id: str, kind: str) -> list[dict]:
    answer = session.client("route53").list_resource_record_sets(HostedZoneId=zone_id)
    return [r for r in answer["ResourceRecordSets"] if r["Type"] == kind]


def test_certificate_is_requested_validated_by_dns_and_recorded(
    aws, zone_id, config, capsys, monkeypatch
):
    # A real, short wait: moto flips to ISSUED by the clock (long enough that a busy
    # machine still sees it pending first).
    validate_after(monkeypatch, 1.0)
    assert certificate(aws, config, "--interval", "0.05", sleep=time.sleep) == 0
    out = capsys.readouterr().out
    steps = ["requested certificate", "validation record", "waiting for ACM", "is ISSUED", "wrote"]
    positions = [out.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), out
    arns = [
        c["CertificateArn"] for c in aws.client("acm").list_certificates()["CertificateSummaryList"]
    ]
    assert len(arns) == 1 and arns[0].startswith(f"arn:aws:acm:{REGION}:")
    cnames = records(aws, zone_id, "CNAME")
    assert len(cnames) == 1 and DOMAIN in cnames[0]["Name"]
    assert "is ISSUED" in out and "requested certificate" in out
    custom = json.loads(config.read_text())["stages"]["prod"]["api_gateway_custom_domain"]
    assert custom == {"domain_name": DOMAIN, "certificate_arn": arns[0], "tls_version": "TLS_1_2"}


def test_rerun_reuses_the_certificate_and_writes_nothing_twice(aws, zone_id, config, capsys):
    assert certificate(aws, config) == 0
    first = config.read_text()
    assert certificate(aws, config) == 0
    out = capsys.readouterr().out
    assert "reusing certificate" in out and "already had domain and certificate" in out
    assert len(aws.client("acm").list_certificates()["CertificateSummaryList"]) == 1
    assert len(records(aws, zone_id, "CNAME")) == 1
    assert config.read_text() == first


def test_the_rest_of_the_config_is_kept_as_it_was(aws, zone_id, config):
    before = json.loads(config.read_text())
    certificate(aws, config)
    after = json.loads(config.read_text())
    del before["stages"]["prod"]["api_gateway_custom_domain"]
    del after["stages"]["prod"]["api_gateway_custom_domain"]
    # The one other thing it writes: the site's own origin, for sign-in (passkeys, links).
    assert after["stages"]["prod"]["environment_variables"].pop("SITE_URL") == f"https://{DOMAIN}"
    assert after == before
    assert list(after) == list(before)  # key order too


def test_config_keeps_its_layout_and_permissions(aws, zone_id, config):
    config.chmod(0o644)
    before = config.read_text()
    certificate(aws, config)
    arn = aws.client("acm").list_certificates()["CertificateSummaryList"][0]["CertificateArn"]
    placeholder = json.loads(before)["stages"]["prod"]["api_gateway_custom_domain"]
    # Only the ARN changed and SITE_URL was added as the stage's last variable, byte for
    # byte: same indentation, key order, non-ASCII as is.
    assert "SITE_URL" not in json.loads(before)["stages"]["prod"]["environment_variables"]
    site_url = f',\n        "SITE_URL": "https://{DOMAIN}"\n      }}'
    after = config.read_text()
    assert after.count(site_url) == 1, after
    assert after.replace(site_url, "\n      }") == before.replace(
        placeholder["certificate_arn"], arn
    )
    assert stat.S_IMODE(config.stat().st_mode) == 0o644
    assert [p.name for p in config.parent.iterdir()] == [config.name]  # no temporary left


def test_waiting_prints_progress_and_times_out_with_what_to_check(
    aws, zone_id, config, capsys, monkeypatch
):
    validate_after(monkeypatch, 3600)
    assert certificate(aws, config, "--timeout", "0") == 1
    err = one_error_line(capsys)
    assert err.startswith(f"error: ACM has not validated {DOMAIN}")
    assert "CNAME" in err and "name servers" in err


def test_progress_is_printed_while_waiting(aws, zone_id, config, capsys, monkeypatch):
    validate_after(monkeypatch, 3600)
    args = ["certificate", "--domain", DOMAIN, "--hosted-zone", ZONE, "--config", str(config)]
    code = main([*args, "--interval", "0.05", "--timeout", "0.3"], session=aws)
    assert code == 1
    progress = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(f"waiting for ACM to validate {DOMAIN} (status PENDING_VALIDATION")
    ]
    assert len(progress) >= 2


def test_no_such_hosted_zone(aws, config, capsys):
    assert certificate(aws, config) == 1
    assert "There is no public Route53 hosted zone named example.com" in one_error_line(capsys)
    assert aws.client("acm").list_certificates()["CertificateSummaryList"] == []


def test_no_such_hosted_zone_id(aws, config, capsys):
    assert certificate(aws, config, zone="Z0000000000000000000") == 1
    assert "There is no Route53 hosted zone Z0000000000000000000" in one_error_line(capsys)


def test_a_private_zone_of_that_name_is_not_used(aws, config, capsys):
    vpc = aws.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    aws.client("route53").create_hosted_zone(
        Name=ZONE + ".",
        CallerReference="private",
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": REGION, "VPCId": vpc},
    )
    assert certificate(aws, config) == 1
    assert "no public Route53 hosted zone named example.com" in one_error_line(capsys)


def test_domain_outside_the_zone(aws, zone_id, config, capsys):
    code = run(aws, config, "certificate", "--domain", "weather.other.org", "--hosted-zone", ZONE)
    assert code == 1
    assert "weather.other.org is not inside the hosted zone example.com" in one_error_line(capsys)


@pytest.mark.parametrize("form", ["{id}", "/hostedzone/{id}"])
def test_zone_can_be_given_by_id(aws, zone_id, config, form):
    assert certificate(aws, config, zone=form.format(id=zone_id)) == 0
    assert len(records(aws, zone_id, "CNAME")) == 1


def acm_certificates(arn_region: str = REGION) -> dict:
    from moto.acm.models import acm_backends

    return acm_backends["123456789012"][arn_region]._certificates


def test_certificate_failing_validation_says_to_start_again(
    aws, zone_id, config, capsys, monkeypatch
):
    validate_after(monkeypatch, 3600)

    def acm_gives_up(_seconds: float) -> None:  # what ACM does after CAA or DNS trouble
        for cert in acm_certificates().values():
            cert.status = "FAILED"

    code = main(
        ["certificate", "--domain", DOMAIN, "--hosted-zone", ZONE, "--config", str(config)],
        session=aws,
        sleep=acm_gives_up,
    )
    assert code == 1
    err = one_error_line(capsys)
    assert err.startswith(f"error: The certificate for {DOMAIN} is FAILED")
    assert "run this command again" in err


def test_interrupting_the_wait_says_to_run_again(aws, zone_id, config, capsys, monkeypatch):
    validate_after(monkeypatch, 3600)

    def ctrl_c(_seconds: float) -> None:
        raise KeyboardInterrupt

    assert certificate(aws, config, sleep=ctrl_c) == 130
    err = capsys.readouterr().err
    assert err == "interrupted: run the same command again to carry on.\n"


def test_a_failed_certificate_is_not_reused(aws, zone_id, config, capsys):
    certificate(aws, config)
    capsys.readouterr()
    for cert in acm_certificates().values():
        cert.status = "FAILED"
    assert certificate(aws, config) == 0
    assert "requested certificate" in capsys.readouterr().out


def test_certificate_in_the_wrong_region_is_refused(aws, zone_id, config, capsys):
    settings = json.loads(config.read_text())
    settings["stages"]["prod"]["api_gateway_custom_domain"]["certificate_arn"] = (
        "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    )
    config.write_text(json.dumps(settings))
    assert certificate(aws, config) == 1
    err = one_error_line(capsys)
    assert "is in us-east-1, but a REGIONAL API in eu-west-1 needs one in eu-west-1" in err


def edge(config: Path) -> None:
    """The stage as Chalice's default endpoint type would have it."""
    settings = json.loads(config.read_text())
    del settings["stages"]["prod"]["api_gateway_endpoint_type"]
    config.write_text(json.dumps(settings, indent=2))


def test_edge_stage_gets_its_certificate_from_us_east_1(aws, zone_id, config, capsys):
    edge(config)
    assert certificate(aws, config) == 0
    (summary,) = aws.client("acm", region_name="us-east-1").list_certificates()[
        "CertificateSummaryList"
    ]
    assert summary["CertificateArn"].startswith("arn:aws:acm:us-east-1:")
    assert aws.client("acm").list_certificates()["CertificateSummaryList"] == []
    custom = json.loads(config.read_text())["stages"]["prod"]["api_gateway_custom_domain"]
    assert custom["certificate_arn"] == summary["CertificateArn"]
    assert "for a EDGE API in eu-west-1" in capsys.readouterr().out


def test_missing_credentials_say_what_to_do(config, capsys, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.Session(region_name=REGION)
    assert certificate(session, config) == 1
    assert one_error_line(capsys) == (
        "error: No AWS credentials found: run `aws configure` (or set AWS_PROFILE) and try again."
    )


def test_missing_region_says_to_pass_one(aws, zone_id, config, capsys, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert certificate(boto3.Session(), config) == 1
    assert one_error_line(capsys) == (
        "error: No AWS region set: pass --region or set AWS_DEFAULT_REGION."
    )


def deploy_domain(session, endpoint: str = "REGIONAL", domain: str = DOMAIN) -> dict:
    """What `chalice deploy` does for the custom domain (CreateDomainName)."""
    if endpoint == "REGIONAL":
        arn = {"regionalCertificateArn": f"arn:aws:acm:{REGION}:123456789012:certificate/abc"}
    else:
        arn = {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}
    return session.client("apigateway").create_domain_name(
        domainName=domain,
        endpointConfiguration={"types": [endpoint]},
        securityPolicy="TLS_1_2",
        **arn,
    )


def assert_aliases_point_at(session, zone_id: str, name: str, hosted_zone_id: str) -> None:
    for kind in ("A", "AAAA"):
        (record,) = records(session, zone_id, kind)
        assert record["Name"].rstrip(".") == DOMAIN
        assert record["AliasTarget"]["DNSName"].rstrip(".") == name
        assert record["AliasTarget"]["HostedZoneId"] == hosted_zone_id


def test_alias_points_a_and_aaaa_at_the_api_gateway_domain(aws, zone_id, config, capsys):
    created = deploy_domain(aws)
    assert alias(aws, config) == 0
    assert_aliases_point_at(
        aws, zone_id, created["regionalDomainName"], created["regionalHostedZoneId"]
    )
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"https://{DOMAIN}/"


def test_rerun_of_alias_changes_nothing(aws, zone_id, config, capsys):
    deploy_domain(aws)
    assert alias(aws, config) == 0
    first = aws.client("route53").list_resource_record_sets(HostedZoneId=zone_id)
    assert alias(aws, config) == 0
    again = aws.client("route53").list_resource_record_sets(HostedZoneId=zone_id)
    assert again["ResourceRecordSets"] == first["ResourceRecordSets"]
    assert capsys.readouterr().err == ""


def test_alias_for_an_edge_api_points_at_its_cloudfront_distribution(aws, zone_id, config):
    edge(config)
    created = deploy_domain(aws, "EDGE")
    assert alias(aws, config) == 0
    assert_aliases_point_at(
        aws, zone_id, created["distributionDomainName"], created["distributionHostedZoneId"]
    )


def test_alias_refuses_a_domain_deployed_with_another_endpoint_type(aws, zone_id, config, capsys):
    deploy_domain(aws, "EDGE")  # config says REGIONAL
    assert alias(aws, config) == 1
    err = one_error_line(capsys)
    assert "is EDGE, but" in err and "says REGIONAL" in err
    assert records(aws, zone_id, "A") == []


def test_alias_before_deploy_says_to_deploy_first(aws, zone_id, config, capsys):
    assert alias(aws, config) == 1
    err = one_error_line(capsys)
    assert "has no custom domain weather.example.com yet" in err
    assert "chalice deploy --stage prod" in err


class Recording:
    """A boto3 session that notes each client it makes and each API call those clients send."""

    def __init__(self, session: boto3.Session) -> None:
        self._session = session
        self.clients: list[str] = []
        self.calls: list[str] = []
        # Clients copy the session's event handlers when made, so this sees every call.
        session.events.register("before-call", self._called)

    @property
    def region_name(self) -> str | None:
        return self._session.region_name

    def client(self, service: str, **kwargs):
        self.clients.append(service)
        return self._session.client(service, **kwargs)

    def _called(self, model, **_kwargs) -> None:
        self.calls.append(f"{model.service_model.service_name}.{model.name}")

    def services(self) -> set[str]:
        return set(self.clients) | {call.split(".")[0] for call in self.calls}


@pytest.fixture
def recorded(aws) -> Recording:
    return Recording(aws)


def manual(session, config: Path, command: str, *extra: str, domain: str = DOMAIN, **kwargs) -> int:
    args = [command, "--domain", domain, "--dns", "manual", "--region", REGION]
    if command == "certificate":
        args += ["--interval", "0"]
    return run(session, config, *args, *extra, **kwargs)


def validation_cname(session) -> tuple[str, str]:
    (summary,) = session.client("acm").list_certificates()["CertificateSummaryList"]
    certificate = session.client("acm").describe_certificate(
        CertificateArn=summary["CertificateArn"]
    )["Certificate"]
    (option,) = certificate["DomainValidationOptions"]
    return option["ResourceRecord"]["Name"], option["ResourceRecord"]["Value"]


def test_manual_dns_prints_the_validation_cname_waits_and_records_the_certificate(
    recorded, zone_id, config, capsys, monkeypatch
):
    validate_after(monkeypatch, 1.0)  # the person deploying creates the record meanwhile
    code = manual(recorded, config, "certificate", "--interval", "0.05", sleep=time.sleep)
    assert code == 0
    out = capsys.readouterr().out
    steps = [
        "requested certificate",
        f"create at the DNS provider of {DOMAIN}",
        f"waiting for ACM to validate {DOMAIN} (status PENDING_VALIDATION",
        "is ISSUED",
        "wrote domain and certificate",
    ]
    positions = [out.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), out
    name, value = validation_cname(recorded)
    # ACM gives both with a final dot; the name is shown as forms want it, the value keeps it.
    assert f"  name   {name.rstrip('.')}\n" in out
    assert f"  value  {value}\n" in out and value.endswith(".")
    assert f"  zone file: {name} 300 IN CNAME {value}\n" in out
    assert f"type only {name.removesuffix('.example.com.')} (for the zone example.com)" in out
    assert "the value's final dot matters" in out and '"DNS only"' in out
    (summary,) = recorded.client("acm").list_certificates()["CertificateSummaryList"]
    custom = json.loads(config.read_text())["stages"]["prod"]["api_gateway_custom_domain"]
    assert custom["domain_name"] == DOMAIN
    assert custom["certificate_arn"] == summary["CertificateArn"]
    assert (
        out.strip()
        .splitlines()[-1]
        .endswith(f"alias --domain {DOMAIN} --dns manual --region {REGION}")
    )
    assert records(recorded, zone_id, "CNAME") == []  # a Route53 zone of that name is ignored


def test_manual_dns_certificate_issued_at_once_says_to_keep_the_cname(recorded, config, capsys):
    # ACM validates a new certificate at once when the CNAME is already there (an earlier one).
    assert manual(recorded, config, "certificate") == 0
    out = capsys.readouterr().out
    name, value = validation_cname(recorded)
    assert f"ACM has seen the validation record {name.rstrip('.')} CNAME {value}: keep it" in out
    assert "create at the DNS provider" not in out and "waiting for ACM" not in out
    assert f"certificate for {DOMAIN} is ISSUED" in out
    assert "wrote domain and certificate" in out


def test_manual_dns_never_makes_a_route53_client_or_call(recorded, config):
    assert manual(recorded, config, "certificate") == 0
    deploy_domain(recorded)
    assert manual(recorded, config, "alias") == 0
    assert "route53" not in recorded.services()
    assert set(recorded.clients) == {"acm", "apigateway"}
    assert "acm.RequestCertificate" in recorded.calls
    assert "apigateway.GetDomainName" in recorded.calls


def test_manual_dns_timeout_names_the_cname_acm_has_not_seen(recorded, config, capsys, monkeypatch):
    validate_after(monkeypatch, 3600)
    before = config.read_text()
    assert manual(recorded, config, "certificate", "--timeout", "0") == 1
    err = one_error_line(capsys)
    name, value = validation_cname(recorded)
    assert err.startswith(f"error: ACM has not validated {DOMAIN} after 0 s: ")
    assert f"(name {name.rstrip('.')}, value {value})" in err
    assert "appended twice" in err and err.endswith("then run this command again.")
    assert config.read_text() == before
    assert "route53" not in recorded.services()


def test_manual_dns_rerun_reuses_the_validated_certificate(recorded, config, capsys):
    assert manual(recorded, config, "certificate") == 0
    first = config.read_text()
    capsys.readouterr()
    assert manual(recorded, config, "certificate") == 0
    out = capsys.readouterr().out
    name, _value = validation_cname(recorded)
    assert "reusing certificate" in out and "already had domain and certificate" in out
    assert f"ACM has seen the validation record {name.rstrip('.')}" in out
    assert "create at the DNS provider" not in out
    assert len(recorded.client("acm").list_certificates()["CertificateSummaryList"]) == 1
    assert config.read_text() == first


def test_manual_dns_reuses_a_certificate_still_waiting_for_its_cname(
    recorded, config, capsys, monkeypatch
):
    validate_after(monkeypatch, 3600)
    arn = recorded.client("acm").request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")[
        "CertificateArn"
    ]
    assert manual(recorded, config, "certificate", "--timeout", "0") == 1
    out = capsys.readouterr().out
    assert f"reusing certificate {arn}" in out
    assert f"create at the DNS provider of {DOMAIN}" in out
    assert len(recorded.client("acm").list_certificates()["CertificateSummaryList"]) == 1


def test_manual_dns_alias_prints_the_cname_to_the_api_gateway_domain(recorded, config, capsys):
    created = deploy_domain(recorded)
    assert manual(recorded, config, "alias") == 0
    out = capsys.readouterr().out
    assert f"  name   {DOMAIN}\n" in out
    assert f"  value  {created['regionalDomainName']}.\n" in out
    assert "type only weather (for the zone example.com)" in out
    assert "for an apex domain instead" in out and "ALIAS or ANAME" in out
    assert "flattens" in out
    assert out.strip().splitlines()[-1] == f"https://{DOMAIN}/"
    assert "route53" not in recorded.services()


def test_manual_dns_alias_on_an_apex_domain_says_a_cname_cannot_go_there(recorded, config, capsys):
    created = deploy_domain(recorded, domain=ZONE)
    assert manual(recorded, config, "alias", domain=ZONE) == 0
    out = capsys.readouterr().out
    assert f"  value  {created['regionalDomainName']}.\n" in out
    assert "type only @" in out
    assert f"{ZONE} is the apex of its zone: DNS allows no CNAME there" in out


def test_manual_dns_alias_before_deploy_says_to_deploy_first(recorded, config, capsys):
    assert manual(recorded, config, "alias") == 1
    assert "chalice deploy --stage prod" in one_error_line(capsys)
    assert recorded.clients == ["apigateway"]


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--dns", "manual", "--hosted-zone", ZONE], "--hosted-zone and --dns manual exclude"),
        ([], "say where the DNS of the domain is: --hosted-zone example.com"),
        (["--dns", "route53"], "or --dns manual"),
        (["--dns", "bind"], "argument --dns: invalid choice: 'bind'"),
    ],
)
@pytest.mark.parametrize("command", ["certificate", "alias"])
def test_where_the_dns_is_must_be_said_once(recorded, config, capsys, command, flags, says):
    code = run(recorded, config, command, "--domain", DOMAIN, *flags)
    assert code == 2
    err = one_error_line(capsys)
    assert says in err and err.endswith(f"(see python -m deploy.domain {command} --help)")
    assert recorded.clients == [] and recorded.calls == []


def test_help_shows_both_dns_modes(capsys):
    assert main(["certificate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--hosted-zone" in out and "--dns {route53,manual}" in out
