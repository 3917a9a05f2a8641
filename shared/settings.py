"""Settings from the environment (and `.env`), one class per service on a common base.

Settings every service reads (broker, database, topics) use their plain variable names, for example
`KAFKA_BOOTSTRAP_SERVERS`; a service's own settings carry its prefix, for example `REQUESTS_PORT`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

Environment = Literal["development", "test", "production"]
Port = Annotated[int, Field(ge=1, le=65535)]

DEVELOPMENT_PASSWORD_SUFFIX = "-dev-password"


def _plain(name: str) -> AliasChoices:
    """An env var name that a service's prefix does not change."""
    return AliasChoices(name, name.upper())


class CommonSettings(BaseSettings):
    """What every process of the system reads the same way."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, validate_default=True
    )

    environment: Environment = Field("development", validation_alias=_plain("environment"))
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=_plain("kafka_bootstrap_servers")
    )
    database_url: str = Field(
        "postgresql+asyncpg://clearinghouse:clearinghouse@127.0.0.1:5432/clearinghouse",
        validation_alias=_plain("database_url"),
        description="Administrative connection: migrations create each service's role and schema.",
    )
    topic_prefix: str = Field(
        "clearinghouse", pattern=r"^[a-z][a-z0-9-]*$", validation_alias=_plain("topic_prefix")
    )
    topic_partitions: int = Field(3, ge=1, le=64, validation_alias=_plain("topic_partitions"))
    topic_replication_factor: int = Field(
        1, ge=1, le=5, validation_alias=_plain("topic_replication_factor")
    )
    topic_retention_ms: int = Field(
        -1,
        ge=-1,
        validation_alias=_plain("topic_retention_ms"),
        description="-1 keeps events for ever, so read models can be rebuilt from the beginning.",
    )
    deadletter_retention_ms: int = Field(
        30 * 24 * 3600 * 1000, ge=-1, validation_alias=_plain("deadletter_retention_ms")
    )
    regional_centres_file: Path | None = Field(
        None,
        validation_alias=_plain("regional_centres_file"),
        description="JSON list of regional centres; by default one per UN M49 sub-region.",
    )
    portal_urls: dict[str, str] = Field(
        {},
        validation_alias=_plain("portal_urls"),
        description=(
            "The base URL of each service's pages, by service name, for the portal's links; "
            "by default links stay on the host serving the page."
        ),
    )
    log_level: str = Field("INFO", validation_alias=_plain("log_level"))
    log_format: Literal["json", "text"] = Field("json", validation_alias=_plain("log_format"))


class ServiceSettings(CommonSettings):
    """The settings of one service process; subclasses set `env_prefix` and the defaults."""

    service_name: str
    host: str = "127.0.0.1"
    port: Port
    database_password: SecretStr = SecretStr("")
    database_pool_size: int = Field(10, ge=1, le=100)
    relay_batch_size: int = Field(500, ge=1, le=10_000)
    relay_idle_poll_seconds: float = Field(1.0, gt=0)
    relay_sent_retention_hours: float = Field(24.0, ge=0)
    consumer_max_attempts: int = Field(
        5, ge=1, description="Handler failures before an event goes to the dead-letter topic."
    )
    consumer_backoff_seconds: float = Field(0.2, gt=0)
    consumer_backoff_max_seconds: float = Field(10.0, gt=0)
    max_body_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="The largest request body the API reads; a larger one is answered 413 "
        "before it is read whole.",
    )

    @model_validator(mode="after")
    def _password_for_environment(self) -> ServiceSettings:
        password = self.database_password.get_secret_value()
        production = self.environment == "production"
        if production and (not password or password.endswith(DEVELOPMENT_PASSWORD_SUFFIX)):
            raise ValueError(f"{self.service_name}: set a real database_password in production")
        if not password:
            self.database_password = SecretStr(self.service_name + DEVELOPMENT_PASSWORD_SUFFIX)
        return self

    @property
    def database_role(self) -> str:
        """The PostgreSQL role of this service: it owns this service's schema and nothing else."""
        return self.service_name

    @property
    def database_schema(self) -> str:
        return self.service_name

    @property
    def admin_database_url(self) -> URL:
        return make_url(self.database_url)

    @property
    def service_database_url(self) -> URL:
        """The administrative URL with this service's own role and password."""
        return self.admin_database_url.set(
            username=self.database_role, password=self.database_password.get_secret_value()
        )


class BulkSettings(ServiceSettings):
    """The limits of a service that takes bulk uploads (`shared.bulk`)."""

    bulk_max_rows: int = Field(
        10_000, ge=1, le=100_000, description="The most rows one bulk upload may carry."
    )
    bulk_max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1024,
        description="The largest file one bulk upload may carry, in bytes; at most the body "
        "limit of the service (<SERVICE>_MAX_BODY_BYTES).",
    )
    bulk_max_errors: int = Field(
        1000, ge=1, description="The most problems a refused bulk upload lists (it counts all)."
    )
