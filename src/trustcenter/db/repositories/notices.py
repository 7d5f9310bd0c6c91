"""Reading and writing user notices, their exceptions and the notice worker's claims."""

from __future__ import annotations

from trustcenter.db.repositories import Repository


class NoticeRepository(Repository):
    """User notices, their exceptions and the notice worker's claims."""
