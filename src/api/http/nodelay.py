"""uvicorn's HTTP protocol with TCP_NODELAY set on every connection.

Under `--workers N` uvicorn hands its listening socket to the worker processes, where it
comes back with `proto` 0; asyncio sets TCP_NODELAY only on sockets whose proto is TCP, so
every accepted connection kept Nagle's algorithm, and each response waited on the client's
delayed ACK: ≥ 40 ms a request, even on one idle keep-alive connection (docs/benchmarks.md,
ADR 0052). `lessor serve --workers N` and `scripts/bench http` use this protocol.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]
