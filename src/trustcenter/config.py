"""Settings, read once from ``TRUSTCENTER_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from trustcenter.domain.report_policy import configuration_refusal

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./trustcenter.db"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    database_schema: str | None = None
    env: str = "development"
    issuer: str = "http://localhost:8000"
    audience: str = "urn:trustcenter:api"
    token_lifetime: int = 900
    max_body_bytes: int = 12 * 1024 * 1024
    #: the largest legal document POST /documents accepts (its own limit, above the body limit)
    max_document_bytes: int = 20 * 1024 * 1024
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    default_page_size: int = 20
    max_page_size: int = 100
    log_level: str = "INFO"
    #: "kid:base64key[,kid:base64key…]": AES-256 keys for disclosure packages; the first
    #: seals new packages, the others still open older ones (rotation)
    disclosure_keys: str = ""
    disclosure_key_file: str = "trustcenter-disclosure.key"
    due_soon_hours: int = 48
    #: installed plugins to load: "*" (all), "" (none) or entry-point names, comma-separated
    plugins: str = "*"
    #: the channels every notice goes through, by name, comma-separated ("outbox" is built in)
    notice_channels: str = "outbox"
    notice_batch_size: int = 50
    #: how long a worker's claim on a batch lasts before another worker may take it over
    notice_lease_seconds: int = 300
    notice_max_attempts: int = 8
    #: the first retry's delay; each further retry waits twice as long (at most 6 hours)
    notice_backoff_seconds: int = 60
    #: countries or regions left out of the transparency report besides CN (always excluded),
    #: each with its reason: "KP:no lawful channel exists;XY:…" (plugins may add more)
    report_exclusions: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        e = os.environ if env is None else env
        values: dict[str, object] = {
            "database_url": e.get("TRUSTCENTER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "database_schema": e.get("TRUSTCENTER_DATABASE_SCHEMA") or None,
            "env": e.get("TRUSTCENTER_ENV", "development"),
            "issuer": (e.get("TRUSTCENTER_ISSUER") or "http://localhost:8000").rstrip("/"),
            "audience": e.get("TRUSTCENTER_AUDIENCE") or "urn:trustcenter:api",
            "token_lifetime": _int(e, "TRUSTCENTER_TOKEN_LIFETIME", 900),
            "max_body_bytes": _int(e, "TRUSTCENTER_MAX_BODY_BYTES", 12 * 1024 * 1024),
            "max_document_bytes": _int(e, "TRUSTCENTER_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024),
            "log_level": e.get("TRUSTCENTER_LOG_LEVEL", "INFO"),
            "disclosure_keys": e.get("TRUSTCENTER_DISCLOSURE_KEYS", ""),
            "disclosure_key_file": e.get("TRUSTCENTER_DISCLOSURE_KEY_FILE")
            or "trustcenter-disclosure.key",
            "due_soon_hours": _int(e, "TRUSTCENTER_DUE_SOON_HOURS", 48),
            "plugins": e.get("TRUSTCENTER_PLUGINS", "*"),
            "report_exclusions": e.get("TRUSTCENTER_REPORT_EXCLUSIONS", ""),
            "notice_channels": e.get("TRUSTCENTER_NOTICE_CHANNELS") or "outbox",
            "notice_batch_size": _int(e, "TRUSTCENTER_NOTICE_BATCH_SIZE", 50),
            "notice_lease_seconds": _int(e, "TRUSTCENTER_NOTICE_LEASE_SECONDS", 300),
            "notice_max_attempts": _int(e, "TRUSTCENTER_NOTICE_MAX_ATTEMPTS", 8),
            "notice_backoff_seconds": _int(e, "TRUSTCENTER_NOTICE_BACKOFF_SECONDS", 60),
        }
        values.update(overrides)
        settings = cls(**values)  # type: ignore[arg-type]
        if not 60 <= settings.token_lifetime <= 3600:
            raise SystemExit("TRUSTCENTER_TOKEN_LIFETIME must be between 60 and 3600 seconds")
        for name in (
            "notice_batch_size",
            "notice_lease_seconds",
            "notice_max_attempts",
            "max_document_bytes",
        ):
            if getattr(settings, name) < 1:
                raise SystemExit(f"TRUSTCENTER_{name.upper()} must be at least 1")
        refusal = configuration_refusal(settings.report_exclusions)
        if refusal is not None:
            raise SystemExit(refusal)
        return settings
