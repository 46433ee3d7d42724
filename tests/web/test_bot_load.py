"""Issue #17: scripts/loadtest.py's bot mode, run small: every route group asked for on
loopback, bounded by its count and its time cap, and a table with the figures the issue
asks for (requests served, upstream calls per channel per window, CPU per request by
route, the server's memory)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest

from chalicelib.config.loader import load_config
from emulator import Emulator
from scripts import local_app
from scripts.loadtest import BOT_ROUTES, REQUEST_TIMEOUT, bot_on
from scripts.local_app import LocalApp, serve

pytestmark = pytest.mark.slow
TTL = 1.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, LocalApp]]:
    """`chalice local` on the demo dashboards without the private greenhouse: the bot's
    unknown paths are our 404s only on a site with no private dashboard (with one, an
    anonymous visitor is asked to sign in for any name the site does not show)."""
    project = tmp_path_factory.mktemp("public-demo") / "project"
    ignore = shutil.ignore_patterns(*local_app.NOT_SHIPPED)
    shutil.copytree(local_app.ROOT, project, symlinks=True, ignore=ignore)
    demo = project / "chalicelib" / "dashboards.toml"
    text = demo.read_text(encoding="utf-8")
    demo.write_text(text[: text.index('[[dashboard]]\nname = "greenhouse"')], encoding="utf-8")
    config = load_config({"GLANCE_CONFIG": "chalicelib/dashboards.toml"}, root=project)
    assert [d.name for d in config.dashboards] == ["weather", "balcony"]
    assert not config.has_private
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local_app, "ROOT", project)  # serve() copies this tree
        with Emulator() as emu, serve(emu.url, CACHE_TTL_SECONDS=str(TTL)) as local:
            yield emu, local


def test_bot_mode_asks_every_route_and_reports_its_figures(served) -> None:
    emu, local = served
    per_group = 24

    found = bot_on(local.url, emu, local.pid, per_group, concurrency=4, cache_ttl=TTL, time_cap=90)
    table = found.table()
    print("\n" + table)

    warm_up = sum(len(paths) for paths in BOT_ROUTES.values())
    assert found.served + found.failed == warm_up + per_group * len(BOT_ROUTES)
    # Every answer is the route's own: none failed, but for a long range whose first read
    # of ThingSpeak ran past the deadline on a busy machine (504, the app's clear answer
    # for a slow upstream, never a 500).
    slow_upstream = [f for f in found.failures if f.endswith(" 504") and "range=" in f]
    assert list(found.failures) == slow_upstream, found.failures
    assert found.requests_by_group == {group: per_group for group in BOT_ROUTES}
    assert set(found.cpu_ms) == set(BOT_ROUTES) and all(ms >= 0 for ms in found.cpu_ms.values())
    # Both channels' newest entries at most once per cache window, whatever the bot asks.
    feeds = {k: v for k, v in found.upstream.items() if k.endswith(" feed")}
    assert set(feeds) == {"12397 feed", "1014 feed"}
    assert all(calls <= found.windows + 1 for calls in feeds.values()), (feeds, found.windows)
    assert found.rss_kb[0] > 0 and found.rss_kb[1] > 0
    for words in ("requests served", "upstream calls, channel 12397 feed", "CPU per request, csv"):
        assert words in table
    assert "server RSS start / end" in table


def test_bot_mode_stops_at_its_time_cap_and_asks_only_loopback(served) -> None:
    emu, local = served
    started = time.monotonic()

    found = bot_on(local.url, emu, local.pid, 10_000, concurrency=4, cache_ttl=TTL, time_cap=1.0)

    assert time.monotonic() - started < 1.0 + 2 * REQUEST_TIMEOUT
    assert found.served + found.failed < 10_000 * len(BOT_ROUTES)
    with pytest.raises(SystemExit, match="loopback only"):
        bot_on("http://example.com", emu, local.pid, 1, 1, TTL, 1.0)
