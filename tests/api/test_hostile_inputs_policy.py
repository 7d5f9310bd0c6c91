"""Plugins answering nonsense cannot bend the policy.

A jurisdiction plugin's findings and deadline are stored and acted on, so an answer that is not
what the hook promises is the plugin's failure: the submission is refused with PLUGIN_FAILED
naming the plugin, nothing is stored, and never an internal error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import SUBMIT, Actor, World, submission
from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent, Finding, LegalBasis, Request, RequestedItem, Target
from trustcenter.plugins import Finding as PluginFinding
from trustcenter.plugins import RequestView, Severity, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

PLUGIN = "hostile-rules"


@dataclass
class HalfFinding:
    """Looks like a finding to a careless eye: no message, no citation."""

    severity: Severity
    code: str


class HostileRules:
    """Claims Germany and answers the hook under test with whatever it was given."""

    def __init__(self, hook: str, answer: Any) -> None:
        self.hook, self.answer = hook, answer

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["DE"]

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> Any:
        return self.answer if self.hook == "findings" else []

    @hookimpl
    def trustcenter_response_deadline(self, request: RequestView) -> Any:
        if self.hook != "deadline":
            return None
        return self.answer(request) if callable(self.answer) else self.answer


def install(container: Container, hook: str, answer: Any) -> None:
    container.plugins = PluginHost(*load("", extra=[(PLUGIN, HostileRules(hook, answer))]))


async def counts(container: Container) -> dict[str, int]:
    out = {}
    async with container.db.reader() as s:
        for model in (Request, LegalBasis, Target, RequestedItem, Finding, AuditEvent):
            out[model.__name__] = int(await s.scalar(select(func.count()).select_from(model)) or 0)
    return out


async def refused_as_plugin_failure(
    agency: Actor, container: Container, hook: str, says: str
) -> None:
    before = await counts(container)
    r = await agency.gql(SUBMIT, {"input": submission()})
    assert r.status_code == 200
    body = r.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "PLUGIN_FAILED", error
    assert error["extensions"]["plugin"] == PLUGIN
    assert f"plugin '{PLUGIN}' failed in {hook}" in error["message"]
    assert says in error["message"], error["message"]
    assert "nothing was changed" in error["message"]
    assert body["data"]["submitRequest"] is None
    assert await counts(container) == before


def finding(**changes: Any) -> PluginFinding:
    fields: dict[str, Any] = {
        "severity": Severity.BLOCK,
        "code": "HOSTILE_RULE",
        "message": "a rule's message",
        "citation": "Some Act, s. 1",
    }
    fields.update(changes)
    return PluginFinding(**fields)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("block everything", "not a list of Finding"),
        ({"severity": "block"}, "not a list of Finding"),
        (
            [{"severity": "block", "code": "X", "message": "m", "citation": "c"}],
            "finding 0 is dict",
        ),
        ([HalfFinding(Severity.BLOCK, "HALF")], "finding 0 is HalfFinding"),
        ([finding(), "and a string"], "finding 1 is str"),
        ([finding(severity="fatal")], "severity 'fatal' is not one of info, warning, block"),
        ([finding(code="")], "code is empty"),
        ([finding(code=None)], "code is NoneType"),
        ([finding(code="X" * 65)], "longer than 64 characters"),
        ([finding(message=42)], "message is int"),
        ([finding(message="nul \x00 byte")], "NUL character"),
        ([finding(citation=["Act"])], "citation is list"),
    ],
)
async def test_findings_that_are_not_findings_are_a_plugin_failure(
    world: World, container: Container, agency: Actor, answer: Any, says: str
) -> None:
    install(container, "findings", answer)
    await refused_as_plugin_failure(agency, container, "trustcenter_review_findings", says)
    assert (await counts(container))["Request"] == 0


async def test_a_finding_with_severity_as_text_is_stored_with_that_severity(
    world: World, container: Container, agency: Actor
) -> None:
    install(container, "findings", [finding(severity="warning")])
    request = await agency.submit()
    staff = await world.staff_actor(["review"])
    seen = await staff.data(
        "query($id: ID!) { request(id: $id) { findings { plugin severity code } } }",
        {"id": request["id"]},
    )
    assert seen["request"]["findings"] == [
        {"plugin": PLUGIN, "severity": "WARNING", "code": "HOSTILE_RULE"}
    ]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda r: r.received_at - timedelta(days=1), "not after the request's receipt"),
        (lambda r: r.received_at, "not after the request's receipt"),
        (lambda r: r.received_at.replace(tzinfo=None) + timedelta(days=5), "without a time zone"),
        (lambda r: r.received_at.date() + timedelta(days=5), "not a datetime"),
        ("2027-01-01T00:00:00+00:00", "not a datetime"),
        (timedelta(days=10), "not a datetime"),
        (10, "not a datetime"),
    ],
)
async def test_a_deadline_before_receipt_or_not_a_datetime_is_a_plugin_failure(
    world: World, container: Container, agency: Actor, answer: Any, says: str
) -> None:
    install(container, "deadline", answer)
    await refused_as_plugin_failure(agency, container, "trustcenter_response_deadline", says)
    assert (await counts(container))["Request"] == 0


async def test_a_later_deadline_is_the_plugins_to_set(
    world: World, container: Container, agency: Actor
) -> None:
    install(container, "deadline", lambda r: r.received_at + timedelta(days=45))
    request = await agency.submit()
    received = datetime.fromisoformat(request["receivedAt"])
    assert datetime.fromisoformat(request["deadline"]) - received == timedelta(days=45)
    assert isinstance(received.date(), date)
