"""Every table, imported here so the metadata is complete for alembic."""

from app.models.article import Article, ArticleAuthor, ArticleRevision, ArticleTag, Mention
from app.models.author import Author
from app.models.base import Base
from app.models.entity import Entity, EntityName
from app.models.support import ApiKey, Change, Counter, IdempotencyRecord, SlugRedirect
from app.models.tag import Tag
from app.models.webhook import (
    ArticlePreview,
    WebhookCursor,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "ApiKey",
    "Article",
    "ArticleAuthor",
    "ArticlePreview",
    "ArticleRevision",
    "ArticleTag",
    "Author",
    "Base",
    "Change",
    "Counter",
    "Entity",
    "EntityName",
    "IdempotencyRecord",
    "Mention",
    "SlugRedirect",
    "Tag",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookSubscription",
]
