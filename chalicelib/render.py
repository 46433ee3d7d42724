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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from chalicelib.reading import Reading

# The project root locally; the package root in Lambda, where `chalice package` copies
# vendor/templates (a link to templates/) next to app.py.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Assets:
    css: Markup
    js: Markup
    csp: str


@dataclass(frozen=True)
class When:
    text: str  # readable without script; the page's script swaps in local time
    ago: str


@dataclass(frozen=True)
class ErrorView:
    code: str
    title: str
    message: str


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _load_assets(directory: Path) -> Assets:
    css = (directory / "glance.css").read_text(encoding="utf-8")
    js = (directory / "glance.js").read_text(encoding="utf-8")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"style-src {_sha256(css)}",
            f"script-src {_sha256(js)}",
            "img-src 'self' data:",
            "manifest-src 'self'",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    # Markup: the files are ours and must reach the page byte for byte, or the hash breaks.
    return Assets(css=Markup(css), js=Markup(js), csp=csp)


def humanize_age(age: timedelta) -> str:
    """Same wording as the page's script, so the text does not jump when it takes over."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


class Renderer:
    def __init__(self, directory: Path = TEMPLATES_DIR, refresh_seconds: float = 60) -> None:
        self._env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.assets = _load_assets(directory)
        self._refresh_seconds = int(refresh_seconds)
        self._page = self._env.get_template("page.html")
        self._error = self._env.get_template("error.html")

    def page(self, reading: Reading, now: datetime) -> str:
        when = None
        age = reading.age(now)
        if reading.created_at is not None and age is not None:
            when = When(
                text=f"{reading.created_at.day} {reading.created_at:%b %Y, %H:%M} UTC",
                ago=humanize_age(age),
            )
        return self._page.render(
            reading=reading, when=when, assets=self.assets, refresh_seconds=self._refresh_seconds
        )

    def error(self, error: ErrorView) -> str:
        return self._error.render(error=error, assets=self.assets)
