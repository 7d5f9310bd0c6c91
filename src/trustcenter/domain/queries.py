"""What a reader may ask of the request list: the filter, the orderings and where a page starts.

Pure data, shared by the services (which take them from the API) and the repository (which
turns them into SQL); the opaque cursor that carries a page's start lives in
``trustcenter.services.reads``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """Every condition given must hold; an empty filter keeps every request."""

    #: request statuses as stored (``in_review``)
    statuses: tuple[str, ...] = ()
    #: category codes in any case (``ACCOUNT``)
    categories: tuple[str, ...] = ()
    #: the requesting agencies' ISO 3166-1 alpha-2 codes, upper case
    countries: tuple[str, ...] = ()
    emergency: bool | None = None
    #: inclusive
    received_from: datetime | None = None
    #: exclusive
    received_to: datetime | None = None
    #: True: open requests past their deadline as of ``now``; False: every other request
    overdue: bool | None = None
    #: True: open requests due before ``due_horizon`` and not yet overdue; False: all others
    due_soon: bool | None = None
    due_horizon: datetime | None = None
    now: datetime | None = None
    #: only the requests in this staff member's queue (``requests.assigned_to``)
    assigned_to: uuid.UUID | None = None


class Order(StrEnum):
    NEWEST = "newest"  # received_at desc: the agency's and the archive's view
    QUEUE = "queue"  # emergencies first, then the nearest deadline: the reviewers' view


@dataclass(frozen=True, slots=True)
class NewestAfter:
    """A NEWEST page starts after the request received at ``received_at`` with ``id``."""

    received_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class QueueAfter:
    """A QUEUE page starts after the request with these sort keys."""

    emergency: bool
    deadline: datetime
    id: uuid.UUID


#: where a page starts: just after this position in its ordering
After = NewestAfter | QueueAfter
