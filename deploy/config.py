"""Reading and writing a stage's custom domain in .chalice/config.json."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from deploy.errors import DeployError


def load(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeployError(f"{path} does not exist: run this from the project folder.") from None
    except ValueError as exc:
        raise DeployError(f"{path} is not valid JSON ({exc}): fix it and try again.") from None
    if not isinstance(loaded, dict):
        raise DeployError(f"{path} holds no JSON object of Chalice settings: fix it.")
    return loaded


def stage(config: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    stages = config.get("stages", {})
    if name not in stages:
        raise DeployError(f"{path} has no stage {name!r}: add it or pass --stage.")
    found: dict[str, Any] = stages[name]
    return found


def endpoint_type(config: dict[str, Any], name: str) -> str:
    stage_config = config.get("stages", {}).get(name, {})
    return str(
        stage_config.get("api_gateway_endpoint_type")
        or config.get("api_gateway_endpoint_type")
        or "EDGE"
    ).upper()


def write_custom_domain(path: Path, name: str, domain: str, certificate_arn: str) -> bool:
    """Sets domain and certificate for the stage; True if the file changed."""
    config = load(path)
    custom = stage(config, name, path).setdefault("api_gateway_custom_domain", {})
    site = stage(config, name, path).get("environment_variables", {}).get("SITE_URL")
    if (
        custom.get("domain_name") == domain
        and custom.get("certificate_arn") == certificate_arn
        and site == f"https://{domain}"
    ):
        return False
    custom["domain_name"] = domain
    custom["certificate_arn"] = certificate_arn
    custom.setdefault("tls_version", "TLS_1_2")
    # The site's own origin: passkeys, invitation links and the Origin check use it.
    env = stage(config, name, path).setdefault("environment_variables", {})
    env["SITE_URL"] = f"https://{domain}"
    save(path, config)
    return True


def save(path: Path, config: dict[str, Any]) -> None:
    text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    # Written beside the original and renamed over it: never a half-written config.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config.", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        # mkstemp makes the file 0600; keep the permissions the config had.
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise DeployError(f"Could not write {path} ({exc.strerror}): check its folder.") from None
