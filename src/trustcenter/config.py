"""Settings, read once from ``TRUSTCENTER_*`` environment variables."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from trustcenter.domain.report_policy import configuration_refusal

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./trustcenter.db"
#: the values TRUSTCENTER_ENV takes, in any case; anything else stops start-up
ENVIRONMENTS = ("development", "production")
#: TRUSTCENTER_LOG_LEVEL's values, in any case
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: the shortest metrics token production accepts
METRICS_TOKEN_MIN = 32


def _flag(env: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SystemExit(f"{name} must be 1 or 0 (true or false), not {raw[:40]!r}")


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise SystemExit(f"{name} must be a number of seconds (0 or more), not {raw[:40]!r}")
    return value


def _networks_refusal(value: str) -> str | None:
    """Why a list of addresses and networks ("10.0.0.1, 10.1.0.0/16" or "*") is not one."""
    for item in (part.strip() for part in value.split(",")):
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"{item[:60]!r} is not an IP address or network (or *)"
    return None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


def metrics_address(value: str) -> tuple[str, int]:
    """``TRUSTCENTER_METRICS_ADDR`` as (host, port); stops start-up when it is not host:port."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(
            f"TRUSTCENTER_METRICS_ADDR must be host:port (e.g. 127.0.0.1:9464), not {value[:60]!r}"
        )
    return host, int(port)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    database_schema: str | None = None
    #: connections the server keeps open to the database (``db.session.Database``)
    database_pool_size: int = 20
    #: whether the server's start-up migrates the database (else it only checks the revision
    #: and refuses an old schema: for deployments that run ``trustcenter db upgrade`` first)
    migrate_at_start: bool = True
    #: seconds between the server's rounds of sealing the audit chain (0: none)
    seal_every: float = 2.0
    env: str = "development"
    issuer: str = "http://localhost:8000"
    audience: str = "urn:trustcenter:api"
    token_lifetime: int = 900
    max_body_bytes: int = 12 * 1024 * 1024
    #: the largest POST /graphql body (documents travel through POST /documents)
    max_graphql_bytes: int = 256 * 1024
    #: the largest body a caller without an Authorization header may send, on any path
    max_anonymous_bytes: int = 8 * 1024
    #: the deepest nesting of arrays and objects in a GraphQL request's JSON
    max_json_depth: int = 32
    #: the longest GraphQL query text, in UTF-8 bytes
    max_query_bytes: int = 32 * 1024
    #: the largest legal document POST /documents accepts (its own limit, above the body limit)
    max_document_bytes: int = 20 * 1024 * 1024
    max_query_depth: int = 12
    max_aliases: int = 30
    #: the most lexical tokens in a GraphQL query text (the largest documented query has ~100,
    #: an introspection query ~200); counted before the text is parsed
    max_tokens: int = 2000
    default_page_size: int = 20
    max_page_size: int = 100
    #: the largest static cost of one GraphQL operation (fields times page sizes)
    max_query_cost: int = 25_000
    #: a client's GraphQL budget per minute: the summed cost of its operations, and requests
    graphql_cost_per_minute: int = 100_000
    graphql_requests_per_minute: int = 600
    #: the same for callers without a token, counted per source address
    graphql_anonymous_cost_per_minute: int = 5_000
    graphql_anonymous_requests_per_minute: int = 60
    #: where rate-limit counters live: "memory://" (one process) or "redis://host:port/db"
    #: (shared by every process that serves)
    rate_limit_storage: str = "memory://"
    #: failed client authentications allowed per minute, per claimed client id and per source
    #: address, before the OAuth endpoints answer 429 slow_down
    auth_failures_per_minute: int = 10
    auth_failures_per_minute_per_address: int = 30
    #: prefixes the rate-limit keys, so several deployments can share one Redis
    rate_limit_prefix: str = "trustcenter"
    log_level: str = "INFO"
    #: "json" (one object per line) or "text"; "": JSON in production, text otherwise
    log_format: str = ""
    #: one access-log line per HTTP request (logger ``trustcenter.access``)
    access_log: bool = True
    #: the addresses (or networks) whose X-Forwarded-For and X-Forwarded-Proto serve believes:
    #: the TLS-terminating proxy's; "*" believes anyone
    forwarded_allow_ips: str = "127.0.0.1"
    #: "kid:base64key[,kid:base64key…]": AES-256 keys for disclosure packages; the first
    #: seals new packages, the others still open older ones (rotation)
    disclosure_keys: str = ""
    disclosure_key_file: str = "trustcenter-disclosure.key"
    #: base64 of 32 random bytes: the AES-256-GCM key that encrypts the token signing keys in
    #: the database; required in production (without it, development stores them in clear)
    secret_key: str = ""
    due_soon_hours: int = 48
    #: installed plugins to load: "*" (all), "" (none) or entry-point names, comma-separated
    plugins: str = "*"
    #: a folder whose every ``*.py`` file is loaded as a plugin named by its stem ("": none)
    plugins_dir: str = ""
    #: log every hook call on the logger ``trustcenter.plugins`` (hook, plugins, argument
    #: names, duration; never argument values)
    trace_plugins: bool = False
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
    #: staff may sign in with a local password and a second factor (off: single sign-on only)
    local_sign_in: bool = True
    #: a console session ends after this many idle minutes, and this many hours after sign-in
    session_idle_minutes: int = 30
    session_hours: int = 12
    #: failed staff sign-ins allowed per minute, per e-mail address and per source address
    sign_in_failures_per_minute: int = 5
    sign_in_failures_per_minute_per_address: int = 30
    #: people who must agree before a release: 1 (the reviewer alone) or 2 (four eyes)
    release_approvers: int = 1
    #: single sign-on with the company's OpenID Connect provider: its issuer URL (exactly as
    #: its discovery document gives it), this service's client id and secret there; all three
    #: or none. The redirect URI to register is ``{issuer}/console/sso/callback``.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    #: the claim listing a person's roles (e.g. "trustcenter_roles"); "": roles come from the
    #: staff table
    oidc_roles_claim: str = ""
    #: a person the provider vouches for, with roles in the claim, joins the staff at their
    #: first sign-in (needs ``oidc_roles_claim``)
    oidc_create_staff: bool = False
    #: the bearer token that opens ``/metrics`` on the main port ("": ``/metrics`` answers 404
    #: there); production refuses one shorter than :data:`METRICS_TOKEN_MIN` characters
    metrics_token: str = field(default="", repr=False)
    #: "host:port" of a separate listener serving ``/metrics`` without a token ("": none);
    #: never expose it beyond the scraper's network
    metrics_addr: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def secret_key_bytes(self) -> bytes | None:
        """The decoded ``TRUSTCENTER_SECRET_KEY`` (checked by ``from_env``), or None."""
        return base64.b64decode(self.secret_key, validate=True) if self.secret_key else None

    def startup_refusal(self) -> str | None:
        """Why the service must not start with these settings (production without its keys)."""
        if not self.production:
            return None
        missing = [
            name
            for name, value in (
                ("TRUSTCENTER_SECRET_KEY", self.secret_key),
                ("TRUSTCENTER_DISCLOSURE_KEYS", self.disclosure_keys.strip()),
            )
            if not value
        ]
        if missing:
            return f"production needs {' and '.join(missing)}: refusing to start without them"
        return self._metrics_refusal() or self._oidc_refusal()

    def _metrics_refusal(self) -> str | None:
        """Why production must not open ``/metrics`` with this token (short or repetitive)."""
        token = self.metrics_token
        if token and (len(token) < METRICS_TOKEN_MIN or len(set(token)) < 16):
            return (
                f"TRUSTCENTER_METRICS_TOKEN is too weak: use at least {METRICS_TOKEN_MIN} "
                "random characters (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        return None

    @property
    def log_style(self) -> str:
        """The log format in force: the one chosen, else JSON in production, text otherwise."""
        return self.log_format or ("json" if self.production else "text")

    @property
    def oidc_configured(self) -> bool:
        """Whether single sign-on is offered: issuer, client id and secret are all set."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @property
    def oidc_redirect_uri(self) -> str:
        """Where the provider sends the browser back (register it with the provider)."""
        return f"{self.issuer}/console/sso/callback"

    def _oidc_refusal(self) -> str | None:
        """Why production must not start with this single sign-on configuration."""
        given = {
            "TRUSTCENTER_OIDC_ISSUER": self.oidc_issuer,
            "TRUSTCENTER_OIDC_CLIENT_ID": self.oidc_client_id,
            "TRUSTCENTER_OIDC_CLIENT_SECRET": self.oidc_client_secret,
        }
        missing = [name for name, value in given.items() if not value]
        if 0 < len(missing) < len(given):
            return (
                "single sign-on needs TRUSTCENTER_OIDC_ISSUER, TRUSTCENTER_OIDC_CLIENT_ID and "
                f"TRUSTCENTER_OIDC_CLIENT_SECRET together: {', '.join(missing)} is missing"
            )
        if self.oidc_configured and not self.oidc_issuer.startswith("https://"):
            return "TRUSTCENTER_OIDC_ISSUER must be an https:// address in production"
        if not self.local_sign_in and not self.oidc_configured:
            return (
                "TRUSTCENTER_LOCAL_SIGN_IN=0 turns passwords off, but single sign-on is not "
                "configured (TRUSTCENTER_OIDC_*): nobody could sign in"
            )
        return None

    @property
    def production(self) -> bool:
        return self.env.strip().lower() == "production"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        e = os.environ if env is None else env
        values: dict[str, object] = {
            "database_url": e.get("TRUSTCENTER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "database_schema": e.get("TRUSTCENTER_DATABASE_SCHEMA") or None,
            "database_pool_size": _int(e, "TRUSTCENTER_DATABASE_POOL_SIZE", 20),
            "migrate_at_start": _flag(e, "TRUSTCENTER_MIGRATE_AT_START", default=True),
            "seal_every": _seconds(e, "TRUSTCENTER_SEAL_EVERY", 2.0),
            "env": (e.get("TRUSTCENTER_ENV") or "development").strip().lower(),
            "issuer": (e.get("TRUSTCENTER_ISSUER") or "http://localhost:8000").rstrip("/"),
            "audience": e.get("TRUSTCENTER_AUDIENCE") or "urn:trustcenter:api",
            "token_lifetime": _int(e, "TRUSTCENTER_TOKEN_LIFETIME", 900),
            "max_body_bytes": _int(e, "TRUSTCENTER_MAX_BODY_BYTES", 12 * 1024 * 1024),
            "max_graphql_bytes": _int(e, "TRUSTCENTER_MAX_GRAPHQL_BYTES", 256 * 1024),
            "max_anonymous_bytes": _int(e, "TRUSTCENTER_MAX_ANONYMOUS_BYTES", 8 * 1024),
            "max_json_depth": _int(e, "TRUSTCENTER_MAX_JSON_DEPTH", 32),
            "max_query_bytes": _int(e, "TRUSTCENTER_MAX_QUERY_BYTES", 32 * 1024),
            "max_tokens": _int(e, "TRUSTCENTER_MAX_TOKENS", 2000),
            "max_document_bytes": _int(e, "TRUSTCENTER_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024),
            "max_query_cost": _int(e, "TRUSTCENTER_MAX_QUERY_COST", 25_000),
            "graphql_cost_per_minute": _int(e, "TRUSTCENTER_GRAPHQL_COST_PER_MINUTE", 100_000),
            "graphql_requests_per_minute": _int(e, "TRUSTCENTER_GRAPHQL_REQUESTS_PER_MINUTE", 600),
            "graphql_anonymous_cost_per_minute": _int(
                e, "TRUSTCENTER_GRAPHQL_ANONYMOUS_COST_PER_MINUTE", 5_000
            ),
            "graphql_anonymous_requests_per_minute": _int(
                e, "TRUSTCENTER_GRAPHQL_ANONYMOUS_REQUESTS_PER_MINUTE", 60
            ),
            "rate_limit_storage": e.get("TRUSTCENTER_RATE_LIMIT_STORAGE") or "memory://",
            "auth_failures_per_minute": _int(e, "TRUSTCENTER_AUTH_FAILURES_PER_MINUTE", 10),
            "auth_failures_per_minute_per_address": _int(
                e, "TRUSTCENTER_AUTH_FAILURES_PER_MINUTE_PER_ADDRESS", 30
            ),
            "rate_limit_prefix": e.get("TRUSTCENTER_RATE_LIMIT_PREFIX") or "trustcenter",
            "log_level": (e.get("TRUSTCENTER_LOG_LEVEL") or "INFO").strip().upper(),
            "log_format": (e.get("TRUSTCENTER_LOG_FORMAT") or "").strip().lower(),
            "access_log": _flag(e, "TRUSTCENTER_ACCESS_LOG", default=True),
            "forwarded_allow_ips": (
                e.get("TRUSTCENTER_FORWARDED_ALLOW_IPS") or "127.0.0.1"
            ).strip(),
            "disclosure_keys": e.get("TRUSTCENTER_DISCLOSURE_KEYS", ""),
            "disclosure_key_file": e.get("TRUSTCENTER_DISCLOSURE_KEY_FILE")
            or "trustcenter-disclosure.key",
            "secret_key": (e.get("TRUSTCENTER_SECRET_KEY") or "").strip(),
            "due_soon_hours": _int(e, "TRUSTCENTER_DUE_SOON_HOURS", 48),
            "plugins": e.get("TRUSTCENTER_PLUGINS", "*"),
            "plugins_dir": (e.get("TRUSTCENTER_PLUGINS_DIR") or "").strip(),
            "trace_plugins": _flag(e, "TRUSTCENTER_TRACE_PLUGINS"),
            "report_exclusions": e.get("TRUSTCENTER_REPORT_EXCLUSIONS", ""),
            "notice_channels": e.get("TRUSTCENTER_NOTICE_CHANNELS") or "outbox",
            "notice_batch_size": _int(e, "TRUSTCENTER_NOTICE_BATCH_SIZE", 50),
            "notice_lease_seconds": _int(e, "TRUSTCENTER_NOTICE_LEASE_SECONDS", 300),
            "notice_max_attempts": _int(e, "TRUSTCENTER_NOTICE_MAX_ATTEMPTS", 8),
            "notice_backoff_seconds": _int(e, "TRUSTCENTER_NOTICE_BACKOFF_SECONDS", 60),
            "local_sign_in": _flag(e, "TRUSTCENTER_LOCAL_SIGN_IN", default=True),
            "session_idle_minutes": _int(e, "TRUSTCENTER_SESSION_IDLE_MINUTES", 30),
            "session_hours": _int(e, "TRUSTCENTER_SESSION_HOURS", 12),
            "sign_in_failures_per_minute": _int(e, "TRUSTCENTER_SIGN_IN_FAILURES_PER_MINUTE", 5),
            "sign_in_failures_per_minute_per_address": _int(
                e, "TRUSTCENTER_SIGN_IN_FAILURES_PER_MINUTE_PER_ADDRESS", 30
            ),
            "release_approvers": _int(e, "TRUSTCENTER_RELEASE_APPROVERS", 1),
            "oidc_issuer": (e.get("TRUSTCENTER_OIDC_ISSUER") or "").strip(),
            "oidc_client_id": (e.get("TRUSTCENTER_OIDC_CLIENT_ID") or "").strip(),
            "oidc_client_secret": (e.get("TRUSTCENTER_OIDC_CLIENT_SECRET") or "").strip(),
            "oidc_roles_claim": (e.get("TRUSTCENTER_OIDC_ROLES_CLAIM") or "").strip(),
            "oidc_create_staff": _flag(e, "TRUSTCENTER_OIDC_CREATE_STAFF"),
            "metrics_token": (e.get("TRUSTCENTER_METRICS_TOKEN") or "").strip(),
            "metrics_addr": (e.get("TRUSTCENTER_METRICS_ADDR") or "").strip(),
        }
        values.update(overrides)
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.env.strip().lower() not in ENVIRONMENTS:
            raise SystemExit(
                f"TRUSTCENTER_ENV must be one of {', '.join(ENVIRONMENTS)} (any case), "
                f"not {settings.env[:40]!r}"
            )
        if settings.secret_key:
            try:
                key = base64.b64decode(settings.secret_key, validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != 32:
                raise SystemExit("TRUSTCENTER_SECRET_KEY must be the base64 of 32 random bytes")
        if not 60 <= settings.token_lifetime <= 3600:
            raise SystemExit("TRUSTCENTER_TOKEN_LIFETIME must be between 60 and 3600 seconds")
        for name in (
            "notice_batch_size",
            "notice_lease_seconds",
            "notice_max_attempts",
            "max_document_bytes",
            "auth_failures_per_minute",
            "auth_failures_per_minute_per_address",
            "max_query_cost",
            "graphql_cost_per_minute",
            "graphql_requests_per_minute",
            "graphql_anonymous_cost_per_minute",
            "graphql_anonymous_requests_per_minute",
            "max_graphql_bytes",
            "max_anonymous_bytes",
            "max_json_depth",
            "max_query_bytes",
            "max_tokens",
            "session_idle_minutes",
            "session_hours",
            "sign_in_failures_per_minute",
            "sign_in_failures_per_minute_per_address",
        ):
            if getattr(settings, name) < 1:
                raise SystemExit(f"TRUSTCENTER_{name.upper()} must be at least 1")
        refused = _networks_refusal(settings.forwarded_allow_ips)
        if refused is not None:
            raise SystemExit(f"TRUSTCENTER_FORWARDED_ALLOW_IPS: {refused}")
        if settings.log_level not in LOG_LEVELS:
            raise SystemExit(f"TRUSTCENTER_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        if settings.log_format not in ("", "json", "text"):
            raise SystemExit("TRUSTCENTER_LOG_FORMAT must be json or text")
        if settings.release_approvers not in (1, 2):
            raise SystemExit("TRUSTCENTER_RELEASE_APPROVERS must be 1 or 2")
        if settings.oidc_create_staff and not settings.oidc_roles_claim:
            raise SystemExit(
                "TRUSTCENTER_OIDC_CREATE_STAFF=1 needs TRUSTCENTER_OIDC_ROLES_CLAIM: a person "
                "joins the staff with the roles that claim gives"
            )
        if settings.metrics_addr:
            metrics_address(settings.metrics_addr)  # exits when it is not host:port
        refusal = configuration_refusal(settings.report_exclusions)
        if refusal is not None:
            raise SystemExit(refusal)
        return settings
