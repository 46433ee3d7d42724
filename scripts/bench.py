"""`make bench`: the page's size and speed figures, printed as a table.

Budgets (issue 3): the page <= 14 KB gzipped and no request to another origin; Lighthouse
100 x 4; a cache-hit view costing about what a hello-world Chalice route returning the same
bytes costs; `import app` costing little more than importing requests, jinja2 and chalice.
Figures, not pass/fail: timings on a shared 2-core machine vary from run to run.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator import DEMO_CHANNEL_ID, Emulator  # noqa: E402
from scripts.local_app import proxy_event, serve  # noqa: E402

BUDGET_GZIP_BYTES = 14 * 1024
ROWS: list[tuple[str, str, str]] = []


def row(what: str, figure: str, budget: str = "") -> None:
    ROWS.append((what, figure, budget))
    print(f"  {what:<46} {figure:>16}  {budget}", flush=True)


class Context:
    aws_request_id = "bench"
    function_name = "bench"
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        return 15000


def per_call_us(call: Callable[[], object], number: int = 2000, repeat: int = 5) -> float:
    best = float("inf")
    with contextlib.redirect_stdout(io.StringIO()):  # the access log line per request
        for _ in range(repeat):
            started = time.perf_counter()
            for _ in range(number):
                call()
            best = min(best, (time.perf_counter() - started) / number)
    return best * 1e6


def page_and_cache(emu: Emulator) -> None:
    os.environ.update(
        THINGSPEAK_URL=emu.url,
        THINGSPEAK_CHANNEL_ID=str(DEMO_CHANNEL_ID),
        CACHE_TTL_SECONDS="3600",
    )
    config = json.loads((ROOT / ".chalice/config.json").read_text())
    os.environ.update(
        {k: v for k, v in config["environment_variables"].items() if k.startswith("FIELD")}
    )
    from chalice import Chalice, Response

    import app as glance_app

    handler, context = glance_app.app, Context()
    page_event, api_event = proxy_event("/"), proxy_event("/api/latest")
    emu.clear_requests()
    with contextlib.redirect_stdout(io.StringIO()):
        first = handler(page_event, context)
        api = handler(api_event, context)
        for _ in range(8):
            handler(page_event, context)
    row("upstream calls for 10 quick views", str(len(emu.requests)), "1")
    html = first["body"].encode()
    row("page HTML, raw", f"{len(html):,} B")
    row("page HTML, gzipped (level 6)", f"{len(gzip.compress(html, 6)):,} B",
        f"<= {BUDGET_GZIP_BYTES:,} B")  # fmt: skip
    row("/api/latest JSON, gzipped", f"{len(gzip.compress(api['body'].encode(), 6)):,} B")

    etag = first["headers"]["ETag"]
    conditional = proxy_event("/api/latest", {"If-None-Match": etag.replace("page", "api")})
    with contextlib.redirect_stdout(io.StringIO()):
        status = handler(conditional, context)["statusCode"]
    row("poll with If-None-Match, nothing new", f"HTTP {status}", "304")

    hello = Chalice(app_name="hello")
    body, headers = first["body"], dict(first["headers"])

    @hello.route("/")
    def index() -> Response:
        return Response(body=body, headers=headers)

    ours = per_call_us(lambda: handler(page_event, context))
    baseline = per_call_us(lambda: hello(page_event, context))
    row("cache-hit view of / (in-process handler)", f"{ours:.0f} µs")
    row("hello-world Chalice route, same bytes", f"{baseline:.0f} µs")
    row("cache-hit cost ratio (ours / hello world)", f"{ours / baseline:.2f}x", "about 1x")


def import_ms(code: str, runs: int = 7) -> float:
    # Byte-compiled like the installed libraries are, so both sides are measured alike.
    env = {**os.environ, "THINGSPEAK_CHANNEL_ID": "12397"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def cold_start() -> None:
    interpreter = import_ms("pass")
    libraries = import_ms("import requests, jinja2, chalice") - interpreter
    ours = import_ms("import app") - interpreter
    subprocess.run(
        [sys.executable, "-c", "import app, sys; assert 'boto3' not in sys.modules"],
        cwd=ROOT, env={**os.environ, "THINGSPEAK_CHANNEL_ID": "12397"}, check=True,
    )  # fmt: skip
    row("import requests, jinja2, chalice", f"{libraries:.0f} ms")
    row("import app (settings, templates, assets)", f"{ours:.0f} ms")
    row("cold-start ratio (app / its libraries)", f"{ours / libraries:.2f}x", "little over 1x")
    row("boto3 imported without SSM configured", "no", "no")


def browser_figures(emu: Emulator) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import ARTIFACTS, CHROMIUM, FLAGS, PHONE, run_lighthouse

    with serve(emu.url) as local:
        url = local.url + "/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_context(**PHONE).new_page()
            origins: list[str] = []
            page.on("request", lambda r: origins.append(r.url))
            page.goto(url, wait_until="networkidle")
            browser.close()
        others = [u for u in origins if not u.startswith(url)]
        row("requests the page makes", str(len(origins)))
        row("requests to other origins", str(len(others)), "0")
        scores = run_lighthouse(url, ARTIFACTS / "lighthouse.json")
        for name in ("performance", "accessibility", "best-practices", "seo"):
            row(f"Lighthouse {name} (mobile)", str(scores[name]), "100")


def main() -> None:
    print("ThingSpeak Glance benchmark (figures, not pass/fail)\n")
    print(f"  {'what':<46} {'figure':>16}  budget")
    with Emulator() as emu:
        page_and_cache(emu)
        cold_start()
        browser_figures(emu)


if __name__ == "__main__":
    main()
