"""The demo's staff: ``make serve`` creates three people with fixed credentials and prints
them; each signs in with exactly what was printed (password, then the code of the printed
authenticator secret) and holds the scopes of their roles. A second load changes nothing, and
``trustcenter demo codes`` refuses to show codes in production."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from trustcenter.auth.totp import code_at
from trustcenter.bootstrap import Container
from trustcenter.cli import main
from trustcenter.demo_staff import DEMO_STAFF, demo_codes, describe_demo_staff, load_demo_staff
from trustcenter.services.sessions import session_principal
from trustcenter.services.sign_in import give_second_factor, sign_in_with_password

SCOPES = {
    "rita@demo.trustcenter.example": ["audit", "notices", "reports", "review"],
    "sam@demo.trustcenter.example": ["review"],
    "ada@demo.trustcenter.example": ["admin", "audit"],
}


async def test_each_demo_person_signs_in_with_what_serve_prints(container: Container) -> None:
    assert await load_demo_staff(container, "tester") == 3
    assert await load_demo_staff(container, "tester") == 0  # a second load changes nothing
    printed = describe_demo_staff("http://localhost:8000/console")
    for member in DEMO_STAFF:
        assert member.email in printed and member.password in printed
        assert member.totp_secret in printed
        pending = await sign_in_with_password(
            container, member.email, member.password, address="127.0.0.1", user_agent="test"
        )
        code = code_at(member.totp_secret, container.clock.now())
        assert f"{member.email:<32} {code}" in demo_codes(container.clock.now())
        ticket = await give_second_factor(container, pending.token, code, address="127.0.0.1")
        principal = await session_principal(container, ticket.token)
        assert principal is not None and principal.staff_name == member.name
        assert sorted(principal.scopes) == SCOPES[member.email]
        container.clock.advance(timedelta(seconds=31))  # a code works once: next step


def test_the_codes_are_not_shown_in_production() -> None:
    result = CliRunner().invoke(main, ["demo", "codes"], env={"TRUSTCENTER_ENV": "production"})
    assert result.exit_code != 0
    assert "not shown in production" in result.output
    assert not any(m.email in result.output for m in DEMO_STAFF)
