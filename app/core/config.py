"""Settings, read once from ``LEDE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/lede.db"
    database_read_url: str | None = None
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_timeout_seconds: float = Field(default=5.0, gt=0)
    statement_timeout_ms: int = Field(default=5000, ge=0)

    public_read: bool = True
    require_if_match: bool = False
    base_url: str | None = None

    # The organization named as publisher in JSON-LD; its logo's URL.
    publisher_name: str = Field(default="Lede", min_length=1, max_length=200)
    publisher_logo: str | None = None

    cache_max_age: int = Field(default=60, ge=0)
    cache_stale_while_revalidate: int = Field(default=300, ge=0)

    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    rate_limit_per_minute: int = Field(default=600, ge=0)
    redis_url: str | None = None
    cors_origins: list[str] = Field(default_factory=list)
    # Addresses or networks of the proxies whose X-Forwarded-For names the client.
    trusted_proxies: list[str] = Field(default_factory=list)

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = True
    entity_refresh_seconds: float = Field(default=1.0, ge=0)

    @field_validator("database_url", "database_read_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        return None if url is None else async_database_url(url)


def async_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgresql://``, ``sqlite:///``); pick the async driver."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("database URL must look like scheme://…")
    base = scheme.split("+", 1)[0].lower()
    if base in {"postgres", "postgresql"}:
        return f"postgresql+asyncpg://{rest}"
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    raise ValueError(f"unsupported database {scheme!r}: use sqlite:/// or postgresql://")


@lru_cache
def get_settings() -> Settings:
    return Settings()
