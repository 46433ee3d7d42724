"""ETags: what a tag owes to what the response shows, and to the settings it is drawn with.

Both parts are keyed with a secret that lives only in this container (made at start-up,
never sent): a visitor cannot test guesses of a dashboard's hidden settings (an alert
threshold, say) or of what a page leaves out (a hidden field's name in the channel's
metadata) against a tag offline. A new deploy means new containers and so new tags;
another container may tag the same page differently, which costs one 200 instead of a
304, never a wrong page. Static files (static_files.py) are tagged by a hash of their
body alone: everything in it is public.
"""

from __future__ import annotations

import hashlib
import os

_KEY = os.urandom(32)


def settings_tag(build: str, *settings: object) -> str:
    """12 hex digits that change with the code, the templates or any of `settings`."""
    seed = (repr(settings) + build).encode()
    return hashlib.blake2b(seed, key=_KEY, digest_size=6).hexdigest()


def content_tag(*shown: object, size: int = 16) -> str:
    """Hex digits of what a response shows, keyed like the settings part."""
    return hashlib.blake2b(repr(shown).encode(), key=_KEY, digest_size=32).hexdigest()[:size]
