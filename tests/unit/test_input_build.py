"""The submission's input built by its plan is what strawberry's own conversion builds."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from strawberry.types.arguments import convert_argument

from trustcenter.domain.enums import IdentifierType, InfoType
from trustcenter.graphql.inputs import SubmitRequestInput
from trustcenter.graphql.schema import build_schema

SCHEMA = build_schema()
DEFINITION = SubmitRequestInput.__strawberry_definition__
TARGET = {
    "identifierType": IdentifierType.EMAIL,
    "identifier": "a@example.com",
    "infoTypes": [InfoType.A, InfoType.C],
    "from": None,
    "to": date(2026, 2, 1),
}
BASIS = {
    "kind": "WARRANT",
    "reference": "AG-1",
    "issuedBy": "Amtsgericht",
    "issuedAt": date(2026, 1, 1),
    "expiresAt": None,
    "nonDisclosureUntil": None,
    "document": None,
    "documentIds": None,
    "issuerRole": None,
}
FULL = {
    "jurisdiction": "DE",
    "officer": {"name": "K. Weber", "email": "k@example.org", "title": "", "phone": ""},
    "legalBasis": BASIS,
    "targets": [TARGET, dict(TARGET, identifier="b@example.com", infoTypes=[InfoType.B])],
    "reason": "A reason.",
    "emergency": False,
    "emergencyDescription": None,
    "category": None,
    "idempotencyKey": None,
}


def convert(value: dict[str, Any], *, plan: bool) -> Any:
    built_by = DEFINITION.from_input
    assert built_by is not None  # the plan is installed on the class
    DEFINITION.from_input = built_by if plan else None
    try:
        return convert_argument(
            value,
            SubmitRequestInput,
            SCHEMA.schema_converter.scalar_registry,
            SCHEMA.config,
            path=("input",),
        )
    finally:
        DEFINITION.from_input = built_by


@pytest.mark.parametrize(
    "value",
    [
        FULL,
        dict(FULL, targets=[]),
        dict(
            FULL,
            legalBasis=dict(BASIS, documentIds=["1", "2"], issuerRole="JUDGE", document="AA=="),
            emergency=True,
            emergencyDescription="Now.",
            category="CRIMINAL",
            idempotencyKey="k-1",
        ),
        {k: v for k, v in FULL.items() if k not in {"emergency", "category", "idempotencyKey"}},
    ],
    ids=["full", "no targets", "every optional field", "fields left out"],
)
def test_the_plan_builds_what_strawberry_builds(value: dict[str, Any]) -> None:
    built, reference = convert(value, plan=True), convert(value, plan=False)
    assert type(built) is SubmitRequestInput
    assert built == reference
    assert repr(built) == repr(reference)  # the nested classes, the enum members, the dates


def test_lists_are_copies_not_the_request_s_own() -> None:
    built = convert(FULL, plan=True)
    assert built.targets[0].info_types == TARGET["infoTypes"]
    assert built.targets[0].info_types is not TARGET["infoTypes"]
