"""The metrics settings: production refuses a weak token, a listener address must be
host:port, and the token never shows in the settings' text."""

from __future__ import annotations

import pytest

from trustcenter.config import Settings

PRODUCTION = {
    "TRUSTCENTER_ENV": "production",
    "TRUSTCENTER_SECRET_KEY": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
    "TRUSTCENTER_DISCLOSURE_KEYS": "k1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
}
STRONG = "Zq3v-8Hk1_LmN0pR2sT4uV6wX8yA9bC7dE5fG3hJ"


@pytest.mark.parametrize("token", ["short", "a" * 64, "abcdefgh" * 8, STRONG[:31]])
def test_production_refuses_a_weak_metrics_token(token: str) -> None:
    refusal = Settings.from_env({**PRODUCTION, "TRUSTCENTER_METRICS_TOKEN": token})
    message = refusal.startup_refusal()
    assert message is not None and "TRUSTCENTER_METRICS_TOKEN" in message
    assert token not in message


def test_a_strong_token_or_none_starts() -> None:
    assert Settings.from_env(PRODUCTION).startup_refusal() is None
    strong = Settings.from_env({**PRODUCTION, "TRUSTCENTER_METRICS_TOKEN": STRONG})
    assert strong.startup_refusal() is None
    assert STRONG not in repr(strong)


def test_development_takes_any_token() -> None:
    assert Settings.from_env({"TRUSTCENTER_METRICS_TOKEN": "dev"}).startup_refusal() is None


@pytest.mark.parametrize("addr", ["9464", "localhost", ":9464", "host:port", "h:0", "h:70000"])
def test_a_listener_address_must_be_host_and_port(addr: str) -> None:
    with pytest.raises(SystemExit, match="TRUSTCENTER_METRICS_ADDR must be host:port"):
        Settings.from_env({"TRUSTCENTER_METRICS_ADDR": addr})


def test_a_listener_address_is_kept() -> None:
    s = Settings.from_env({"TRUSTCENTER_METRICS_ADDR": "127.0.0.1:9464"})
    assert s.metrics_addr == "127.0.0.1:9464" and s.metrics_token == ""
