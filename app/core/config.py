"""Settings, read once from ``LEDE_*`` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PositiveFloat, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDE_", env_file=".env", extra="ignore")

    # Where the SQLite database (and other local state) lives when no URL says
    # otherwise; both are filled in by _anchor_data below when not set.
    data_dir: Path
    database_url: str
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

    # What each worker keeps of rendered reads, in bytes: article bodies and
    # readers' list pages (README "Caching").
    body_cache_bytes: int = Field(default=12 << 20, ge=0)
    page_cache_bytes: int = Field(default=2 << 20, ge=0)

    cache_max_age: int = Field(default=60, ge=0)
    cache_stale_while_revalidate: int = Field(default=300, ge=0)
    # Readers' search pages a worker keeps until the next write (0: none).
    search_cache_bytes: int = Field(default=4 * 1024 * 1024, ge=0)

    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    rate_limit_per_minute: int = Field(default=600, ge=0)
    redis_url: str | None = None
    cors_origins: list[str] = Field(default_factory=list)
    # Addresses or networks of the proxies whose X-Forwarded-For names the client.
    trusted_proxies: list[str] = Field(default_factory=list)

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = True
    entity_refresh_seconds: float = Field(default=1.0, ge=0)

    # Webhooks (README "Webhooks"): who sends, where to, and how patiently.
    webhooks: Literal["inline", "worker"] = "inline"
    webhooks_allow_private: bool = False
    webhooks_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhooks_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhooks_retry_seconds: list[PositiveFloat] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        max_length=20,
    )

    # Draft preview (README "Draft preview").
    secret_key: str | None = Field(default=None, min_length=32)
    preview_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _anchor_data(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        data_dir = Path(values.get("data_dir") or default_data_dir()).resolve()
        database_url = values.get("database_url") or f"sqlite:///{data_dir / 'lede.db'}"
        return {**values, "data_dir": data_dir, "database_url": database_url}

    @field_validator("database_url", "database_read_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        return None if url is None else async_database_url(url)


def default_data_dir() -> Path:
    """``var/`` of the source checkout Lede runs from, wherever the command is started;
    installed as a package, the user's data folder."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "var"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "lede"


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
