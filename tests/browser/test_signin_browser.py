"""Passkeys end to end (issue #15): `chalice local` on http://localhost, Debian's Chromium
with the DevTools Protocol's virtual authenticator, real ceremonies verified by fido2.
The invitation comes from the real CLI (`python -m deploy.access invite --stage local`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from deploy import access as access_cli
from emulator import Emulator
from scripts.local_app import serve
from tests.conftest import ROOT
from tests.support.browser import kept, wait_until_kept


@pytest.fixture(scope="module")
def served(
    emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("access")
    db = tmp / "access.sqlite3"
    with serve(
        emulator.url, SITE_URL="http://localhost:{port}", ACCESS_DB=str(db), CACHE_TTL_SECONDS="1"
    ) as local:
        port = local.url.rsplit(":", 1)[1]
        site = f"http://localhost:{port}"
        # The CLI reads the stage from a config.json: the project's, pointed at this server.
        (tmp / ".chalice").mkdir()
        config = json.loads((ROOT / ".chalice" / "config.json").read_text())
        config["stages"]["local"]["environment_variables"].update(SITE_URL=site, ACCESS_DB=str(db))
        (tmp / ".chalice" / "config.json").write_text(json.dumps(config))
        shutil.copytree(
            ROOT / "chalicelib", tmp / "chalicelib", ignore=shutil.ignore_patterns("__pycache__")
        )
        yield {"site": site, "config": tmp / ".chalice" / "config.json"}


def invite(served: dict[str, Any], *extra: str) -> str:
    lines: list[str] = []
    argv = ["invite", "--stage", "local", "--config", str(served["config"]), "--no-qr", *extra]
    assert access_cli.main(argv, out=lines.append) == 0
    link = lines[1]
    assert link.startswith(served["site"] + "/join#")  # its own line, the full URL
    return link


def with_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_invitation_creates_a_passkey_and_the_passkey_signs_in(browser: Browser, served):
    site = served["site"]
    context = browser.new_context()
    page = context.new_page()
    with_authenticator(page)
    # Signed out: the private dashboard sends to sign-in, and says nothing of itself.
    page.goto(f"{site}/d/greenhouse")
    assert page.url == f"{site}/signin?next=/d/greenhouse"
    assert "Greenhouse" not in page.content()

    link = invite(served, "--label", "Test phone")
    page.goto(link)
    assert page.evaluate("() => location.hash") == ""  # the token left the address bar
    page.get_by_role("button", name="Create a passkey").click()
    page.wait_for_url(f"{site}/", timeout=20000)
    cookie = next(c for c in context.cookies() if c["name"] == "glance")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    response = page.goto(f"{site}/d/greenhouse")
    assert response is not None and response.status == 200
    assert "Greenhouse" in page.title() or "greenhouse" in page.content().lower()

    # A new device session (cookies gone): the passkey signs in and returns to `next`.
    context.clear_cookies()
    page.goto(f"{site}/d/greenhouse")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{site}/d/greenhouse", timeout=20000)
    assert page.locator("h1").count() >= 1

    # The link was used: opening it again makes nothing.
    page.goto(link)
    page.get_by_role("button", name="Create a passkey").click()
    page.get_by_text("has been used or has expired").wait_for(timeout=20000)

    # Sign out: the cookie goes, and the private page is out of reach again.
    page.goto(f"{site}/signout")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site}/", timeout=20000)
    page.goto(f"{site}/d/greenhouse")
    assert page.url.startswith(f"{site}/signin")

    lines: list[str] = []
    access_cli.main(
        ["list", "--stage", "local", "--config", str(served["config"])], out=lines.append
    )
    assert any("Test phone" in line for line in lines[1:])
    context.close()


def lapse(page: Page, url: str) -> None:
    """Make a kept private copy's session lapse a second ago, as 90 unused days would."""
    page.evaluate(
        """async (url) => {
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                const saved = await cache.match(url, { ignoreVary: true });
                if (!saved) continue;
                const headers = new Headers(saved.headers);
                headers.set("X-Glance-Private-Until", String(Math.floor(Date.now() / 1000) - 1));
                await cache.put(url, new Response(await saved.text(), { status: 200, headers }));
            }
        }""",
        url,
    )


def offline_answer(page: Page, url: str) -> tuple[int, str]:
    response = page.goto(url)
    assert response is not None
    return response.status, page.content()


def keep_private(page: Page, url: str, api: str) -> None:
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Loaded again once the worker is there: the first load may have raced its start.
    page.reload()
    assert page.evaluate("(api) => fetch(api).then((r) => r.status)", api) == 200
    wait_until_kept(page, url, api)


@pytest.mark.slow
def test_a_signed_out_browser_is_never_shown_a_private_copy(browser: Browser, served):
    site = served["site"]
    private, api = f"{site}/d/greenhouse", f"{site}/api/d/greenhouse"
    context = browser.new_context()
    context.set_default_timeout(20_000)
    page = context.new_page()
    with_authenticator(page)
    page.goto(invite(served, "--label", "Pocket phone"))
    page.get_by_role("button", name="Create a passkey").click()
    page.wait_for_url(f"{site}/")
    keep_private(page, private, api)
    # Kept apart from the public copies.
    assert next(name for name, urls in kept(page).items() if private in urls).endswith("-private")

    # Signed in and offline: the owner's own copy shows, marked offline.
    context.set_offline(True)
    status, body = offline_answer(page, private)
    assert status == 200 and "data-offline" in body and "Sign out" in body
    # The session lapses while the phone is still offline: the copy is gone with it.
    lapse(page, private)
    status, body = offline_answer(page, private)
    assert status == 503 and "has not been opened" in body and "greenhouse" not in body.lower()

    # Back online, kept again; then the session ends (a lapsed cookie is one the browser
    # drops): the first answer that says so takes every private copy with it.
    context.set_offline(False)
    keep_private(page, private, api)
    context.clear_cookies()
    page.goto(private)
    assert page.url.startswith(f"{site}/signin")
    assert not any(private in urls or api in urls for urls in kept(page).values())
    context.set_offline(True)
    assert offline_answer(page, private)[0] == 503
    assert page.evaluate("(url) => fetch(url).then(() => 'shown', () => 'refused')", api) == (
        "refused"
    )

    # Signing out on purpose clears them too.
    context.set_offline(False)
    page.goto(private)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(private)
    keep_private(page, private, api)
    page.goto(f"{site}/signout")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site}/")
    context.set_offline(True)
    assert offline_answer(page, private)[0] == 503
    context.close()
