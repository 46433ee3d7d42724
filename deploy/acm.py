"""The certificate: reuse or request one with DNS validation, then wait for ISSUED."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deploy.errors import DeployError, call

USABLE = ("ISSUED", "PENDING_VALIDATION")
FAILED = ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE")


@dataclass(frozen=True)
class ValidationRecord:
    name: str
    value: str


def region_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def find_or_request(acm: Any, domain: str) -> tuple[str, bool]:
    """(certificate ARN, whether it was requested now). Never requests a duplicate."""
    paginator = acm.get_paginator("list_certificates")
    pages = call(
        "list certificates",
        lambda: list(paginator.paginate(CertificateStatuses=list(USABLE))),
    )
    candidates = [
        summary
        for page in pages
        for summary in page.get("CertificateSummaryList", [])
        if summary.get("DomainName", "").lower() == domain
    ]
    # An issued certificate beats one still waiting for validation.
    candidates.sort(key=lambda s: s.get("Status") != "ISSUED")
    if candidates:
        return candidates[0]["CertificateArn"], False
    answer = call(
        "request a certificate",
        # No IdempotencyToken: within its hour it would hand back a FAILED certificate
        # to the very re-run meant to replace it. The listing above prevents duplicates.
        lambda: acm.request_certificate(DomainName=domain, ValidationMethod="DNS"),
    )
    return answer["CertificateArn"], True


def describe(acm: Any, arn: str) -> dict[str, Any]:
    answer = call("read the certificate", lambda: acm.describe_certificate(CertificateArn=arn))
    certificate: dict[str, Any] = answer["Certificate"]
    return certificate


def _records(options: list[dict[str, Any]]) -> list[ValidationRecord]:
    # A name and its wildcard share one record: list it once.
    unique = {(o["ResourceRecord"]["Name"], o["ResourceRecord"]["Value"]) for o in options}
    return [ValidationRecord(name, value) for name, value in sorted(unique)]


def unseen(certificate: dict[str, Any]) -> list[ValidationRecord]:
    """The validation records ACM has not found in DNS yet."""
    options = certificate.get("DomainValidationOptions", [])
    return _records(
        [o for o in options if "ResourceRecord" in o and o.get("ValidationStatus") != "SUCCESS"]
    )


def validation_records(
    acm: Any,
    arn: str,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 30,
) -> list[ValidationRecord]:
    """ACM fills in the CNAME a few seconds after the request: ask until it is there."""
    for _ in range(attempts):
        options = describe(acm, arn).get("DomainValidationOptions", [])
        records = [o["ResourceRecord"] for o in options if "ResourceRecord" in o]
        if records and len(records) == len(options):
            return _records(options)
        sleep(2)
    raise DeployError(f"ACM gave no DNS validation record for {arn}: run this again in a minute.")


def wait_issued(
    acm: Any,
    arn: str,
    domain: str,
    where_to_look: Callable[[list[ValidationRecord]], str],
    timeout: float,
    interval: float,
    progress: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Polls until ISSUED. On timeout, `where_to_look` gets the records ACM has not seen yet
    and says where the person deploying should check them."""
    started = clock()
    while True:
        certificate = describe(acm, arn)
        status = certificate.get("Status", "UNKNOWN")
        if status == "ISSUED":
            return
        if status in FAILED:
            reason = certificate.get("FailureReason", "no reason given")
            raise DeployError(
                f"The certificate for {domain} is {status} ({reason}): delete it in ACM and "
                "run this command again."
            )
        elapsed = clock() - started
        if elapsed >= timeout:
            raise DeployError(
                f"ACM has not validated {domain} after {elapsed:.0f} s: "
                f"{where_to_look(unseen(certificate))}, then run this command again."
            )
        progress(f"waiting for ACM to validate {domain} (status {status}, {elapsed:.0f} s elapsed)")
        sleep(interval)
