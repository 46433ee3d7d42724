"""Debian's Chromium, headless and off the network, for Playwright and Lighthouse."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
# Without these Chromium reaches for Google's services at start, and this machine's
# closed network refuses it many times over.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
LIGHTHOUSE = Path(__file__).resolve().parents[2] / "tools/lighthouse/node_modules/.bin/lighthouse"


ALL_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def run_lighthouse(
    url: str, output: Path, categories: tuple[str, ...] = ALL_CATEGORIES
) -> dict[str, float]:
    """Lighthouse (mobile form factor, its default) against Debian's Chromium; the scores
    of the categories, 0 to 100. The full report is written to `output`."""
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--form-factor=mobile",
        f"--only-categories={','.join(categories)}",
        "--chrome-flags=--headless=new " + " ".join(FLAGS),
        "--output=json",
        f"--output-path={output}",
    ]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    # Lighthouse 12 sometimes loses the performance trace with this newer Chromium
    # (NO_NAVSTART), and Chromium can fail to start on a busy machine: neither is about
    # the page, so try again, up to three times.
    for attempt in (1, 2, 3):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        if done.returncode == 0:
            break
        if attempt == 3:
            raise RuntimeError(f"Lighthouse failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(output.read_text())
    return {name: round(c["score"] * 100) for name, c in report["categories"].items()}


# The service worker's offline copies (templates/sw.js).
def kept(page: Page) -> dict[str, list[str]]:
    """The worker's caches: name -> the URLs kept in it."""
    return dict(
        page.evaluate(
            """async () => {
                const found = {};
                for (const name of await caches.keys()) {
                    const requests = await (await caches.open(name)).keys();
                    found[name] = requests.map((request) => request.url);
                }
                return found;
            }"""
        )
    )


def wait_until_kept(page: Page, *urls: str, seconds: float = 20) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=seconds)
    while True:
        held = {url for urls_of_cache in kept(page).values() for url in urls_of_cache}
        if set(urls) <= held:
            return
        assert datetime.now(UTC) < deadline, f"not kept: {set(urls) - held}"
        page.wait_for_timeout(200)


def open_and_keep(page: Page, url: str, api: str) -> None:
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until_kept(page, url, api)
