"""`python -m emulator [--host 127.0.0.1] [--port 8001] [--verbose]`"""

from __future__ import annotations

import argparse
import signal
import threading

from emulator import DEMO_CHANNEL_ID, Emulator


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        emulator = Emulator(args.host, args.port, args.verbose).start()
    except OSError as exc:
        raise SystemExit(
            f"The ThingSpeak emulator cannot listen on {args.host}:{args.port}: {exc}"
        ) from None
    print(f"ThingSpeak emulator on {emulator.url} (demo channel {DEMO_CHANNEL_ID})", flush=True)
    done.wait()
    emulator.stop()


if __name__ == "__main__":
    main()
