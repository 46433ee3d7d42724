"""Who sees what (issue #15), through the real Chalice app against the emulator: an
anonymous matrix over every route for a public and a private dashboard and an unknown
name; limited passkeys; tampered, expired and revoked sessions; cross-site POSTs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.access.gate import Access
from chalicelib.access.session import COOKIE, DAY, IDLE_SECONDS, Session, encode, passkey_id
from chalicelib.access.sqlite_store import SqliteAccessStore
from chalicelib.access.store import Passkey
from emulator import PRIVATE_READ_KEY, Emulator
from tests.conftest import app_module

SITE = "http://localhost:8000"
DASHBOARDS = """
[[dashboard]]
name = "balcony"
channel = 1014
title = "Balcony"

[[dashboard]]
name = "greenhouse"
channel = 1001
title = "Secret greenhouse"
read_api_key_env = "GREENHOUSE_KEY"

[[dashboard]]
name = "cellar"
channel = 1001
title = "Cellar"
read_api_key_env = "GREENHOUSE_KEY"
"""
PRIVATE_WORDS = ("greenhouse", "Secret greenhouse", "1001", "cellar", "Cellar")


class Clock:
    def __init__(self, now: float = 1_900_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> dict[str, str]:
    values = {
        "SITE_URL": SITE,
        "ACCESS_DB": str(tmp_path / "access.sqlite3"),
        "ALERTS_DB": str(tmp_path / "alerts.sqlite3"),
        "GREENHOUSE_KEY": PRIVATE_READ_KEY,
        "PUSH_SERVICE_HOSTS": "127.0.0.1:9",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ACCESS_TABLE", raising=False)
    monkeypatch.delenv("SESSION_SECRET_PARAM", raising=False)
    return values


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def site(make_client, env, emulator, clock, monkeypatch) -> Iterator[Client]:
    client = make_client(
        {"THINGSPEAK_URL": emulator.url, "GREENHOUSE_KEY": PRIVATE_READ_KEY}, dashboards=DASHBOARDS
    )
    app_module.site.access = Access(env, wall=clock)
    yield client


def store(env: dict[str, str]) -> SqliteAccessStore:
    return SqliteAccessStore(env["ACCESS_DB"])


def add_passkey(
    env: dict[str, str], dashboards: tuple[str, ...] | None = None, name: bytes = b"1"
) -> str:
    pid = passkey_id(b"credential-" + name)
    store(env).add_passkey(Passkey(pid, b"x", "test", dashboards, 0, 0))
    return pid


def cookie_for(env, pid: str, scope: str = "*", checked: float = 1_900_000_000.0) -> dict[str, str]:
    secret = store(env).session_secret()
    value = encode(Session(pid, scope, int(checked)), secret)
    return {"Cookie": f"{COOKIE}={value}"}


ROUTES = [
    # (path template, kind): page -> 303 to sign-in, api -> 401 JSON
    ("/d/{name}", "page"),
    ("/d/{name}/field/1", "page"),
    ("/d/{name}/field/1.csv", "api"),
    ("/api/d/{name}", "api"),
    ("/api/d/{name}/field/1", "api"),
]


@pytest.mark.parametrize(("template", "kind"), ROUTES)
@pytest.mark.parametrize("name", ["greenhouse", "no-such-thing"])
def test_anonymous_private_and_unknown_get_the_same_answer(site, template, kind, name):
    path = template.format(name=name)
    response = site.http.get(path)
    if kind == "page":
        assert response.status_code == 303
        assert response.headers["Location"] == "/signin?next=" + path.replace(".", ".")
        assert response.headers["X-Robots-Tag"] == "noindex"
    else:
        assert response.status_code == 401
        assert json.loads(response.body)["error"]["code"] == "sign_in_required"
    assert response.headers["Vary"] == "Cookie"
    body = response.body.decode()
    assert not any(word in body for word in PRIVATE_WORDS)


def test_private_and_unknown_answers_are_byte_for_byte_alike(site):
    for template, _ in ROUTES:
        a = site.http.get(template.format(name="greenhouse"))
        b = site.http.get(template.format(name="nothere"))
        assert a.status_code == b.status_code
        assert a.body == b.body
        strip = lambda h: {k: v for k, v in h.items() if k != "Location"}  # noqa: E731
        assert strip(a.headers) == strip(b.headers)


@pytest.mark.parametrize(("template", "kind"), ROUTES)
def test_anonymous_public_dashboard_is_open(site, template, kind):
    response = site.http.get(template.format(name="balcony"))
    assert response.status_code == 200, response.body[:300]
    assert "private" not in response.headers.get("Cache-Control", "")


def test_overview_and_list_show_only_public_dashboards_to_anonymous(site):
    page = site.http.get("/")
    listing = site.http.get("/api/dashboards")
    assert page.status_code == 200 and listing.status_code == 200
    assert [c["name"] for c in json.loads(listing.body)] == ["balcony"]
    for response in (page, listing):
        body = response.body.decode()
        assert not any(word in body for word in PRIVATE_WORDS)
        assert response.headers["Vary"] == "Cookie"
    assert 'href="/signin?next=/"' in page.body.decode()
    assert listing.headers["Link"] == '</signin>; rel="sign-in"'


def test_static_files_are_public_and_robots_names_no_dashboard(site):
    for path in ("/robots.txt", "/manifest.webmanifest", "/sw.js", "/icon.svg"):
        response = site.http.get(path)
        assert response.status_code == 200
        assert not any(word in response.body.decode(errors="replace") for word in PRIVATE_WORDS)


def test_signin_page_has_one_button_and_is_not_indexed(site):
    response = site.http.get("/signin?next=/d/greenhouse")
    body = response.body.decode()
    assert response.status_code == 200
    assert body.count("<button") == 1 and "Sign in with a passkey" in body
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert 'data-next="/d/greenhouse"' in body
    assert (
        "'self'"
        not in response.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert len(response.body) < 14 * 1024


@pytest.mark.parametrize(
    "bad", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_is_never_an_open_redirect(site, bad):
    body = site.http.get("/signin?next=" + bad).body.decode()
    assert 'data-next="/"' in body


def test_signed_in_sees_private_data_marked_private(site, env):
    headers = cookie_for(env, add_passkey(env))
    for path in (
        "/d/greenhouse",
        "/api/d/greenhouse",
        "/d/greenhouse/field/1",
        "/api/d/greenhouse/field/1",
        "/d/greenhouse/field/1.csv",
    ):
        response = site.http.get(path, headers=headers)
        assert response.status_code == 200, (path, response.body[:300])
        assert response.headers["Cache-Control"] == "private, no-cache"
        assert response.headers["Vary"] == "Cookie"
        assert response.headers["X-Robots-Tag"] == "noindex"
        assert "Set-Cookie" not in response.headers  # checked today: no store read, no renewal
    names = [c["name"] for c in json.loads(site.http.get("/api/dashboards", headers=headers).body)]
    assert names == ["balcony", "greenhouse", "cellar"]
    assert 'href="/signout"' in site.http.get("/", headers=headers).body.decode()
    # A signed-in person asking for a name that does not exist is told so.
    assert site.http.get("/d/nothere", headers=headers).status_code == 404


def test_private_answers_say_when_their_offline_copy_must_go(site, env, clock):
    # The service worker shows no offline copy of a private page once the session lapses.
    checked = clock.now - 3600
    headers = cookie_for(env, add_passkey(env), checked=checked)
    for path in ("/d/greenhouse", "/api/d/greenhouse", "/", "/api/dashboards"):
        response = site.http.get(path, headers=headers)
        assert response.headers["X-Glance-Private-Until"] == str(int(checked) + IDLE_SECONDS)
    for path in ("/d/balcony", "/api/d/balcony"):
        assert "X-Glance-Private-Until" not in site.http.get(path, headers=headers).headers
    assert "X-Glance-Private-Until" not in site.http.get("/").headers


def test_a_private_dashboard_page_offers_to_sign_out(site, env):
    headers = cookie_for(env, add_passkey(env))
    assert 'href="/signout"' in site.http.get("/d/greenhouse", headers=headers).body.decode()
    assert "/signout" not in site.http.get("/d/balcony", headers=headers).body.decode()


def test_a_limited_passkey_sees_only_its_dashboards(site, env):
    pid = add_passkey(env, ("greenhouse",))
    headers = cookie_for(env, pid, "greenhouse")
    assert site.http.get("/api/d/greenhouse", headers=headers).status_code == 200
    assert site.http.get("/api/d/cellar", headers=headers).status_code == 404
    assert site.http.get("/d/cellar", headers=headers).status_code == 404
    names = [c["name"] for c in json.loads(site.http.get("/api/dashboards", headers=headers).body)]
    assert names == ["balcony", "greenhouse"]


def test_a_tampered_cookie_is_refused_and_cleared(site, env):
    headers = cookie_for(env, add_passkey(env), "greenhouse")
    forged = headers["Cookie"].replace(".greenhouse.", ".*.")
    response = site.http.get("/api/d/cellar", headers={"Cookie": forged})
    assert response.status_code == 401
    assert "Max-Age=0" in response.headers["Set-Cookie"]


def test_an_idle_session_ends_after_90_days(site, env, clock):
    headers = cookie_for(env, add_passkey(env), checked=clock.now - IDLE_SECONDS - 1)
    assert site.http.get("/api/d/greenhouse", headers=headers).status_code == 401


def test_a_day_old_session_is_checked_once_and_renewed(site, env, clock):
    pid = add_passkey(env, None)
    headers = cookie_for(env, pid, checked=clock.now - DAY - 5)
    response = site.http.get("/api/d/greenhouse", headers=headers)
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert f"Max-Age={IDLE_SECONDS}" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # http://localhost only
    assert store(env).passkey(pid).last_used == int(clock.now)
    renewed = {"Cookie": cookie.split(";")[0]}
    again = site.http.get("/api/d/greenhouse", headers=renewed)
    assert again.status_code == 200 and "Set-Cookie" not in again.headers


def test_a_revoked_passkey_is_signed_out_within_a_day(site, env, clock):
    pid = add_passkey(env)
    headers = cookie_for(env, pid)
    assert site.http.get("/api/d/greenhouse", headers=headers).status_code == 200
    store(env).remove_passkey(pid)
    clock.now += DAY + 1
    response = site.http.get("/api/d/greenhouse", headers=headers)
    assert response.status_code == 401
    assert "Max-Age=0" in response.headers["Set-Cookie"]


def test_rotating_the_secret_signs_everyone_out(site, env):
    headers = cookie_for(env, add_passkey(env))
    store(env).rotate_session_secret()
    app_module.site.access.secret.forget()  # what the minute's refresh does
    assert site.http.get("/api/d/greenhouse", headers=headers).status_code == 401


def test_errors_give_configuration_details_to_signed_in_people_only(
    make_client, env, emulator, clock, monkeypatch
):
    broken = (
        DASHBOARDS
        + '\n[[dashboard]]\nname = "shed"\nchannel = 1001\npublic = true\n'
        + 'read_api_key_param = "/glance/no-such"\n'
    )
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    from moto import mock_aws

    with mock_aws():
        client = make_client(
            {"THINGSPEAK_URL": emulator.url, "GREENHOUSE_KEY": PRIVATE_READ_KEY}, dashboards=broken
        )
        app_module.site.access = Access(env, wall=clock)
        anonymous = client.http.get("/d/shed").body.decode()
        assert "/glance/no-such" not in anonymous and "policy" not in anonymous
        assert "/glance/no-such" not in client.http.get("/api/d/shed").body.decode()
        signed = client.http.get("/d/shed", headers=cookie_for(env, add_passkey(env))).body.decode()
        assert "/glance/no-such" in signed


JSON_HEADERS = {"Content-Type": "application/json"}


def subscription(n: int = 1, auth: str = "AAAAAAAAAAAAAAAAAAAAAA") -> dict[str, Any]:
    from tests.support.push_service import PushService  # noqa: F401  (shape reference)

    key = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
    return {"endpoint": f"http://127.0.0.1:9/push/{n}", "keys": {"p256dh": key, "auth": auth}}


def post(client, body, method="POST", headers=None):
    return client.http.request(
        method,
        "/api/push/subscriptions",
        headers={**JSON_HEADERS, **(headers or {})},
        body=json.dumps(body).encode(),
    )


def test_anonymous_cannot_subscribe_to_a_private_or_unknown_dashboard(site):
    for name in ("greenhouse", "nothere"):
        response = post(site, {"dashboard": name, "subscription": subscription()})
        assert response.status_code == 401
        assert json.loads(response.body)["error"]["code"] == "sign_in_required"
    assert post(site, {"dashboard": "balcony", "subscription": subscription()}).status_code == 201


def test_subscribing_to_a_private_dashboard_needs_a_session_allowed_to_see_it(site, env):
    limited = cookie_for(env, add_passkey(env, ("greenhouse",)), "greenhouse")
    assert (
        post(
            site, {"dashboard": "greenhouse", "subscription": subscription()}, headers=limited
        ).status_code
        == 201
    )
    assert (
        post(
            site, {"dashboard": "cellar", "subscription": subscription()}, headers=limited
        ).status_code
        == 404
    )


def test_changing_or_deleting_a_subscription_needs_its_auth_secret(site):
    assert post(site, {"dashboard": "balcony", "subscription": subscription(5)}).status_code == 201
    other = subscription(5, auth="BBBBBBBBBBBBBBBBBBBBBB")
    assert post(site, {"dashboard": "balcony", "subscription": other}).status_code == 403
    assert post(site, {"dashboard": "balcony", "subscription": other}, "DELETE").status_code == 403
    no_keys = {"endpoint": subscription(5)["endpoint"]}
    assert (
        post(site, {"dashboard": "balcony", "subscription": no_keys}, "DELETE").status_code == 400
    )
    assert (
        post(site, {"dashboard": "balcony", "subscription": subscription(5)}, "DELETE").status_code
        == 204
    )


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_cross_site_posts_are_refused(site, env, headers):
    signed = cookie_for(env, add_passkey(env))
    both = {**signed, **headers}
    assert (
        post(
            site, {"dashboard": "balcony", "subscription": subscription()}, headers=both
        ).status_code
        == 403
    )
    assert site.http.post("/signout", headers=both).status_code == 403
    for step in ("signin-options", "register-options"):
        assert (
            site.http.post(
                f"/api/access/{step}", headers={**both, **JSON_HEADERS}, body=b"{}"
            ).status_code
            == 403
        )


def test_same_origin_sign_out_clears_the_cookie(site, env):
    response = site.http.post(
        "/signout", headers={"Origin": SITE, **cookie_for(env, add_passkey(env))}
    )
    assert response.status_code == 200
    assert "Max-Age=0" in response.headers["Set-Cookie"]


def test_a_private_only_single_dashboard_sends_home_to_sign_in(make_client, env, emulator, clock):
    one = (
        '[[dashboard]]\nname = "greenhouse"\nchannel = 1001\nread_api_key_env = "GREENHOUSE_KEY"\n'
    )
    client = make_client(
        {"THINGSPEAK_URL": emulator.url, "GREENHOUSE_KEY": PRIVATE_READ_KEY}, dashboards=one
    )
    app_module.site.access = Access(env, wall=clock)
    response = client.http.get("/")
    assert response.status_code == 303 and response.headers["Location"] == "/signin?next=/"
    assert client.http.get("/api/latest").status_code == 401
    assert client.http.get("/field/1").status_code == 303
    assert client.http.get("/", headers=cookie_for(env, add_passkey(env))).status_code == 200


def test_the_page_does_not_load_the_webauthn_library():
    probe = (
        "import sys, app; from chalice.test import Client; c = Client(app.app); "
        "c.http.get('/signin'); "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('fido2', 'chalicelib.access.ceremonies', 'cbor2'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "THINGSPEAK_CHANNEL_ID": "9",
            "THINGSPEAK_READ_API_KEY": "ABCDEFGH12345678",
            "SITE_URL": SITE,
            "ACCESS_DB": ":memory:",
            "PATH": "/usr/bin:/bin",
        },
        cwd=app_module.__file__.rsplit("/", 1)[0],
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
