"""The hosted zone: find it, check the domain is in it, UPSERT records (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploy.errors import DeployError, call


@dataclass(frozen=True)
class Zone:
    id: str
    name: str  # without the trailing dot

    def contains(self, domain: str) -> bool:
        return domain == self.name or domain.endswith("." + self.name)


def find_zone(route53: Any, zone: str) -> Zone:
    wanted = zone.rstrip(".").lower()
    if "." not in wanted:  # a zone id (Z0123... or /hostedzone/Z0123...), not a name
        zone_id = wanted.split("/")[-1].upper()
        found = call("read the hosted zone", lambda: _by_id(route53, zone_id))
        if found is None:
            raise DeployError(f"There is no Route53 hosted zone {zone}: check the id.")
        return found
    answer = call(
        "list hosted zones",
        lambda: route53.list_hosted_zones_by_name(DNSName=wanted + ".", MaxItems="10"),
    )
    for hosted in answer.get("HostedZones", []):
        if hosted["Name"].rstrip(".").lower() == wanted:
            if hosted.get("Config", {}).get("PrivateZone"):
                continue  # a private zone cannot validate a public certificate
            return Zone(hosted["Id"].split("/")[-1], wanted)
    raise DeployError(
        f"There is no public Route53 hosted zone named {wanted}: create it (or pass its id "
        "with --hosted-zone) and point your registrar at its name servers."
    )


def _by_id(route53: Any, zone_id: str) -> Zone | None:
    try:
        hosted = route53.get_hosted_zone(Id=zone_id)["HostedZone"]
    except route53.exceptions.NoSuchHostedZone:
        return None
    if hosted.get("Config", {}).get("PrivateZone"):
        raise DeployError(
            f"The hosted zone {zone_id} is private: ACM validates and browsers resolve only "
            "through a public zone; pass the public zone's name or id."
        )
    return Zone(hosted["Id"].split("/")[-1], hosted["Name"].rstrip(".").lower())


def check_inside(zone: Zone, domain: str) -> None:
    if not zone.contains(domain):
        raise DeployError(
            f"{domain} is not inside the hosted zone {zone.name}: use the zone of its parent "
            f"domain (for weather.example.com, the zone example.com)."
        )


def upsert(route53: Any, zone: Zone, records: list[dict[str, Any]], comment: str) -> None:
    changes = [{"Action": "UPSERT", "ResourceRecordSet": record} for record in records]
    call(
        "write DNS records",
        lambda: route53.change_resource_record_sets(
            HostedZoneId=zone.id, ChangeBatch={"Comment": comment, "Changes": changes}
        ),
    )


def cname(name: str, value: str) -> dict[str, Any]:
    return {"Name": name, "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": value}]}


def aliases(domain: str, target: str, target_zone_id: str) -> list[dict[str, Any]]:
    """A and AAAA alias records: API Gateway domains answer on IPv4 and IPv6."""
    return [
        {
            "Name": domain,
            "Type": kind,
            "AliasTarget": {
                "HostedZoneId": target_zone_id,
                "DNSName": target,
                "EvaluateTargetHealth": False,
            },
        }
        for kind in ("A", "AAAA")
    ]
