"""moto's server on loopback, with the five gaps that stop `chalice deploy` filled.

Written for moto 5.2.5 (pinned in requirements-dev.txt) and chalice 1.34.0. The gaps are
filled only inside the server's own process (`python -m tests.deploy.moto_chalice --port N`), so
they can never leak into tests that use moto in process. Each adaptation names the moto
limitation it covers: delete it when moto fixes that one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.servers import START_SECONDS, free_port, wait_until_answers

ROOT = Path(__file__).resolve().parents[2]
MOTO_VERSION = "5.2.5"


@dataclass(frozen=True)
class MotoServer:
    url: str  # http://127.0.0.1:PORT
    pid: int
    log: Path  # the server's stdout and stderr, for a failing test to show

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def moto_server(
    acm_validation_wait: int = 1, start_timeout: float = START_SECONDS
) -> Iterator[MotoServer]:
    """A fresh moto server with the gaps filled; stopped (and its log removed) on exit.
    Certificates turn ISSUED on the first describe after `acm_validation_wait` seconds."""
    port = free_port()
    env = {
        **os.environ,
        "MOTO_ACM_VALIDATION_WAIT": str(acm_validation_wait),  # moto's default is 60
        "PYTHONUNBUFFERED": "1",
    }
    with tempfile.TemporaryDirectory(prefix="moto-chalice-") as tmp:
        log = Path(tmp) / "moto.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "tests.deploy.moto_chalice", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:

            def gone() -> str | None:
                if server.poll() is None:
                    return None
                tail = log.read_text(errors="replace")[-2000:]
                return f"moto server exited with {server.returncode}:\n{tail}"

            wait_until_answers(f"http://127.0.0.1:{port}", start_timeout, alive=gone)
            yield MotoServer(f"http://127.0.0.1:{port}", server.pid, log)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


# --- the adaptations, applied in the server process only -------------------------------


def _wrap(owner: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    setattr(owner, name, make(getattr(owner, name)))


def _swagger_import() -> None:
    """Gap 1. moto's ImportRestApi reads `info.description` unconditionally (KeyError: Chalice
    sends none) and PutRestApi refuses any document with a `swagger` key ("Only OpenAPI 3.x.x
    are currently supported"), while Chalice sends Swagger 2.0. moto reads only `paths`, each
    method's `responses` and `x-amazon-apigateway-integration`, which both versions spell
    alike, so the document is relabelled, not translated."""
    from moto.apigateway.models import APIGatewayBackend

    def as_openapi3(doc: dict[str, Any]) -> dict[str, Any]:
        if "swagger" not in doc:
            return doc
        relabelled = {key: value for key, value in doc.items() if key != "swagger"}
        relabelled["openapi"] = "3.0.1"
        relabelled["info"] = {"description": None, **doc.get("info", {})}
        return relabelled

    def importing(original: Callable[..., Any]) -> Callable[..., Any]:
        def import_rest_api(self: Any, api_doc: dict[str, Any], *args: Any, **kw: Any) -> Any:
            return original(self, as_openapi3(api_doc), *args, **kw)

        return import_rest_api

    def putting(original: Callable[..., Any]) -> Callable[..., Any]:
        def put_rest_api(
            self: Any, rest_api_id: str, api_doc: dict[str, Any], *a: Any, **kw: Any
        ) -> Any:
            return original(self, rest_api_id, as_openapi3(api_doc), *a, **kw)

        return put_rest_api

    _wrap(APIGatewayBackend, "import_rest_api", importing)
    _wrap(APIGatewayBackend, "put_rest_api", putting)


def _import_endpoint_type() -> None:
    """Gap 2. moto's ImportRestApi ignores the `endpointConfigurationTypes` query parameter
    (Chalice's `api_gateway_endpoint_type`), so a REGIONAL stage would come out EDGE."""
    from moto.apigateway.responses import APIGatewayResponse

    def wrapping(original: Callable[..., Any]) -> Callable[..., Any]:
        def import_rest_api(self: Any) -> Any:
            status, headers, body = original(self)
            wanted = self.querystring.get("endpointConfigurationTypes")
            if status != 200 or not wanted:
                return status, headers, body
            api = self.backend.get_rest_api(json.loads(body)["id"])
            api.endpoint_configuration = {"types": [wanted[0].upper()]}
            return status, headers, json.dumps(api.to_dict())

        return import_rest_api

    _wrap(APIGatewayResponse, "import_rest_api", wrapping)


# UpdateDomainName patch paths Chalice sends, and the moto DomainName attribute for each.
_DOMAIN_PATCH_PATHS = {
    "/securityPolicy": "security_policy",
    "/certificateArn": "certificate_arn",
    "/certificateName": "certificate_name",
    "/regionalCertificateArn": "regional_certificate_arn",
    "/regionalCertificateName": "regional_certificate_name",
}


def _update_domain_name() -> None:
    """Gap 3. moto has no UpdateDomainName (NotImplementedError), which every `chalice deploy`
    after the first calls for the custom domain. Only the `replace` operations Chalice sends
    are accepted; anything else is refused, never silently ignored."""
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.responses import APIGatewayResponse

    def update_domain_name(self: Any) -> Any:
        domain = self.backend.get_domain_name(self.path.split("/")[2])
        for operation in self._get_param("patchOperations") or []:
            attribute = _DOMAIN_PATCH_PATHS.get(operation.get("path", ""))
            if operation.get("op") != "replace" or attribute is None:
                raise BadRequestException(f"moto_chalice cannot apply {operation}")
            setattr(domain, attribute, operation.get("value"))
        return 200, {}, json.dumps(domain.to_json())

    APIGatewayResponse.update_domain_name = update_domain_name  # type: ignore[attr-defined]


def _shared_domain_names() -> None:
    """Gap 4. In AWS a custom domain is one resource seen by both API Gateway APIs; moto keeps
    v1 and v2 domain names apart. Chalice creates the domain and its mapping with v1, then
    asks v2 GetApiMappings whether the mapping exists (moto: none, so every update would map
    again) and deletes the domain with v2 DeleteDomainName (moto: NotFoundException)."""
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import ApiGatewayV2Backend, ApiMapping

    def v1(backend: Any) -> Any:
        return apigateway_backends[backend.account_id][backend.region_name]

    def listing(original: Callable[..., Any]) -> Callable[..., Any]:
        def get_api_mappings(self: Any, domain_name: str) -> list[Any]:
            if domain_name in self.domain_names:
                return list(original(self, domain_name))
            mappings = v1(self).base_path_mappings.get(domain_name, {}).values()
            return [
                ApiMapping(
                    api_id=mapping.rest_api_id,
                    # v2 spells the root mapping "", v1 "(none)".
                    api_mapping_key="" if mapping.base_path == "(none)" else mapping.base_path,
                    api_mapping_id=f"{mapping.rest_api_id}-{mapping.base_path}",
                    domain_name=domain_name,
                    stage=mapping.stage,
                )
                for mapping in mappings
            ]

        return get_api_mappings

    def deleting(original: Callable[..., Any]) -> Callable[..., Any]:
        def delete_domain_name(self: Any, domain_name: str) -> None:
            gateway = v1(self)
            if domain_name in self.domain_names or domain_name not in gateway.domain_names:
                original(self, domain_name)
                return
            # Deleting a domain deletes its mappings, as v2's own delete does.
            gateway.base_path_mappings.pop(domain_name, None)
            gateway.delete_domain_name(domain_name)

        return delete_domain_name

    _wrap(ApiGatewayV2Backend, "get_api_mappings", listing)
    _wrap(ApiGatewayV2Backend, "delete_domain_name", deleting)


def _domain_tags_route() -> None:
    """Gap 5. moto has no URL route for the v2 GetTags/TagResource/UntagResource of a domain
    name ARN (arn:aws:apigateway:REGION::/domainnames/NAME: its "/" makes it two path
    segments), so the call Chalice makes on every update gets a 404. v1 and v2 share one
    URL table in moto's server, so the route goes into both."""
    from moto.apigateway import urls as v1_urls
    from moto.apigatewayv2 import urls as v2_urls
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    route = "{0}/v2/tags/(?P<resource_arn_pt1>[^/]+)/domainnames/(?P<resource_arn_pt2>[^/]+)$"
    for table in (v1_urls.url_paths, v2_urls.url_paths):
        table[route] = ApiGatewayV2Response.dispatch


def fill_gaps() -> None:
    """Applies every adaptation; call only in the process that runs the server."""
    import moto

    if moto.__version__ != MOTO_VERSION:
        # The adaptations reach into moto's internals: re-check each gap on a new version.
        raise SystemExit(
            f"tests/deploy/moto_chalice.py is written for moto {MOTO_VERSION}, "
            f"not {moto.__version__}"
        )
    _swagger_import()
    _import_endpoint_type()
    _update_domain_name()
    _shared_domain_names()
    _domain_tags_route()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.deploy.moto_chalice", description=__doc__
    )
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    fill_gaps()
    from moto.server import main as serve

    serve(["--host", "127.0.0.1", "--port", str(args.port)])


if __name__ == "__main__":
    main()
