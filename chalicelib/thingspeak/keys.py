"""The read API key from SSM Parameter Store, fetched once per warm container.

boto3 is imported only here and only when a parameter is configured: it costs more to
import than the rest of the app together, and most channels are public.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from chalicelib.config.model import Dashboard
from chalicelib.thingspeak.errors import ReadKeyUnavailable

# botocore logs whole responses at DEBUG, and this response is the secret.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class SsmSecret:
    """An SSM SecureString, fetched on first use and kept for the container's life.

    Failures raise `error` with a message that names the parameter, never its value.
    """

    def __init__(
        self,
        parameter: str,
        client: Any = None,
        error: Callable[[str], Exception] = ReadKeyUnavailable,
        what: str = "read key",
    ) -> None:
        self.parameter = parameter
        self._client = client
        self._error = error
        self._what = what
        self._value: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._value is None:
                self._value = self._fetch()
            return self._value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.parameter!r})"

    def _fetch(self) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = self._client or _ssm_client()
            answer = client.get_parameter(Name=self.parameter, WithDecryption=True)
        except ClientError as exc:
            raise self._error(_explain(self.parameter, exc, self._what)) from None
        except BotoCoreError as exc:
            raise self._error(
                f"SSM could not be asked for {self.parameter} ({type(exc).__name__})."
            ) from None
        value = str(answer.get("Parameter", {}).get("Value", "")).strip()
        if not value:
            raise self._error(f"SSM parameter {self.parameter} is empty.")
        return value


class SsmReadKey(SsmSecret):
    """A channel's read key in SSM; failures are ReadKeyUnavailable (a 502 page)."""


def read_key_for(
    dashboard: Dashboard, ssm_keys: dict[str, Callable[[], str | None]]
) -> Callable[[], str | None]:
    """A dashboard's read key: from its SSM parameter (each fetched once per warm container,
    shared through `ssm_keys`), from its environment variable, or none."""
    param = dashboard.read_api_key_param
    if param:
        if param not in ssm_keys:
            ssm_keys[param] = SsmReadKey(param)
        return ssm_keys[param]
    key = dashboard.read_api_key
    return lambda: key


def _ssm_client() -> Any:
    import boto3

    return boto3.client("ssm")


def _explain(parameter: str, exc: Any, what: str) -> str:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "ParameterNotFound":
        return (
            f"SSM parameter {parameter} does not exist in this region: create it with "
            f"aws ssm put-parameter --type SecureString --name {parameter} --value <{what}>."
        )
    if code in ("AccessDeniedException", "AccessDenied"):
        return (
            f"This function's role may not read SSM parameter {parameter}: "
            "check .chalice/policy-<stage>.json (ssm:GetParameter on that parameter)."
        )
    return f"SSM refused to return {parameter} ({code or 'unknown error'})."
