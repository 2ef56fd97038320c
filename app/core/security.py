"""API keys and roles: who is asking, and what they may do."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy import select

from app.core.config import Settings, get_settings
from app.core.db import get_database
from app.core.errors import Forbidden, Unauthorized
from app.models import ApiKey

Role = Literal["reader", "editor", "admin"]
_RANK = {"anonymous": 0, "reader": 1, "editor": 2, "admin": 3}
# How long a worker trusts what it read about a key; a revocation made in
# another worker process takes effect within this many seconds.
KEY_CACHE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Principal:
    role: Literal["anonymous", "reader", "editor", "admin"]
    key_id: str | None = None
    name: str | None = None

    @property
    def sees_drafts(self) -> bool:
        """Editors and admins see drafts, scheduled and trashed content; readers never do."""
        return _RANK[self.role] >= _RANK["editor"]

    @property
    def actor(self) -> str:
        return self.name or self.role

    @property
    def scope(self) -> str:
        """What idempotency keys and rate limits are counted against."""
        return f"key:{self.key_id}" if self.key_id else "anonymous"


ANONYMOUS = Principal(role="anonymous")


def hash_key(raw: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough: there is no
    # password to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


_cache: dict[str, tuple[float, Principal | None]] = {}


def forget_cached_keys() -> None:
    _cache.clear()


async def _lookup(request: Request, raw: str) -> Principal | None:
    digest = hash_key(raw)
    now = time.monotonic()
    hit = _cache.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    database = get_database(request)
    # The primary: a key just made or revoked may not have reached a replica.
    async with database.primary_reader() as session:
        row = (
            await session.execute(
                select(ApiKey.id, ApiKey.role, ApiKey.name).where(
                    ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)
                )
            )
        ).first()
    principal = None if row is None else Principal(role=row.role, key_id=str(row.id), name=row.name)
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[digest] = (now + KEY_CACHE_SECONDS, principal)
    return principal


async def get_principal(request: Request) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization")
    settings: Settings = getattr(request.app.state, "settings", None) or get_settings()
    if header is None:
        if not settings.public_read:
            raise Unauthorized("This Lede requires an API key for every request.")
        principal = ANONYMOUS
    else:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
        found = await _lookup(request, raw.strip())
        if found is None:
            raise Unauthorized("The API key is unknown or has been revoked.")
        principal = found
    request.state.principal = principal
    return principal


# The role each ``require`` check asks for, so the OpenAPI document can say
# which operations need a key.
ROLE_CHECKS: dict[Any, Role] = {}


def require(role: Role) -> Any:
    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role == "anonymous":
            raise Unauthorized(f"This needs an API key with the {role} role.")
        if _RANK[principal.role] < _RANK[role]:
            raise Forbidden(f"This needs the {role} role; the key has {principal.role}.")
        return principal

    ROLE_CHECKS[check] = role
    return Depends(check)


def check_purge(principal: Principal, purge: bool) -> None:
    """Removing for good is for admins; moving to the trash is for editors."""
    if purge and principal.role != "admin":
        raise Forbidden("Purging needs the admin role.")


PrincipalDep = Annotated[Principal, Depends(get_principal)]
EditorDep = Annotated[Principal, require("editor")]
AdminDep = Annotated[Principal, require("admin")]
