"""Shared by the lifecycle and audit tests: decisions as the reviewer sends them, and two accounts,
one with a premium subscription, for the transaction records (D).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from strawberry.relay import to_base64

from tests.conftest import START
from trustcenter.bootstrap import Container
from trustcenter.db.models import Account, PremiumSubscription


def missing_request_id() -> str:
    return to_base64("Request", uuid.uuid4())


def items(req: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Items by information type (the default submission asks A and C of an e-mail, B of a
    serial number: one item per type)."""
    return {i["infoType"]: i for i in req["items"]}


def approve(item: dict[str, Any]) -> dict[str, Any]:
    return {"itemId": item["id"], "outcome": "APPROVE"}


def non_approval(
    item: dict[str, Any], outcome: str, code: str = "OVERBROAD", why: str | None = None
) -> dict[str, Any]:
    return {
        "itemId": item["id"],
        "outcome": outcome,
        "reasonCode": code,
        "explanation": why or f"{outcome.lower()}: {code.lower()} for {item['infoType']}",
    }


# --- transaction records only for premium accounts ------------------------------------------


async def add_accounts(container: Container) -> None:
    async with container.db.transaction() as session:
        premium = Account(
            username="premium-user",
            email="premium@example.com",
            region="DE",
            registered_at=START - timedelta(days=400),
        )
        plain = Account(
            username="plain-user",
            email="plain@example.com",
            region="DE",
            registered_at=START - timedelta(days=400),
        )
        session.add_all([premium, plain])
        await session.flush()
        session.add(
            PremiumSubscription(
                account_id=premium.id,
                service="cloud_storage",
                started_at=START - timedelta(days=300),
                ended_at=None,
            )
        )


D_TARGETS = [
    {
        "identifierType": "EMAIL",
        "identifier": "Premium@Example.com",
        "infoTypes": ["D"],
        "from": "2026-01-01",
        "to": "2026-06-30",
    },
    {"identifierType": "EMAIL", "identifier": "plain@example.com", "infoTypes": ["D"]},
]


def by_identifier(req: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["target"]["identifier"]: i for i in req["items"]}
