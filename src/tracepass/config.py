"""Settings, read from the environment with the prefix TRACEPASS_."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracepass.db.url import DatabaseURLError, to_async_url

JSON_BODY_LIMIT = 10 * 1024 * 1024
IMAGE_UPLOAD_LIMIT = 5 * 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACEPASS_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path("./var")
    public_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    json_body_limit: int = JSON_BODY_LIMIT
    image_upload_limit: int = IMAGE_UPLOAD_LIMIT
    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_in_flight_timeout_seconds: int = 60
    cors_api_origins: list[str] = Field(default_factory=list)
    db_pool_size: int = 10

    @cached_property
    def async_database_url(self) -> str:
        raw = self.database_url or f"sqlite:///{(self.data_dir / 'tracepass.db').as_posix()}"
        return to_async_url(raw)

    @property
    def is_sqlite(self) -> bool:
        return self.async_database_url.startswith("sqlite")

    @property
    def public_base(self) -> str:
        return self.public_url.rstrip("/")


__all__ = ["DatabaseURLError", "Settings"]
