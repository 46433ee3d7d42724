"""`chalice local` answering unknown paths as the deployed API does once `python -m
deploy.guard` has set its gateway responses: our 404 (HTML for a browser, JSON otherwise),
not API Gateway's default 403 "Missing Authentication Token"."""

from __future__ import annotations

from typing import Any

from deploy.guard import RESPONSES

_MISSING_TOKEN = b'{"message": "Missing Authentication Token"}'


def install() -> None:
    """Patch chalice's local gateway in this process (the dev server's, never Lambda's)."""
    from chalice import local

    original = local.LocalGateway.handle_request
    if getattr(original, "glance", False):
        return

    def handle_request(
        self: Any, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> Any:
        try:
            return original(self, method, path, headers, body)
        except local.ForbiddenError as error:
            if error.body != _MISSING_TOKEN:
                raise
            return not_found(headers)

    handle_request.glance = True  # type: ignore[attr-defined]
    local.LocalGateway.handle_request = handle_request  # type: ignore[method-assign]


def not_found(headers: dict[str, str]) -> dict[str, Any]:
    response = next(r for r in RESPONSES if r.response_type == "MISSING_AUTHENTICATION_TOKEN")
    accept = next((v for k, v in headers.items() if k.lower() == "accept"), "")
    # API Gateway picks the template by Accept; JSON when nothing matches.
    kind = "text/html" if "text/html" in accept else "application/json"
    return {
        "statusCode": response.status,
        "headers": {
            "Content-Type": f"{kind}; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
        "multiValueHeaders": {},
        "body": response.templates()[kind],
    }
