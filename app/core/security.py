"""API keys and roles: who is asking, and what they may do."""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from app.core.config import Settings, get_settings
from app.core.db import Database, get_database
from app.core.errors import Forbidden, Unauthorized

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


# Every key Lede makes: the prefix and 32 random bytes, base64url. Anything
# else cannot be a key, and is refused without asking the database.
KEY_PREFIX = "lede_"
_KEY_SHAPE = re.compile(rf"{KEY_PREFIX}[A-Za-z0-9_-]{{43}}")


def bearer_token(header: str) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None.

    RFC 7235: the scheme is case-insensitive and spaces around the token do
    not matter, so ``bearer  <key>`` is the same key, for the rate limit too.
    """
    parts = header.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer" or len(parts[1].split()) != 1:
        return None
    return parts[1].strip()


class KeyCache:
    """Keys looked up lately, each trusted for KEY_CACHE_SECONDS.

    Least recently used entries go first once full. Unknown tokens are kept
    apart, so that made-up ones, however many, never push out real keys.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._known: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._unknown: OrderedDict[str, float] = OrderedDict()

    def get(self, digest: str, now: float) -> tuple[bool, Principal | None]:
        """(found, principal): found with None is an unknown token."""
        known = self._known.get(digest)
        if known is not None and known[0] > now:
            self._known.move_to_end(digest)
            return True, known[1]
        until = self._unknown.get(digest)
        if until is not None and until > now:
            return True, None
        return False, None

    def put(self, digest: str, principal: Principal | None, until: float) -> None:
        entries: OrderedDict[str, Any] = self._unknown if principal is None else self._known
        entries[digest] = until if principal is None else (until, principal)
        entries.move_to_end(digest)
        while len(entries) > self.size:
            entries.popitem(last=False)

    def clear(self) -> None:
        self._known.clear()
        self._unknown.clear()


# Who the stored key with a given hash stands for; None if none is, or it was revoked.
KeyFinder = Callable[[AsyncSession, str], Awaitable[Principal | None]]


class ApiKeys:
    """A worker's way from a bearer token to a principal: the key store, asked through a cache."""

    def __init__(self, find: KeyFinder, *, cache_size: int = 10_000) -> None:
        self._find = find
        self._cache = KeyCache(cache_size)

    async def principal(self, database: Database, raw: str) -> Principal | None:
        """The principal a key stands for; None if it is unknown or revoked."""
        if not _KEY_SHAPE.fullmatch(raw):
            return None
        digest = hash_key(raw)
        now = time.monotonic()
        found, principal = self._cache.get(digest, now)
        if found:
            return principal
        # The primary: a key just made or revoked may not have reached a replica.
        async with database.primary_reader() as session:
            principal = await self._find(session, digest)
        self._cache.put(digest, principal, now + KEY_CACHE_SECONDS)
        return principal

    def forget(self) -> None:
        """Ask the store again for every key (after a revocation in this worker)."""
        self._cache.clear()


def api_keys(app: Starlette) -> ApiKeys:
    """The key look-up the application was made with."""
    keys: ApiKeys = app.state.api_keys
    return keys


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
        raw = bearer_token(header)
        if raw is None:
            raise Unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
        found = await api_keys(request.app).principal(get_database(request), raw)
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
