"""Draw the PNG app icons (the shapes of templates/icons/icon.svg) with the stdlib alone.

Run once after changing the design: `python scripts/make_icons.py`. The PNGs are checked
in, so neither Lambda nor the tests need an image library.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "templates" / "icons"
GREEN = (0x0B, 0x6E, 0x4F)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 3  # per axis, for anti-aliased edges


def _inside(x: float, y: float) -> bool:
    """Is the point (in the SVG's 512-unit space) white?"""
    dx, dy = x - 256, y - 272
    r = math.hypot(dx, dy)
    if abs(r - 132) <= 18 or r <= 30:
        return True
    # The needle: a round-capped segment from the centre to (340, 176), 32 wide.
    ax, ay, bx, by = 256.0, 272.0, 340.0, 176.0
    t = max(
        0.0,
        min(1.0, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
    )
    return math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay))) <= 16


def draw(size: int) -> bytes:
    scale = 512 / size
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            hits = sum(
                _inside((px + (i + 0.5) / SAMPLES) * scale, (py + (j + 0.5) / SAMPLES) * scale)
                for i in range(SAMPLES)
                for j in range(SAMPLES)
            )
            a = hits / SAMPLES**2
            row.extend(round(g + (w - g) * a) for g, w in zip(GREEN, WHITE, strict=True))
        rows.append(bytes(row))
    return _png(size, b"".join(rows))


def _png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for name, size in (("icon-192.png", 192), ("icon-512.png", 512), ("apple-touch-icon.png", 180)):
        (ICONS / name).write_bytes(draw(size))
        print(f"wrote {ICONS / name} ({size}x{size})")
