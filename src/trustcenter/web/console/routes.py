"""The console's pages, gathered: each section's module offers ``routes(runner)``."""

from __future__ import annotations

from starlette.routing import BaseRoute
from strawberry.schema.base import BaseSchema

from trustcenter.bootstrap import Container
from trustcenter.graphql.cost import Budget
from trustcenter.web.console import (
    agencies_page,
    audit_page,
    decide_page,
    notices_page,
    plugins_page,
    queue_page,
    release_page,
    request_actions,
    request_page,
    staff_page,
    transparency_page,
    vendors_page,
)
from trustcenter.web.console.runner import Runner

#: the modules that serve the console's sections, in the navigation's order
SECTIONS = (
    queue_page,
    request_page,
    request_actions,
    decide_page,
    release_page,
    notices_page,
    agencies_page,
    vendors_page,
    transparency_page,
    audit_page,
    staff_page,
    plugins_page,
)


def console_routes(
    container: Container, schema: BaseSchema, budget: Budget | None = None
) -> list[BaseRoute]:
    """Every console page, served with one runner of the console's operations (counted
    against the app's ``budget``)."""
    runner = Runner(container, schema, budget)
    return [route for section in SECTIONS for route in section.routes(runner)]
