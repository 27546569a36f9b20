"""A small HTTP/1.1 server on 127.0.0.1 (random port) for standing in for a payment provider in tests.

Each fake provider is a function from a recorded request to a response; the server records every request it
received, so a test can count calls (no retry of an unsafe call) and read what the adapter sent. A handler that
awaits ``server.never`` makes the client time out without the test sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    503: "Unavailable",
}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = (
        200  # 0: close the connection without answering (the request may or may not have been acted on)
    )
    body: Any = None  # JSON-serialised unless bytes
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded], Awaitable[Reply]]


class LoopbackServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Recorded] = []
        self.never = asyncio.Event()  # never set while serving: awaiting it stalls an answer
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    async def __aenter__(self) -> LoopbackServer:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                reply = await self.handler(request)
                if reply.status == 0:
                    break
                body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                headers = {
                    "Content-Type": "application/json",
                    **reply.headers,
                    "Content-Length": str(len(body)),
                }
                head = f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}\r\n"
                head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
                writer.write(head.encode() + b"\r\n" + body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Recorded | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _version = line.decode().split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in {b"\r\n", b"\n", b""}:
            break
        name, _, value = header.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    parts = urlsplit(target)
    return Recorded(method, parts.path, dict(parse_qsl(parts.query)), headers, body)
