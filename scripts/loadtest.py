"""A bounded load test on loopback: `chalice local` on the emulator, a fixed number of
requests at a fixed concurrency, then a table. It ends by itself (hard time cap).

    python scripts/loadtest.py [--requests 2000] [--concurrency 8] [--cache-ttl 1]

Half the requests ask for `/` (the demo's overview: every channel), half for
`/api/latest` (the first dashboard). The table gives errors (anything but a 200, or no
answer), latency percentiles, throughput, the upstream calls the emulator saw for the
busiest channel against the cache windows that passed, and the server's memory (VmRSS of the
`chalice local` process) at start, middle and end. `tests/web/test_load.py` runs it small.

    python scripts/loadtest.py --bot [--requests 300] [--concurrency 16] [--cache-ttl 1]

Bot mode asks for everything a bot finds, route group by route group: pages, JSON, the
CSV and the field pages at 24h/7d/30d, static files and unknown paths, `--requests` each
from `--concurrency` clients after one warm-up request per path. It prints the requests
served, the upstream calls per channel against the cache windows that passed, the server's
CPU per request by route group (the `chalice local` process's own CPU time over the
group's requests) and its memory. Loopback only; bounded by the count and the time cap.
`make bench` runs it small; `tests/test_harden_bot.py` smaller still.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator import Emulator  # noqa: E402
from scripts.local_app import serve  # noqa: E402

TIME_CAP_SECONDS = 300.0
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Result:
    requests: int  # answered or failed; fewer than asked for only when the cap was hit
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    upstream_calls: int
    cache_windows: int
    rss_kb: tuple[int, int, int]  # start, middle, end

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def table(self) -> str:
        rows = [
            ("requests", f"{self.requests} in {self.seconds:.1f} s"),
            ("errors", f"{self.errors}"),
            ("throughput", f"{self.per_second:.0f} req/s"),
            (
                "latency p50 / p95 / p99",
                f"{self.p50_ms:.1f} / {self.p95_ms:.1f} / {self.p99_ms:.1f} ms",
            ),
            (
                "upstream calls, busiest channel (cache windows)",
                f"{self.upstream_calls} ({self.cache_windows})",
            ),
            (
                "server RSS start / middle / end",
                " / ".join(f"{kb / 1024:.1f}" for kb in self.rss_kb) + " MB",
            ),
        ]
        return "\n".join(f"  {name:<34} {value}" for name, value in rows)


def rss_kb(pid: int) -> int:
    """VmRSS of a process, in kB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run(
    total: int, concurrency: int, cache_ttl: float, time_cap: float = TIME_CAP_SECONDS
) -> Result:
    with Emulator() as emu, serve(emu.url, CACHE_TTL_SECONDS=str(cache_ttl)) as local:
        return _hammer(local.url, emu, local.pid, total, concurrency, cache_ttl, time_cap)


def _hammer(
    base: str,
    emu: Emulator,
    pid: int,
    total: int,
    concurrency: int,
    cache_ttl: float,
    time_cap: float,
) -> Result:
    local = threading.local()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    rss_start = rss_kb(pid)
    rss_middle = 0
    deadline = time.monotonic() + time_cap

    def one(i: int) -> None:
        nonlocal errors, rss_middle
        if time.monotonic() > deadline:
            return  # the cap: the rest are never sent, and `requests` falls short
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        path = "/" if i % 2 == 0 else "/api/latest"
        started = time.perf_counter()
        try:
            ok = session.get(base + path, timeout=REQUEST_TIMEOUT).status_code == 200
        except requests.RequestException:
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            errors += 0 if ok else 1
            if i == total // 2:
                rss_middle = rss_kb(pid)

    emu.clear_requests()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(total)))
    seconds = time.monotonic() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Result(
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p95_ms=quantiles[94],
        p99_ms=quantiles[98],
        # Each channel has its own cache: its own calls count against the windows.
        upstream_calls=max(Counter(r.path for r in emu.requests).values(), default=0),
        cache_windows=int(seconds // cache_ttl) + 1 if cache_ttl else len(latencies),
        rss_kb=(rss_start, rss_middle, rss_kb(pid)),
    )


# --- bot mode ------------------------------------------------------------------------------

RANGES = ("24h", "7d", "30d")
# What a bot asks for, by route group, on the local stage's dashboards (weather, balcony).
BOT_ROUTES: dict[str, tuple[str, ...]] = {
    "pages": ("/", "/d/weather", "/d/balcony"),
    "json": ("/api/latest", "/api/d/weather", "/api/d/balcony", "/api/dashboards"),
    "csv": tuple(
        f"/d/{d}/field/{n}.csv?range={r}"
        for d, n in (("weather", 4), ("balcony", 1))
        for r in RANGES
    ),
    "field pages": tuple(f"/d/weather/field/4?range={r}" for r in RANGES)
    + tuple(f"/api/d/balcony/field/1?range={r}" for r in RANGES),
    "static": ("/manifest.webmanifest", "/robots.txt", "/icon-192.png", "/sw.js", "/bell.js"),
    "unknown": ("/wp-login.php", "/.env", "/d/nope", "/d/weather/field/9", "/api/d/x/field/1"),
}
# A bot takes any answer; these are the ones each group should give.
# An unknown name is a 404; on a site with private dashboards, a visitor without a session
# gets what a private one answers (303 to sign in, or 401): the two look the same.
EXPECTED = {"unknown": {404, 303, 401}}
_CHANNEL = re.compile(r"^/channels/(\d+)/(fields/)?")


@dataclass(frozen=True)
class BotResult:
    served: int  # answered with the expected status
    failed: int  # anything else, or no answer
    seconds: float
    cache_ttl: float
    upstream: dict[str, int]  # "channel kind" (feed, history) -> upstream calls
    cpu_ms: dict[str, float]  # route group -> server CPU per request, ms
    requests_by_group: dict[str, int]
    rss_kb: tuple[int, int]  # start, end
    failures: tuple[str, ...] = ()  # "path status" of what failed

    @property
    def windows(self) -> int:
        return int(self.seconds // self.cache_ttl) + 1 if self.cache_ttl else self.served

    def table(self) -> str:
        rows = [("requests served", f"{self.served} in {self.seconds:.1f} s, {self.failed} failed")]
        rows += [("failed", failure) for failure in self.failures[:5]]
        for channel, calls in sorted(self.upstream.items()):
            rows.append(
                (
                    f"upstream calls, channel {channel}",
                    f"{calls} in {self.windows} windows ({calls / self.windows:.2f} per window)",
                )
            )
        for group, ms in self.cpu_ms.items():
            count = self.requests_by_group[group]
            rows.append((f"CPU per request, {group}", f"{ms:.2f} ms ({count} requests)"))
        rows.append(
            ("server RSS start / end", " / ".join(f"{kb / 1024:.1f}" for kb in self.rss_kb) + " MB")
        )
        return "\n".join(f"  {name:<40} {value}" for name, value in rows)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bot(
    per_group: int, concurrency: int, cache_ttl: float, time_cap: float = TIME_CAP_SECONDS
) -> BotResult:
    with Emulator() as emu, serve(emu.url, CACHE_TTL_SECONDS=str(cache_ttl)) as local:
        return bot_on(local.url, emu, local.pid, per_group, concurrency, cache_ttl, time_cap)


def bot_on(
    base: str,
    emu: Emulator,
    pid: int,
    per_group: int,
    concurrency: int,
    cache_ttl: float,
    time_cap: float = TIME_CAP_SECONDS,
) -> BotResult:
    if not base.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise SystemExit(f"bot mode asks loopback only, not {base}")
    local = threading.local()
    lock = threading.Lock()
    tally = Counter[str]()
    failures: list[str] = []
    deadline = time.monotonic() + time_cap

    def get(group: str, path: str) -> None:
        if time.monotonic() > deadline:
            return  # the cap: the rest are never sent
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        accept = {"Accept": "image/png"} if path.endswith(".png") else {}
        try:
            status = session.get(
                base + path, headers=accept, timeout=REQUEST_TIMEOUT, allow_redirects=False
            ).status_code
            ok, said = status in EXPECTED.get(group, {200}), str(status)
        except requests.RequestException as exc:
            ok, said = False, type(exc).__name__
        with lock:
            tally["served" if ok else "failed"] += 1
            if not ok:
                failures.append(f"{path} {said}")

    emu.clear_requests()
    rss_start = rss_kb(pid)
    started = time.monotonic()
    cpu_ms: dict[str, float] = {}
    counts: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        # One of each first: what a bot's first pass costs (upstream reads, first builds).
        list(pool.map(lambda gp: get(*gp), [(g, p) for g, ps in BOT_ROUTES.items() for p in ps]))
        for group, paths in BOT_ROUTES.items():
            asked = [(group, paths[i % len(paths)]) for i in range(per_group)]
            before, served_before = cpu_seconds(pid), sum(tally.values())
            list(pool.map(lambda gp: get(*gp), asked))
            done = sum(tally.values()) - served_before
            counts[group] = done
            cpu_ms[group] = (cpu_seconds(pid) - before) * 1000 / max(done, 1)
    seconds = time.monotonic() - started
    upstream = Counter(
        f"{m[1]} {'history' if m[2] else 'feed'}"
        for r in emu.requests
        if (m := _CHANNEL.match(r.path)) is not None
    )
    return BotResult(
        served=tally["served"],
        failed=tally["failed"],
        seconds=seconds,
        cache_ttl=cache_ttl,
        upstream=dict(upstream),
        cpu_ms=cpu_ms,
        requests_by_group=counts,
        rss_kb=(rss_start, rss_kb(pid)),
        failures=tuple(failures),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=None, help="2000; in bot mode, per group")
    parser.add_argument("--concurrency", type=int, default=None, help="8; in bot mode 16")
    parser.add_argument("--cache-ttl", type=float, default=1.0)
    parser.add_argument("--time-cap", type=float, default=TIME_CAP_SECONDS, help="seconds")
    parser.add_argument("--bot", action="store_true", help="every route, as a bot asks")
    args = parser.parse_args()
    if args.bot:
        found = bot(args.requests or 300, args.concurrency or 16, args.cache_ttl, args.time_cap)
        print(f"Bot mode: chalice local on the emulator, concurrency {args.concurrency or 16}")
        print(found.table())
        sys.exit(1 if found.failed else 0)
    args.requests = args.requests or 2000
    args.concurrency = args.concurrency or 8
    result = run(args.requests, args.concurrency, args.cache_ttl, args.time_cap)
    print(f"Load test: chalice local on the emulator, concurrency {args.concurrency}")
    print(result.table())
    if result.errors or result.requests < args.requests:
        sys.exit(1)


if __name__ == "__main__":
    main()
