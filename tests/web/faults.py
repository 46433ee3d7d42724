"""Network faults on loopback, between the app and the emulator.

`FaultyLine` is a TCP forwarder on 127.0.0.1 that can be switched, while the app holds a
cached reading, to refuse connections, to accept and never answer, or to let SYNs go
unanswered (a full accept queue: the client's connect times out). `resolver` makes a
host name resolve to loopback or fail like DNS does, without asking any DNS server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

HOST = "thingspeak.test"  # resolved only by the `resolver` fixture below


class FaultyLine:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "forward"
        self.port = 0
        self._listener: socket.socket | None = None
        self._held: list[socket.socket] = []
        self._open: set[socket.socket] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> FaultyLine:
        self._listen()
        return self

    def set(self, mode: str) -> None:
        """forward | refuse | blackhole | no_accept"""
        with self._lock:
            self._close_listener()
            # Kept-alive connections would carry on as if nothing happened.
            for connection in list(self._open):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.mode = mode
            if mode == "refuse":
                return  # nothing listens on the port: connections are refused
            if mode == "no_accept":
                listener = self._bind()
                listener.listen(0)
                # Fill the accept queue; further SYNs are dropped and connect() times out.
                for _ in range(3):
                    filler = socket.socket()
                    filler.setblocking(False)
                    with contextlib.suppress(BlockingIOError):
                        filler.connect(("127.0.0.1", self.port))
                    self._held.append(filler)
                self._listener = listener
                return
        self._listen()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._close_listener()
            for held in self._held:
                held.close()
            self._held.clear()

    def _bind(self) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        return listener

    def _listen(self) -> None:
        listener = self._bind()
        listener.listen(16)
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _close_listener(self) -> None:
        if self._listener is not None:
            # shutdown() first: close() alone leaves the port listening while the accept
            # thread still holds the socket.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by set() or stop()
            if self.mode == "blackhole":
                self._held.append(client)  # accepted, never answered
                continue
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        self._open.add(client)
        with client, socket.create_connection(self.target, timeout=10) as upstream:
            pumps = [
                threading.Thread(target=_pump, args=(client, upstream), daemon=True),
                threading.Thread(target=_pump, args=(upstream, client), daemon=True),
            ]
            for pump in pumps:
                pump.start()
            for pump in pumps:
                pump.join(timeout=15)
        self._open.discard(client)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)


class Resolver:
    """socket.getaddrinfo for HOST: loopback while working, EAI_NONAME when failing."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.failing = False

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == HOST:
            if self.failing:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            host = "127.0.0.1"
        return self.real(host, port, *args, **kwargs)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    fake = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield fake
