"""DNS kept elsewhere (registrar, Cloudflare): the records to create, worded for their forms.

Two pitfalls make ACM wait forever, so every record is shown with both in mind: forms
that add the domain to the name themselves (a full name then ends in
example.com.example.com), and the value's final dot (forms that read values as relative
to the domain append it when the dot is missing).
"""

from __future__ import annotations

from deploy.acm import ValidationRecord


def registered(domain: str) -> str:
    """The likely zone: the last two labels. Only an example in the text, never relied on."""
    return ".".join(domain.split(".")[-2:])


def relative(name: str, domain: str) -> str:
    """What to type in a name field that adds the domain itself ("@" for the zone apex)."""
    bare, zone = name.rstrip("."), registered(domain)
    return bare[: -len(zone) - 1] if bare.endswith("." + zone) else "@"


def absolute(value: str) -> str:
    return value.rstrip(".") + "."


def _record(name: str, value: str, domain: str) -> list[str]:
    bare, zone = name.rstrip("."), registered(domain)
    return [
        "  type   CNAME",
        f"  name   {bare}",
        f"  value  {absolute(value)}",
        f"  zone file: {bare}. 300 IN CNAME {absolute(value)}",
        f"  name field: where the form adds your domain itself (most do), type only "
        f"{relative(name, domain)} (for the zone {zone}), or it becomes {bare}.{zone}",
        "  trailing dots: the value's final dot matters: keep it unless the form refuses it "
        "(such forms add it themselves); without it, forms that read values as relative "
        "append your domain. The name's final dot matters only in a zone file.",
    ]


def validation_record(domain: str, records: list[ValidationRecord]) -> list[str]:
    lines = [
        f"create at the DNS provider of {domain} (registrar, Cloudflare, ...) the record "
        "ACM checks to see that the domain is yours:"
    ]
    for record in records:
        lines += _record(record.name, record.value, domain)
    lines.append(
        '  Cloudflare: "DNS only" (grey cloud), or ACM never sees the CNAME. Keep the record '
        "afterwards: ACM renews the certificate with it."
    )
    return lines


def already_seen(records: list[ValidationRecord]) -> list[str]:
    return [
        f"ACM has seen the validation record {r.name.rstrip('.')} CNAME {absolute(r.value)}: "
        "keep it, ACM renews the certificate with it"
        for r in records
    ]


def where_to_look(unseen: list[ValidationRecord]) -> str:
    if not unseen:
        return "ACM has seen every validation record and is still checking: give it a minute"
    shown = "; ".join(f"name {r.name.rstrip('.')}, value {absolute(r.value)}" for r in unseen)
    return (
        f"it has not yet seen the validation CNAME ({shown}) at your DNS provider: check that "
        "the record has exactly this name (not with your domain appended twice) and value, and "
        'is "DNS only" on Cloudflare'
    )


def final_record(domain: str, target: str) -> list[str]:
    apex = relative(domain, domain) == "@"
    where = (
        f"{domain} is the apex of its zone"
        if apex
        else "for an apex domain instead (a zone's own name, like example.com)"
    )
    return [
        f"create at the DNS provider of {domain} the record that points it at API Gateway:",
        *_record(domain, target, domain),
        f"  {where}: DNS allows no CNAME there, so create the record as your provider's ALIAS "
        "or ANAME, or as a CNAME it flattens (Cloudflare does at the apex), same value.",
        '  Cloudflare: "DNS only" (grey cloud) is simplest; API Gateway already serves the '
        f"certificate for {domain}.",
    ]
