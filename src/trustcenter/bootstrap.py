"""The composition root: the one place where the parts are made and wired together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from trustcenter.auth import endpoints as oauth_endpoints
from trustcenter.auth.keys import KeyStore
from trustcenter.auth.server import AuthorizationServer
from trustcenter.auth.throttle import AuthThrottle, storage_for
from trustcenter.auth.tokens import TokenGenerator, TokenValidator
from trustcenter.clock import Clock, SystemClock
from trustcenter.config import Settings
from trustcenter.db import migrate
from trustcenter.db.repositories.outbox import SqlOutbox
from trustcenter.db.session import Database
from trustcenter.db.uow import UnitOfWorks
from trustcenter.disclosure.keyring import KeyRing
from trustcenter.disclosure.sources import DataSource, SqlDataSource
from trustcenter.domain.report_policy import Exclusion, parse_configured
from trustcenter.observability import logs
from trustcenter.observability.tracing import Tracing
from trustcenter.observability.tracing import from_env as tracing_from_env
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import PluginLoadError
from trustcenter.services.notice_worker import NoticeWorker, WorkerSettings
from trustcenter.services.webhook_http import WebhookSender
from trustcenter.services.webhook_worker import WebhookSettings, WebhookWorker


@dataclass
class Container:
    settings: Settings
    db: Database
    uow: UnitOfWorks
    clock: Clock
    keys: KeyStore
    auth_server: AuthorizationServer
    validator: TokenValidator
    data_source: DataSource
    plugins: PluginHost
    #: OpenTelemetry traces, when the ``OTEL_*`` variables ask for them
    tracing: Tracing = field(default_factory=Tracing)
    _keyring: KeyRing | None = field(default=None, repr=False)
    _client_throttle: AuthThrottle | None = field(default=None, repr=False)
    _sign_in_throttle: AuthThrottle | None = field(default=None, repr=False)

    @property
    def client_throttle(self) -> AuthThrottle:
        """The budget of failed client authentications at the OAuth endpoints, in the
        configured rate-limit storage (made when first needed)."""
        if self._client_throttle is None:
            s = self.settings
            self._client_throttle = AuthThrottle(
                storage_for(s.rate_limit_storage),
                per_client=s.auth_failures_per_minute,
                per_address=s.auth_failures_per_minute_per_address,
                prefix=s.rate_limit_prefix,
            )
        return self._client_throttle

    @property
    def sign_in_throttle(self) -> AuthThrottle:
        """The budget of failed staff sign-ins, per e-mail address and per source address, in
        the same storage as the client throttle (made when first needed)."""
        if self._sign_in_throttle is None:
            s = self.settings
            self._sign_in_throttle = AuthThrottle(
                storage_for(s.rate_limit_storage),
                per_client=s.sign_in_failures_per_minute,
                per_address=s.sign_in_failures_per_minute_per_address,
                prefix=f"{s.rate_limit_prefix}-sign-in",
            )
        return self._sign_in_throttle

    @property
    def disclosure_keys(self) -> KeyRing:
        """The package keys, read (or, outside production, first made) when first needed."""
        if self._keyring is None:
            s = self.settings
            self._keyring = KeyRing.from_settings(
                s.disclosure_keys, s.disclosure_key_file, s.production
            )
        return self._keyring

    def notice_worker(self, **overrides: Any) -> NoticeWorker:
        """The notice worker with the configured channels (``TRUSTCENTER_NOTICE_CHANNELS``)."""
        s = self.settings
        offered = self.plugins.notice_channels(self.db, SqlOutbox(self.db))
        wanted = [n.strip() for n in s.notice_channels.split(",") if n.strip()]
        missing = [n for n in wanted if n not in offered]
        if not wanted or missing:
            raise PluginLoadError(
                f"notice channels not provided by any loaded plugin: {', '.join(missing) or '-'}"
                f" (offered: {', '.join(sorted(offered)) or 'none'})"
            )
        values: dict[str, Any] = {
            **self._claims(),
            "max_attempts": s.notice_max_attempts,
            "backoff": timedelta(seconds=s.notice_backoff_seconds),
            **overrides,
        }
        return NoticeWorker(
            self.uow,
            self.clock,
            self.plugins,
            [offered[n] for n in wanted],
            WorkerSettings(**values),
        )

    def webhook_worker(self, **overrides: Any) -> WebhookWorker:
        """The webhook worker (``batch_size``, ``lease``, ``concurrency`` may be overridden);
        its sender keeps connections open: close it with ``worker.sender.close()``."""
        s = self.settings
        return WebhookWorker(
            self.uow,
            self.clock,
            WebhookSender(production=s.production),
            secret_key=s.secret_key_bytes,
            settings=WebhookSettings(**{**self._claims(), **overrides}),
        )

    def _claims(self) -> dict[str, Any]:
        """How many rows a worker claims at once, and for how long (both workers)."""
        s = self.settings
        return {
            "batch_size": s.notice_batch_size,
            "lease": timedelta(seconds=s.notice_lease_seconds),
        }

    async def report_exclusions(self) -> list[Exclusion]:
        """The exclusions configuration and plugins ask for, each marked with where it came
        from; the report's build adds CN and refuses any without a reason."""
        configured = parse_configured(self.settings.report_exclusions)
        return [*configured, *await self.plugins.report_exclusions()]

    async def start(self, *, upgrade: bool = True) -> None:
        """Bring the database schema up to date (if asked) and load the signing keys; refuse
        production without the keys that protect data at rest."""
        refusal = self.settings.startup_refusal()
        if refusal is not None:
            raise SystemExit(refusal)
        if upgrade:
            await migrate.upgrade(self.db.engine, self.db.url, self.settings.database_schema)
        await self.keys.load(self.clock.now())

    async def close(self) -> None:
        await self.db.dispose()
        self.tracing.shutdown()


def load_plugins(
    settings: Settings,
    db: Database,
    extra: Sequence[tuple[str, Any]] = (),
    tracing: Tracing | None = None,
) -> tuple[PluginHost, DataSource]:
    """The plugin host — the allow-listed installed plugins, the plugins folder's files and
    ``extra`` (tests) — handed the core's outbox writer, and the data source the plugins chose
    (the built-in SQL source unless one offers another)."""
    plugins = PluginHost.from_settings(
        settings.plugins,
        folder=settings.plugins_dir or None,
        extra=extra,
        outbox=SqlOutbox(db),
        trace=settings.trace_plugins,
        around=tracing.hook_span if tracing is not None and tracing.on else None,
    )
    data_source: DataSource = plugins.data_source(db, SqlDataSource(db))
    return plugins, data_source


def build(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    db: Database | None = None,
    tracing: Tracing | None = None,
) -> Container:
    """The parts, wired. ``db``: an open database on ``settings.database_url`` to use instead of
    a new one — its engine keeps its pool and its compiled statements, which a process that
    builds many containers on one database (the test suite) would otherwise make again each
    time. ``tracing``: the traces' provider (default: as the ``OTEL_*`` variables say)."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    logs.configure(settings.log_level, settings.log_style)
    if db is None:
        db = Database(
            settings.database_url,
            schema=settings.database_schema,
            pool_size=settings.database_pool_size,
        )
    tracing = tracing or tracing_from_env()
    tracing.instrument(db.engine)
    plugins, data_source = load_plugins(settings, db, tracing=tracing)
    keys = KeyStore(db, settings.secret_key_bytes)

    def epoch() -> float:
        return clock.now().timestamp()

    generator = TokenGenerator(
        keys, settings.issuer, settings.audience, settings.token_lifetime, epoch
    )
    auth_server = AuthorizationServer(generator, f"{settings.issuer}/oauth/token", epoch)
    oauth_endpoints.install(auth_server)  # RFC 7009 revocation, RFC 7662 introspection
    return Container(
        settings=settings,
        db=db,
        uow=UnitOfWorks(db),
        clock=clock,
        keys=keys,
        auth_server=auth_server,
        validator=TokenValidator(keys, settings.issuer, settings.audience, epoch),
        data_source=data_source,
        plugins=plugins,
        tracing=tracing,
    )
