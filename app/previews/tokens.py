"""Preview tokens: JWTs (RFC 7519, HS256) naming one article and its preview nonce."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt

AUDIENCE = "lede:preview"
ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Claims:
    article_id: uuid.UUID
    nonce: str


class InvalidToken(ValueError):
    """Forged, expired, or not a preview token."""


def make_token(claims: Claims, *, key: str, expires_at: datetime) -> str:
    return jwt.encode(
        {
            "sub": str(claims.article_id),
            "nonce": claims.nonce,
            "aud": AUDIENCE,
            "exp": expires_at,
        },
        key,
        algorithm=ALGORITHM,
    )


def read_token(token: str, *, key: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "nonce", "aud", "exp"]},
        )
        return Claims(uuid.UUID(str(payload["sub"])), str(payload["nonce"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from None
