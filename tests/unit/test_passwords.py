"""Staff passwords are stored as Argon2id at the product's cost (t=3, m=64 MiB, p=4; RFC 9106's
second recommendation), whatever cheaper parameters the test suite hashes its own with."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from argon2 import Type, extract_parameters

from tests.conftest import TEST_HASHER
from trustcenter.auth import passwords

PRODUCT_COST = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}


@pytest.fixture
def product_hasher() -> Iterator[None]:
    passwords.use_hasher(passwords.PRODUCTION)
    try:
        yield
    finally:
        passwords.use_hasher(TEST_HASHER)


def test_a_fresh_process_stores_argon2id_at_the_product_cost() -> None:
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            "from trustcenter.auth.passwords import hash_password, check_password\n"
            "h = hash_password('correct horse battery staple')\n"
            "print(h, check_password(h, 'correct horse battery staple'))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    stored, checked = made.stdout.strip().split(" ", 1)
    assert checked == "Checked(ok=True, rehash=False)", made.stdout
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), stored
    found = extract_parameters(stored)
    assert found.type is Type.ID
    assert {k: getattr(found, k) for k in PRODUCT_COST} == PRODUCT_COST


@pytest.mark.usefixtures("product_hasher")
def test_a_password_hashed_at_a_lower_cost_is_stored_again_at_the_product_cost() -> None:
    cheap = TEST_HASHER.hash("correct horse battery staple")
    checked = passwords.check_password(cheap, "correct horse battery staple")
    assert checked.ok and checked.rehash
    again = passwords.hash_password("correct horse battery staple")
    assert {k: getattr(extract_parameters(again), k) for k in PRODUCT_COST} == PRODUCT_COST
    assert passwords.check_password(again, "correct horse battery staple") == passwords.Checked(
        True, False
    )
    assert not passwords.check_password(again, "correct horse battery stapler").ok
