"""The Lambda package, built by `chalice package --stage prod` and run the way Lambda
runs it, and the SAM template that describes what `chalice deploy` would create.

Chalice ships only app.py, chalicelib/ and vendor/ (copied to the package root): the
templates reach Lambda through vendor/templates, a link to templates/. These tests unpack
the zip and serve a page from it with a bare interpreter: no site-packages, no checkout.
The project is packaged from a clean copy, as a fresh clone would be.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import DEMO_CHANNEL_ID, PRIVATE_CHANNEL_ID, Emulator
from scripts.local_app import proxy_event, without_app_settings
from tests.conftest import DEMO_ENV
from tests.support.servers import loopback

ROOT = Path(__file__).resolve().parents[2]
CHALICE = Path(sys.executable).parent / "chalice"

pytestmark = pytest.mark.slow


# 0.9 MB for the page alone; Web Push's message encryption (cryptography, for the alert
# path only, never imported by the page) brings it to about 6 MB. Lambda allows 50 MB.
MAX_ZIP_BYTES = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("package")
    project = base / "project"
    shutil.copytree(
        ROOT,
        project,
        symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "artifacts"),
    )
    shutil.rmtree(project / ".chalice" / "deployments", ignore_errors=True)
    out = base / "out"
    env = {**without_app_settings(os.environ), "AWS_DEFAULT_REGION": "eu-west-1"}
    subprocess.run(
        [str(CHALICE), "package", "--stage", "prod", str(out)],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    yield out


@pytest.fixture(scope="module")
def unpacked(package: Path) -> Path:
    target = package.parent / "unpacked"
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(target)
    return target


def names(package: Path) -> set[str]:
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        return set(archive.namelist())


def test_package_holds_the_app_its_templates_and_runtime_dependencies(package):
    contents = names(package)
    for required in (
        "app.py",
        "chalicelib/web/dashboard.py",
        "templates/base.html",
        "templates/page.html",
        "templates/overview.html",
        "templates/error.html",
        "chalicelib/dashboards.toml",
        "chalicelib/dashboards.prod.toml",
        "templates/glance.css",
        "templates/glance.js",
        "chalice/app.py",
        "requests/__init__.py",
        "jinja2/__init__.py",
        "markupsafe/__init__.py",
    ):
        assert required in contents, f"{required} missing from the Lambda package"


def test_package_holds_nothing_from_tests_or_dev_tooling(package):
    tops = {name.split("/")[0] for name in names(package)}
    for unwanted in (
        "tests",
        "emulator",
        "deploy",
        "scripts",
        "tools",
        ".venv",
        "pytest",
        "_pytest",
        "moto",
        "boto3",
        "playwright",
        "responses",
    ):
        assert unwanted not in tops
    assert not any("__pycache__" in name for name in names(package))


def test_zip_is_small(package):
    size = (package / "deployment.zip").stat().st_size
    print(f"deployment.zip: {size:,} bytes")
    assert size <= MAX_ZIP_BYTES


def sam(package: Path) -> dict:
    return json.loads((package / "sam.json").read_text())


def test_sam_template_declares_the_custom_domain_with_tls_1_2(package):
    resources = sam(package)["Resources"]
    (domain,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::DomainName"]
    properties = domain["Properties"]
    assert properties["DomainName"] == "weather.example.com"
    assert properties["RegionalCertificateArn"].startswith("arn:aws:acm:eu-west-1:")
    assert properties["EndpointConfiguration"]["Types"] == ["REGIONAL"]
    assert properties["SecurityPolicy"] == "TLS_1_2"
    mappings = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::BasePathMapping"]
    assert len(mappings) == 1


def test_function_runs_the_app_on_a_current_runtime_with_the_checked_in_policy(package):
    resources = sam(package)["Resources"]
    function = resources["APIHandler"]["Properties"]
    assert function["Handler"] == "app.app"
    assert function["Runtime"] in ("python3.12", "python3.13", "python3.14")
    assert (
        function["Environment"]["Variables"]["GLANCE_CONFIG"] == "chalicelib/dashboards.prod.toml"
    )
    role = resources["ApiHandlerRole"]["Properties"]
    assert "ManagedPolicyArns" not in role  # nothing broad attached beside the checked-in one
    (policy,) = role["Policies"]
    checked_in = json.loads((ROOT / ".chalice" / "policy-prod.json").read_text())
    assert policy["PolicyDocument"] == checked_in


def test_sam_template_passes_cfn_lint(package):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(package / "sam.json")], capture_output=True, text=True, timeout=300
    )
    # The exit code is a bit mask: 1 crash, 2 errors, 4 warnings, 8 informational.
    # Errors or a crash fail; warnings and notes are allowed but shown.
    print(result.stdout or "cfn-lint: no findings")
    assert result.returncode & 0b11 == 0, result.stdout + result.stderr


LAMBDA_RUNNER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import app

event = json.loads(sys.argv[2])

class Context:
    aws_request_id = "test-request-id"
    function_name = "thingspeak-glance-prod"
    memory_limit_in_mb = 256
    def get_remaining_time_in_millis(self):
        return 15000

print(json.dumps(app.app(event, Context())))
"""


def invoke(
    unpacked: Path,
    emulator_url: str,
    path: str,
    resource: str | None = None,
    **lambda_env: str,
) -> dict[str, object]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "THINGSPEAK_URL": emulator_url,
        # The demo dashboards file: it must have reached the package to be read there.
        "GLANCE_CONFIG": "chalicelib/dashboards.toml",
        **DEMO_ENV,  # the private greenhouse's key, as the dev stage sets it
        **lambda_env,
    }
    # -I: ignore PYTHON* variables and the user's site; -S: no site-packages at all.
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            LAMBDA_RUNNER,
            str(unpacked),
            json.dumps(proxy_event(path, resource=resource)),
        ],
        cwd=unpacked.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    *logged, answer = result.stdout.strip().splitlines()
    return {**json.loads(answer), "log": logged[-1] if logged else "{}"}


def test_unpacked_package_serves_the_page_on_a_bare_interpreter(unpacked):
    with loopback(Emulator(), lambda e: e.url) as emu:
        response = invoke(unpacked, emu.url, "/d/weather", "/d/{name}")
    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Content-Security-Policy" in headers
    body = response["body"]
    assert "<h1>Weather station</h1>" in body
    log = json.loads(response["log"])  # the access-log line the function printed
    assert log["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert log["route"] == "/d/{name}" and log["status"] == 200 and log["cache"] == "miss"
    assert '<h2 id="headline-label">Temperature</h2>' in body
    assert '<span class="unit" data-u="°F">°F</span>' in body


def test_on_lambda_the_web_function_asks_thingspeak_while_it_starts(unpacked):
    """Lambda names the handler it runs: the web function starts its first read at once
    (the overview's, for each of the demo's dashboards: the private greenhouse's too, for a
    signed-in first view), and the first view finds it done."""
    with loopback(Emulator(), lambda e: e.url) as emu:
        response = invoke(unpacked, emu.url, "/", _HANDLER="app.app")
        asked = [(r.path, r.query["results"]) for r in emu.requests]
        keys = {r.path: r.query.get("api_key") for r in emu.requests}
    assert response["statusCode"] == 200
    assert sorted(asked) == [
        (f"/channels/{PRIVATE_CHANNEL_ID}/feeds.json", "20"),
        ("/channels/1014/feeds.json", "20"),
        (f"/channels/{DEMO_CHANNEL_ID}/feeds.json", "20"),
    ]  # one read per channel, none twice
    # The key goes to its own channel only.
    assert keys == {
        f"/channels/{PRIVATE_CHANNEL_ID}/feeds.json": DEMO_ENV["GREENHOUSE_READ_KEY"],
        "/channels/1014/feeds.json": None,
        f"/channels/{DEMO_CHANNEL_ID}/feeds.json": None,
    }
    log = json.loads(response["log"])
    assert set(log["dashboards"].values()) == {"hit"}  # fetched before the request came


EARLY_RUNNER = """
import sys
sys.path.insert(0, sys.argv[1])
from chalicelib.web.start import begin
started = begin()
print(sorted(m for m in ("chalice", "jinja2") if m in sys.modules))
print(sorted(feed.get(day=False).cache for feed in started.channels.feeds.values()))
"""


def test_the_web_function_asks_thingspeak_before_chalice_and_jinja2_load(unpacked):
    """The round trip overlaps nearly all of a cold start: it begins once the configuration
    is read, before Chalice, Jinja2 and the route groups are imported."""
    with loopback(Emulator(), lambda e: e.url) as emu:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "THINGSPEAK_URL": emu.url,
            "GLANCE_CONFIG": "chalicelib/dashboards.toml",
            **DEMO_ENV,
            "_HANDLER": "app.app",
        }
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", EARLY_RUNNER, str(unpacked)],
            cwd=unpacked.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        asked = len(emu.requests)
    assert result.returncode == 0, result.stderr
    loaded, caches = result.stdout.strip().splitlines()
    assert loaded == "[]"  # neither had been imported when the read began
    assert caches == "['hit', 'hit', 'hit']" and asked == 3  # and each read was that one


def test_the_alert_checker_does_not_prefetch_pages(unpacked):
    with loopback(Emulator(), lambda e: e.url) as emu:
        invoke(unpacked, emu.url, "/api/latest", _HANDLER="app.check_alerts")
        asked = [r.query.get("minutes") for r in emu.requests]
    assert asked == ["1445"]  # only the request's own read: nothing fetched at start-up


def test_unpacked_package_serves_the_json_api(unpacked):
    with loopback(Emulator(), lambda e: e.url) as emu:
        response = invoke(unpacked, emu.url, "/api/latest")
    assert response["statusCode"] == 200
    data = json.loads(response["body"])
    assert data["channel"]["id"] == DEMO_CHANNEL_ID
    assert data["fields"][0]["label"] == "Temperature"
