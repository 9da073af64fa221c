"""A tiny asyncio HTTP/1.1 server exposing a FakeTelegram on loopback for real PTB clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from fakeapi.models import UploadedFile

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram

_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(slots=True)
class _Request:
    """One parsed HTTP request."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """Read one request from a keep-alive connection (None when the client is done)."""
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, version = line.decode("latin-1").split()
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while size := int((await reader.readline()).split(b";")[0], 16):
            body += await reader.readexactly(size)
            await reader.readline()
        await reader.readline()
    else:
        body = bytearray(await reader.readexactly(int(headers.get("content-length", "0"))))
    keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    return _Request(method, target, headers, bytes(body), keep_alive)


def _parse_multipart(body: bytes, boundary: str, request: _Request) -> None:
    """Split a multipart/form-data body into string fields and file parts."""
    for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        disposition = next((x for x in lines if x.lower().startswith("content-disposition")), "")
        params = {k.lower(): v for k, v in _PARAM.findall(disposition)}
        ctype = next(
            (x.split(":", 1)[1].strip() for x in lines if x.lower().startswith("content-type")),
            "application/octet-stream",
        )
        if "filename" in params:
            request.files[params["name"]] = UploadedFile(params["filename"], content, ctype)
        elif "name" in params:
            request.params[params["name"]] = content.decode("utf-8")


def _decode_body(request: _Request) -> None:
    """Fill request.params/files from the query string and the body."""
    request.params.update(parse_qsl(urlsplit(request.target).query, keep_blank_values=True))
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        text = request.body.decode("utf-8")
        request.params.update(parse_qsl(text, keep_blank_values=True))
    elif ctype.startswith("application/json") and request.body:
        data = json.loads(request.body)
        if isinstance(data, dict):
            request.params.update(data)
    elif ctype.startswith("multipart/form-data"):
        boundary = ctype.split("boundary=", 1)[1].split(";")[0].strip().strip('"')
        _parse_multipart(request.body, boundary, request)


class _Server:
    """Connection handling for one FakeTelegram."""

    def __init__(self, tg: FakeTelegram):
        self.tg = tg
        self.tasks: set[asyncio.Task[Any]] = set()

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve requests on one connection until the client closes it."""
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            while (request := await _read_request(reader)) is not None:
                status, body = await self._respond(request)
                content_type = (
                    "application/json" if body[:1] == b"{" else "application/octet-stream"
                )
                head = (
                    f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                    f"Connection: {'keep-alive' if request.keep_alive else 'close'}\r\n\r\n"
                )
                writer.write(head.encode("latin-1") + body)
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            # The server is closing. Ending normally (not cancelled) spares Python 3.11's
            # streams callback, which calls exception() on the task and would log a traceback.
            pass
        finally:
            if task is not None:
                self.tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, request: _Request) -> tuple[int, bytes]:
        """Run the request through the fake, as FakeRequest does in-process."""
        try:
            _decode_body(request)
        except (ValueError, IndexError, UnicodeDecodeError):
            body = {"ok": False, "error_code": 400, "description": "Bad Request: invalid request"}
            return 400, json.dumps(body).encode()
        host = request.headers.get("host", "localhost")
        url = f"http://{host}{urlsplit(request.target).path}"
        return await self.tg.handle(request.method, url, request.params, request.files)


@contextlib.asynccontextmanager
async def serve(tg: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve tg over HTTP; yield the base_url "http://HOST:PORT/bot" (files: ".../file/bot")."""
    handler = _Server(tg)
    server = await asyncio.start_server(handler.connection, host, port)
    bound = server.sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}/bot"
    finally:
        server.close()
        for task in list(handler.tasks):
            task.cancel()
        if handler.tasks:
            await asyncio.gather(*handler.tasks, return_exceptions=True)
        await server.wait_closed()
