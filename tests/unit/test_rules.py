"""Report category precedence (SPEC section 6) and the default response deadline (section 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trustcenter.domain.enums import Category, IdentifierType, InfoType
from trustcenter.domain.errors import ErrorCode
from trustcenter.domain.rules import category_hint_problem, default_deadline, derive_category

I = IdentifierType  # noqa: E741
A, B, C, D, E = InfoType.A, InfoType.B, InfoType.C, InfoType.D, InfoType.E


@pytest.mark.parametrize(
    "targets",
    [
        [(I.SERIAL_NUMBER, [B])],
        [(I.EMAIL, [A, C])],
        [(I.USERNAME, [D])],
        [(I.ORDER_ID, [D]), (I.PHONE, [A])],
        [],
    ],
)
def test_emergency_beats_everything(targets: list) -> None:
    assert derive_category(True, targets) is Category.EMERGENCY


@pytest.mark.parametrize(
    "targets",
    [
        [(I.EMAIL, [A, D])],
        [(I.SERIAL_NUMBER, [D])],
        [(I.ORDER_ID, [D])],
        # D on just one of several targets is enough
        [(I.SERIAL_NUMBER, [B]), (I.PHONE, [A, C]), (I.ORDER_ID, [D])],
        [(I.USERNAME, [E]), (I.USERNAME, [D])],
    ],
)
def test_d_on_any_target_makes_it_a_transaction_request(targets: list) -> None:
    assert derive_category(False, targets) is Category.TRANSACTION


@pytest.mark.parametrize("identifier_type", [I.EMAIL, I.PHONE, I.USERNAME])
def test_any_account_identifier_makes_it_an_account_request(
    identifier_type: IdentifierType,
) -> None:
    assert derive_category(False, [(identifier_type, [A])]) is Category.ACCOUNT
    # even when mixed with product targets, and whatever non-D types are asked for
    mixed = [(I.SERIAL_NUMBER, [B, C]), (identifier_type, [E]), (I.ORDER_ID, [E])]
    assert derive_category(False, mixed) is Category.ACCOUNT


@pytest.mark.parametrize(
    "targets",
    [
        [(I.SERIAL_NUMBER, [B])],
        [(I.SERIAL_NUMBER, [A, B, C, E])],
        [(I.ORDER_ID, [E])],
        [(I.SERIAL_NUMBER, [B]), (I.ORDER_ID, [C])],
    ],
)
def test_serial_numbers_and_order_ids_only_make_it_a_product_request(targets: list) -> None:
    assert derive_category(False, targets) is Category.PRODUCT


def test_derive_category_accepts_one_shot_iterables() -> None:
    # Callers may pass generators; the precedence must still see every target.
    targets = ((kind, iter(infos)) for kind, infos in [(I.SERIAL_NUMBER, [B]), (I.EMAIL, [A])])
    assert derive_category(False, targets) is Category.ACCOUNT
    targets = ((kind, iter(infos)) for kind, infos in [(I.EMAIL, [A]), (I.SERIAL_NUMBER, [D])])
    assert derive_category(False, targets) is Category.TRANSACTION


RECEIVED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_default_deadline_is_thirty_days() -> None:
    assert default_deadline(RECEIVED, emergency=False) == datetime(2026, 3, 31, 9, 30, tzinfo=UTC)
    assert default_deadline(RECEIVED, False) - RECEIVED == timedelta(days=30)


def test_emergency_deadline_is_eight_hours() -> None:
    assert default_deadline(RECEIVED, emergency=True) == datetime(2026, 3, 1, 17, 30, tzinfo=UTC)


def test_deadline_keeps_the_timezone_of_receipt() -> None:
    assert default_deadline(RECEIVED, False).tzinfo is UTC
    assert default_deadline(RECEIVED, True) < default_deadline(RECEIVED, False)


def test_an_emergency_hint_without_the_flag_is_a_mismatch_saying_how_to_flag_it() -> None:
    targets = [(IdentifierType.EMAIL, [InfoType.A])]
    problem = category_hint_problem("emergency", "ACCOUNT", False, targets)
    assert problem is not None
    assert (problem.field, problem.code) == ("category", ErrorCode.CATEGORY_MISMATCH)
    assert "not flagged as an emergency" in problem.message
    assert "emergency: true" in problem.message and "so it is ACCOUNT" in problem.message
    assert category_hint_problem("EMERGENCY", "EMERGENCY", True, targets) is None
