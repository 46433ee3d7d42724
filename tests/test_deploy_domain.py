"""`python -m deploy.domain` against moto's ACM, Route53 and API Gateway.

Calls exercised: acm list_certificates, request_certificate, describe_certificate;
route53 list_hosted_zones_by_name, get_hosted_zone, change_resource_record_sets,
list_resource_record_sets (checks); apigateway get_domain_name (create_domain_name to
stand in for `chalice deploy`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import moto.settings
import pytest
from moto import mock_aws

from deploy.domain import main

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
DOMAIN = "weather.example.com"
ZONE = "example.com"


@pytest.fixture
def aws(aws_credentials, monkeypatch):
    validate_after(monkeypatch, -1)  # ACM validates at once unless a test says otherwise
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def validate_after(monkeypatch, seconds: int) -> None:
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


def run(session, config: Path, *args: str) -> int:
    return main([*args, "--config", str(config)], session=session, sleep=lambda _: None)


def certificate(session, config: Path, *extra: str) -> int:
    return run(
        session,
        config,
        "certificate",
        "--domain",
        DOMAIN,
        "--hosted-zone",
        ZONE,
        "--interval",
        "0",
        *extra,
    )


def records(session, zone_id: str, kind: str) -> list[dict]:
    answer = session.client("route53").list_resource_record_sets(HostedZoneId=zone_id)
    return [r for r in answer["ResourceRecordSets"] if r["Type"] == kind]


def test_certificate_is_requested_validated_by_dns_and_recorded(aws, zone_id, config, capsys):
    assert certificate(aws, config) == 0
    out = capsys.readouterr().out
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
    assert after == before
    assert list(after) == list(before)  # key order too


def test_waiting_prints_progress_and_times_out_with_what_to_check(
    aws, zone_id, config, capsys, monkeypatch
):
    validate_after(monkeypatch, 3600)
    assert certificate(aws, config, "--timeout", "0") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: ACM has not validated {DOMAIN}")
    assert "CNAME" in err[0] and "name servers" in err[0]


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
    assert "There is no public Route53 hosted zone named example.com" in capsys.readouterr().err


def test_domain_outside_the_zone(aws, zone_id, config, capsys):
    code = run(aws, config, "certificate", "--domain", "weather.other.org", "--hosted-zone", ZONE)
    assert code == 1
    assert "weather.other.org is not inside the hosted zone example.com" in capsys.readouterr().err


def test_zone_can_be_given_by_id(aws, zone_id, config):
    code = run(
        aws, config, "certificate", "--domain", DOMAIN, "--hosted-zone", zone_id, "--interval", "0"
    )
    assert code == 0


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
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: The certificate for {DOMAIN} is FAILED")
    assert "run this command again" in err


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
    err = capsys.readouterr().err
    assert "is in us-east-1, but a REGIONAL API in eu-west-1 needs one in eu-west-1" in err


def test_missing_credentials_say_what_to_do(config, capsys, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.Session(region_name=REGION)
    assert certificate(session, config) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "error: No AWS credentials found: run `aws configure` (or set AWS_PROFILE) and try again."
    )


def deploy_domain(session) -> dict:
    """What `chalice deploy` does for the custom domain (CreateDomainName)."""
    return session.client("apigateway").create_domain_name(
        domainName=DOMAIN,
        regionalCertificateArn=f"arn:aws:acm:{REGION}:123456789012:certificate/abc",
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_2",
    )


def test_alias_points_a_and_aaaa_at_the_api_gateway_domain(aws, zone_id, config, capsys):
    created = deploy_domain(aws)
    code = run(aws, config, "alias", "--domain", DOMAIN, "--hosted-zone", ZONE)
    assert code == 0
    for kind in ("A", "AAAA"):
        (record,) = records(aws, zone_id, kind)
        assert record["Name"].rstrip(".") == DOMAIN
        assert record["AliasTarget"]["DNSName"].rstrip(".") == created["regionalDomainName"]
        assert record["AliasTarget"]["HostedZoneId"] == created["regionalHostedZoneId"]
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"https://{DOMAIN}/"
    assert run(aws, config, "alias", "--domain", DOMAIN, "--hosted-zone", ZONE) == 0
    assert len(records(aws, zone_id, "A")) == 1


def test_alias_before_deploy_says_to_deploy_first(aws, zone_id, config, capsys):
    assert run(aws, config, "alias", "--domain", DOMAIN, "--hosted-zone", ZONE) == 1
    err = capsys.readouterr().err
    assert "has no custom domain weather.example.com yet" in err
    assert "chalice deploy --stage prod" in err


def test_checked_in_prod_policy_is_least_privilege():
    policy = json.loads((ROOT / ".chalice" / "policy-prod.json").read_text())
    statements = policy["Statement"]
    actions = [
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert all("*" not in action for action in actions)
    (ssm,) = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    assert ssm["Resource"] == "arn:aws:ssm:*:*:parameter/thingspeak-glance/read-api-key"
    (kms,) = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert kms["Condition"]["StringLike"]["kms:ViaService"] == "ssm.*.amazonaws.com"


def test_prod_stage_uses_the_checked_in_policy_a_regional_endpoint_and_tls_1_2():
    prod = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    assert prod["autogen_policy"] is False and prod["iam_policy_file"] == "policy-prod.json"
    assert prod["api_gateway_endpoint_type"] == "REGIONAL"
    assert prod["api_gateway_custom_domain"]["tls_version"] == "TLS_1_2"
    assert prod["environment_variables"]["THINGSPEAK_READ_API_KEY_PARAM"] == (
        "/thingspeak-glance/read-api-key"
    )
