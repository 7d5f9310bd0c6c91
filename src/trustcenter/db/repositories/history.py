"""Reading and writing requests imported from an earlier system."""

from __future__ import annotations

from trustcenter.db.repositories import Repository


class HistoryRepository(Repository):
    """Requests imported from an earlier system."""
