"""The webhook sender's pure rules: which resolved address a delivery may go to, and what of a
receiver's answer is kept (a short excerpt, on one line, printable)."""

from __future__ import annotations

import pytest

from trustcenter.services.webhook_http import EXCERPT_CHARS, WebhookSender, excerpt


@pytest.mark.parametrize(
    ("production", "host", "address", "refused"),
    [
        (False, "127.0.0.1", "127.0.0.1", None),  # a local receiver in development
        (False, "localhost", "::1", None),
        (False, "localhost", "10.0.0.1", "a private address"),  # local names: loopback only
        (False, "hooks.example", "127.0.0.1", "a loopback address"),
        (True, "127.0.0.1", "127.0.0.1", "a loopback address"),  # never in production
        (True, "hooks.example", "93.184.216.34", None),
        (True, "hooks.example", "169.254.169.254", "a link-local address"),
    ],
)
def test_which_resolved_addresses_a_delivery_may_reach(
    production: bool, host: str, address: str, refused: str | None
) -> None:
    why = WebhookSender(production=production)._refused(host, address, private_allowed=False)
    assert (why or "").startswith(refused or "") and (why is None) == (refused is None)


def test_an_admin_may_allow_private_addresses_for_an_endpoint() -> None:
    sender = WebhookSender(production=True)
    assert sender._refused("hooks.internal", "10.0.0.8", private_allowed=True) is None


def test_an_answer_is_kept_as_a_short_printable_line() -> None:
    hostile = b"\x1b[31mError\r\nSet-Cookie: x\x00\xff\xfe" + b"A" * 1000
    kept = excerpt(hostile)
    assert kept.startswith("[31mError Set-Cookie: x ")
    assert len(kept) == EXCERPT_CHARS
    assert kept.isprintable()
    assert excerpt(b"  \n\t ") == ""
