"""The web app manifest, icons, service worker and alert bell: what "Add to Home Screen",
offline use and notifications need, read once."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.web.rendering import TEMPLATES_DIR

ICONS = TEMPLATES_DIR / "icons"
THEME = "#0b6e4f"
DAY = "public, max-age=86400"
# Where sw.js takes the build; a changed build is a changed worker, which the browser
# installs in place of the old one (and its cache).
BUILD_MARK = b"__BUILD__"


@dataclass(frozen=True)
class StaticFile:
    """A file served as it is (manifest, icons, service worker), with its ETag."""

    body: bytes
    content_type: str
    cache_control: str = DAY
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


def build_of(directory: Path = TEMPLATES_DIR) -> str:
    """The hash of every template and asset: what a deploy changes about the pages."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def service_worker(directory: Path = TEMPLATES_DIR) -> StaticFile:
    source = (directory / "sw.js").read_bytes()
    body = source.replace(BUILD_MARK, build_of(directory).encode())
    # no-cache: the browser asks again on every check, so a new deploy is picked up at once.
    return StaticFile(body, "text/javascript; charset=utf-8", "no-cache")


def bell(directory: Path = TEMPLATES_DIR) -> StaticFile:
    # A file of its own keeps the page under its size budget; no-cache (revalidated with
    # its ETag) so a deploy's bell and the page that loads it are never out of step.
    body = (directory / "bell.js").read_bytes()
    return StaticFile(body, "text/javascript; charset=utf-8", "no-cache")


def load(directory: Path = ICONS) -> dict[str, StaticFile]:
    files = {"/manifest.webmanifest": StaticFile(_manifest(), "application/manifest+json")}
    files["/robots.txt"] = StaticFile(b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
    files["/sw.js"] = service_worker(directory.parent)
    files["/bell.js"] = bell(directory.parent)
    files["/icon.svg"] = StaticFile((directory / "icon.svg").read_bytes(), "image/svg+xml")
    for name in ("icon-192.png", "icon-512.png", "apple-touch-icon.png"):
        files[f"/{name}"] = StaticFile((directory / name).read_bytes(), "image/png")
    files["/favicon.ico"] = StaticFile(_ico(files["/icon-192.png"].body, 192), "image/x-icon")
    return files


def _ico(png: bytes, size: int) -> bytes:
    """An .ico holding one PNG image (Windows Vista on; every browser): what browsers
    and crawlers ask /favicon.ico for, whatever the page links."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), 22)
    return header + entry + png
