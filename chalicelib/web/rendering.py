"""Jinja2 rendering, with autoescape on for every template.

Channel and field names are whatever the channel owner typed on ThingSpeak, so every
value is escaped. Plain Jinja2 leaves autoescape off unless asked; Flask turned it on
for us, Chalice does not.

The inline CSS and script are read once and hashed here, so the Content-Security-Policy
can allow exactly them and nothing else (no 'unsafe-inline').
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.display.reading import Reading
from chalicelib.display.times import when

if TYPE_CHECKING:
    # Imported where used instead: on a cold start Jinja2 loads while the first read of
    # ThingSpeak is already on its way (see Site.prefetch).
    from jinja2 import BaseLoader, Environment, Template
    from markupsafe import Markup

    from chalicelib.display.card import Card  # the overview's: a dashboard's view never loads it

# The project root locally; the package root in Lambda, where `chalice package` copies
# vendor/templates (a link to templates/) next to app.py.
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
# Made by `make templates`; ships with the function (chalicelib/ does).
COMPILED_DIR = Path(__file__).resolve().parents[1] / "templates_compiled"
DIGEST_FILE = "SOURCES.sha256"


@dataclass(frozen=True)
class Assets:
    """The inline CSS and script, and the CSP that allows exactly them."""

    css: Markup
    js: Markup
    csp: str


@dataclass(frozen=True)
class ErrorView:
    """What an error page says, and where to fix it."""

    code: str
    title: str
    message: str
    fix: str | None = None  # where in this site's configuration to change what


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def minified_name(source: str) -> str:
    """Where `make templates` keeps the minified script made from exactly this source."""
    return f"glance.{hashlib.sha256(source.encode()).hexdigest()[:16]}.min.js"


def script(source: str, compiled: Path = COMPILED_DIR) -> str:
    """The script as every page carries it: minified ahead of time (`make templates`) while
    that was made from this very source; else the source without its comment lines and
    indentation (line breaks stay, so no statement runs into the next), never stale."""
    made = compiled / minified_name(source)
    if made.is_file():
        return made.read_text(encoding="utf-8")
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def _load_assets(directory: Path, alerts: bool = False) -> Assets:
    css = (directory / "glance.css").read_text(encoding="utf-8")
    js = script((directory / "glance.js").read_text(encoding="utf-8"))
    # 'self' only where the bell's /bell.js is loaded: a site without alerts runs no file.
    scripts = f"{_sha256(js)} 'self'" if alerts else _sha256(js)
    csp = "; ".join(
        (
            "default-src 'none'",
            f"style-src {_sha256(css)}",
            f"script-src {scripts}",
            "img-src 'self' data:",
            "manifest-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",  # /sw.js, the offline copy of the pages
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    # Markup: the files are ours and must reach the page byte for byte, or the hash breaks.
    from markupsafe import Markup

    return Assets(css=Markup(css), js=Markup(js), csp=csp)


def environment(directory: Path, loader: BaseLoader | None = None) -> Environment:
    """The one Jinja2 set-up, for rendering and for compiling ahead of time alike."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=loader or FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def sources_digest(directory: Path) -> str:
    # And the Jinja2 that compiles them: another version's output is never used.
    from jinja2 import __version__ as jinja2_version

    digest = hashlib.sha256(b"Jinja2 " + jinja2_version.encode() + b"\0")
    for path in sorted(directory.glob("*.html")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _loader(directory: Path, compiled: Path = COMPILED_DIR) -> BaseLoader:
    """The precompiled templates (scripts/compile_templates.py) while they match the
    sources; the sources themselves otherwise, so an edit is never served stale."""
    from jinja2 import FileSystemLoader, ModuleLoader

    stamp = compiled / DIGEST_FILE
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == sources_digest(directory):
        return ModuleLoader(compiled)
    return FileSystemLoader(directory)


class Renderer:
    def __init__(
        self, directory: Path = TEMPLATES_DIR, refresh_seconds: float = 60, alerts: bool = False
    ) -> None:
        self._env = environment(directory, _loader(directory))
        self.alerts = alerts  # the site has alerts set up: dashboard pages get the bell
        self.assets = _load_assets(directory, alerts)
        self._refresh_seconds = int(refresh_seconds)

    def template(self, name: str) -> Template:
        """A template from this renderer's environment: autoescape, precompiled."""
        return self._env.get_template(name)

    # Each template is loaded when first needed: a cold first view needs only its own.
    @cached_property
    def _page(self) -> Template:
        return self._env.get_template("page.html")

    @cached_property
    def _error(self) -> Template:
        return self._env.get_template("error.html")

    @cached_property
    def _overview(self) -> Template:
        return self._env.get_template("overview.html")

    def page(
        self,
        reading: Reading,
        now: datetime,
        api_path: str,
        overview_link: bool,
        dashboard: str | None = None,
        private: bool = False,
    ) -> str:
        """private: only signed-in people see the page, so it offers to sign out."""
        return self._page.render(
            reading=reading,
            when=when(reading.created_at, now),
            assets=self.assets,
            refresh_seconds=self._refresh_seconds,
            api_path=api_path,
            overview_link=overview_link,
            bell=dashboard if self.alerts else None,
            private=private,
        )

    def overview(
        self, cards: Sequence[Card], now: datetime, access_link: tuple[str, str] | None = None
    ) -> str:
        """access_link: (href, text), "Sign in" where private dashboards exist."""
        return self._overview.render(
            items=[(card, when(card.created_at, now)) for card in cards],
            assets=self.assets,
            refresh_seconds=self._refresh_seconds,
            access_link=access_link,
        )

    def error(self, error: ErrorView) -> str:
        return self._error.render(error=error, assets=self.assets)
