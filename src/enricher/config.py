"""Settings: one object read from the environment and ``.env`` (``ENRICHER_*``).

The names are fixed by DESIGN.md; README.md documents each one. ``load_settings`` turns a bad value
into :class:`~enricher.errors.ConfigError` naming the variable and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from enricher.errors import ConfigError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Everything the worker, the CLI and the tasks read from their environment."""

    model_config = SettingsConfigDict(
        env_prefix="ENRICHER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Flowtly API. Unset URL: the embedded sandbox with the bundled sample (demo, no account).
    flowtly_url: str | None = Field(
        default=None, description="Flowtly API base URL, e.g. https://api.flowtly.eu"
    )
    flowtly_token: SecretStr | None = Field(default=None, description="Bearer token for the Flowtly API")
    flowtly_username: str | None = Field(default=None, description="Login name, used when no token is set")
    flowtly_password: SecretStr | None = Field(default=None, description="Password for the login")
    flowtly_login_path: str = Field(default="/api/login", description="Path of the login endpoint")
    flowtly_timeout: float = Field(default=30.0, gt=0, description="Seconds allowed for one API call")
    flowtly_retries: int = Field(default=5, ge=0, le=20, description="Retries of 429/5xx/network errors")
    flowtly_page_size: int = Field(default=100, ge=1, le=1000, description="itemsPerPage asked for")
    flowtly_rps: float = Field(default=20.0, gt=0, description="Requests per second to Flowtly, all workers")
    flowtly_legacy_writes: bool = Field(
        default=False, description="Create/patch counterparties through the legacy /counterparty endpoints"
    )
    flowtly_employee: str | None = Field(
        default=None, description="Employee IRI client notes are written as, e.g. /employees/7"
    )
    sandbox_data: Path | None = Field(
        default=None, description="Records the embedded sandbox serves when no Flowtly URL is set"
    )
    sandbox_clients: Path | None = Field(
        default=None,
        description="Clients the embedded sandbox serves (default: the bundled sample's, with the bundled "
        "counterparties)",
    )
    report_clients: bool = Field(
        default=True, description="Also match clients (with their contacts) in the report, when there are any"
    )

    # Redis. Unset: embedded mode, everything in-process, state in a local file.
    redis_url: str | None = Field(default=None, description="Redis URL for Celery and shared state")
    state_dir: Path = Field(default=Path(".enricher"), description="Where local state lives without Redis")
    out_dir: Path = Field(default=Path("out"), description="Where reports and run outputs are written")

    webhook_secret: SecretStr | None = Field(default=None, description="Standard Webhooks secret (whsec_...)")
    webhook_max_body: int = Field(default=1_000_000, gt=0, description="Largest webhook body accepted")
    webhook_tolerance: int = Field(
        default=300, gt=0, description="Seconds a webhook-timestamp may be off from now"
    )
    webhook_dedupe_ttl: int = Field(
        default=7 * 24 * 3600, gt=0, description="Seconds a webhook-id is remembered, to drop redeliveries"
    )
    webhook_jobs: str = Field(
        default="match,enrich", description="Jobs a counterparty event triggers: match, enrich"
    )
    webhook_header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a client has to send a request's header (then 408, closed)"
    )
    webhook_body_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a client has to send a request's body once its header is in"
    )
    webhook_max_connections: int = Field(
        default=4096, ge=1, description="Open connections; past it the oldest one still sending is closed"
    )
    webhook_concurrency: int = Field(
        default=1000, ge=1, description="Deliveries processed at once (body received); more get 503"
    )

    # Worker (Celery on Redis) and the state it shares.
    redis_prefix: str = Field(default="enricher", description="Prefix of every state key in Redis")
    visibility_timeout: int = Field(
        default=240,
        ge=10,
        description="Seconds after which Redis redelivers a task its worker stopped renewing (a dead worker)",
    )
    retry_backoff_max: int = Field(
        default=600, ge=1, description="Longest pause between two retries of a task, in seconds"
    )
    task_max_retries: int = Field(default=8, ge=0, description="Retries of a task after transient errors")
    max_deliveries: int = Field(
        default=5, ge=1, description="Deliveries of one task message before it is dropped as poison"
    )
    worker_metrics_port: int = Field(
        default=9808, ge=0, le=65535, description="Port of the worker's Prometheus /metrics (0: off)"
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text or as JSON objects (one a line)"
    )
    fetch_host_rps: float = Field(default=1.0, gt=0, description="Fetches/s per host, all workers")
    match_chunk_pairs: int = Field(
        default=1_000_000, ge=1, description="Compared pairs per match-all part task"
    )
    match_chunk_records: int = Field(
        default=100_000,
        ge=1,
        description="Records per match-all normalising task; a register no larger is normalised by the "
        "planning task itself",
    )
    dedupe_max_line_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Longest JSONL input line read; longer ones are skipped"
    )
    dedupe_max_field_chars: int = Field(
        default=10_000, ge=100, description="Longest value of a field matching reads; longer records skipped"
    )
    match_merge_threshold: float = Field(
        default=0.99, gt=0, le=1, description="Match probability from which a pair is in the merge band"
    )
    match_review_threshold: float = Field(
        default=0.2, gt=0, le=1, description="Match probability from which a pair is listed for review"
    )
    enrich_provider: Literal["ours", "flowtly-ai", "auto"] = Field(
        default="ours",
        description="Who finds logos and names: ours (the safe fetcher), flowtly-ai (Flowtly's AI branding "
        "endpoint) or auto (ours, then Flowtly's where ours found nothing)",
    )
    enrich_stale_days: int = Field(
        default=30, ge=1, description="Branding we filled this many days ago is refreshed weekly"
    )
    schedule_match: str = Field(default="0 2 * * *", description="Crontab: nightly match + report")
    schedule_reenrich: str = Field(default="0 3 * * 0", description="Crontab of the weekly re-enrichment")

    # Branding fetcher.
    fetch_allow_hosts: str = Field(
        default="",
        description="Comma-separated hosts or CIDRs the fetcher may reach although loopback or private "
        "(never link-local, metadata, unspecified, multicast)",
    )
    fetch_user_agent: str = Field(
        default="enricher/0.1 (+https://flowtly.eu; counterparty branding bot)",
        description="User-Agent sent by the fetcher",
    )
    fetch_timeout: float = Field(default=15.0, gt=0, description="Overall seconds allowed for one page")
    fetch_max_html_bytes: int = Field(default=5 * 1024 * 1024, gt=0, description="Largest HTML body read")
    fetch_max_image_bytes: int = Field(default=2 * 1024 * 1024, gt=0, description="Largest image body read")
    fetch_per_host: int = Field(default=2, ge=1, description="Concurrent requests per host")
    fetch_concurrency: int = Field(default=32, ge=1, description="Concurrent pages in a batch")

    @field_validator("flowtly_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("flowtly_employee")
    @classmethod
    def _employee(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith("/") or value.rstrip("/") == "" or any(c.isspace() for c in value):
            raise ValueError("expected an employee IRI such as /employees/7")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected a redis://, rediss:// or unix:// URL")
        try:
            urlsplit(value).port  # noqa: B018 - parsing the port is the check
        except ValueError:
            raise ValueError("expected a redis:// URL with a numeric port") from None
        return value

    @property
    def allow_hosts(self) -> list[str]:
        return [h.strip() for h in self.fetch_allow_hosts.split(",") if h.strip()]

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: the CLI runs everything in-process."""
        return self.redis_url is None


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises ConfigError naming the variable and what was expected."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except PydanticValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        shown = "" if field in _SECRET_FIELDS else f" (got {err.get('input')!r})"
        raise ConfigError(f"ENRICHER_{field.upper()}", f"{err['msg']}{shown}") from None


# Never echoed in an error: the URLs may carry a password.
_SECRET_FIELDS = {"flowtly_token", "flowtly_password", "webhook_secret", "redis_url", "flowtly_url"}
