"""Debian's Chromium, headless and off the network, for Playwright and Lighthouse."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

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
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
LIGHTHOUSE = (
    Path(__file__).resolve().parent.parent / "tools/lighthouse/node_modules/.bin/lighthouse"
)


def run_lighthouse(url: str, output: Path) -> dict[str, float]:
    """Lighthouse (mobile form factor, its default) against Debian's Chromium; the scores
    of the four categories, 0 to 100. The full report is written to `output`."""
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--form-factor=mobile",
        "--only-categories=performance,accessibility,best-practices,seo",
        "--chrome-flags=--headless=new " + " ".join(FLAGS),
        "--output=json",
        f"--output-path={output}",
    ]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    # One more try if Chromium itself fails to start: that is the machine, not the page.
    for attempt in (1, 2):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        if done.returncode == 0:
            break
        if attempt == 2:
            raise RuntimeError(f"Lighthouse failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(output.read_text())
    return {name: round(c["score"] * 100) for name, c in report["categories"].items()}
