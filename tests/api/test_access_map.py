"""The access map holds: every Query and Mutation root field says in its description what it
needs (written from ``services.access.RULES`` by ``graphql.access_text.described``), and each
non-public field, called through the real app with real tokens, refuses a caller without a
token (UNAUTHENTICATED, HTTP 401) and a caller holding every scope but the ones it needs
(FORBIDDEN), leaving everything as it was.

The arguments are made from each field's argument types (a value per required argument, real ids
of a seeded request where an id names one), with a few overrides where only a whole valid value
reaches the service.
"""

from __future__ import annotations

import ast
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
)
from sqlalchemy import func, select
from strawberry.relay import to_base64

import trustcenter
from tests.helpers import Actor, World, submission
from trustcenter.auth.scopes import AGENCY_SCOPES, STAFF_SCOPES
from trustcenter.db.models import AuditEvent, Request
from trustcenter.graphql.schema import build_schema
from trustcenter.services.access import RULES

SCHEMA = build_schema()._schema
ROOTS = {"query": SCHEMA.query_type, "mutation": SCHEMA.mutation_type}
SRC = Path(trustcenter.__file__).parent

#: the rules no root field is written from, and where each is checked instead
NOT_ROOT_FIELDS = {
    "upload_document": "POST /documents",
    "read_document": "GET /documents/{id}",
    "download_disclosure": "GET /disclosures/{id}",
    "read_findings": "Request.findings, DecideRequestPayload.findings",
    "read_subjects": "Target.subject",
    "read_audit": "Request.auditTrail",
    "read_internal_notes": "Request.internalNotes",
    "import_history": "trustcenter requests import",
    "run_notice_worker": "trustcenter worker",
    "purge_documents": "trustcenter documents purge",
    "retry_webhook_delivery": "trustcenter webhooks retry",
}

#: the reads that may answer a caller without their scope like an unseen id instead of FORBIDDEN
SEEN_AS_NOTHING = {"node", "request", "requests"}
#: what an operation reads of a field's answer, where ``__typename`` would not tell enough
_SELECTIONS = {"requests": "{ edges { cursor } }"}

_RULE_TEXT = re.compile(
    r"\((?P<rule>Public: no token needed\.|Needs a token, any scope\."
    r"|Scope: (?P<scopes>[^()]+)\.)\)\s*$"
)


@dataclass(frozen=True)
class Need:
    """What a field's description says it needs."""

    public: bool
    #: empty: any token
    scopes: frozenset[str]


def need_of(field: GraphQLField) -> Need | None:
    m = _RULE_TEXT.search(field.description or "")
    if m is None:
        return None
    if m["rule"].startswith("Public"):
        return Need(True, frozenset())
    scopes = m["scopes"]
    return Need(False, frozenset(re.split(r",\s*|\s+or\s+", scopes)) if scopes else frozenset())


def root_fields() -> list[tuple[str, str]]:
    return [(kind, name) for kind, root in ROOTS.items() for name in root.fields]


# --- the descriptions and the map -------------------------------------------------------------


def test_every_root_field_says_what_it_needs() -> None:
    unknown = set(STAFF_SCOPES) | set(AGENCY_SCOPES)
    without = []
    for kind, name in root_fields():
        need = need_of(ROOTS[kind].fields[name])
        if need is None:
            without.append(f"{kind} {name}: {ROOTS[kind].fields[name].description!r}")
        else:
            assert need.scopes <= unknown, (name, need)
    assert not without, "root fields without an access rule:\n" + "\n".join(without)


def _literal_args(call_name: str, position: int) -> tuple[set[str], list[str]]:
    """The string literals passed as argument ``position`` to every call of ``call_name`` in the
    package, and where a call passes something else."""
    found: set[str] = set()
    odd: list[str] = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            called = getattr(f, "id", None) or getattr(f, "attr", None)
            if called != call_name or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            else:
                odd.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found, odd


def test_the_descriptions_are_written_from_the_whole_map() -> None:
    """The use cases the schema's descriptions name are the map's rules reachable from
    GraphQL: no description names a missing rule, no rule is left without a root field unless
    it is checked elsewhere (``NOT_ROOT_FIELDS``), and every rule is checked somewhere."""
    described, odd = _literal_args("described", 0)
    assert not odd, f"described() with a use case that is not a literal: {odd}"
    assert described - RULES.keys() == set(), "descriptions name rules the map lacks"
    assert set(NOT_ROOT_FIELDS) - RULES.keys() == set(), "NOT_ROOT_FIELDS names stale rules"
    assert described & set(NOT_ROOT_FIELDS) == set(), "a rule both on a root field and not"
    reachable = RULES.keys() - set(NOT_ROOT_FIELDS)
    assert described == reachable, (
        f"rules without a root field: {sorted(reachable - described)}; "
        f"described but not in the map: {sorted(described - reachable)}"
    )
    authorized, _ = _literal_args("authorize", 1)
    # reading requests is checked with the answer which agency's a reader sees
    authorized.add("read_requests")
    assert RULES.keys() - authorized == set(), "rules no service checks (stale)"


# --- refusals through the real app ------------------------------------------------------------


@dataclass
class Seeded:
    world: World
    agency: Actor
    request_id: str
    item_id: str
    agency_gid: str
    vendor_gid: str
    actors: dict[tuple[str, frozenset[str]], Actor]

    async def actor(self, staff: bool, scopes: frozenset[str]) -> Actor:
        key = ("staff" if staff else "agency", scopes)
        if key not in self.actors:
            if staff:
                self.actors[key] = await self.world.staff_actor(sorted(scopes))
            else:
                self.actors[key] = await self.world.agency_actor(
                    scopes=sorted(scopes), agency_id=self.agency.agency_id
                )
        return self.actors[key]


@pytest.fixture
async def seeded(world: World) -> Seeded:
    agency = await world.agency_actor("DE")
    request = await agency.submit()
    admin = await world.staff_actor(["admin"])
    vendor = await admin.data(
        """mutation($i: CreateVendorInput!) { createVendor(input: $i) {
             vendor { id } userErrors { message } } }""",
        {"i": {"name": "Vendor", "infoTypes": ["A"], "sameStandardsClause": True}},
    )
    return Seeded(
        world=world,
        agency=agency,
        request_id=request["id"],
        item_id=request["targets"][0]["items"][0]["id"],
        agency_gid=to_base64("Agency", str(agency.agency_id)),
        vendor_gid=vendor["createVendor"]["vendor"]["id"],
        actors={},
    )


def _id_for(name: str, s: Seeded) -> Any:
    """A real id for an argument or input field named ``name`` (a fresh one where nothing of
    the kind is seeded: the refusal comes before any look-up)."""
    return {
        "id": s.request_id,
        "requestId": s.request_id,
        "itemId": s.item_id,
        "agencyId": s.agency_gid,
        "vendorId": s.vendor_gid,
        "clientId": s.agency.client_id,
    }.get(name, str(uuid.uuid4()))


_SCALARS: dict[str, Any] = {
    "String": "Stated for the record.",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": "2026-11-01",
    "DateTime": "2027-01-01T00:00:00+00:00",
    "Category": "ACCOUNT",
    "LegalBasisKind": "WARRANT",
    "ReasonCode": "NOT_HELD",
    "JSON": {},
}
#: values by argument or input field name, ahead of the type's
_BY_NAME: dict[str, Any] = {"year": 2026, "jurisdiction": "DE", "version": 1}


def value_for(name: str, type_: Any, s: Seeded) -> Any:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [value_for(name, type_.of_type, s)]
    if name in _BY_NAME:
        return _BY_NAME[name]
    if isinstance(type_, GraphQLInputObjectType):
        return {
            n: value_for(n, f.type, s)
            for n, f in type_.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
        }
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType), type_
    if type_.name == "ID" or name.endswith("Id"):
        return _id_for(name, s)
    return _SCALARS[type_.name]


#: whole arguments where only a complete valid value reaches the service
def _overrides(s: Seeded) -> dict[tuple[str, str], Any]:
    return {
        ("submitRequest", "input"): submission(),
        ("reviseRequest", "input"): {"requestId": s.request_id, "revision": submission()},
    }


def operation(kind: str, name: str, s: Seeded) -> tuple[str, dict[str, Any]]:
    """The operation calling root field ``name`` with minimal valid arguments."""
    field = ROOTS[kind].fields[name]
    overrides = _overrides(s)
    declared, passed, variables = [], [], {}
    for arg_name, arg in field.args.items():
        required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
        if not required:
            continue
        declared.append(f"${arg_name}: {arg.type}")
        passed.append(f"{arg_name}: ${arg_name}")
        variables[arg_name] = overrides.get((name, arg_name)) or value_for(arg_name, arg.type, s)
    named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    while isinstance(named, GraphQLList | GraphQLNonNull):
        named = named.of_type
    selection = (
        ""
        if isinstance(named, GraphQLScalarType | GraphQLEnumType)
        else _SELECTIONS.get(name, "{ __typename }")
    )
    head = f"{kind}({', '.join(declared)})" if declared else kind
    call = f"{name}({', '.join(passed)})" if passed else name
    return f"{head} {{ {call} {selection} }}", variables


async def state(s: Seeded) -> tuple[int, int, int]:
    """What a refused call must leave as it was: the audit log's length, and the requests."""
    async with s.world.container.db.reader() as session:
        audited = await session.scalar(select(func.count()).select_from(AuditEvent))
        requests = await session.scalar(select(func.count()).select_from(Request))
        versions = await session.scalar(select(func.coalesce(func.sum(Request.version), 0)))
    return int(audited or 0), int(requests or 0), int(versions or 0)


def _refusal(body: dict[str, Any], name: str) -> str | None:
    errors = body.get("errors") or []
    if not errors:
        return None
    assert errors[0].get("path") == [name], body
    assert (body.get("data") or {}).get(name) is None, body
    return str(errors[0]["extensions"]["code"])


def _seen_as_nothing(body: dict[str, Any], name: str) -> bool:
    """A read answering as if nothing were there: null, or a page without edges."""
    if body.get("errors") or name not in SEEN_AS_NOTHING:
        return False
    answer = (body.get("data") or {}).get(name)
    return answer is None or answer.get("edges") == []


def _cases() -> list[Any]:
    return [
        pytest.param(kind, name, id=f"{kind}.{name}")
        for kind, name in root_fields()
        if (need := need_of(ROOTS[kind].fields[name])) is None or not need.public
    ]


@pytest.mark.parametrize(("kind", "name"), _cases())
async def test_field_refuses_who_lacks_its_rule(seeded: Seeded, kind: str, name: str) -> None:
    need = need_of(ROOTS[kind].fields[name])
    assert need is not None, f"{name} does not say what it needs"
    query, variables = operation(kind, name, seeded)
    callers = [
        (f"{'staff' if staff else 'agency'} {sorted(scopes)}", await seeded.actor(staff, scopes))
        for staff, pool in ((True, STAFF_SCOPES), (False, AGENCY_SCOPES))
        if need.scopes and (scopes := frozenset(pool) - need.scopes)
    ]  # any token will do where no scope is named: a client holds at least one
    before = await state(seeded)

    r = await seeded.agency.gql(query, variables, token="")
    body = r.json()
    assert _refusal(body, name) == "UNAUTHENTICATED", (query, variables, body)
    assert r.status_code == 401, body
    assert await state(seeded) == before

    for who, caller in callers:
        body = (await caller.gql(query, variables)).json()
        code = _refusal(body, name)
        assert code == "FORBIDDEN" or (code is None and _seen_as_nothing(body, name)), (
            who,
            query,
            variables,
            body,
        )
        assert await state(seeded) == before, who
