"""The Idempotency-Key dependency of POST routes.

The key is recorded in the same transaction as the write it protects, unique per
(API key, Idempotency-Key): a concurrent duplicate waits for the first to commit
and then replays it, or gets 409 while the first is still running.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.core.db import get_session
from app.core.deps import request_now
from app.core.errors import Conflict, invalid
from app.core.security import Principal, get_principal
from app.idempotency.repository import forget_if_older, stored
from app.models import IdempotencyRecord

KEEP = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"
_KEPT_HEADERS = ("location", "etag", "content-type", "link")


class Replay(Exception):
    """Not an error: it carries the stored response of the first request."""

    def __init__(self, response: Response) -> None:
        super().__init__("replay")
        self.response = response


async def _replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    return exc.response


def install_replay_handler(app: FastAPI) -> None:
    app.add_exception_handler(Replay, _replay_handler)


@dataclass(slots=True)
class Idempotency:
    session: AsyncSession
    record: IdempotencyRecord | None

    async def complete(self, response: Response) -> Response:
        """Store the response of a successful write for later retries; return it."""
        if self.record is not None and response.status_code < 400:
            self.record.status_code = response.status_code
            self.record.body = bytes(response.body)
            self.record.headers = {
                k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS
            }
            await self.session.flush()
        return response


def _fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    headers = dict(record.headers)
    headers[REPLAY_HEADER] = "true"
    return Response(record.body, status_code=record.status_code, headers=headers)


async def get_idempotency(
    request: Request,
    session: Annotated[AsyncSession, Depends(get_session, scope="function")],
    principal: Annotated[Principal, Depends(get_principal)],
) -> AsyncIterator[Idempotency]:
    key = request.headers.get("idempotency-key")
    if key is None:
        yield Idempotency(session, None)
        return
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise invalid(["header", "Idempotency-Key"], "Give 1 to 255 printable characters.")
    now = request_now(request)
    fingerprint = _fingerprint(request, await request.body())
    await forget_if_older(session, principal.scope, key, now - KEEP)
    existing = await stored(session, principal.scope, key)
    if existing is None:
        record = IdempotencyRecord(
            scope=principal.scope,
            key=key,
            request_hash=fingerprint,
            status_code=0,
            headers={},
            body=b"",
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(record)
        except IntegrityError:
            # Another request with this key committed while we waited on its row.
            existing = await stored(session, principal.scope, key)
            if existing is None:
                raise Conflict("A request with this Idempotency-Key is in progress.") from None
        else:
            yield Idempotency(session, record)
            return
    if existing.request_hash != fingerprint:
        raise invalid(
            ["header", "Idempotency-Key"],
            "This Idempotency-Key was used with a different request.",
        )
    if existing.status_code == 0:
        raise Conflict("A request with this Idempotency-Key is in progress.")
    raise Replay(_replay(existing))


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency, scope="function")]
