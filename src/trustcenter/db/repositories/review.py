"""Reading and writing what review reads and writes: items, targets and findings."""

from __future__ import annotations

from trustcenter.db.repositories import Repository


class ReviewRepository(Repository):
    """What review reads and writes: items, targets and findings."""
