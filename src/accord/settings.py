"""Settings from environment variables (prefix ACCORD_), read once and validated."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".accord"), description="Where the embedded SQLite store lives."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file in data_dir. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None, description="Base URL partners' tracking links point at."
    )
    click_flush_interval_ms: int = Field(default=50, ge=1, le=10_000)
    click_batch_size: int = Field(default=1000, ge=1, le=100_000)
    spool: bool = Field(
        default=True,
        description="Append each click to a spool file before answering, so that a killed "
        "process loses none (replayed on the next start).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of load balancers whose X-Forwarded-For header is believed "
        '(JSON list, e.g. ["127.0.0.1"]); clicks then record the shopper\'s address.',
    )
    debug: bool = False
    paypal_client_id: str | None = Field(default=None, description="PayPal REST app client id.")
    paypal_client_secret: str | None = Field(default=None, description="Its secret.")
    paypal_live: bool = Field(default=False, description="PayPal's live API, not its sandbox.")
    stripe_secret_key: str | None = Field(
        default=None, description="Stripe secret key (sk_live_... or sk_test_...) for transfers."
    )
    postback_allow_private: bool = Field(
        default=False,
        description="Let postbacks reach private, loopback and link-local addresses "
        "(local test receivers only; never in production).",
    )

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not (value.startswith(("sqlite", "postgresql"))):
            raise ValueError("ACCORD_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        if value.startswith(("postgresql://", "postgres://")):
            raise ValueError("use the psycopg 3 driver: postgresql+psycopg://...")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accord.db').as_posix()}"

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def links_base(self, request_base: str) -> str:
        """Where partners' tracking links point: the public URL, else the address the
        request came in on."""
        return (self.public_url or request_base).rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
