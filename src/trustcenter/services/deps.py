"""What the shells (GraphQL, the web routes) are handed by the composition root, typed here so
they never import it: the application's parts (:class:`AppParts`, which
``trustcenter.bootstrap.Container`` satisfies as it is) and the GraphQL limits
(:class:`GraphQLLimits`, built from the configuration where the app is made)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from trustcenter.clock import Clock
from trustcenter.db.uow import UnitOfWorks
from trustcenter.disclosure.keyring import KeyRing
from trustcenter.disclosure.sources import DataSource
from trustcenter.domain.report_policy import Exclusion
from trustcenter.plugins.host import PluginHost

if TYPE_CHECKING:  # a type only: the rate-limit library loads where a throttle is made
    from trustcenter.auth.throttle import AuthThrottle


class SettingsView(Protocol):
    """The configuration values the GraphQL layer reads while it serves."""

    @property
    def issuer(self) -> str: ...

    @property
    def default_page_size(self) -> int: ...

    @property
    def max_page_size(self) -> int: ...

    @property
    def due_soon_hours(self) -> int: ...

    @property
    def release_approvers(self) -> int:
        """1: the reviewer releases alone; 2: a second person must approve (four eyes)."""
        ...

    @property
    def production(self) -> bool:
        """Production: webhook endpoints must be ``https://``."""
        ...

    @property
    def secret_key_bytes(self) -> bytes | None:
        """``TRUSTCENTER_SECRET_KEY``: seals webhook secrets at rest (None: in clear)."""
        ...


class AppParts(Protocol):
    """The application's parts a request is served with."""

    @property
    def settings(self) -> SettingsView: ...

    @property
    def uow(self) -> UnitOfWorks:
        """Opens the units of work the services read and write in."""
        ...

    @property
    def clock(self) -> Clock: ...

    @property
    def plugins(self) -> PluginHost: ...

    @property
    def data_source(self) -> DataSource: ...

    @property
    def disclosure_keys(self) -> KeyRing: ...

    async def report_exclusions(self) -> list[Exclusion]:
        """The exclusions configuration and plugins ask for."""
        ...


class SignInSettings(Protocol):
    """The configuration values staff sign-in reads."""

    @property
    def issuer(self) -> str: ...

    @property
    def local_sign_in(self) -> bool: ...

    @property
    def session_idle_minutes(self) -> int: ...

    @property
    def session_hours(self) -> int: ...

    @property
    def secret_key_bytes(self) -> bytes | None: ...

    @property
    def oidc_issuer(self) -> str:
        """The single sign-on provider's issuer ("": no single sign-on)."""
        ...

    @property
    def oidc_client_id(self) -> str: ...

    @property
    def oidc_client_secret(self) -> str: ...

    @property
    def oidc_roles_claim(self) -> str:
        """The ID token's claim that lists a person's roles ("": the staff table's roles)."""
        ...

    @property
    def oidc_create_staff(self) -> bool:
        """Whether a person the provider gives roles joins the staff at first sign-in."""
        ...


class SignInParts(Protocol):
    """What staff sign-in is served with (``trustcenter.bootstrap.Container`` satisfies it)."""

    @property
    def settings(self) -> SignInSettings: ...

    @property
    def uow(self) -> UnitOfWorks: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def sign_in_throttle(self) -> AuthThrottle: ...


@dataclass(frozen=True, slots=True)
class GraphQLLimits:
    """The GraphQL schema's limits and the callers' budgets. The defaults are the
    configuration's (``trustcenter.config.Settings``; a test keeps them equal)."""

    #: production: no introspection
    production: bool = False
    max_query_depth: int = 12
    max_aliases: int = 30
    #: the most lexical tokens in a query text, counted before it is parsed
    max_tokens: int = 2000
    default_page_size: int = 20
    max_page_size: int = 100
    #: the largest static cost of one operation
    max_query_cost: int = 25_000
    #: each client's summed cost and requests per minute
    cost_per_minute: int = 100_000
    requests_per_minute: int = 600
    #: the same for callers without a token, per source address
    anonymous_cost_per_minute: int = 5_000
    anonymous_requests_per_minute: int = 60
    #: prefixes the rate-limit keys
    rate_limit_prefix: str = "trustcenter"
