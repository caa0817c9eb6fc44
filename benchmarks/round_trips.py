"""Count what a command sends to the database: a count, never a time (docs/benchmarks.md).

PostgreSQL: a TCP proxy between the application and the server reads the wire protocol. A
round trip is a turn of one connection: the server answers after the client has sent
something since the server's last answer — whatever the driver does (a simple query, an
extended-protocol Sync, a pool's pre-ping, BEGIN and COMMIT); several statements sent in one
pipeline before the client waits are one round trip. Statements are the client's Query and
Execute messages. The proxy refuses TLS, so it can read the stream.

SQLite: there is no wire, so every statement the library's connections run is counted
(sqlite3's trace callback), BEGIN and COMMIT included.
"""

from __future__ import annotations

import socket
import sqlite3
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_NEGOTIATIONS = {80877103, 80877104}  # SSLRequest, GSSENCRequest: answered 'N' by us


@dataclass
class Counts:
    round_trips: int = 0
    statements: int = 0
    trace: list[str] = field(default_factory=list)  # what was sent, in order (to debug)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *, round_trips: int = 0, statements: int = 0, sent: str = "") -> None:
        with self._lock:
            self.round_trips += round_trips
            self.statements += statements
            if sent:
                self.trace.append(sent)

    def snapshot(self) -> tuple[int, int]:
        with self._lock:
            return self.round_trips, self.statements


def _exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _messages(sock: socket.socket) -> Iterator[tuple[bytes, bytes]]:
    """Typed protocol messages: (type byte, the whole message as read)."""
    while True:
        head = _exactly(sock, 5)
        (length,) = struct.unpack("!I", head[1:])
        yield head[:1], head + _exactly(sock, length - 4)


def _pump(
    source: socket.socket, sink: socket.socket, count: Callable[[bytes, bytes], None]
) -> None:
    try:
        for kind, message in _messages(source):
            count(kind, message)
            sink.sendall(message)
    except (ConnectionError, OSError):
        pass
    finally:
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class WireCounter:
    """A counting proxy in front of one PostgreSQL server, on 127.0.0.1:<port>."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.counts = Counts()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, name="wire-counter", daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            startup = self._startup(client)
        except (ConnectionError, OSError):
            client.close()
            return
        server = socket.create_connection(self.upstream)
        server.sendall(startup)

        spoke = threading.Event()  # the client sent something the server has not answered

        def from_client(kind: bytes, message: bytes) -> None:
            spoke.set()
            if kind in (b"Q", b"E"):
                self.counts.add(statements=1)
            if kind in (b"Q", b"P"):  # a simple query, or a statement parsed: its text
                text = message[5:].split(b"\0")[1 if kind == b"P" else 0]
                self.counts.add(sent=text.decode("utf-8", "replace")[:120])

        def from_server(_kind: bytes, _message: bytes) -> None:
            if spoke.is_set():
                spoke.clear()
                self.counts.add(round_trips=1, sent="<answer>")

        threading.Thread(target=_pump, args=(client, server, from_client), daemon=True).start()
        _pump(server, client, from_server)

    @staticmethod
    def _startup(client: socket.socket) -> bytes:
        """The untyped first message, after refusing any encryption request."""
        while True:
            (length,) = struct.unpack("!I", _exactly(client, 4))
            body = _exactly(client, length - 4)
            (code,) = struct.unpack("!I", body[:4])
            if code not in _NEGOTIATIONS:
                return struct.pack("!I", length) + body
            client.sendall(b"N")

    def url_for(self, database_url: str) -> str:
        """The same database, reached through this proxy."""
        parts = urlsplit(database_url)
        auth, _, _ = parts.netloc.rpartition("@")
        netloc = (auth + "@" if auth else "") + f"127.0.0.1:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@contextmanager
def counting_postgres(database_url: str) -> Iterator[tuple[WireCounter, str]]:
    """A counter and the URL to give the application instead of `database_url`."""
    parts = urlsplit(database_url)
    counter = WireCounter(parts.hostname or "127.0.0.1", parts.port or 5432)
    try:
        yield counter, counter.url_for(database_url)
    finally:
        counter.close()


@contextmanager
def counting_sqlite() -> Iterator[Counts]:
    """Count the statements of every sqlite3 connection opened inside the block."""
    counts = Counts()
    original = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = original(*args, **kwargs)
        conn.set_trace_callback(
            lambda statement: counts.add(round_trips=1, statements=1, sent=statement[:120])
        )
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]
    try:
        yield counts
    finally:
        sqlite3.connect = original  # type: ignore[assignment]
