"""`chalice local --stage local` on a throwaway copy of the project, pointed at a given
ThingSpeak (the emulator): what `make serve` runs, for tests, the load test and the bench.
Also the API Gateway proxy event Lambda receives, for driving the handler directly."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = (".venv", ".git", "tests", "node_modules", "__pycache__", "artifacts")


# `chalice local --stage local --no-autoreload`, answering unknown paths as deploy.guard
# makes the deployed API answer them.
CHALICE_LOCAL = (
    "import sys; from scripts.gateway_responses import install; install(); "
    "from chalice.cli import main; "
    "sys.argv = ['chalice', 'local', '--stage', 'local', '--no-autoreload', *sys.argv[1:]]; "
    "main()"
)


@dataclass(frozen=True)
class LocalApp:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    pid: int


# chalice local lays the stage's variables over the caller's environment: a caller's own
# app settings (a test's THINGSPEAK_CHANNEL_ID, say) would clash with the stage's file.
APP_SETTINGS = ("THINGSPEAK_", "GLANCE_", "STALE_AFTER_", "FIELD", "CACHE_TTL_", "REFRESH_")


def without_app_settings(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if not k.startswith(APP_SETTINGS)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(host: str, port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def serve(thingspeak_url: str, **settings: str) -> Iterator[LocalApp]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(ROOT, project, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
        config_path = project / ".chalice" / "config.json"
        config = json.loads(config_path.read_text())
        port = free_port()
        # The site's own origin (sign-in, the Origin check): this server, unless a setting
        # names it; "{port}" in a setting is this server's port.
        chosen = {"SITE_URL": f"http://127.0.0.1:{port}", **settings}
        config["stages"]["local"]["environment_variables"].update(
            THINGSPEAK_URL=thingspeak_url,
            **{name: value.replace("{port}", str(port)) for name, value in chosen.items()},
        )
        config_path.write_text(json.dumps(config))
        server = subprocess.Popen(
            [sys.executable, "-c", CHALICE_LOCAL, "--port", str(port)],
            cwd=project,
            env=without_app_settings(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up("127.0.0.1", port)
            yield LocalApp(f"http://127.0.0.1:{port}", server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)


def proxy_event(
    path: str, headers: dict[str, str] | None = None, resource: str | None = None
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event for GET `path`, as Lambda receives it.

    `resource` is the route template (`/d/{name}`) when the path has parameters."""
    headers = {"Host": "weather.example.com", "Accept": "text/html", **(headers or {})}
    resource = resource or path
    parameters = {
        template[1:-1]: part
        for template, part in zip(resource.split("/"), path.split("/"), strict=True)
        if template.startswith("{")
    }
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": "GET",
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }
