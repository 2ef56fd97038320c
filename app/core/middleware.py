"""ASGI middleware: request ids and access logs, the request body limit, HEAD and gzip."""

from __future__ import annotations

import re
import time
import uuid
import zlib
from functools import lru_cache
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response

log = structlog.get_logger("lede.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is over the limit of {limit} bytes.")


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, counting bytes as they stream.

    A Content-Length check alone misses chunked uploads, which carry none.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            detail=f"The request body is over the limit of {self.max_bytes} bytes.",
            instance=scope.get("path"),
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class RequestIdMiddleware:
    """Take or make an ``X-Request-ID``, bind it to every log line, send it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _REQUEST_ID.match(candidate):
                    request_id = candidate
                break
        request_id = request_id or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")


class HeadMiddleware:
    """Answer ``HEAD`` as the ``GET`` of the same URL would, without the body (RFC 9110 §9.3.2).

    Routes, validators and compression all see a GET, so the headers (``ETag``,
    ``Content-Length``, ``Content-Encoding``) are the ones the GET would send.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        # The server reads the method from its own scope as the answer starts
        # (a HEAD answer has no body), so the app gets a copy; what routing
        # writes into it (the matched route, for metrics) is handed back out.
        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, send_headers_only)
        finally:
            scope.update({k: v for k, v in inner.items() if k != "method"})


# Whole bodies up to this size are compressed once and the result kept (see below).
KEEP_GZIPPED_MAX = 64 * 1024


@lru_cache(maxsize=128)
def _gzipped(body: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


class _KeptGZipResponder(GZipResponder):
    """Starlette's gzip, with a whole body compressed once for all the answers that send it.

    A kept answer (an article, a page of a list) goes out as the same bytes again
    and again; compressing them took a quarter of such a request's time. The
    bytes are the ones Starlette's own compressor makes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.whole = True

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if more_body:
            self.whole = False
        elif self.whole and len(body) <= KEEP_GZIPPED_MAX:
            return _gzipped(body, self.compresslevel)
        return await super().apply_compression(body, more_body=more_body)


class CompressionMiddleware(GZipMiddleware):
    """Starlette's gzip, with a ``Vary`` that names each header once, and whole bodies
    compressed once (``_KeptGZipResponder``).

    Answers say they vary on ``Accept-Encoding`` themselves (``core.http``), so that a
    ``304`` or a short answer says it too; the gzip layer adds it again to the answers it
    could compress, and caches then see ``Accept-Encoding`` twice.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_vary_once(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                vary = headers.get("vary")
                if vary is not None:
                    names = dict.fromkeys(name.strip() for name in vary.split(","))
                    headers["vary"] = ", ".join(names)
            await send(message)

        responder: ASGIApp
        if "gzip" in Headers(scope=scope).get("Accept-Encoding", ""):
            responder = _KeptGZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
        else:
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=self.exclude_content_types
            )
        await responder(scope, receive, send_vary_once)
