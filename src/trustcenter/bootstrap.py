"""The composition root: the one place where the parts are made and wired together.

The token service (signing keys, the OAuth server, the token validator) and the failed-login
throttles are made when first needed, and their modules imported then: a command that only
reads the database (``audit verify``, ``worker``) never loads the OAuth or the rate-limit
libraries (docs/performance.md, the suite). ``start`` makes the token service, as serving needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from trustcenter.auth.keys import KeyStore
    from trustcenter.auth.server import AuthorizationServer
    from trustcenter.auth.throttle import AuthThrottle
    from trustcenter.auth.tokens import TokenValidator
    from trustcenter.services.notice_worker import NoticeWorker
    from trustcenter.services.webhook_worker import WebhookWorker


@dataclass
class Container:
    settings: Settings
    db: Database
    uow: UnitOfWorks
    clock: Clock
    data_source: DataSource
    plugins: PluginHost
    #: seconds since the epoch on the clock the container was built with (the tokens' time)
    epoch: Callable[[], float] = field(repr=False)
    #: OpenTelemetry traces, when the ``OTEL_*`` variables ask for them
    tracing: Tracing = field(default_factory=Tracing)
    _keys: KeyStore | None = field(default=None, repr=False)
    _auth_server: AuthorizationServer | None = field(default=None, repr=False)
    _validator: TokenValidator | None = field(default=None, repr=False)
    _keyring: KeyRing | None = field(default=None, repr=False)
    _client_throttle: AuthThrottle | None = field(default=None, repr=False)
    _sign_in_throttle: AuthThrottle | None = field(default=None, repr=False)

    @property
    def keys(self) -> KeyStore:
        """The token signing keys (made when first needed; ``start`` loads them)."""
        if self._keys is None:
            from trustcenter.auth.keys import KeyStore

            self._keys = KeyStore(self.db, self.settings.secret_key_bytes)
        return self._keys

    @property
    def auth_server(self) -> AuthorizationServer:
        """The OAuth authorization server: tokens signed with ``keys`` (made when first
        needed, with RFC 7009 revocation and RFC 7662 introspection installed)."""
        if self._auth_server is None:
            from trustcenter.auth import endpoints as oauth_endpoints
            from trustcenter.auth.server import AuthorizationServer
            from trustcenter.auth.tokens import TokenGenerator

            s = self.settings
            generator = TokenGenerator(
                self.keys, s.issuer, s.audience, s.token_lifetime, self.epoch
            )
            server = AuthorizationServer(generator, f"{s.issuer}/oauth/token", self.epoch)
            oauth_endpoints.install(server)
            self._auth_server = server
        return self._auth_server

    @property
    def validator(self) -> TokenValidator:
        """Checks the bearer tokens the API is called with (made when first needed)."""
        if self._validator is None:
            from trustcenter.auth.tokens import TokenValidator

            s = self.settings
            self._validator = TokenValidator(self.keys, s.issuer, s.audience, self.epoch)
        return self._validator

    @property
    def client_throttle(self) -> AuthThrottle:
        """The budget of failed client authentications at the OAuth endpoints, in the
        configured rate-limit storage (made when first needed)."""
        if self._client_throttle is None:
            from trustcenter.auth.throttle import AuthThrottle, storage_for

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
            from trustcenter.auth.throttle import AuthThrottle, storage_for

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
        from trustcenter.services.notice_worker import NoticeWorker, WorkerSettings

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
        from trustcenter.services.webhook_http import WebhookSender
        from trustcenter.services.webhook_worker import WebhookSettings, WebhookWorker

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

    async def start(self, *, upgrade: bool = True, check_revision: bool = False) -> None:
        """Bring the database schema up to date (if asked; else, with ``check_revision``,
        refuse a schema that is not at the code's revision), make the token service and load
        the signing keys; refuse production without the keys that protect data at rest."""
        refusal = self.settings.startup_refusal()
        if refusal is not None:
            raise SystemExit(refusal)
        if upgrade:
            await migrate.upgrade(self.db.engine, self.db.url, self.settings.database_schema)
        elif check_revision:
            refusal = await self.revision_refusal()
            if refusal is not None:
                raise SystemExit(refusal)
        self.auth_server, self.validator  # noqa: B018 - made now: serving needs them
        await self.keys.load(self.clock.now())

    async def revision_refusal(self) -> str | None:
        """Why this code must not serve the database: its schema is at another revision."""
        current = await migrate.current_revision(self.db.engine)
        if current == migrate.head_revision():
            return None
        return (
            f"the database is at revision {current or 'none'}, the code needs "
            f"{migrate.head_revision()}: run 'trustcenter db upgrade' first"
        )

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

    def epoch() -> float:
        return clock.now().timestamp()

    return Container(
        settings=settings,
        db=db,
        uow=UnitOfWorks(db, issuer=settings.issuer),
        clock=clock,
        data_source=data_source,
        plugins=plugins,
        tracing=tracing,
        epoch=epoch,
    )
