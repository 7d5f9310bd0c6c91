"""Query root: me, node, request, requests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import Info

from trustcenter.auth.principal import Principal
from trustcenter.domain.lifecycle import RequestStatus as _Status
from trustcenter.graphql.access_text import described
from trustcenter.graphql.agencies import AgencyQuery
from trustcenter.graphql.clients import ClientQuery
from trustcenter.graphql.console_reads import ConsoleQuery
from trustcenter.graphql.enums import Category, PrincipalKind, RequestStatus
from trustcenter.graphql.errors import BadInput
from trustcenter.graphql.nodes import asks_for, ctx, parse_id
from trustcenter.graphql.notice_exceptions import NoticeExceptionQuery
from trustcenter.graphql.plugins import PluginQuery
from trustcenter.graphql.reports import ReportQuery
from trustcenter.graphql.staff import StaffQuery
from trustcenter.graphql.types_access import AgencyType, Viewer
from trustcenter.graphql.types_request import RequestType
from trustcenter.graphql.types_review import staff_uuid
from trustcenter.graphql.vendors import VendorQuery
from trustcenter.graphql.webhooks import WebhookQuery
from trustcenter.services import catalogue, notes, reads
from trustcenter.services.reads import Order, RequestFilter, encode_cursor
from trustcenter.services.views import RequestView


@strawberry.enum(description="How requests are ordered.")
class RequestOrder(Enum):
    NEWEST = "newest"
    QUEUE = "queue"


@strawberry.input(description="Narrow the request list; every condition given must hold.")
class RequestFilterInput:
    status: list[RequestStatus] | None = None  # type: ignore[valid-type]
    category: list[Category] | None = None
    country: list[str] | None = strawberry.field(
        default=None, description="Requesting agencies' ISO 3166-1 alpha-2 codes."
    )
    emergency: bool | None = None
    received_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    received_to: datetime | None = strawberry.field(default=None, description="Exclusive.")
    overdue: bool | None = strawberry.field(
        default=None, description="Open requests past their deadline (or, false, not past it)."
    )
    due_soon: bool | None = strawberry.field(
        default=None,
        description="Open requests due within the next 48 hours (TRUSTCENTER_DUE_SOON_HOURS) "
        "and not yet overdue.",
    )
    assigned_to_me: bool | None = strawberry.field(
        default=None,
        description="Staff, signed in as a person: true keeps the requests in your queue "
        "(false or null: no condition). A machine client has no queue and is refused.",
    )
    assigned_to: strawberry.ID | None = strawberry.field(
        default=None,
        description="Staff: the requests in this reviewer's queue (a StaffMember id).",
    )

    def to_filter(self, now: datetime, due_soon_hours: int, principal: Principal) -> RequestFilter:
        for bound in (self.received_from, self.received_to):
            if bound is not None and bound.tzinfo is None:
                raise BadInput("receivedFrom and receivedTo need a time zone offset")
        if self.received_from and self.received_to and self.received_to < self.received_from:
            raise BadInput("receivedTo is before receivedFrom")
        return RequestFilter(
            statuses=tuple(_Status(s).value for s in self.status or ()),
            categories=tuple(str(c) for c in self.category or ()),
            countries=tuple(c.strip().upper() for c in self.country or ()),
            emergency=self.emergency,
            received_from=self.received_from,
            received_to=self.received_to,
            overdue=self.overdue,
            due_soon=self.due_soon,
            due_horizon=now + timedelta(hours=due_soon_hours),
            now=now,
            assigned_to=notes.queue_filter(
                principal, staff_uuid(self.assigned_to), bool(self.assigned_to_me)
            ),
        )


@strawberry.type(name="RequestConnection")
class RequestConnection(relay.Connection[RequestType]):
    where: strawberry.Private[RequestFilter]

    @strawberry.field(description="How many requests match the filter, on every page.")
    async def total_count(self, info: Info) -> int:
        c = ctx(info)
        return await reads.count_requests(c.app, c.principal, self.where)


def _page_size(info: Info, first: int | None) -> int:
    settings = ctx(info).app.settings
    size = settings.default_page_size if first is None else first
    if not 1 <= size <= settings.max_page_size:
        raise BadInput(f"first must be between 1 and {settings.max_page_size}")
    return size


async def _agencies_of(info: Info, rows: list[RequestView]) -> dict[uuid.UUID, AgencyType]:
    """The page's agencies, read at once (the same loader, one batch) when the query asks for
    ``edges { node { agency } }``: each row then hands its agency over without an await."""
    if not rows or not asks_for(info, _AGENCY):
        return {}
    ids = list(dict.fromkeys(v.agency_id for v in rows))
    views = await ctx(info).loaders.agency.load_many(ids)
    return {i: AgencyType(view=v) for i, v in zip(ids, views, strict=True) if v is not None}


_AGENCY = ("edges", "node", "agency")
_CURSOR = ("edges", "cursor")


@strawberry.type
class Query(
    VendorQuery,
    PluginQuery,
    NoticeExceptionQuery,
    ReportQuery,
    ClientQuery,
    StaffQuery,
    AgencyQuery,
    WebhookQuery,
    ConsoleQuery,
):
    @strawberry.field(
        description=described(
            "read_requests", "Any object by its global id; null when it does not exist for you."
        )
    )
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        async def find() -> relay.Node | None:
            try:
                id.resolve_type(info)
            except (GlobalIDValueError, ValueError):
                return None  # like an unseen id: which names are node types tells nothing
            found: relay.Node | None = await id.resolve_node(info, required=False)
            return found

        return await reads.look_up(ctx(info).principal, find)

    @strawberry.field(
        description=described("read_me", "The client calling, its scopes and its agency.")
    )
    async def me(self, info: Info) -> Viewer:
        c = ctx(info)
        me = catalogue.me(c.app, c.principal)
        agency = await c.loaders.agency.load(me.agency_id) if me.agency_id else None
        return Viewer(
            client_id=me.client_id,
            kind=PrincipalKind.STAFF if me.is_staff else PrincipalKind.AGENCY,
            scopes=list(me.scopes),
            agency_view=agency,
        )

    @strawberry.field(
        description=described("read_requests", "One request; null when it does not exist for you.")
    )
    async def request(self, info: Info, id: relay.GlobalID) -> RequestType | None:
        c = ctx(info)

        async def find() -> RequestType | None:
            if id.type_name != "Request":
                raise BadInput(f"id is the id of a {id.type_name[:40]}, not of a Request")
            key = parse_id(id, "Request")
            if key is None:
                raise BadInput("id is not the id of a Request")
            view = await c.loaders.request.load(key)
            return RequestType(view=view) if view is not None else None

        return await reads.look_up(c.principal, find)

    @strawberry.field(
        description=described(
            "read_requests", "Requests you may see, newest first, paged by cursor."
        )
    )
    async def requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: RequestFilterInput | None = None,
        order_by: RequestOrder = RequestOrder.NEWEST,
    ) -> RequestConnection:
        c = ctx(info)
        size = _page_size(info, first)
        s = c.app.settings
        where = (
            filter.to_filter(c.app.clock.now(), s.due_soon_hours, c.principal)
            if filter
            else RequestFilter()
        )
        order = Order(order_by.value)
        page = await reads.page_requests(c.app, c.principal, where, size, after, order)
        rows = page.rows
        c.loaders.pages_read(rows)
        agencies = await _agencies_of(info, rows)
        # a row's cursor is written only when the query asks for the edges' cursors; the
        # page's first and last always (pageInfo's), so every cursor read is the one it was
        every = asks_for(info, _CURSOR)
        last = len(rows) - 1
        edges = [
            relay.Edge(
                cursor=encode_cursor(v, order) if every or n in (0, last) else "",
                node=RequestType(view=v, agency_known=agencies.get(v.agency_id)),
            )
            for n, v in enumerate(rows)
        ]
        return RequestConnection(
            where=where,
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
