"""Property tests: whatever ThingSpeak sends and whatever a visitor asks for, the answer is
a valid page or JSON with a sensible status, never a 500; every string from ThingSpeak
that is shown is HTML-escaped in the page and exact in the JSON; and no request makes the
app read anything but the configured channel.

Derandomized, so CI sees the same examples every run; HYPOTHESIS_PROFILE=search runs a
wider random search. `pytest --hypothesis-show-statistics` prints how many ran.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import responses
from chalice.test import Client, HTTPResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from chalicelib.config.loader import load_config
from chalicelib.web.rendering import Renderer
from chalicelib.web.root import Site
from tests.conftest import THINGSPEAK, app_module, feed_url

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "search",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SETTINGS = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
EXAMPLES: Counter[str] = Counter()

# Any text, lone surrogates included: JSON may carry "\ud800", which no UTF-8 page can.
any_char = st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from("<>&\"'"))
text = st.lists(any_char, max_size=40).map("".join)
# Our templates never contain "<zq" nor "&zq": if one shows unescaped, it came from ThingSpeak.
MARKUP = ("<zq", "&zq")
markup = st.builds(lambda a, m, b: a + m + b, text, st.sampled_from(MARKUP), text)
tricky = st.one_of(
    text,
    markup,
    st.sampled_from(["<script>x</script>", '"><img src=x onerror=alert(1)>', "-1", "nan", " 7 "]),
    st.sampled_from(["\ud800", "a\udfffb", "\udc80<zq"]),
)
number = st.one_of(st.integers(-(10**20), 10**20), st.floats(allow_nan=False))
value = st.one_of(
    st.none(), tricky, number, st.booleans(), st.lists(st.integers(), max_size=2), st.just({})
)
plausible_time = st.datetimes(
    min_value=datetime(1971, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.timezones()
)
timestamp = st.one_of(
    plausible_time.map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),  # no time zone
    st.sampled_from(["2026-11-24T03:40:00Z", "yesterday", "", "2026-13-45T99:00:00Z"]),
    text,
    st.integers(),
    st.none(),
)
# Shaped like ThingSpeak's answer, with hostile strings: most of these parse, so what is
# shown gets checked.
shaped_channel = st.fixed_dictionaries(
    {"id": st.just(9), "name": st.one_of(tricky, st.none())},
    optional={f"field{n}": tricky for n in range(1, 9)},
)
shaped_entry = st.fixed_dictionaries(
    {
        "created_at": st.one_of(
            plausible_time.map(lambda d: d.isoformat()),
            plausible_time.map(lambda d: d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ),
        "entry_id": st.integers(1, 10**6),
    },
    optional={
        f"field{n}": st.one_of(st.none(), tricky, st.integers(), st.floats(allow_nan=False))
        for n in range(1, 10)
    },
)
shaped = st.fixed_dictionaries(
    {"channel": shaped_channel, "feeds": st.lists(shaped_entry, min_size=1, max_size=5)}
)
# Anything at all.
entry = st.fixed_dictionaries(
    {"created_at": timestamp, "entry_id": st.one_of(st.integers(0, 10**9), text, st.none())},
    optional={f"field{n}": value for n in range(1, 10)},
)
channel = st.fixed_dictionaries(
    {"id": st.one_of(st.just(9), st.integers(), text), "name": st.one_of(tricky, st.none())},
    optional={f"field{n}": st.one_of(tricky, st.none(), st.integers()) for n in range(1, 10)},
)
payload = st.one_of(
    shaped,
    st.fixed_dictionaries(
        {"channel": channel, "feeds": st.lists(st.one_of(entry, st.integers()), max_size=5)}
    ),
    st.fixed_dictionaries({"channel": channel}, optional={"feeds": st.one_of(text, st.integers())}),
    st.one_of(st.integers(), text, st.lists(st.integers(), max_size=3), st.none()),
    st.recursive(
        st.none() | st.booleans() | text, lambda c: st.lists(c) | st.dictionaries(text, c)
    ),
)


@pytest.fixture(autouse=True, scope="module")
def keep_the_app_as_it_was() -> Iterator[None]:
    before = app_module.site
    yield
    app_module.site = before
    print(f"\nhypothesis examples run: {dict(EXAMPLES)}")


@cache
def shared_renderer() -> Renderer:
    """One Renderer for every example, as a container has: a Site's own would register one
    more template package in sys.modules per example (a weakref.proxy that dies with it,
    which Hypothesis' scan of sys.modules can meet dead: see tests/conftest.py)."""
    return Site(load_config({"THINGSPEAK_CHANNEL_ID": "9"})).renderer


def client_for() -> Client:
    config = load_config({"THINGSPEAK_CHANNEL_ID": "9"})
    app_module.site = Site(config, renderer=shared_renderer())
    return Client(app_module.app)


def strings_in(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in strings_in(v)]
    if isinstance(data, list):
        return [s for v in data for s in strings_in(v)]
    return []


def readable(s: str) -> str:
    """What a string from ThingSpeak becomes: lone surrogates (no UTF-8 can carry them)
    turn into U+FFFD; everything else is kept as sent."""
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in s)


def assert_valid(response: HTTPResponse) -> None:
    assert response.status_code in (200, 304, 400, 403, 404, 502, 504), response.status_code
    kind = response.headers.get("Content-Type", "")
    if response.status_code in (304, 403):
        return  # 304: no body; 403: API Gateway's own answer for a path no route matches
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


def expected_json(sent: dict[str, Any], data: dict[str, Any]) -> None:
    """The JSON carries ThingSpeak's strings exactly (names trimmed, as documented)."""
    raw_channel = sent["channel"]
    name = readable((raw_channel.get("name") or "").strip())
    assert data["channel"]["name"] == (name or f"Channel {raw_channel['id']}")
    for field in data["fields"]:
        n = field["field"]
        assert field["name"] == (readable(raw_channel[f"field{n}"].strip()) or f"Field {n}")
        if data["entry_id"] is None:
            continue
        newest = [
            e for e in sent["feeds"] if isinstance(e, dict) and e["entry_id"] == data["entry_id"]
        ]
        sent_values = set()
        for e in newest:
            raw = e.get(f"field{n}")
            if isinstance(raw, str):
                sent_values.add(readable(raw))
            elif isinstance(raw, int | float):
                sent_values |= {str(raw), repr(raw)}
            else:
                sent_values.add(raw)
        assert field["value"] in sent_values  # exactly as sent, never re-encoded


def get_both(sent: Any) -> tuple[Any, HTTPResponse, HTTPResponse]:
    """What ThingSpeak's JSON reads as, and the page and JSON answers for it."""
    wire = json.dumps(sent)
    with responses.RequestsMock() as mock:
        mock.get(feed_url(9), body=wire, content_type="application/json")
        client = client_for()
        page = client.http.get("/")
        api = client.http.get("/api/latest")
    assert page.status_code in (200, 502) and api.status_code == page.status_code
    assert_valid(page)
    assert_valid(api)
    # Whatever ThingSpeak wrote, the only markup on the page is ours.
    html = page.body.decode()
    for marker in (*MARKUP, "<script>x", "<img"):
        assert marker not in html
    return json.loads(wire), page, api  # "\ud800\udc00" on the wire is one character


@SETTINGS
@pytest.mark.slow
@given(sent=payload)
def test_any_payload_gives_a_valid_page_and_json_never_a_500(sent: Any) -> None:
    EXAMPLES["any payload"] += 1
    sent, _, api = get_both(sent)
    if api.status_code == 200:
        expected_json(sent, json.loads(api.body))
    else:
        assert json.loads(api.body)["error"]["code"].startswith(("thingspeak_", "read_api"))


@SETTINGS
@pytest.mark.slow
@given(sent=shaped)
def test_every_string_from_thingspeak_is_escaped_in_the_page_and_exact_in_json(
    sent: Any,
) -> None:
    EXAMPLES["shaped payload"] += 1
    sent, page, api = get_both(sent)
    if api.status_code != 200:
        # Only an implausible value may spoil a ThingSpeak-shaped answer.
        assert json.loads(api.body)["error"]["code"] == "thingspeak_malformed"
        return
    html = page.body.decode()
    data = json.loads(api.body)
    expected_json(sent, data)
    # Every string that is shown appears, escaped, in the page.
    shown = [data["channel"]["name"]]
    if data["entry_id"] is not None:
        shown += [f["label"] for f in data["fields"]]
        shown += [f["display"] for f in data["fields"] if f["display"] is not None]
    for s in shown:
        assert str(escape(s)) in html, s
        EXAMPLES["strings checked"] += 1
    EXAMPLES["values checked"] += sum(f["value"] is not None for f in data["fields"])


url_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)  # no lone surrogates
path_segment = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30)
raw_path = st.text(alphabet=st.sampled_from("/.%2fFcChanels0129?#&=;~"), max_size=30)
decoration = st.sampled_from(["utm_source", "utm_channel", "fbclid", "gclid", "mc_eid"])
query = st.dictionaries(
    st.one_of(
        st.sampled_from(["channel", "api_key", "results", "channel_id", "format", "id"]),
        decoration,
        st.builds(lambda d, t: d + t, decoration, url_text),
        url_text,
    ),
    url_text,
    max_size=3,
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "If-None-Match": st.one_of(
            st.just("*"), st.text(alphabet=st.characters(codec="latin-1"), max_size=40)
        ),
        "Accept": st.sampled_from(["image/png", "text/html", "*/*", "application/json"]),
    },
)


@pytest.mark.slow
@SETTINGS
@given(
    route=st.sampled_from(["/", "/api/latest", "/{}", "/{}/{}", "raw"]),
    segment=path_segment,
    raw=raw_path,
    params=query,
    sent_headers=headers,
)
def test_any_path_or_query_is_answered_and_never_reaches_another_channel(
    route: str, segment: str, raw: str, params: dict[str, str], sent_headers: dict[str, str]
) -> None:
    EXAMPLES["requests"] += 1
    quoted = quote(segment, safe="")
    path = "/" + raw.lstrip("/") if route == "raw" else route.format(quoted, quoted)
    if params:
        path += ("&" if "?" in path else "?") + urlencode(params)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            re.compile(re.escape(THINGSPEAK) + r"/.*"),
            json={"channel": {"id": 9, "name": "x", "field1": "t"}, "feeds": []},
        )
        response = client_for().http.get(path, headers=sent_headers)
        urls = [call.request.url for call in mock.calls]
    assert_valid(response)
    assert len(urls) <= 1
    for url in urls:
        # Only the configured channel, only the parameter the app itself chose.
        assert re.fullmatch(
            re.escape(feed_url(9)) + r"\?results=(8000&minutes=1445|8000|20)", url
        ), url
