"""Reading and writing the read side: pages, counts and the rows the loaders batch."""

from __future__ import annotations

from trustcenter.db.repositories import Repository


class ReadRepository(Repository):
    """The read side: pages, counts and the rows the loaders batch."""
