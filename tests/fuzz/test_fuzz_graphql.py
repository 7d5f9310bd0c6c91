"""Fuzz every GraphQL query and mutation with schemathesis, as a verified agency and as staff
with every scope, on a database holding a real request: no input may become a 5xx, an
INTERNAL_SERVER_ERROR or an ERROR in the server's log (see ``harness``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from graphql import introspection_from_schema
from hypothesis import given
from hypothesis import strategies as st
from strawberry.relay import to_base64

from tests.fuzz.harness import Server, bounded, in_thread
from tests.helpers import World
from trustcenter.graphql.schema import build_schema

GARBAGE = st.text(max_size=40) | st.sampled_from(["", " ", "null", "\u0000", "A" * 300])


def codes(known: list[str]) -> st.SearchStrategy[Any]:
    """Known codes written as enum values or strings, and anything else as a string."""
    from schemathesis.graphql import nodes  # here: a worker's collection need not import it

    names = st.sampled_from(known)
    return (
        names.map(nodes.Enum)
        | names.map(nodes.String)
        | st.from_regex(r"[A-Z][A-Z0-9_]{0,70}", fullmatch=True).map(nodes.Enum)
        | GARBAGE.map(nodes.String)
    )


def register_scalars(ids: list[str]) -> None:
    """Custom scalars: real codes and global ids mixed with near misses and garbage."""
    import schemathesis.graphql  # here: a worker's collection need not import it
    from schemathesis.graphql import nodes

    iso_dates = st.dates().map(str)
    bad_dates = st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01", "26-1-1", "2026/01/01"])
    times = st.times().map("%sZ".__mod__)
    uuids = st.uuids().map(str)
    types = st.sampled_from(["Request", "RequestItem", "Target", "Agency", "Nope", ""])
    forged = st.tuples(types, uuids | GARBAGE).map(lambda t: to_base64(t[0], t[1]))
    scalars = {
        "Category": codes(["PRODUCT", "ACCOUNT", "TRANSACTION", "EMERGENCY"]),
        "LegalBasisKind": codes(["WARRANT", "SUBPOENA", "COURT_ORDER", "EMERGENCY"]),
        "ReasonCode": codes(["OVERBROAD", "NO_RESPONSIVE_DATA", "INSUFFICIENT_BASIS"]),
        "Date": (iso_dates | bad_dates | GARBAGE).map(nodes.String),
        "DateTime": (st.tuples(iso_dates, times).map("T".join) | bad_dates | GARBAGE).map(
            nodes.String
        ),
        "ID": (st.sampled_from(ids) | forged | GARBAGE).map(nodes.String),
        "JSON": GARBAGE.map(nodes.String),
    }
    for name, strategy in scalars.items():
        schemathesis.graphql.scalar(name, strategy)


async def seeded(world: World) -> tuple[list[tuple[str, str]], list[str]]:
    """A staff token with every scope and a verified agency's token, and the global ids of the
    agency's submitted request, its targets and items."""
    staff = await world.staff_actor()
    agency = await world.agency_actor()
    request = await agency.submit()
    targets = request["targets"]
    ids = [request["id"]] + [t["id"] for t in targets]
    ids += [i["id"] for t in targets for i in t["items"]]
    return [("staff", staff.token), ("agency", agency.token)], ids


@pytest.mark.parametrize("caller", ["staff", "agency"])
async def test_graphql_fuzz(
    caller: str, world: World, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """One test per caller, so that the suite's workers share the fuzzing."""
    import schemathesis.graphql

    tokens, ids = await seeded(world)
    register_scalars(ids)
    introspection = dict(introspection_from_schema(build_schema()._schema))
    schema = schemathesis.graphql.from_dict(introspection)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 20  # every query and mutation, not a stray subset
    server = Server(asyncio.get_running_loop(), http, caplog)
    outcomes: Counter[str] = Counter()  # the first error code of each answer, or "ok"
    for who, token in tokens:
        if who != caller:
            continue
        for operation in operations:
            await in_thread(fuzz_target(server, operation, who, token, outcomes))
    # the run reached the resolvers: some calls answered, others were refused as the caller's
    assert {"ok", "BAD_USER_INPUT"} <= set(outcomes), outcomes


def fuzz_target(
    server: Server, operation: Any, who: str, token: str, outcomes: Counter[str]
) -> Callable[[], None]:
    headers = {"Authorization": f"Bearer {token}"}

    @bounded()
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        body = {"query": case.body}
        r = server.send(
            f"{who}: {case.body}", lambda: server.http.post("/graphql", json=body, headers=headers)
        )
        errors = r.json().get("errors") if r.status_code == 200 else None
        outcomes[errors[0]["extensions"]["code"] if errors else "ok"] += 1

    return fuzz
