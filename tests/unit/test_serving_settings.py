"""What serve hands uvicorn: forwarded headers believed only from the proxy, uvicorn's logs
through the service's handler, its access log off (the service writes its own)."""

from __future__ import annotations

import pytest

from trustcenter.cli.serving import uvicorn_options
from trustcenter.config import Settings


def test_forwarded_headers_are_believed_only_from_listed_addresses() -> None:
    assert Settings.from_env({}).forwarded_allow_ips == "127.0.0.1"
    listed = Settings.from_env({"TRUSTCENTER_FORWARDED_ALLOW_IPS": "10.0.0.5, 172.16.0.0/12"})
    assert listed.forwarded_allow_ips == "10.0.0.5, 172.16.0.0/12"
    for bad in ("proxy.internal", "10.0.0.0/33", "1.2.3.4; *"):
        with pytest.raises(SystemExit, match="TRUSTCENTER_FORWARDED_ALLOW_IPS"):
            Settings.from_env({"TRUSTCENTER_FORWARDED_ALLOW_IPS": bad})


def test_uvicorn_is_told_whom_to_believe_and_logs_through_the_service() -> None:
    options = uvicorn_options(
        Settings.from_env(
            {"TRUSTCENTER_FORWARDED_ALLOW_IPS": "10.0.0.5", "TRUSTCENTER_LOG_LEVEL": "warning"}
        )
    )
    assert options["forwarded_allow_ips"] == "10.0.0.5" and options["proxy_headers"] is True
    assert options["log_config"] is None and options["access_log"] is False
    assert options["log_level"] == "warning"
