"""All configuration, from LESSOR_* environment variables. Built only in the composition root."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LESSOR_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/lessor.db",
        description="sqlite:///path.db (embedded default) or postgresql://user@host:port/db",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    run_projector: bool = Field(
        default=True, description="Run the projector inside the API process"
    )
    projector_poll_s: float = 0.5
    run_scheduler: bool = Field(
        default=True, description="Run the scheduler (renewals, charges) inside the API process"
    )
    scheduler_interval_s: float = 60.0
    read_wait_timeout_s: float = Field(
        default=5.0, description="How long a query waits for ?min_position before 503"
    )
    max_body_bytes: int = 1_048_576
