"""One way to start a server for a test: on 127.0.0.1, on a free port, answering before
the test goes on (within a bounded time), and stopped when the test is done.

    with loopback(Emulator(), lambda emu: emu.url) as emu: ...
    with loopback(serve(emu.url), lambda local: local.url) as local: ...

Every server the tests start goes through here: the emulator, the push service stand-in,
`chalice local` and moto's server.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import urlsplit

# How long a server may take to answer after it starts: generous, so that a busy machine
# (two cores, other test runs) never fails a test here; a healthy start takes milliseconds
# for the in-process servers and about a second for `chalice local` or moto.
START_SECONDS = 60.0


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_answers(
    url: str,
    seconds: float = START_SECONDS,
    alive: Callable[[], str | None] = lambda: None,
) -> None:
    """Return once something accepts connections at `url`'s host and port. `alive` says
    why the server can no longer answer (it exited), so a dead one fails at once."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    deadline = time.monotonic() + seconds
    while True:
        gone = alive()
        if gone is not None:
            raise RuntimeError(f"the server for {url} is gone: {gone}")
        try:
            socket.create_connection(address, timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answers at {url} after {seconds} s") from None
            time.sleep(0.02)


@contextmanager
def loopback[T](
    server: AbstractContextManager[T], url_of: Callable[[T], str], probe: bool = True
) -> Iterator[T]:
    """Enter `server` (which starts it), wait until it answers, yield it; on the way out
    its own exit stops it, whatever the test did. probe=False for a server that listens
    from its constructor on and counts connections (the push service): a probe would be
    one, and its socket takes connections before the thread serving them even runs."""
    with server as running:
        if probe:
            wait_until_answers(url_of(running))
        yield running
