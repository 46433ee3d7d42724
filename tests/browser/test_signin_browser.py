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
