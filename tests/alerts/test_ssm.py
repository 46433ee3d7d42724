"""The read key from SSM Parameter Store (moto), fetched once per warm container."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.thingspeak.errors import ReadKeyUnavailable
from chalicelib.thingspeak.keys import SsmReadKey
from emulator import PRIVATE_CHANNEL_ID, PRIVATE_READ_KEY
from tests.support.access import sign_in

PARAMETER = "/thingspeak-glance/read-api-key"
ROOT = Path(__file__).resolve().parents[2]


def private_channel_client(make_client, emulated, public: bool = True):
    """The private ThingSpeak channel, its key in SSM. Keyed, so private unless it says
    public: by default it does, so anyone sees it (no sign-in involved)."""
    return make_client(
        {
            "THINGSPEAK_CHANNEL_ID": str(PRIVATE_CHANNEL_ID),
            "THINGSPEAK_URL": emulated.url,
            "THINGSPEAK_READ_API_KEY_PARAM": PARAMETER,
            "CACHE_TTL_SECONDS": "0",
            **({"THINGSPEAK_PUBLIC": "true"} if public else {}),
        }
    )


def test_private_channel_is_read_with_the_key_from_ssm(aws, make_client, emulated, caplog):
    caplog.set_level(logging.DEBUG)
    aws.client("ssm").put_parameter(Name=PARAMETER, Value=PRIVATE_READ_KEY, Type="SecureString")
    client = private_channel_client(make_client, emulated)
    page = client.http.get("/")
    api = client.http.get("/api/latest")
    assert page.status_code == 200 and api.status_code == 200
    assert json.loads(api.body)["channel"]["id"] == PRIVATE_CHANNEL_ID
    for response in (page, api):
        assert PRIVATE_READ_KEY not in response.body.decode()
        assert PRIVATE_READ_KEY not in json.dumps(dict(response.headers))
    assert PRIVATE_READ_KEY not in caplog.text
    assert emulated.requests[-1].query["api_key"] == PRIVATE_READ_KEY


def test_the_key_is_fetched_once_per_warm_container(aws, make_client, emulated):
    aws.client("ssm").put_parameter(Name=PARAMETER, Value=PRIVATE_READ_KEY, Type="SecureString")
    client = private_channel_client(make_client, emulated)
    assert client.http.get("/").status_code == 200
    aws.client("ssm").delete_parameter(Name=PARAMETER)
    # The container still holds the key: later views do not need SSM.
    assert client.http.get("/").status_code == 200
    assert len(emulated.requests) == 2


def test_missing_parameter_gives_a_clear_error_page_not_a_500(
    aws, make_client, emulated, monkeypatch, tmp_path
):
    cookie = sign_in(monkeypatch, tmp_path)
    client = private_channel_client(make_client, emulated, public=False)
    page = client.http.get("/", headers=cookie)
    assert page.status_code == 502
    body = page.body.decode()
    assert "The read API key could not be loaded" in body
    assert f"SSM parameter {PARAMETER} does not exist" in body  # the owner is told which
    assert "Traceback" not in body
    assert "try again in a minute" not in body  # waiting will not create the parameter
    api = client.http.get("/api/latest", headers=cookie)
    assert api.status_code == 502
    error = json.loads(api.body)["error"]
    assert error["code"] == "read_api_key_unavailable" and PARAMETER in error["message"]
    # Without a session: sent to sign in, with no word of the parameter.
    anonymous_page = client.http.get("/")
    anonymous_api = client.http.get("/api/latest")
    assert anonymous_page.status_code == 303 and anonymous_api.status_code == 401
    for response in (anonymous_page, anonymous_api):
        assert PARAMETER not in response.body.decode()
        assert "read_api_key_unavailable" not in response.body.decode()
    assert emulated.requests == []  # never asked ThingSpeak without the key


def test_a_missing_parameter_is_not_named_to_visitors_of_a_public_dashboard(
    aws, make_client, emulated, capsys
):
    client = private_channel_client(make_client, emulated)  # public: no one signs in
    page = client.http.get("/")
    api = client.http.get("/api/latest")
    assert page.status_code == 502 and api.status_code == 502
    assert "The read API key could not be loaded" in page.body.decode()
    assert json.loads(api.body)["error"]["code"] == "read_api_key_unavailable"
    for response in (page, api):
        text = response.body.decode()
        assert PARAMETER not in text and "SSM" not in text and "policy" not in text
        assert "Traceback" not in text
    # The details go to the log, for the owner.
    log = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert PARAMETER in log[-1]["error_detail"]
    assert emulated.requests == []


def test_access_denied_says_which_policy_to_fix():
    ssm = boto3.client(
        "ssm", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(ssm) as stub:
        stub.add_client_error("get_parameter", service_error_code="AccessDeniedException")
        with pytest.raises(ReadKeyUnavailable, match=r"policy-<stage>\.json"):
            SsmReadKey(PARAMETER, client=ssm)()


def test_boto3_is_not_imported_on_the_cold_path_without_ssm():
    env = {**os.environ, "THINGSPEAK_CHANNEL_ID": "12397"}
    env.pop("THINGSPEAK_READ_API_KEY_PARAM", None)
    code = "import sys, app; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["False", "False"], result.stderr
