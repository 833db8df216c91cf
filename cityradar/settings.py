"""Settings from CITYRADAR_* environment variables (and a .env file): the only place that reads them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SmtpSecurity(StrEnum):
    """How the SMTP connection is protected."""

    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


class SettingsError(ValueError):
    """A setting has a value cityradar cannot use; the message names it (never its value)."""


class Settings(BaseSettings):
    """Everything an operator can set, with defaults that serve one machine.

    Relative paths are read from the working directory, like the CLI's own options.
    """

    model_config = SettingsConfigDict(
        env_prefix="CITYRADAR_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Path("data")
    db: Path | None = Field(
        default=None, description="DuckDB file; default DATA_DIR/cityradar.duckdb"
    )
    sources: Path = Path("sources.yaml")
    timezone: str = "Asia/Seoul"

    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_from: str = "cityradar@localhost"
    smtp_timeout: float = Field(default=30.0, gt=0)
    smtp_ca_file: Path | None = Field(
        default=None, description="extra CA certificates to trust (an internal mail relay)"
    )
    smtp_attempts: int = Field(default=4, ge=1, le=20, description="tries per message")
    smtp_retry_wait: float = Field(
        default=5.0, ge=0, description="seconds before the first retry; doubled each time"
    )
    digest_to: Annotated[list[str], NoDecode] = Field(default_factory=list)
    recipients: Path = Field(
        default=Path("recipients.yaml"),
        description="recipients with their filters; absent file: CITYRADAR_DIGEST_TO only",
    )
    digest_cities: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["Seoul", "Busan", "Incheon", "Sejong"],
        description="key cities that get a section of their own",
    )
    digest_send_empty: bool = Field(
        default=True, description="send the short digest of a week without smart-city stories"
    )

    crawl_delay: float = Field(
        default=1.0, ge=0, description="seconds between requests to one host"
    )
    crawl_concurrency_per_host: int = Field(default=2, ge=1, le=16)
    crawl_timeout: float = Field(
        default=900.0, gt=0, description="seconds one source's crawl may take"
    )
    crawl_workers: int = Field(default=4, ge=1, le=64, description="sources crawled at once")
    crawl_retries: int = Field(
        default=1,
        ge=0,
        le=5,
        description="extra tries, in the same run, of a crawl that failed with nothing for a "
        "reason that may pass (timeout, refused or reset connection, 5xx, crashed process)",
    )
    crawl_retry_delay: float = Field(
        default=60.0, ge=0, description="seconds before such a crawl is tried again"
    )
    crawl_request_timeout: float = Field(
        default=30.0, gt=0, le=600, description="seconds one request may take before it fails"
    )
    crawl_max_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=64 * 1024,
        description="largest response a crawl accepts, counted after decompression (a gzip bomb "
        "is cut off here)",
    )
    backfill_max_pages: int = Field(
        default=100, ge=1, le=100, description="list pages a backfill reads per source at most"
    )
    backfill_max_articles: int = Field(
        default=1000, ge=1, le=1000, description="article pages a backfill fetches per source"
    )
    staging_url: str | None = Field(
        default=None,
        description="where crawled batches go for a loader on another machine: an fsspec URL "
        "(s3://bucket/prefix, gs://..., a folder); unset: they stay in DATA_DIR/staging",
    )
    staging_keep_days: float = Field(
        default=30.0, gt=0, description="days a loaded batch stays on CITYRADAR_STAGING_URL"
    )
    staging_lease_seconds: float = Field(
        default=300.0,
        ge=5,
        description="seconds a lease on CITYRADAR_STAGING_URL (a source being crawled, the "
        "store's loader) outlives a holder that died; held leases are renewed every third of it",
    )
    db_lock_timeout: float = Field(
        default=300.0,
        ge=0,
        description="seconds a load waits for another process to release the DuckDB file",
    )
    db_memory_limit: str = Field(
        default="256MB",
        pattern=r"^\s*\d+(\.\d+)?\s*([KMGT]i?B)\s*$",
        description="DuckDB's memory for a load or reclassify (beyond it, DuckDB evicts pages and "
        "spills to DB.tmp/); e.g. 256MB, 2GB",
    )

    def __init__(self, **values: Any) -> None:
        """Read the settings; a bad one raises SettingsError naming it.

        Pydantic's own message repeats the value, and a value can be a secret: it is replaced,
        and the original error is not chained (a traceback would print it).
        """
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(describe_settings_error(exc)) from None

    @field_validator("digest_to", "digest_cities", mode="before")
    @classmethod
    def _split_recipients(cls, value: object) -> object:
        """Accept "a@x, b@y" (or "Seoul, Busan") from the environment as well as a list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def db_path(self) -> Path:
        """The DuckDB file: CITYRADAR_DB, else cityradar.duckdb in the data directory."""
        return self.db if self.db is not None else self.data_dir / "cityradar.duckdb"

    @property
    def staging_dir(self) -> Path:
        """Where crawls leave batches until they are loaded."""
        return self.data_dir / "staging"


def describe_settings_error(exc: ValidationError) -> str:
    """One line per bad setting, named as the operator writes it (CITYRADAR_SMTP_PORT).

    Values are not repeated: a mistyped secret must not reach a terminal or a log.
    """
    prefix = Settings.model_config["env_prefix"]
    problems = []
    for error in exc.errors():
        name = prefix + "_".join(str(part) for part in error["loc"]).upper()
        problems.append(f"setting {name}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def crawl_workers() -> int:
    """Sources crawled at once, for a flow's task runner when its module is imported.

    A bad setting must not make importing a flow fail (the CLI and Prefect could then say
    nothing useful): the default is used here, and the flow's own read of the settings, when it
    starts, reports the problem by name.
    """
    try:
        return Settings().crawl_workers
    except SettingsError:
        return int(Settings.model_fields["crawl_workers"].default)
