"""Plugins through the product (SPEC section 7), over GraphQL, on SQLite and PostgreSQL.

With trustcenter-eu registered, German requests get the Regulation's deadlines and a
prosecutor's order for content gets a BLOCK finding that reviewers see and that stops release
until an admin overrides it with a justification on record. A plugin that raises is named in a
PLUGIN_FAILED error and nothing of the change remains. Staff (GraphQL) and operators (CLI) can
see which plugins are loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
import trustcenter_eu.plugin
from sqlalchemy import func, select

from tests.helpers import VALID_SUBMISSION, Actor, World, submission
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import (
    AuditEvent,
    Disclosure,
    DisclosureChunk,
    Finding,
    LegalBasis,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.plugins import RequestView, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

BUILTINS = [
    "trustcenter.jurisdiction",
    "trustcenter.categories",
    "trustcenter.datasource",
    "trustcenter.outbox",
    "trustcenter.reasons",
]
CITATION = "Regulation (EU) 2023/1543, Art. 4(2)"

PROSECUTOR_ORDER: dict[str, Any] = {
    "legalBasis": {
        "kind": "PRODUCTION_ORDER",
        "reference": "EPOC-2026-0042",
        "issuedBy": "Staatsanwaltschaft Berlin",
        "issuerRole": "PROSECUTOR",
        "issuedAt": "2026-11-20",
        "document": VALID_SUBMISSION["legalBasis"]["document"],  # approving needs the order
    },
    "targets": [
        {"identifierType": "EMAIL", "identifier": "suspect@example.com", "infoTypes": ["A", "E"]}
    ],
}

JUDGES_WARRANT: dict[str, Any] = {
    "legalBasis": {
        "kind": "WARRANT",
        "reference": "AG-2026-113",
        "issuedBy": "Amtsgericht Tiergarten",
        "issuerRole": "JUDGE",
        "issuedAt": "2026-11-01",
    },
}

FINDINGS = (
    "findings { id plugin severity code message citation overriddenAt overrideJustification }"
)
READ = f"""query($id: ID!) {{ request(id: $id) {{
  id status version receivedAt deadline items {{ id infoType outcome }}
  disclosure {{ id sha256 }}
  {FINDINGS}
}} }}"""
READ_AS_AGENCY = f"query($id: ID!) {{ request(id: $id) {{ id {FINDINGS} }} }}"
PLUGINS = "{ plugins { name version builtin hooks jurisdictions } }"
OVERRIDE = """mutation($input: OverrideFindingInput!) { overrideFinding(input: $input) {
  finding { id code overriddenAt overrideJustification }
  userErrors { field message code } } }"""
REQUEST_PAYLOAD = (
    "request { id status version disclosure { id } } userErrors { field message code }"
)
INPUT_TYPES = {
    "startReview": "StartReviewInput",
    "decideRequest": "DecideRequestInput",
    "releaseDisclosure": "ReleaseDisclosureInput",
}


def use(container: Container, *plugins: tuple[str, Any]) -> PluginHost:
    """Run the application with the built-ins and these plugins (no auto-loading)."""
    container.plugins = PluginHost(*load("", extra=list(plugins)))
    return container.plugins


@pytest.fixture
def eu(container: Container) -> PluginHost:
    return use(container, ("eu", trustcenter_eu.plugin))


@pytest.fixture
async def admin(world: World) -> Actor:
    return await world.staff_actor(["admin"])


# --- helpers ----------------------------------------------------------------------------------


MODELS = [
    Request,
    LegalBasis,
    Target,
    RequestedItem,
    Finding,
    AuditEvent,
    Disclosure,
    DisclosureChunk,
]


async def counts(container: Container) -> dict[str, int]:
    out = {}
    async with container.db.reader() as session:
        for model in MODELS:
            out[model.__name__] = int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
    return out


async def mutate(actor: Actor, clock: FixedClock, name: str, **input: Any) -> dict[str, Any]:
    clock.advance(timedelta(seconds=1))
    query = (
        f"mutation($input: {INPUT_TYPES[name]}!) "
        f"{{ {name}(input: $input) {{ {REQUEST_PAYLOAD} }} }}"
    )
    return (await actor.data(query, {"input": input}))[name]  # type: ignore[no-any-return]


async def ok(actor: Actor, clock: FixedClock, name: str, **input: Any) -> dict[str, Any]:
    payload = await mutate(actor, clock, name, **input)
    assert payload["userErrors"] == [], payload
    return payload["request"]  # type: ignore[no-any-return]


async def read(staff: Actor, rid: str) -> dict[str, Any]:
    data = await staff.data(READ, {"id": rid})
    assert data["request"] is not None
    return data["request"]  # type: ignore[no-any-return]


async def approved(
    agency: Actor, staff: Actor, clock: FixedClock, **changes: Any
) -> dict[str, Any]:
    """A request submitted, taken into review and approved item by item; as staff read it."""
    clock.advance(timedelta(seconds=1))
    req = await agency.submit(**changes)
    await ok(staff, clock, "startReview", requestId=req["id"])
    current = await read(staff, req["id"])
    decided = await ok(
        staff,
        clock,
        "decideRequest",
        requestId=req["id"],
        version=current["version"],
        decisions=[{"itemId": i["id"], "outcome": "APPROVE"} for i in current["items"]],
    )
    assert decided["status"] == "APPROVED"
    return await read(staff, req["id"])


async def override(admin: Actor, finding_id: str, why: str) -> dict[str, Any]:
    data = await admin.data(OVERRIDE, {"input": {"findingId": finding_id, "justification": why}})
    return data["overrideFinding"]  # type: ignore[no-any-return]


def plugin_failed(body: dict[str, Any], plugin: str, field: str) -> dict[str, Any]:
    """The one PLUGIN_FAILED error of a GraphQL answer, after checking it names the plugin."""
    errors = body.get("errors") or []
    failed = [e for e in errors if e.get("extensions", {}).get("code") == "PLUGIN_FAILED"]
    assert len(failed) == 1, body
    error = failed[0]
    assert f"'{plugin}'" in error["message"], error
    assert error["extensions"]["plugin"] == plugin
    assert error["extensions"]["errorId"] in error["message"]
    assert "nothing was changed" in error["message"]
    assert (body.get("data") or {}).get(field) is None
    return error  # type: ignore[no-any-return]


def delta(req: dict[str, Any]) -> timedelta:
    return datetime.fromisoformat(req["deadline"]) - datetime.fromisoformat(req["receivedAt"])


# --- deadlines --------------------------------------------------------------------------------


async def test_with_the_eu_plugin_a_german_request_is_due_in_ten_days(eu, world, agency):
    req = await agency.submit()
    assert delta(req) == timedelta(days=10)


async def test_with_the_eu_plugin_a_german_emergency_is_due_in_eight_hours(eu, world, agency):
    req = await agency.submit(
        emergency=True, emergencyDescription="Child missing; last seen near the camera."
    )
    assert delta(req) == timedelta(hours=8)


async def test_with_the_eu_plugin_a_us_request_keeps_thirty_days(eu, world):
    us = await world.agency_actor("US")
    req = await us.submit(jurisdiction="US")
    assert delta(req) == timedelta(days=30)


async def test_without_the_eu_plugin_a_german_request_keeps_thirty_days(world, agency):
    req = await agency.submit()
    assert delta(req) == timedelta(days=30)


# --- findings, the block and the override -----------------------------------------------------


async def test_a_prosecutors_order_for_content_gets_a_block_finding_staff_can_see(
    eu, world, agency, reviewer
):
    req = await agency.submit(**PROSECUTOR_ORDER)
    findings = (await read(reviewer, req["id"]))["findings"]
    assert [{k: f[k] for k in ("plugin", "severity", "code", "citation")} for f in findings] == [
        {"plugin": "eu", "severity": "BLOCK", "code": "EU_JUDGE_REQUIRED", "citation": CITATION}
    ]
    assert "prosecutor" in findings[0]["message"] and "(E)" in findings[0]["message"]
    assert findings[0]["overriddenAt"] is None and findings[0]["overrideJustification"] is None

    # the agency may read its request, but not the reviewers' findings
    r = await agency.gql(READ_AS_AGENCY, {"id": req["id"]})
    body = r.json()
    assert body.get("errors"), body
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


async def test_a_prosecutors_order_for_subscriber_data_only_has_no_finding(
    eu, world, agency, reviewer
):
    changes = {
        **PROSECUTOR_ORDER,
        "targets": [
            {"identifierType": "EMAIL", "identifier": "suspect@example.com", "infoTypes": ["A"]}
        ],
    }
    req = await agency.submit(**changes)
    assert (await read(reviewer, req["id"]))["findings"] == []


async def test_a_block_stops_release_until_an_admin_overrides_it_with_a_justification(
    eu, world, container, clock, agency, reviewer, admin
):
    req = await approved(agency, reviewer, clock, **PROSECUTOR_ORDER)
    rid = req["id"]
    [finding] = [f for f in req["findings"] if f["plugin"] == "eu"]  # and the policy's NOT_HELD
    assert finding["code"] == "EU_JUDGE_REQUIRED"

    # refused: the block is unresolved, and nothing is released
    refused = await mutate(reviewer, clock, "releaseDisclosure", requestId=rid)
    assert refused["request"] is None
    assert {e["code"] for e in refused["userErrors"]} == {"BLOCKED_BY_FINDING"}
    assert "eu" in refused["userErrors"][0]["message"]
    assert CITATION in refused["userErrors"][0]["message"]
    assert (await counts(container))["Disclosure"] == 0
    after_refusal = await read(reviewer, rid)
    assert after_refusal["status"] == "APPROVED" and after_refusal["disclosure"] is None

    # a reviewer who is not an admin may not override
    r = await reviewer.gql(
        OVERRIDE, {"input": {"findingId": finding["id"], "justification": "looks fine"}}
    )
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert (await read(reviewer, rid))["findings"][0]["overriddenAt"] is None

    # an empty justification is not one
    empty = await override(admin, finding["id"], "   ")
    assert empty["finding"] is None
    assert {e["code"] for e in empty["userErrors"]} == {"INVALID_INPUT"}

    # the admin overrides, on record
    why = "Validated by the investigating judge, Beschluss 4 Gs 12/26 (on file)."
    clock.advance(timedelta(seconds=1))
    done = await override(admin, finding["id"], why)
    assert done["userErrors"] == []
    assert done["finding"]["overrideJustification"] == why
    assert datetime.fromisoformat(done["finding"]["overriddenAt"]) == clock.now()
    seen = (await read(reviewer, rid))["findings"][0]
    assert seen["overriddenAt"] == done["finding"]["overriddenAt"]
    assert seen["overrideJustification"] == why
    async with container.db.reader() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "finding.overridden")
            )
        ).all()
    assert len(events) == 1
    assert why in events[0].data and "EU_JUDGE_REQUIRED" in events[0].data

    # overriding it again is a conflict, and changes nothing
    again = await override(admin, finding["id"], "once more")
    assert again["finding"] is None
    assert {e["code"] for e in again["userErrors"]} == {"CONFLICT"}
    assert (await read(reviewer, rid))["findings"][0]["overrideJustification"] == why

    # now the release goes ahead
    released = await ok(reviewer, clock, "releaseDisclosure", requestId=rid)
    assert released["status"] == "DISCLOSED" and released["disclosure"] is not None
    assert (await counts(container))["Disclosure"] == 1


async def test_a_finding_that_is_not_a_block_cannot_be_overridden(
    eu, world, agency, reviewer, admin
):
    req = await agency.submit(**JUDGES_WARRANT)
    [finding] = (await read(reviewer, req["id"]))["findings"]
    assert (finding["code"], finding["severity"]) == ("EU_NOT_AN_EPOC", "INFO")
    refused = await override(admin, finding["id"], "not needed")
    assert refused["finding"] is None
    assert {e["code"] for e in refused["userErrors"]} == {"INVALID_INPUT"}
    assert (await read(reviewer, req["id"]))["findings"][0]["overriddenAt"] is None


# --- a plugin that raises leaves nothing half-done --------------------------------------------


class AfterSubmitFails:
    def __init__(self) -> None:
        self.seen: list[RequestView] = []

    @hookimpl
    def trustcenter_after_submit(self, request: RequestView) -> None:
        self.seen.append(request)
        raise RuntimeError("ticketing system refused the request")


class FindingsFailForGermany:
    def __init__(self) -> None:
        self.seen: list[RequestView] = []

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["DE"]

    @hookimpl
    async def trustcenter_review_findings(self, request: RequestView) -> list[Any]:
        self.seen.append(request)
        raise KeyError(request.jurisdiction)


class AfterDecisionFails:
    @hookimpl
    def trustcenter_after_decision(self, request: RequestView, status: str) -> None:
        raise ValueError(f"cannot record {status}")


class AfterReleaseFails:
    def __init__(self) -> None:
        self.digests: list[str] = []

    @hookimpl
    async def trustcenter_after_release(self, request: RequestView, sha256: str) -> None:
        self.digests.append(sha256)
        raise OSError("archive full")


async def test_a_failing_after_submit_undoes_the_whole_submission(
    container, world, agency, reviewer
):
    broken = AfterSubmitFails()
    use(container, ("broken-after-submit", broken))
    before = await counts(container)

    r = await agency.gql(
        "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) "
        "{ request { id } userErrors { code } } }",
        {"input": submission(**PROSECUTOR_ORDER)},
    )
    plugin_failed(r.json(), "broken-after-submit", "submitRequest")

    # the hook ran after the request was written (it had an id) — and none of it remains
    assert len(broken.seen) == 1 and broken.seen[0].id is not None
    assert await counts(container) == before
    data = await reviewer.data("{ requests(first: 10) { edges { node { id } } } }")
    assert data["requests"]["edges"] == []


async def test_a_failing_findings_rule_undoes_the_submission(container, world, agency):
    broken = FindingsFailForGermany()
    use(container, ("broken-findings", broken))
    before = await counts(container)

    r = await agency.gql(
        "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) "
        "{ request { id } userErrors { code } } }",
        {"input": submission()},
    )
    error = plugin_failed(r.json(), "broken-findings", "submitRequest")
    assert "trustcenter_review_findings" in error["message"]
    assert len(broken.seen) == 1
    assert await counts(container) == before

    # other jurisdictions do not reach the broken rule
    us = await world.agency_actor("US")
    await us.submit(jurisdiction="US")
    assert len(broken.seen) == 1


async def test_a_failing_after_decision_undoes_the_decision(
    container, world, clock, agency, reviewer
):
    use(container, ("broken-after-decision", AfterDecisionFails()))
    req = await agency.submit()
    await ok(reviewer, clock, "startReview", requestId=req["id"])
    current = await read(reviewer, req["id"])
    before = await counts(container)

    clock.advance(timedelta(seconds=1))
    r = await reviewer.gql(
        f"mutation($input: DecideRequestInput!) {{ decideRequest(input: $input) "
        f"{{ {REQUEST_PAYLOAD} }} }}",
        {
            "input": {
                "requestId": req["id"],
                "version": current["version"],
                "decisions": [{"itemId": i["id"], "outcome": "APPROVE"} for i in current["items"]],
            }
        },
    )
    plugin_failed(r.json(), "broken-after-decision", "decideRequest")
    assert await counts(container) == before
    assert await read(reviewer, req["id"]) == current  # status, version, outcomes unchanged


async def test_a_failing_after_release_undoes_the_release(
    container, world, clock, agency, reviewer
):
    broken = AfterReleaseFails()
    use(container, ("broken-after-release", broken))
    req = await approved(agency, reviewer, clock)
    before = await counts(container)

    clock.advance(timedelta(seconds=1))
    r = await reviewer.gql(
        f"mutation($input: ReleaseDisclosureInput!) {{ releaseDisclosure(input: $input) "
        f"{{ {REQUEST_PAYLOAD} }} }}",
        {"input": {"requestId": req["id"]}},
    )
    error = plugin_failed(r.json(), "broken-after-release", "releaseDisclosure")
    assert "trustcenter_after_release" in error["message"]

    # the package had been written (the hook got its digest) — and none of it remains
    assert len(broken.digests) == 1 and len(broken.digests[0]) == 64
    after = await counts(container)
    assert after == before
    assert after["Disclosure"] == after["DisclosureChunk"] == 0
    now = await read(reviewer, req["id"])
    assert now["status"] == "APPROVED" and now["version"] == req["version"]
    assert now["disclosure"] is None


# --- which plugins are loaded -----------------------------------------------------------------


async def test_staff_see_the_loaded_plugins_their_hooks_and_jurisdictions(
    eu, world, agency, reviewer
):
    plugins = {p["name"]: p for p in (await reviewer.data(PLUGINS))["plugins"]}
    assert list(plugins) == [*BUILTINS, "eu"]
    assert plugins["eu"]["builtin"] is False
    assert plugins["eu"]["hooks"] == [
        "trustcenter_accepts_from_abroad",
        "trustcenter_finding_codes",
        "trustcenter_jurisdictions",
        "trustcenter_response_deadline",
        "trustcenter_review_findings",
    ]
    assert "DE" in plugins["eu"]["jurisdictions"] and "FR" in plugins["eu"]["jurisdictions"]
    assert "DK" not in plugins["eu"]["jurisdictions"]
    assert plugins["trustcenter.jurisdiction"]["jurisdictions"] == ["*"]
    assert plugins["trustcenter.jurisdiction"]["builtin"] is True

    r = await agency.gql(PLUGINS)
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_without_plugins_staff_see_only_the_built_ins(world, reviewer):
    plugins = (await reviewer.data(PLUGINS))["plugins"]
    assert [p["name"] for p in plugins] == BUILTINS


def cli_plugins(allow: str) -> list[dict[str, Any]]:
    env = {**os.environ, "TRUSTCENTER_PLUGINS": allow}
    run = subprocess.run(
        [sys.executable, "-c", "from trustcenter.cli import main; main()", "plugins", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def test_the_cli_lists_the_allowed_plugin_with_its_jurisdictions():
    listed = {p["name"]: p for p in cli_plugins("eu")}
    assert list(listed) == [*BUILTINS, "eu"]
    assert listed["eu"]["version"] == "0.1.0" and listed["eu"]["builtin"] is False
    assert "DE" in listed["eu"]["jurisdictions"]
    assert "trustcenter_review_findings" in listed["eu"]["hooks"]
    codes = {c["code"]: c["severity"] for c in listed["eu"]["finding_codes"]}
    assert codes["EU_JUDGE_REQUIRED"] == "block" and codes["EU_NOT_AN_EPOC"] == "info"


def test_the_cli_with_an_empty_allow_list_lists_only_the_built_ins():
    listed = cli_plugins("")
    assert [p["name"] for p in listed] == BUILTINS
    assert all(p["builtin"] and p["version"] is None for p in listed)
