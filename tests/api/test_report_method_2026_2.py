"""Method 2026.2 end to end: the accounts a request specifies are the accounts its identifiers
resolve to when the request is reviewed, whatever later happens to the account."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete

from tests.helpers import START_REVIEW, World
from trustcenter.db.models import Account

BUILD = """mutation { buildTransparencyReport(input: {year: 2026}) {
  report { methodVersion worldwide { requests accountsSpecified productsSpecified } }
  userErrors { code message } } }"""
TARGETS = [
    {"identifierType": "EMAIL", "identifier": "Anna@Example.com", "infoTypes": ["A"]},
    {"identifierType": "PHONE", "identifier": "+49 30 1234 5678", "infoTypes": ["A"]},
    {"identifierType": "USERNAME", "identifier": "anna", "infoTypes": ["A", "C"]},
]


async def figures(world: World) -> dict:
    reporter = await world.staff_actor(["reports"])
    built = (await reporter.data(BUILD))["buildTransparencyReport"]
    assert built["userErrors"] == [] and built["report"]["methodVersion"] == "2026.2"
    return built["report"]["worldwide"]  # type: ignore[no-any-return]


async def test_one_account_named_by_email_phone_and_user_name_is_one_account_for_good(
    world: World,
) -> None:
    async with world.container.db.transaction() as s:
        s.add(Account(username="anna", email="anna@example.com", phone="+493012345678",
                      region="DE", registered_at=datetime(2024, 1, 1, tzinfo=UTC)))  # fmt: skip
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=TARGETS)
    # before review nothing was looked up: three identifiers, as far as anyone knows
    assert (await figures(world))["accountsSpecified"] == 3

    staff = await world.staff_actor(["review"])
    started = (await staff.data(START_REVIEW, {"i": {"requestId": request["id"]}}))["startReview"]
    assert started["userErrors"] == []
    after_review = await figures(world)
    assert (after_review["requests"], after_review["accountsSpecified"]) == (1, 1)
    assert after_review["productsSpecified"] == 0

    async with world.container.db.transaction() as s:  # the account is deleted afterwards
        await s.execute(delete(Account).where(Account.username == "anna"))
    assert await figures(world) == after_review
