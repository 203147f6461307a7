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
    rate_limits: bool = Field(
        default=True,
        description="Rate-limit the REST API and the browser endpoints (429 with Retry-After).",
    )
    rate_limit_storage: str | None = Field(
        default=None,
        description="Where the counts live: this process's memory by default, or Redis "
        "(redis://host:6379/0, rediss://..., redis+unix://...) shared by every process.",
    )
    rate_limit_ingest: str = Field(
        default="6000/minute",
        description="Conversion writes per API key (POST /conversions, its batch, imports, "
        "reversals; a batch is one request).",
    )
    rate_limit_key: str = Field(
        default="1200/minute", description="Every other API request per API key."
    )
    rate_limit_anonymous: str = Field(
        default="300/minute",
        description="API requests per client address without a valid key (refused keys included).",
    )
    rate_limit_browser: str = Field(
        default="60/minute",
        description="Browser events (POST /t/events, GET /t/pixel.gif) per client address.",
    )
    rate_limit_browser_program: str = Field(
        default="6000/minute", description="Browser events per program."
    )
    queue_url: str | None = Field(
        default=None,
        description="Where background jobs wait for a worker: a SQLite file beside the "
        "database by default (sqlite:///path/queue.sqlite), or a server every worker machine "
        "shares: redis://host:6379/0 or postgresql://user@host/db. memory:// keeps it in "
        "this process (tests).",
    )
    queue_in_process: bool = Field(
        default=True,
        description="`accord serve` runs queue workers in its own process; set it to false "
        "when `accord worker` processes run the jobs.",
    )
    queue_workers: int = Field(
        default=2, ge=1, le=64, description="Worker threads of `accord serve` or `accord worker`."
    )
    job_lease_seconds: float = Field(
        default=60.0,
        ge=0.5,
        le=3600,
        description="A running job whose worker said nothing for this long is taken to have "
        "died (killed, crashed) and runs again.",
    )
    job_max_attempts: int = Field(
        default=3, ge=1, le=100, description="Starts of one job before it fails for good."
    )
    job_recover_every: float = Field(
        default=30.0, ge=0.1, le=3600, description="Seconds between passes that find lost jobs."
    )
    queue_periodic_off: list[str] = Field(
        default_factory=list,
        description="Periodic tasks this process does not schedule (JSON list of names, e.g. "
        '["deliver_postbacks"] on a machine that must not reach partners\' servers).',
    )
    postbacks_every: float = Field(
        default=5.0, ge=0.1, le=3600, description="Seconds between postback delivery passes."
    )
    fraud_ip_ranges: Path | None = Field(
        default=None,
        description="A text file of CIDR blocks (one per line, # comments) of data centres, "
        "hosting providers, VPNs and proxies: clicks from them fire the data_center rule.",
    )
    fraud_ip_database: Path | None = Field(
        default=None,
        description="A MaxMind anonymous-IP or IPinfo privacy database (.mmdb) for the same.",
    )
    fraud_geo_database: Path | None = Field(
        default=None,
        description="A MaxMind GeoIP2/GeoLite2 Country or City database, or an IPinfo "
        "country database (.mmdb): the countries of a click's and an order's addresses, for "
        "the geo_mismatch rule.",
    )
    fraud_coupon_sites: Path | None = Field(
        default=None,
        description="A text file of coupon and deal sites' hosts (one per line, # comments), "
        "added to the list Accord ships: a promo-code order whose shopper came from one of "
        "them fires the coupon_site rule.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="The SMTP server Accord sends e-mail through (alerts, weekly digests); "
        "without it no e-mail is sent.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="Its port.")
    smtp_user: str | None = Field(default=None, description="The SMTP login, if it needs one.")
    smtp_password: str | None = Field(default=None, description="Its password.")
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the connection with STARTTLS before logging in."
    )
    mail_from: str = Field(
        default="Accord <accord@localhost>", description="The sender of Accord's e-mail."
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

    @field_validator(
        "rate_limit_ingest",
        "rate_limit_key",
        "rate_limit_anonymous",
        "rate_limit_browser",
        "rate_limit_browser_program",
    )
    @classmethod
    def _check_rate(cls, value: str) -> str:
        import limits

        try:
            one = len(limits.parse_many(value)) == 1
        except ValueError:
            one = False
        if not one:
            raise ValueError(f"{value!r} is not a rate: write one COUNT/UNIT, e.g. 120/minute")
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _check_rate_storage(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "redis+unix://")):
            raise ValueError(
                "ACCORD_RATE_LIMIT_STORAGE must be a redis://, rediss:// or redis+unix:// URL"
            )
        return value

    @field_validator("queue_url")
    @classmethod
    def _check_queue_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(
            ("sqlite://", "redis://", "rediss://", "postgresql", "postgres://", "memory://")
        ):
            raise ValueError(
                "ACCORD_QUEUE_URL must be a sqlite:///path, redis://, postgresql:// or "
                "memory:// URL"
            )
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
