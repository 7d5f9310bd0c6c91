"""``GET /console/queue``: the reviewers' queue — emergencies first, then the nearest deadline
(``requests(orderBy: QUEUE)``), filtered by a plain GET form (status, category, country, in my
queue, due soon or overdue), with the counts, each deadline as the time left (overdue in red),
and paging by cursor: "Next" carries the page's end cursor, "Previous" the cursors of the
pages before it (kept in the address, so both links keep the filters and need no state)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.review_common import OPEN, READERS, Times, raw_id, times
from trustcenter.web.console.runner import Runner

PATH = "/console/queue"
PAGE_SIZE = 25
#: how many earlier pages "Previous" can walk back through
MAX_TRAIL = 20
STATUSES = (
    "RECEIVED",
    "IN_REVIEW",
    "CLARIFICATION_REQUESTED",
    "APPROVED",
    "PARTIALLY_APPROVED",
    "OBJECTED",
    "REJECTED",
    "DISCLOSED",
    "CLOSED",
    "WITHDRAWN",
    "SUPERSEDED",
)
#: what the queue shows unless a status is chosen: the requests still waiting for an answer
#: (``ANY`` shows every status)
OPEN_STATUSES = tuple(s for s in STATUSES if s in OPEN)
ANY = "ANY"
DUE = {"soon": "Due soon", "overdue": "Overdue"}
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,400}")
_CATEGORY = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
_COUNTRY = re.compile(r"[A-Z]{2}")
#: the first page in the trail of earlier pages
FIRST = "-"


@dataclass
class Filters:
    """The queue's filters as the GET form sent them (unknown or malformed values dropped)."""

    status: str = ""
    category: str = ""
    country: str = ""
    mine: bool = False
    due: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, q: QueryParams) -> Filters:
        f = cls()
        status = q.get("status", "")
        f.status = status if status in STATUSES or status == ANY else ""
        category = q.get("category", "").strip().upper()
        f.category = category if _CATEGORY.fullmatch(category) else ""
        country = q.get("country", "").strip().upper()
        if country and not _COUNTRY.fullmatch(country):
            f.errors["country"] = "Enter a country as its two-letter code, such as DE."
        else:
            f.country = country
        f.mine = q.get("mine") == "1"
        due = q.get("due", "")
        f.due = due if due in DUE else ""
        return f

    def variables(self) -> dict[str, Any] | None:
        """The ``RequestFilterInput`` (None: no condition)."""
        out: dict[str, Any] = {}
        if self.status in STATUSES:
            out["status"] = [self.status]
        elif self.status != ANY:
            out["status"] = list(OPEN_STATUSES)
        if self.category:
            out["category"] = [self.category]
        if self.country:
            out["country"] = [self.country]
        if self.mine:
            out["assignedToMe"] = True
        if self.due == "soon":
            out["dueSoon"] = True
        elif self.due == "overdue":
            out["overdue"] = True
        return out or None

    def query(self) -> list[tuple[str, str]]:
        """The filters as address parameters, for links that keep them."""
        pairs = [("status", self.status), ("category", self.category), ("country", self.country)]
        pairs += [("mine", "1" if self.mine else ""), ("due", self.due)]
        return [(k, v) for k, v in pairs if v]


def _trail(q: QueryParams) -> tuple[str | None, list[str]]:
    """This page's cursor and the cursors of the pages before it (oldest first)."""
    after = q.get("after", "")
    trail = [t for t in q.get("prev", "").split(",") if t == FIRST or _CURSOR.fullmatch(t)]
    if not _CURSOR.fullmatch(after):
        return None, []
    return after, trail[-MAX_TRAIL:]


def _link(filters: Filters, after: str | None, trail: list[str]) -> str:
    pairs = filters.query()
    if after:
        pairs += [("after", after)]
        if trail:
            pairs += [("prev", ",".join(trail[-MAX_TRAIL:]))]
    return f"{PATH}?{urlencode(pairs)}" if pairs else PATH


def _row(node: dict[str, Any], t: Times) -> dict[str, Any]:
    """A request as the queue lists it: its UUID for the link; for an open request the time
    left to its deadline, and whether it is overdue."""
    is_open = node.get("status") in OPEN
    return {
        **node,
        "raw": raw_id(node.get("id")),
        "left": t.left(node.get("deadline")) if is_open else "",
        "late": is_open and t.overdue(node.get("deadline")),
    }


def routes(runner: Runner) -> list[Route]:
    @console_page(runner, scopes=READERS)
    async def queue(c: Page) -> Response:
        filters = Filters.read(c.request.query_params)
        after, trail = _trail(c.request.query_params)
        outcome = await c.run(
            "Queue", {"first": PAGE_SIZE, "after": after, "filter": filters.variables()}
        )
        if outcome.errors:
            return c.failed(outcome, PATH)
        t = times(c)
        found = outcome.data["requests"]
        info = found["pageInfo"]
        older = trail[-1] if trail else None
        previous = _link(filters, None if older == FIRST else older, trail[:-1]) if after else None
        following = (
            _link(filters, info["endCursor"], [*trail, after or FIRST])
            if info["hasNextPage"]
            else None
        )
        return c.render(
            "queue.html",
            "Queue",
            filters=filters,
            statuses=STATUSES,
            due_choices=DUE,
            categories=outcome.data.get("categories") or [],
            rows=[_row(e["node"], t) for e in found["edges"]],
            total=found["totalCount"],
            counts={
                "overdue": outcome.data["overdue"]["totalCount"],
                "due_soon": outcome.data["dueSoon"]["totalCount"],
                "mine": outcome.data["mine"]["totalCount"],
            },
            previous=previous,
            following=following,
            first_page=_link(filters, None, []),
            t=t,
        )

    return [Route(PATH, queue, methods=["GET"])]
