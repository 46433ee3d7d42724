"""Issue #17, the web side: heavy answers built once per new reading (field CSV, JSON and
page, with ETag/304), the push key read once per container, ETags nobody can test guesses
against offline, CSV cells a spreadsheet never runs, HEAD's Content-Length, and the web
function counting subscriptions without reading them."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

import chalicelib.web.field_pages as field_pages
from chalicelib.alerts import push_api
from chalicelib.alerts.dynamo_store import DynamoStore
from chalicelib.alerts.sqlite_store import EmbeddedStore
from chalicelib.alerts.store import MAX_SUBSCRIPTIONS, SUBSCRIPTION_DAYS, store_from_env
from chalicelib.alerts.subscriptions import Subscription
from chalicelib.display.field_view import FieldView
from chalicelib.web import etags
from chalicelib.web.csv_export import _cell
from deploy.alerts import ensure_table
from emulator import DEMO_CHANNEL_ID, Emulator
from tests.conftest import feed_url, load_fixture

GARDEN = f"""
[[dashboard]]
name = "garden"
channel = {DEMO_CHANNEL_ID}
  [[dashboard.field]]
  number = 4
  label = "Temperature"
"""


@pytest.fixture(scope="module")
def still() -> Iterator[Emulator]:
    with Emulator() as emu:
        emu.go_quiet(DEMO_CHANNEL_ID)
        yield emu


@pytest.fixture
def garden(make_client, still):
    # No cache window: every request asks upstream, so only the feed's version can spare a build.
    env = {"THINGSPEAK_URL": still.url, "CACHE_TTL_SECONDS": "0"}
    return make_client(env, dashboards=GARDEN)


def counting(monkeypatch, owner: Any, name: str) -> list[int]:
    """Counts calls of owner.name (the real one still runs)."""
    calls: list[int] = []
    real = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


# --- built once per reading ------------------------------------------------------------------


@pytest.mark.parametrize("range_", ["24h", "7d"])
def test_the_csv_is_built_once_while_the_feed_does_not_change_and_revalidates_with_304(
    garden, still, monkeypatch, range_
):
    builds = counting(monkeypatch, field_pages, "csv_of")
    views = counting(monkeypatch, field_pages, "build_field_view")
    path = f"/d/garden/field/4.csv?range={range_}"

    answers = [garden.http.get(path) for _ in range(20)]

    assert {a.status_code for a in answers} == {200}
    assert len({a.body for a in answers}) == 1 and len({a.headers["ETag"] for a in answers}) == 1
    assert len(builds) == 1 and len(views) == 1
    etag = answers[0].headers["ETag"]
    again = garden.http.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.body == b""
    assert again.headers["ETag"] == etag
    if range_ == "24h":  # a new reading: built once more, with a new tag
        still.add_entry(DEMO_CHANNEL_ID, {4: "71.5"})
        changed = [garden.http.get(path, headers={"If-None-Match": etag}) for _ in range(5)]
        assert [c.status_code for c in changed] == [200] * 5
        assert len(builds) == 2 and changed[0].headers["ETag"] != etag
        assert changed[0].body.decode().rstrip().endswith(",71.5")


def test_the_field_json_and_page_are_built_once_per_reading(garden, monkeypatch):
    to_json = counting(monkeypatch, FieldView, "to_json")
    renders = counting(monkeypatch, field_pages.FieldPages, "_etag")

    api = [garden.http.get("/api/d/garden/field/4") for _ in range(10)]
    pages = [garden.http.get("/d/garden/field/4") for _ in range(10)]

    assert {a.status_code for a in api + pages} == {200}
    assert len({a.body for a in api}) == 1 and len({p.body for p in pages}) == 1
    assert len(to_json) == 1
    assert len(renders) == 2  # one tag per kind, not per request
    tag = pages[0].headers["ETag"]
    assert garden.http.get("/d/garden/field/4", headers={"If-None-Match": tag}).status_code == 304


def test_the_push_key_is_read_from_the_store_once_per_container(tmp_path, monkeypatch):
    env = {"ALERTS_DB": str(tmp_path / "alerts.sqlite3")}
    store = store_from_env(env)
    assert isinstance(store, EmbeddedStore)
    reads = counting(monkeypatch, store, "public_key")

    first = push_api.push_key(env)  # not there yet: asked again next time
    store.set_public_key("BPublicKey")
    answers = [push_api.push_key(env) for _ in range(10)]

    assert first.status_code == 503
    assert [a.status_code for a in answers] == [200] * 10
    assert {json.loads(a.body)["publicKey"] for a in answers} == {"BPublicKey"}
    assert len(reads) == 2


# --- ETags -------------------------------------------------------------------------------------


def threshold_site(make_client, thingspeak, above: float):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    dashboards = (
        '[[dashboard]]\nname = "garden"\nchannel = 9\n'
        f"  [[dashboard.alert]]\n  field = 1\n  above = {above}\n"
    )
    return make_client(dashboards=dashboards)


ROUTES = ["/", "/api/latest", "/d/garden", "/api/d/garden", "/d/garden/field/1"]
ROUTES += ["/api/d/garden/field/1", "/d/garden/field/1.csv", "/api/dashboards"]


def tags(client) -> dict[str, str]:
    found = {}
    for path in ROUTES:
        response = client.http.get(path)
        assert response.status_code == 200, (path, response.body[:200])
        found[path] = response.headers["ETag"]
    return found


def test_etags_are_keyed_per_container_so_a_hidden_threshold_cannot_be_guessed_offline(
    make_client, thingspeak, monkeypatch
):
    at_80 = tags(threshold_site(make_client, thingspeak, 80.0))
    again = tags(threshold_site(make_client, thingspeak, 80.0))
    at_81 = tags(threshold_site(make_client, thingspeak, 81.0))
    monkeypatch.setattr(etags, "_KEY", b"another container's key".ljust(32, b"\0"))
    elsewhere = tags(threshold_site(make_client, thingspeak, 80.0))

    assert at_80 == again  # one container: a returning visitor's tag still matches
    for path in ROUTES:
        # Every part of every tag is keyed: the same settings and reading give another tag
        # in another container, so no tag is a function of what a visitor can know.
        parts, others = set(at_80[path].strip('W/"').split("-")), elsewhere[path]
        hashes = [part for part in parts if re.fullmatch("[0-9a-f]{8,}", part)]
        assert hashes and all(part not in others for part in hashes), path
        assert at_80[path] != at_81[path]
    # The offline guess that found `above 80.0` before: the settings part recomputed from
    # the settings themselves, unkeyed. It matches no tag now.
    from tests.conftest import app_module

    threshold_site(make_client, thingspeak, 80.0)
    site = app_module.site
    seed = (repr((site.first.dashboard,)) + site.renderer.assets.csp).encode()
    guess = hashlib.blake2b(seed, digest_size=6).hexdigest()
    assert guess == _unkeyed_settings_tag(site)
    assert not any(guess in tag for tag in at_80.values())


def _unkeyed_settings_tag(site: Any) -> str:
    seed = (repr((site.first.dashboard,)) + site.renderer.assets.csp).encode()
    return hashlib.blake2b(seed, digest_size=6).hexdigest()


def test_a_site_answers_304_for_its_own_tags_and_static_files_are_tagged_by_their_body(
    make_client, thingspeak
):
    client = threshold_site(make_client, thingspeak, 80.0)
    for path, tag in tags(client).items():
        revalidated = client.http.get(path, headers={"If-None-Match": tag})
        assert revalidated.status_code == 304, path
    for path in ("/robots.txt", "/manifest.webmanifest", "/icon-192.png", "/sw.js"):
        response = client.http.get(path, headers={"Accept": "image/png"})
        # Public bytes only: the tag is their digest, the same in every container.
        assert response.headers["ETag"] == f'"{hashlib.sha256(response.body).hexdigest()[:16]}"'
        assert (
            client.http.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code
            == 304
        )


# --- CSV cells ---------------------------------------------------------------------------------

TRIGGERS = "=+-@\uff1d\uff0b\uff0d\uff20"
BLANKS = " \t\r\n\u00a0\u3000"


@pytest.mark.parametrize(
    "sent",
    [
        "=1+1",
        " =1+1",
        "\t=1+1",
        "  \t @SUM(A1)",
        "\uff1d1+1",
        " \uff0bcmd",
        "\uff0d2",
        "\uff20x",
        ",=1+1",
        ";=1+1",
        "\t3",
        "\r=1",
        "\n+1",
        "-2+3",
        "+cmd|' /C calc'!A0",
        "-inf",
        "@",
    ],
)
def test_what_a_spreadsheet_would_run_is_neutralised(sent):
    assert _cell(sent) == "'" + sent


@pytest.mark.parametrize(
    "sent",
    ["-3.2", "+1e3", "4", " 4", "4 ", " -0.5 ", "1E-7", ".5", "-.5", "21.4", "open", "nan", ""],
)
def test_plain_numbers_and_words_stay_as_sent(sent):
    assert _cell(sent) == sent


def _runs(cell: str) -> bool:
    """Whether a spreadsheet reading this cell (from CSV) could take it as a formula."""
    if not cell or cell.startswith("'"):
        return False
    try:
        float(cell)
        return False
    except ValueError:
        pass
    return cell[0] in "\t\r\n,;|" or cell.lstrip(BLANKS)[:1] in TRIGGERS


cells = st.one_of(
    st.text(max_size=12),
    st.builds(
        lambda pad, t, rest: pad + t + rest,
        st.text(alphabet=BLANKS + ",;|", max_size=3),
        st.sampled_from(TRIGGERS),
        st.text(max_size=8),
    ),
    st.builds(
        lambda pad, n, end: f"{pad}{n}{end}",
        st.sampled_from(["", " ", "  "]),
        st.one_of(
            st.integers().map(str), st.floats(allow_nan=False, allow_infinity=False).map(repr)
        ),
        st.sampled_from(["", " "]),
    ),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(cells)
def test_no_csv_cell_runs_as_a_formula_and_every_number_stays_a_number(value):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([_cell(value)])
    [[read]] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert not _runs(read)
    assert read in (value, "'" + value)  # as sent, or behind one quote mark


numbers = st.builds(
    lambda pad, n, end: f"{pad}{n}{end}",
    st.sampled_from(["", " ", "  "]),
    st.one_of(
        st.integers().map(str),
        st.integers(min_value=0).map(lambda n: f"+{n}"),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f"{f:e}"),
    ),
    st.sampled_from(["", " "]),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(numbers)
def test_a_plain_number_stays_as_sent(value):
    assert _cell(value) == value


# --- HEAD --------------------------------------------------------------------------------------

HEAD_PATHS = ["/d/garden", "/api/d/garden", "/d/garden/field/4.csv", "/icon-192.png", "/nope"]


def test_head_answers_with_the_content_length_of_the_get_in_process(garden):
    for path in HEAD_PATHS:
        accept = {"Accept": "image/png"} if path.endswith(".png") else {}
        got = garden.http.get(path, headers=accept)
        head = garden.http.request("HEAD", path, headers=accept)
        assert got.status_code in (200, 404), path
        assert head.status_code == got.status_code, path
        assert head.body == b""
        assert int(head.headers["Content-Length"]) == len(got.body) > 0, path


def test_head_answers_with_the_content_length_of_the_get_on_chalice_local(served_app):
    with requests.Session() as session:
        # Answers that stay the same for a while (the JSON's age_seconds moves every second).
        for path in ["/", "/field/4.csv", "/icon-192.png", "/nope", "/robots.txt"]:
            accept = {"Accept": "image/png"} if path.endswith(".png") else {}
            got = session.get(served_app + path, headers=accept, timeout=30)
            head = session.head(served_app + path, headers=accept, timeout=30)
            assert head.status_code == got.status_code, path
            assert head.headers["Content-Length"] == str(len(got.content)), path
            assert len(got.content) > 0
        # The connection is still in step: HEAD sent no body.
        assert session.get(served_app + "/robots.txt", timeout=30).status_code == 200


# --- subscriptions counted without being read ----------------------------------------------


@pytest.fixture
def table(aws) -> Iterator[DynamoStore]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        ensure_table(client, "alerts-harden")
        yield DynamoStore("alerts-harden", client)


def sub(i: int) -> Subscription:
    return Subscription(f"https://push.example/{i}", f"p256dh-{i}", f"auth-{i}")


def test_subscribing_counts_with_select_count_and_reads_no_subscription(table):
    queries: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    events = table.client.meta.events
    events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: queries.append(params)
    )
    events.register("after-call.dynamodb.Query", lambda parsed, **_: answers.append(parsed))
    now = time.time()

    results = [table.subscribe("garden", sub(i), now) for i in range(MAX_SUBSCRIPTIONS + 1)]

    assert results == ["created"] * MAX_SUBSCRIPTIONS + ["full"]
    assert queries and all(q["Select"] == "COUNT" for q in queries)
    assert all("Items" not in a for a in answers)
    # An expired subscription no longer takes a place.
    later = now + SUBSCRIPTION_DAYS * 86400 + 1
    assert table.subscribe("garden", sub(999), later) == "created"


def test_the_web_policy_queries_subscriptions_only_as_a_count():
    from deploy.policy import ROOT

    statements = json.loads((ROOT / ".chalice" / "policy-prod.json").read_text())["Statement"]
    for statement in statements:
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        if "dynamodb:Query" in actions:
            assert statement["Condition"]["StringEquals"] == {"dynamodb:Select": "COUNT"}
            assert actions == ["dynamodb:Query"]
        if {"dynamodb:PutItem", "dynamodb:DeleteItem"} & set(actions):
            returns = statement["Condition"]["StringEqualsIfExists"]["dynamodb:ReturnValues"]
            assert returns == "NONE"
        if "dynamodb:GetItem" in actions:
            condition = statement["Condition"]
            leading = condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            if statement["Resource"].endswith("-alerts") and leading != ["meta"]:
                # (["meta"]: the push key's item, read whole.)
                # A subscription's item only as whether it exists (pk) and the counter (n):
                # never its endpoint or keys, so a projection of those two is required.
                assert leading == ["subs#*"] and actions == ["dynamodb:GetItem"]
                assert condition["ForAllValues:StringEquals"] == {
                    "dynamodb:Attributes": ["pk", "n"]
                }
                assert condition["StringEquals"] == {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
    sids = {statement.get("Sid") for statement in statements}
    assert {"CountPushSubscriptions", "SeeWhetherASubscriptionExists"} <= sids
