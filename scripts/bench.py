"""`make bench`: the page's speed and size figures, as ratios measured in one run.

The view that matters is the first one on a cold container: a fresh interpreter that
imports the app and serves one request through the Lambda handler. Each cold figure is
the median of RUNS fresh interpreters, the scenarios interleaved so that whatever else the
machine does weighs on all of them alike; wall time from outside the process, CPU time
(user + system) of the whole process, interpreter start-up included on every side. The
emulator runs in a process of its own, so its work is in the wall time only, as
ThingSpeak's would be. Budgets (issue 11): the cold dashboard within 1.5x the floor (wall
and CPU), a cold overview of four busy dashboards within 2x a cold dashboard, a warm
cache hit within 3x a hello-world Chalice view of the same bytes; the page at most 14 KB
gzipped. Figures, not pass/fail: a shared 2-core machine varies from run to run.

The cold dashboard is also measured from the Lambda package: `python -m deploy.build` and
`chalice package --stage prod` in the copy, deployment.zip unpacked and made read-only,
each view run there with `python -B -I -S` (only the package and the standard library on
the path, nothing written), as built and with its byte code removed (a bare `chalice
package`, what Lambda ran before issue 16).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import resource
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator import BUSY_CHANNEL_IDS, PRIVATE_READ_KEY  # noqa: E402
from scripts.local_app import (  # noqa: E402
    NOT_SHIPPED,
    free_port,
    proxy_event,
    serve,
    wait_until_up,
    without_app_settings,
)

RUNS = 11
LIGHTHOUSE_RUNS = 3
BUDGET_GZIP_BYTES = 14 * 1024
# A Lambda function gets a whole vCPU at 1,769 MB and a share in proportion below it.
FULL_VCPU_MB = 1769
BUSY = BUSY_CHANNEL_IDS[0]


def row(what: str, figure: str, budget: str = "") -> None:
    print(f"  {what:<52} {figure:>20}  {budget}", flush=True)


def heading(text: str) -> None:
    print(f"\n{text}", flush=True)


@contextlib.contextmanager
def emulator_process() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up("127.0.0.1", port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


DASHBOARD_FILES = {
    # Every field of the busy channel shown: 8 sparklines over 5,760 entries.
    "bench-one.toml": '[[dashboard]]\nname = "busy"\nchannel = {0}\n',
    # The same dashboard, private: seen through a signed-in phone's session cookie.
    "bench-private.toml": '[[dashboard]]\nname = "busy"\nchannel = {0}\npublic = false\n',
    "bench-four.toml": "".join(
        f'[[dashboard]]\nname = "busy{i}"\nchannel = {channel}\n'
        for i, channel in enumerate(BUSY_CHANNEL_IDS, start=1)
    ),
}


@contextlib.contextmanager
def project_copy() -> Iterator[Path]:
    """The project as it ships, with the benchmark's dashboards files beside the demo's."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(ROOT, project, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
        for name, text in DASHBOARD_FILES.items():
            (project / "chalicelib" / name).write_text(text.format(BUSY), encoding="utf-8")
        yield project


def child_env(url: str, dashboards: str | None) -> dict[str, str]:
    env = without_app_settings(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte-compiled, like the libraries
    # As Lambda runs the web function: its handler named, so the site prefetches.
    env.update(THINGSPEAK_URL=url, CACHE_TTL_SECONDS="3600", _HANDLER="app.app")
    if dashboards:
        env["GLANCE_CONFIG"] = f"chalicelib/{dashboards}"
    return env


def signed_in_env(project: Path, url: str) -> dict[str, str]:
    """The private dashboard's settings, and the session cookie of a phone that signed in
    today (no store read due), as coldview.py sends it (COLDVIEW_COOKIE)."""
    from chalicelib.access.session import COOKIE, Session, encode, passkey_id
    from chalicelib.access.sqlite_store import SqliteAccessStore
    from chalicelib.access.store import Passkey

    database = project / "bench-access.sqlite3"
    store = SqliteAccessStore(str(database))
    pid, now = passkey_id(b"bench"), int(time.time())
    store.add_passkey(Passkey(pid, b"bench", "bench", None, now, now))
    cookie = encode(Session(pid, "*", now), store.session_secret())
    env = child_env(url, "bench-private.toml")
    env.update(ACCESS_DB=str(database), SITE_URL="https://weather.example.com")
    env["COLDVIEW_COOKIE"] = f"{COOKIE}={cookie}"
    return env


def run_quietly(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed:\n{done.stdout}{done.stderr}")


def read_only(tree: Path) -> None:
    for path in [*tree.rglob("*"), tree]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@contextlib.contextmanager
def lambda_packages(project: Path) -> Iterator[tuple[Path, Path, int]]:
    """The prod package as built (deploy.build, chalice package), unpacked read-only, and
    the same without its byte code (what a bare `chalice package` ships); the zip's size."""
    env = {**without_app_settings(os.environ), "AWS_DEFAULT_REGION": "eu-west-1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    bin_dir = Path(sys.executable).parent
    run_quietly([sys.executable, "-m", "deploy.build", "--stage", "prod"], project, env)
    with tempfile.TemporaryDirectory() as tmp:
        out, built, bare = Path(tmp) / "out", Path(tmp) / "built", Path(tmp) / "bare"
        run_quietly(
            [str(bin_dir / "chalice"), "package", "--stage", "prod", str(out)], project, env
        )
        with zipfile.ZipFile(out / "deployment.zip") as archive:
            archive.extractall(built)
            archive.extractall(bare)
        for cache in list(bare.rglob("__pycache__")):
            shutil.rmtree(cache)
        read_only(built)
        read_only(bare)
        try:
            yield built, bare, (out / "deployment.zip").stat().st_size
        finally:
            for tree in (built, bare):
                for path in [tree, *tree.rglob("*")]:
                    if not path.is_symlink():
                        path.chmod(path.stat().st_mode | stat.S_IWUSR)


# name, coldview's arguments, environment, and the unpacked package to run in (None:
# the checkout, byte code written and reused as a developer's interpreter does)
Scenario = tuple[str, list[str], dict[str, str], Path | None]


def cold_run(
    project: Path, args: list[str], env: dict[str, str], package: Path | None = None
) -> dict[str, Any]:
    script = str(project / "scripts" / "coldview.py")
    argv = [sys.executable, script] if package is None else [sys.executable, "-B", "-I", "-S"]
    if package is not None:
        argv.append(script)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [*argv, *args],
        cwd=package or project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return {"wall_ms": wall, "cpu_ms": cpu, "inside": json.loads(done.stdout)}


def interleaved(project: Path, scenarios: list[Scenario]) -> dict[str, list[dict[str, Any]]]:
    for _, args, env, package in scenarios:  # compile the byte code, fill the emulator's caches
        cold_run(project, args, env, package)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _, _ in scenarios}
    for _ in range(RUNS):
        for name, args, env, package in scenarios:
            results[name].append(cold_run(project, args, env, package))
    return results


def median(runs: list[dict[str, Any]], get: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(get(run) for run in runs)


def per_round(runs: dict[str, list[dict[str, Any]]], top: str, bottom: str) -> str:
    """The ratio within each round, where the two ran seconds apart: median (quartiles),
    wall / CPU. One process here takes up to a fourth longer than the same one a minute
    later; the ratio of medians carries that drift, the ratios within rounds cancel it."""
    figures = []
    for kind in ("wall_ms", "cpu_ms"):
        ratios = [a[kind] / b[kind] for a, b in zip(runs[top], runs[bottom], strict=True)]
        q1, mid, q3 = statistics.quantiles(ratios, n=4)
        figures.append(f"{mid:.2f}x ({q1:.2f}-{q3:.2f})")
    return " / ".join(figures)


def cold_views(project: Path, url: str) -> dict[str, float]:
    heading("Building the Lambda package (deploy.build, chalice package --stage prod)")
    with lambda_packages(project) as (built, bare, zip_bytes):
        row("deployment.zip, with byte code", f"{zip_bytes / 1024 / 1024:.1f} MB")
        return cold_views_with(project, url, built, bare)


def cold_views_with(project: Path, url: str, built: Path, bare: Path) -> dict[str, float]:
    heading(f"Cold first view: fresh interpreters, medians of {RUNS}, interleaved")
    one, four = child_env(url, "bench-one.toml"), child_env(url, "bench-four.toml")
    floor = ["floor", url, str(BUSY)]
    scenarios: list[Scenario] = [
        ("floor", floor, child_env(url, None), None),
        ("dashboard", ["view", "/d/busy"], one, None),
        ("private dashboard", ["view", "/d/busy"], signed_in_env(project, url), None),
        ("overview of 4", ["view", "/"], four, None),
        ("overview JSON, 1 channel", ["view", "/api/dashboards"], one, None),
        ("overview JSON, 4 channels", ["view", "/api/dashboards"], four, None),
        ("pieces", ["pieces", "/d/busy"], one, None),
        ("package floor", floor, child_env(url, None), built),
        ("package dashboard", ["view", "/d/busy"], one, built),
        ("bare package dashboard", ["view", "/d/busy"], one, bare),
    ]
    runs = interleaved(project, scenarios)
    figure: dict[str, float] = {}
    for name in runs:
        for kind in ("wall_ms", "cpu_ms"):
            figure[f"{name} {kind}"] = median(runs[name], lambda r, k=kind: float(r[k]))
    floor_wall, floor_cpu = figure["floor wall_ms"], figure["floor cpu_ms"]
    dash_wall, dash_cpu = figure["dashboard wall_ms"], figure["dashboard cpu_ms"]
    row(
        "floor: requests+jinja2+chalice, 20 entries, 1 value",
        f"{floor_wall:.0f} / {floor_cpu:.0f} ms",
    )
    row(
        "busy dashboard (8 fields, 5,760 entries), wall / CPU",
        f"{dash_wall:.0f} / {dash_cpu:.0f} ms",
    )
    row(
        "  ratio to the floor, wall / CPU",
        f"{dash_wall / floor_wall:.2f}x / {dash_cpu / floor_cpu:.2f}x",
        "<= 1.5x",
    )
    row("  within each round: median (quartiles)", per_round(runs, "dashboard", "floor"))
    private_wall, private_cpu = (
        figure["private dashboard wall_ms"],
        figure["private dashboard cpu_ms"],
    )
    row(
        "the same dashboard private, signed in, wall / CPU",
        f"{private_wall:.0f} / {private_cpu:.0f} ms",
    )
    row(
        "  ratio to the public one, wall / CPU",
        f"{private_wall / dash_wall:.2f}x / {private_cpu / dash_cpu:.2f}x",
        "<= 1.1x",
    )
    for name, what in (
        ("package dashboard", "from the package as built (-B -I -S, read-only)"),
        ("bare package dashboard", "from a bare chalice package (no byte code)"),
    ):
        wall, cpu = figure[f"{name} wall_ms"], figure[f"{name} cpu_ms"]
        row(f"busy dashboard {what}"[:52], f"{wall:.0f} / {cpu:.0f} ms")
        row(
            "  ratio to the floor, wall / CPU",
            f"{wall / floor_wall:.2f}x / {cpu / floor_cpu:.2f}x",
            "<= 1.5x" if name == "package dashboard" else "",
        )
        row("  within each round: median (quartiles)", per_round(runs, name, "floor"))
    package_wall, package_cpu = figure["package floor wall_ms"], figure["package floor cpu_ms"]
    row(
        "floor from the package (-B -I -S), wall / CPU",
        f"{package_wall:.0f} / {package_cpu:.0f} ms",
    )
    row(
        "  package dashboard to package floor, wall / CPU",
        f"{figure['package dashboard wall_ms'] / package_wall:.2f}x / "
        f"{figure['package dashboard cpu_ms'] / package_cpu:.2f}x",
    )
    over_wall, over_cpu = figure["overview of 4 wall_ms"], figure["overview of 4 cpu_ms"]
    row("overview of 4 busy dashboards, wall / CPU", f"{over_wall:.0f} / {over_cpu:.0f} ms")
    row(
        "  ratio to the busy dashboard, wall / CPU",
        f"{over_wall / dash_wall:.2f}x / {over_cpu / dash_cpu:.2f}x",
        "<= 2x",
    )
    one_w, four_w = (
        figure["overview JSON, 1 channel wall_ms"],
        figure["overview JSON, 4 channels wall_ms"],
    )
    row("cold /api/dashboards, 1 vs 4 channels (wall)", f"{one_w:.0f} vs {four_w:.0f} ms")

    heading("The busy dashboard's cold view in pieces (in-process, medians)")
    for piece in ("import", "fetch_parse", "view_model", "render", "total"):
        wall = median(runs["pieces"], lambda r, p=piece: float(r["inside"][p]["wall_ms"]))
        cpu = median(runs["pieces"], lambda r, p=piece: float(r["inside"][p]["cpu_ms"]))
        row(
            f"{piece.replace('_', ' + ' if piece == 'fetch_parse' else ' ')}, wall / CPU",
            f"{wall:.0f} / {cpu:.0f} ms",
        )
    entries = runs["pieces"][0]["inside"]["entries"]
    row("entries fetched and parsed", f"{entries:,}")
    page = runs["dashboard"][0]["inside"]["gzip"]
    row("the busy dashboard's page, gzipped", f"{page:,} B", f"<= {BUDGET_GZIP_BYTES:,} B")

    heading("Estimated cold view on Lambda (CPU share by memory, plus the waiting)")
    waiting = max(0.0, dash_wall - dash_cpu)
    for memory in (256, 512, 1024, FULL_VCPU_MB):
        estimate = dash_cpu * max(1.0, FULL_VCPU_MB / memory) + waiting
        row(f"{memory} MB", f"{estimate:.0f} ms")
    return figure


class Context:
    aws_request_id = "bench"
    function_name = "bench"
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        return 15000


def per_call_us(*calls: Callable[[], object], number: int = 2000, repeat: int = 9) -> list[float]:
    """Each call's best time per call, the calls taking turns (as the cold views do), so
    that a slow spell of this machine weighs on all of them alike."""
    best = [float("inf")] * len(calls)
    with contextlib.redirect_stdout(io.StringIO()):  # the access log line per request
        for _ in range(repeat):
            for n, call in enumerate(calls):
                started = time.perf_counter()
                for _ in range(number):
                    call()
                best[n] = min(best[n], (time.perf_counter() - started) / number)
    return [b * 1e6 for b in best]


def gz(text: str) -> int:
    return len(gzip.compress(text.encode(), 6))


def warm_figures(url: str) -> None:
    """In this process: the demo site's pages, sizes, caching and the warm cache hit."""
    heading("Warm container (in-process handler, the demo dashboards file)")
    for name in set(os.environ) - set(without_app_settings(os.environ)):
        del os.environ[name]
    os.environ.update(
        THINGSPEAK_URL=url,
        GLANCE_CONFIG="chalicelib/dashboards.toml",
        CACHE_TTL_SECONDS="3600",
        GREENHOUSE_READ_KEY=PRIVATE_READ_KEY,  # the demo's private dashboard
    )
    from chalice.app import Chalice, Response

    import app as glance_app

    handler, context = glance_app.app, Context()

    def get(
        path: str, resource: str | None = None, query: dict[str, str] | None = None, **headers: str
    ) -> dict[str, Any]:
        event = proxy_event(path, headers, resource)
        if query:
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
        with contextlib.redirect_stdout(io.StringIO()):
            answer: dict[str, Any] = handler(event, context)
        return answer

    page = get("/d/weather", "/d/{name}")
    overview = get("/")
    api = get("/api/d/weather", "/api/d/{name}")
    row(
        "dashboard /d/weather (6 fields), gzipped",
        f"{gz(page['body']):,} B",
        f"<= {BUDGET_GZIP_BYTES:,} B",
    )
    row(
        "overview / (demo dashboards), gzipped",
        f"{gz(overview['body']):,} B",
        f"<= {BUDGET_GZIP_BYTES:,} B",
    )
    row("/api/d/weather JSON, gzipped", f"{gz(api['body']):,} B")
    for span in ("24h", "7d", "30d"):
        field = get("/d/weather/field/4", "/d/{name}/field/{field}", {"range": span})
        row(
            f"field page /d/weather/field/4?range={span}, gzipped",
            f"{gz(field['body']):,} B",
            f"<= {BUDGET_GZIP_BYTES:,} B",
        )
    etag = api["headers"]["ETag"]
    status = get("/api/d/weather", "/api/d/{name}", **{"If-None-Match": etag})["statusCode"]
    row("poll with If-None-Match, nothing new", f"HTTP {status}", "304")

    hello = Chalice(app_name="hello")
    body, headers = page["body"], dict(page["headers"])

    @hello.route("/")
    def index() -> Response:
        return Response(body=body, headers=headers)

    page_event, hello_event = proxy_event("/d/weather", None, "/d/{name}"), proxy_event("/")
    ours, baseline = per_call_us(
        lambda: handler(page_event, context), lambda: hello(hello_event, context)
    )
    row("cache-hit view of /d/weather", f"{ours:.0f} µs")
    row("hello-world Chalice route, same bytes", f"{baseline:.0f} µs")
    row("cache-hit ratio (ours / hello world)", f"{ours / baseline:.2f}x", "<= 3x")


def upstream_calls() -> None:
    """Upstream calls for 10 quick views, counted by the emulator in this process."""
    from emulator import Emulator

    with Emulator() as emu, serve(emu.url) as local:
        import requests

        emu.clear_requests()
        for _ in range(10):
            requests.get(local.url + "/", timeout=10)
        channels = {r.path for r in emu.requests}
        row(
            "upstream calls for 10 overview views (demo)",
            f"{len(emu.requests)} for {len(channels)} channels",
            "1 per channel",
        )


def bot_figures() -> None:
    """scripts/loadtest.py's bot mode, small: every route, as a bot asks for it."""
    from scripts.loadtest import bot

    heading("Bot mode (scripts/loadtest.py --bot): 60 requests a route group, 8 clients")
    found = bot(per_group=60, concurrency=8, cache_ttl=1.0, time_cap=120)
    row("requests served (failed)", f"{found.served} ({found.failed})", "0 failed")
    for channel, calls in sorted(found.upstream.items()):
        row(f"upstream calls, channel {channel}", f"{calls} / {found.windows} windows", "")
    for group, ms in found.cpu_ms.items():
        row(f"server CPU per request, {group}", f"{ms:.2f} ms", "")
    row("server RSS start / end", " / ".join(f"{kb / 1024:.1f}" for kb in found.rss_kb) + " MB")


def browser_figures(url: str) -> None:
    import requests
    from playwright.sync_api import sync_playwright

    from tests.support.browser import ARTIFACTS, CHROMIUM, FLAGS, PHONE, run_lighthouse

    heading("In Chromium (phone size) and Lighthouse (mobile)")
    with serve(url) as local:
        signin = requests.get(local.url + "/signin", timeout=30).text
        row("/signin, gzipped", f"{gz(signin):,} B", f"<= {BUDGET_GZIP_BYTES:,} B")
        for path in ("/", "/d/weather", "/d/weather/field/4?range=7d", "/signin"):
            page_url = local.url + path
            # Lighthouse scores the page in the browser, warm on the server like the others
            # (a 7-day page's first view also reads ThingSpeak's averages: the cold-view
            # figures above are where server time is measured).
            requests.get(page_url, timeout=60)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_context(**PHONE).new_page()
                origins: list[str] = []
                page.on("request", lambda r, seen=origins: seen.append(r.url))
                page.goto(page_url, wait_until="networkidle")
                browser.close()
            others = [u for u in origins if not u.startswith(local.url)]
            row(f"{path}: requests, to other origins", f"{len(origins)}, {len(others)}", "0 others")
            names = {"/": "overview", "/d/weather": "dashboard", "/signin": "signin"}
            name = names.get(path, "field")
            # One Lighthouse run's performance varies by several points on a 2-core machine
            # (its simulated throttling multiplies every main-thread task by four): the
            # median of LIGHTHOUSE_RUNS, as Lighthouse's own guide to variability advises.
            runs = [
                run_lighthouse(page_url, ARTIFACTS / f"lighthouse-bench-{name}-{n}.json")
                for n in range(1, LIGHTHOUSE_RUNS + 1)
            ]
            for category in ("performance", "accessibility", "best-practices", "seo"):
                # /signin asks not to be indexed (noindex), which Lighthouse's SEO counts.
                noindex = path == "/signin" and category == "seo"
                budget = "100 but is-crawlable (noindex)" if noindex else "100"
                each = sorted(scores[category] for scores in runs)
                figure = f"{statistics.median(each):g} ({', '.join(map(str, each))})"
                row(f"{path}: Lighthouse {category}", figure, budget)


def main() -> None:
    cold_only = sys.argv[1:] == ["--cold"]  # only the cold first views (no browser)
    print("ThingSpeak Glance benchmark (figures, not pass/fail)")
    print(f"  {'what':<52} {'figure':>20}  budget")
    with emulator_process() as url, project_copy() as project:
        cold_views(project, url)
        if cold_only:
            return
        warm_figures(url)
        upstream_calls()
        bot_figures()
        browser_figures(url)


if __name__ == "__main__":
    main()
