"""Draft preview: signed, expiring, revocable tokens that open one article read-only."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import queries as articles_queries
from app.core.errors import Unauthorized
from app.core.security import Principal
from app.models import Article
from app.previews import repository
from app.previews.tokens import Claims, InvalidToken, make_token, read_token

# Whoever holds a valid token reads the article as an editor would; nothing else.
PREVIEWER = Principal(role="editor", name="preview")
REFUSED = "The preview token is not valid for this article, has expired or was revoked."


async def _nonce(session: AsyncSession, article: Article, *, now: datetime) -> str:
    """The article's preview nonce, made on its first preview."""
    found = await repository.nonce_of(session, article.id)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            await repository.add_nonce(session, article.id, secrets.token_urlsafe(16), now=now)
    except IntegrityError:
        pass  # A concurrent request made it first.
    made = await repository.nonce_of(session, article.id)
    assert made is not None
    return made


async def issue(
    session: AsyncSession,
    article: Article,
    *,
    ttl_seconds: int,
    key: str,
    url_template: str | None,
    api_url: str,
    now: datetime,
) -> dict[str, Any]:
    """A token for ``article``, when it expires, and the URL that opens it."""
    expires_at = (now + timedelta(seconds=ttl_seconds)).replace(microsecond=0)
    nonce = await _nonce(session, article, now=now)
    token = make_token(Claims(article.id, nonce), key=key, expires_at=expires_at)
    if url_template is None:
        url = f"{api_url}/v1/articles/{article.id}?preview={token}"
    else:
        url = (
            url_template.replace("{slug}", article.slug)
            .replace("{id}", str(article.id))
            .replace("{token}", token)
        )
    return {"token": token, "expires_at": expires_at, "url": url}


async def revoke(session: AsyncSession, article: Article) -> None:
    """Every token of the article stops working: its next preview gets a new nonce."""
    await repository.drop_nonce(session, article.id)


async def check_token(
    session: AsyncSession, ref: str, *, token: str, key: str, now: datetime
) -> None:
    """401 unless ``token`` is a live preview token of the article ``ref`` names."""
    try:
        claims = read_token(token, key=key)
    except InvalidToken:
        raise Unauthorized(REFUSED) from None
    found = await articles_queries.find_article(session, ref, principal=PREVIEWER, now=now)
    article = found.item
    if article is None:
        # A former slug: answer the 301 only to the token of the article it leads to.
        moved = await articles_queries.find_article(
            session, str(found.moved_to), principal=PREVIEWER, now=now
        )
        article = moved.item
    if article is None or article.id != claims.article_id:
        raise Unauthorized(REFUSED)
    if await repository.nonce_of(session, article.id) != claims.nonce:
        raise Unauthorized(REFUSED)
