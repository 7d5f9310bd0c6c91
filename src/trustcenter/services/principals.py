"""Who a bearer token speaks for, remembered for the token's lifetime; revocation still
immediate.

Checking a token costs its signature and a lookup of its client, agency and revocation on every
request. This table remembers the answer per token (the exact string: its signature was checked
once) and trusts it again only while

- the token has not expired (its ``exp``, against the server's clock), and
- the auth epoch has not moved: one number in the database (``db.tables_access.AuthEpoch``)
  that every change able to take a token's standing away moves in its own transaction (a token
  revoked, a client revoked, an agency's verification changed — in any process, the command
  line's included). It is read on every request, a one-row read instead of the lookup; when it
  moved, the token is checked and looked up again, and the epoch of that lookup (read in the
  same query) is what the new answer is remembered with.

So a revocation committed before a request began refuses that request. Only answers that let
the caller in are remembered; a refused token is refused through the full check each time. The
table holds at most ``max_tokens`` tokens, least recently used out first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from trustcenter.auth.principal import Principal
from trustcenter.auth.tokens import AccessClaims, TokenValidator
from trustcenter.db.uow import UnitOfWorks
from trustcenter.services.clients import standing_principal

DEFAULT_MAX_TOKENS = 10_000


@dataclass(frozen=True, slots=True)
class _Known:
    claims: AccessClaims
    principal: Principal
    epoch: int


class Principals:
    """The principals of recently seen tokens (one table per app)."""

    def __init__(
        self,
        work: UnitOfWorks,
        validator: TokenValidator,
        now: Callable[[], float],
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        self._work = work
        self._validator = validator
        self._now = now
        self._max = max_tokens
        self._known: OrderedDict[str, _Known] = OrderedDict()

    async def of_token(self, token: str) -> tuple[AccessClaims, Principal | None]:
        """The token's claims and who it speaks for as of now (None: no one). Raises
        ``InvalidToken`` as :meth:`TokenValidator.validate` does."""
        known = self._known.get(token)
        if known is not None:
            if self._now() < known.claims.expires_at and known.epoch == await self._epoch():
                self._known.move_to_end(token)
                return known.claims, known.principal
            del self._known[token]
        claims = await self._validator.validate(token)
        principal, epoch = await standing_principal(self._work, claims)
        if principal is not None and epoch is not None:
            self._known[token] = _Known(claims, principal, epoch)
            while len(self._known) > self._max:
                self._known.popitem(last=False)
        return claims, principal

    async def _epoch(self) -> int | None:
        return await self._work.auth_epoch()

    def __len__(self) -> int:
        return len(self._known)
