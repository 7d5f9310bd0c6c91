"""Reading and writing OAuth clients, issued tokens and client-authentication records."""

from __future__ import annotations

from trustcenter.db.repositories import Repository


class ClientRepository(Repository):
    """OAuth clients, issued tokens and client-authentication records."""
