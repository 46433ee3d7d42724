"""The web app manifest and icons: what "Add to Home Screen" needs, read once."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.render import TEMPLATES_DIR

ICONS = TEMPLATES_DIR / "icons"
THEME = "#0b6e4f"


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: str
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha256(self.body).hexdigest()[:16]
        object.__setattr__(self, "etag", f'"{digest}"')


def _manifest() -> bytes:
    manifest = {
        "name": "ThingSpeak Glance",
        "short_name": "Glance",
        "description": "The latest reading of a ThingSpeak channel, at a glance.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f7f7f5",
        "theme_color": THEME,
        "icons": [
            {"src": "/icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": "/icon-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return json.dumps(manifest, separators=(",", ":")).encode()


def load(directory: Path = ICONS) -> dict[str, StaticFile]:
    files = {"/manifest.webmanifest": StaticFile(_manifest(), "application/manifest+json")}
    files["/robots.txt"] = StaticFile(b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
    files["/icon.svg"] = StaticFile((directory / "icon.svg").read_bytes(), "image/svg+xml")
    for name in ("icon-192.png", "icon-512.png", "apple-touch-icon.png"):
        files[f"/{name}"] = StaticFile((directory / name).read_bytes(), "image/png")
    return files
