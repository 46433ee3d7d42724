"""Every path the app does not have gets our 404, HTML or JSON, never API Gateway's 403;
/favicon.ico is an icon; and a parameter on a site of several dashboards is worded for it."""

from __future__ import annotations

import json

import pytest
import requests

UNKNOWN = ("/foo/bar", "/d/weather/extra", "/api/nope", "/api/d/weather/field/1/x")
TWO = """
[[dashboard]]
name = "weather"
channel = 12397

[[dashboard]]
name = "balcony"
channel = 1014
"""


@pytest.mark.slow
@pytest.mark.parametrize("path", UNKNOWN)
def test_an_unknown_deeper_path_is_our_404_page_for_a_browser(served_app, path):
    answer = requests.get(served_app + path, headers={"Accept": "text/html"}, timeout=10)

    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Page not found" in answer.text and "Missing Authentication Token" not in answer.text


@pytest.mark.slow
@pytest.mark.parametrize("path", UNKNOWN)
def test_an_unknown_deeper_path_is_our_404_json_for_a_program(served_app, path):
    answer = requests.get(served_app + path, headers={"Accept": "application/json"}, timeout=10)

    assert answer.status_code == 404
    assert json.loads(answer.text)["error"]["code"] == "not_found"


@pytest.mark.slow
def test_the_favicon_is_an_icon(served_app):
    answer = requests.get(served_app + "/favicon.ico", timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/x-icon"
    assert answer.content[:4] == b"\0\0\1\0" and b"PNG" in answer.content[:40]


def test_a_parameter_on_a_site_of_several_dashboards_names_the_dashboard_addresses(make_client):
    client = make_client(dashboards=TWO)
    answer = client.http.get("/d/weather?channel=1", headers={"Accept": "text/html"})

    assert answer.status_code == 400
    assert b"/d/&lt;name&gt;" in answer.body and b"configured for" not in answer.body
