"""Every table, imported here so the metadata is complete for alembic."""

from app.models.article import Article, ArticleRevision, ArticleTag, Mention
from app.models.base import Base
from app.models.entity import Entity, EntityName
from app.models.support import ApiKey, Change, Counter, IdempotencyRecord, SlugRedirect
from app.models.tag import Tag

__all__ = [
    "ApiKey",
    "Article",
    "ArticleRevision",
    "ArticleTag",
    "Base",
    "Change",
    "Counter",
    "Entity",
    "EntityName",
    "IdempotencyRecord",
    "Mention",
    "SlugRedirect",
    "Tag",
]
