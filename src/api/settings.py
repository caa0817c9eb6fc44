"""All configuration, from LESSOR_* environment variables. Built only in the composition root."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Signs the local Stripe stand-in's webhooks; bootstrap refuses it next to a real Stripe key.
DEV_WEBHOOK_SECRET = "whsec_lessor_dev_only_do_not_use_with_stripe"  # noqa: S105 (public on purpose)
# Signs rental licences in development and tests; a deployment sets its own (ADR 0025).
DEV_LICENCE_KEY = "6c6573736f722d6465762d6f6e6c792d6c6963656e63652d6b65792d30303031"
# Signs the audit chain's checkpoints in development and tests; a deployment sets its own,
# a key of its own, not the licence key (ADR 0044).
DEV_AUDIT_KEY = "6c6573736f722d6465762d6f6e6c792d61756469742d636861696e2d30303031"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LESSOR_", extra="ignore")

    mode: Literal["production", "sandbox"] = Field(
        default="production",
        description="sandbox: an operator may set or advance business time (ADR 0011)",
    )
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
    console_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="A console session ends after this idle time"
    )
    stripe_api_key: SecretStr | None = Field(
        default=None,
        description="Stripe secret key (sk_…); unset: a local Stripe stand-in serves checkouts",
    )
    stripe_api_base: str | None = Field(
        default=None, description="Another server speaking Stripe's API (tests, emulators)"
    )
    licence_signing_key: SecretStr = Field(
        default=SecretStr(DEV_LICENCE_KEY),
        description="Ed25519 private key seed (64 hex digits) that signs rental licences;"
        " the default is public, for development only",
    )
    audit_signing_key: SecretStr = Field(
        default=SecretStr(DEV_AUDIT_KEY),
        description="Ed25519 private key seed (64 hex digits) that signs the audit chain's"
        " checkpoints; the default is public, for development only",
    )
    stripe_webhook_secret: SecretStr = Field(
        default=SecretStr(DEV_WEBHOOK_SECRET),
        description="The endpoint's signing secret (whsec_…) for POST /webhooks/stripe",
    )
    public_url: str = Field(
        default="",
        description="Where this API is reached from outside (checkout return, stand-in webhooks);"
        " unset: http://<host>:<port> of this server (127.0.0.1 for a wildcard host)",
    )
    # The provider as its invoices name it (SPEC §6), frozen on each invoice when issued.
    invoice_seller_name: str = Field(default="Lessor Provider AB", max_length=200)
    invoice_seller_address: str = Field(default="", max_length=400)
    invoice_seller_vat_id: str = Field(default="", max_length=30)
    invoice_seller_iban: str = Field(default="", max_length=34)
    invoice_seller_country: str = Field(default="SE", pattern=r"^([A-Z]{2})?$")
    invoice_require_en16931: bool = Field(
        default=False,
        description="E-invoicing: refuse to issue an invoice Factur-X (EN 16931) cannot carry",
    )
    invoice_auto_issue: bool = Field(
        default=False, description="Issue each run's drafts at once (else an operator issues)"
    )

    # Email (SPEC §2.2): SMTP when a host is set, else .eml files under outbox_dir.
    smtp_host: str | None = Field(
        default=None, description="SMTP server; unset: emails are written as .eml files"
    )
    smtp_port: int = 25
    smtp_sender: str = Field(default="lessor@localhost", description="The From address")
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection (STARTTLS)")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    outbox_dir: str = Field(
        default="var/outbox", description="Where .eml files go when no SMTP host is set"
    )
    email_interval_s: float = Field(
        default=5.0, description="How often the sender inside `lessor serve` looks for due email"
    )
    email_max_age_days: float = Field(
        default=7.0,
        description="Email older than this when first seen is not sent (old history, not news)",
    )

    @model_validator(mode="after")
    def _public_url_follows_the_port(self) -> Settings:
        """Unset, the public URL is this server's own address, so a changed port cannot leave
        the Stripe stand-in posting webhooks to a dead one (docs/adr/0016)."""
        if not self.public_url:
            self.public_url = local_url(self.host, self.port)
        return self


# Hosts that mean "every interface": a client on this machine reaches them on loopback.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (names, not a bind)


def local_url(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server bound to host:port."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    elif ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"http://{host}:{port}"


def sandbox_unless_set(settings: Settings) -> Settings:
    """The demo's settings: sandbox mode unless LESSOR_MODE names a mode itself."""
    if "mode" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"mode": "sandbox"})
