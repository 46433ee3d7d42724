"""Rendering: escaped, readable without script, and allowed by its own CSP."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
from datetime import timedelta

import pytest
from jinja2 import ModuleLoader

from chalicelib.config.model import Dashboard
from chalicelib.display.reading import build_reading
from chalicelib.display.times import humanize_age
from chalicelib.thingspeak.feed import parse_feed
from chalicelib.web.rendering import TEMPLATES_DIR, ErrorView, Renderer
from tests.conftest import ROOT, at, load_fixture


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def page_for(renderer: Renderer, fixture: str, now: str) -> str:
    feed = parse_feed(load_fixture(fixture))
    moment = at(now)
    reading = build_reading(feed, Dashboard("house", feed.channel.id), moment)
    return renderer.page(reading, moment, "/api/d/house", overview_link=False)


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_inline_style_and_script_are_exactly_what_the_csp_allows(renderer):
    page = page_for(renderer, "channel_9.json", "2016-02-09T20:15:00Z")
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    csp = renderer.assets.csp
    assert f"style-src {csp_hash(style)}" in csp
    assert f"script-src {csp_hash(script)}" in csp
    assert "unsafe-inline" not in csp


def test_without_script_the_page_still_says_when_it_was_measured(renderer):
    page = page_for(renderer, "channel_9.json", "2016-02-09T22:15:00Z")
    without_script = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    assert "9 Feb 2016, 20:11 UTC" in without_script
    assert "2 h ago" in without_script
    assert '<time datetime="2016-02-09T20:11:45Z">' in without_script


def test_page_is_a_phone_page_in_english(renderer):
    page = page_for(renderer, "channel_9.json", "2016-02-09T20:15:00Z")
    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1' in page
    assert "<title>213 · my_house</title>" in page


def test_error_pages_escape_their_text_too(renderer):
    page = renderer.error(ErrorView("x", "<i>Title</i>", "<script>alert(1)</script>"))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<i>Title</i>" not in page


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (5, "just now"),
        (60, "1 min ago"),
        (3599, "59 min ago"),
        (3600, "1 h ago"),
        (47 * 3600, "47 h ago"),
        (3 * 86400, "3 days ago"),
    ],
)
def test_age_wording(seconds, words):
    assert humanize_age(timedelta(seconds=seconds)) == words


def test_the_compiled_templates_are_up_to_date():
    """`make templates` after editing a template: the function ships the compiled ones."""
    result = subprocess.run(
        [sys.executable, "scripts/compile_templates.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_page_comes_from_the_compiled_templates_while_they_match_the_sources():
    renderer = Renderer()
    assert isinstance(renderer._env.loader, ModuleLoader)


def test_an_edited_template_is_rendered_from_its_source_never_stale(tmp_path):
    edited = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, edited)
    error = edited / "error.html"
    error.write_text(error.read_text().replace("<h1>", "<h1>Edited: "))
    renderer = Renderer(directory=edited)
    view = ErrorView(code="not_found", title="Gone", message="Nothing here.")
    assert "<h1>Edited: Gone</h1>" in renderer.error(view)
