"""A bounded load test on loopback: `chalice local` on the emulator, a fixed number of
requests at a fixed concurrency, then a table. It ends by itself (hard time cap).

    python scripts/loadtest.py [--requests 2000] [--concurrency 8] [--cache-ttl 1]

Half the requests ask for `/` (the demo's overview: every channel), half for
`/api/latest` (the first dashboard). The table gives errors (anything but a 200, or no
answer), latency percentiles, throughput, the upstream calls the emulator saw for the
busiest channel against the cache windows that passed, and the server's memory (VmRSS of the
`chalice local` process) at start, middle and end. `tests/web/test_load.py` runs it small.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cache-ttl", type=float, default=1.0)
    parser.add_argument("--time-cap", type=float, default=TIME_CAP_SECONDS, help="seconds")
    args = parser.parse_args()
    result = run(args.requests, args.concurrency, args.cache_ttl, args.time_cap)
    print(f"Load test: chalice local on the emulator, concurrency {args.concurrency}")
    print(result.table())
    if result.errors or result.requests < args.requests:
        sys.exit(1)


if __name__ == "__main__":
    main()
