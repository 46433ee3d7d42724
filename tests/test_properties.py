"""Property tests: whatever ThingSpeak sends and whatever a visitor asks for, the answer is
a valid page or JSON with a sensible status, never a 500, and every string from
ThingSpeak is escaped in HTML and exact in JSON."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from chalicelib.settings import Settings
from chalicelib.views import Glance
from tests.conftest import THINGSPEAK, app_module, feed_url

# Derandomized: CI sees the same 150 examples every run. For a wider search, run with
# HYPOTHESIS_PROFILE=search (see below).
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "search",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SETTINGS = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)
MARKERS = ("<script>x</script>", "<img src=x onerror=alert(1)>")
tricky = st.one_of(text, st.sampled_from([*MARKERS, "\"&'<>", "-1", "nan", " 7 "]))
value = st.one_of(st.none(), tricky, st.integers(-(10**6), 10**6), st.floats(allow_nan=False))
timestamp = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-11-24T03:40:00Z", "yesterday", "", "2026-13-45T99:00:00Z"]),
    text,
)
entry = st.fixed_dictionaries(
    {"created_at": timestamp, "entry_id": st.one_of(st.integers(0, 10**9), text)},
    optional={f"field{n}": value for n in range(1, 9)},
)
channel = st.fixed_dictionaries(
    {"id": st.one_of(st.just(9), st.integers(), text), "name": st.one_of(tricky, st.none())},
    optional={f"field{n}": st.one_of(tricky, st.integers()) for n in range(1, 9)},
)
payload = st.one_of(
    st.fixed_dictionaries({"channel": channel, "feeds": st.lists(entry, max_size=5)}),
    st.fixed_dictionaries({"channel": channel}, optional={"feeds": st.one_of(text, st.integers())}),
    st.one_of(st.integers(), text, st.lists(st.integers(), max_size=3), st.none()),
)


@pytest.fixture(autouse=True, scope="module")
def keep_the_app_as_it_was():
    before = app_module.glance
    yield
    app_module.glance = before


def client_for(env: dict[str, str] | None = None):
    from chalice.test import Client

    app_module.glance = Glance(Settings.from_env({"THINGSPEAK_CHANNEL_ID": "9", **(env or {})}))
    return Client(app_module.app)


def numbers_in(data: Any) -> list[int | float]:
    if isinstance(data, bool):
        return []
    if isinstance(data, int | float):
        return [data]
    if isinstance(data, dict):
        return [n for v in data.values() for n in numbers_in(v)]
    if isinstance(data, list):
        return [n for v in data for n in numbers_in(v)]
    return []


def strings_in(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in strings_in(v)]
    if isinstance(data, list):
        return [s for v in data for s in strings_in(v)]
    return []


def assert_valid(response) -> None:
    assert response.status_code in (200, 304, 400, 404, 502, 504), response.status_code
    kind = response.headers["Content-Type"]
    if kind.startswith("image/png"):
        assert response.body.startswith(b"\x89PNG")
        return
    body = response.body.decode("utf-8")
    if kind.startswith(("application/json", "application/manifest+json")):
        json.loads(body)
    elif kind.startswith("text/html"):
        assert body.startswith("<!doctype html>") and body.rstrip().endswith("</html>")
    else:
        assert kind.startswith(("image/svg+xml", "text/plain")), kind


@SETTINGS
@given(sent=payload)
def test_any_payload_gives_a_valid_answer_with_everything_escaped(sent):
    with responses.RequestsMock() as mock:
        mock.get(feed_url(9), body=json.dumps(sent), content_type="application/json")
        client = client_for()
        page = client.http.get("/")
        api = client.http.get("/api/latest")
    assert_valid(page)
    assert_valid(api)
    html = page.body.decode()
    # Whatever ThingSpeak wrote, the only markup on the page is ours.
    for marker in MARKERS:
        if marker in strings_in(sent):
            assert marker not in html
            if page.status_code == 200 and api.status_code == 200:
                data = json.loads(api.body)
                shown = {f["label"] for f in data["fields"]} | {data["channel"]["name"]}
                if marker in shown and data["entry_id"] is not None:
                    assert str(escape(marker)) in html
    if api.status_code == 200:
        sent_values = set(strings_in(sent)) | {str(n) for n in numbers_in(sent)}
        sent_values |= {repr(n) for n in numbers_in(sent) if isinstance(n, float)}
        for field in json.loads(api.body)["fields"]:
            if field["value"] is not None:
                assert field["value"] in sent_values  # exactly as sent, never re-encoded


path_segment = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="/?#%"),
    min_size=1,
    max_size=30,
)
query = st.dictionaries(
    st.sampled_from(["channel", "api_key", "results", "channel_id", "x", "format"]),
    text,
    max_size=3,
)


@SETTINGS
@given(segment=path_segment, params=query, route=st.sampled_from(["/", "/api/latest", "/{}"]))
def test_any_path_or_query_is_answered_and_never_reaches_another_channel(segment, params, route):
    from urllib.parse import quote, urlencode

    path = route.format(quote(segment, safe="")) + ("?" + urlencode(params) if params else "")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            re.compile(re.escape(THINGSPEAK) + r"/.*"),
            json={"channel": {"id": 9, "name": "x", "field1": "t"}, "feeds": []},
        )
        response = client_for().http.get(path)
        urls = [call.request.url for call in mock.calls]
    assert_valid(response)
    assert all(url.startswith(feed_url(9) + "?results=") for url in urls)
    assert all("api_key" not in url for url in urls)
