"""The log lines themselves: JSON for pipelines, text for people, the request id on each."""

from __future__ import annotations

import json
import logging

import pytest

from trustcenter.config import Settings
from trustcenter.observability import context, logs

log = logging.getLogger("trustcenter.test")


@pytest.fixture(autouse=True)
def _restore() -> object:
    yield
    logs.configure("INFO", "text")


def test_json_lines_carry_the_request_id_and_the_calls_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure("INFO", "json")
    _, token = context.begin("req-1")
    try:
        log.info("decided %s", "x", extra={"outcome": "APPROVE", "count": 3})
    finally:
        context.end(token)
    log.warning("outside")
    log.debug("below the level")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    first, second = [line for line in lines if line["logger"] == "trustcenter.test"]
    assert first["message"] == "decided x" and first["level"] == "INFO"
    assert (first["request_id"], first["outcome"], first["count"]) == ("req-1", "APPROVE", 3)
    assert first["time"].endswith("+00:00") and "." in first["time"]  # UTC, milliseconds
    assert second["message"] == "outside" and "request_id" not in second
    assert not any(line["message"] == "below the level" for line in lines)


def test_text_lines_show_the_request_id_in_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "text")
    _, token = context.begin("abc")
    try:
        log.info("hello")
    finally:
        context.end(token)
    assert "INFO trustcenter.test [abc] hello" in capsys.readouterr().err


def test_configuring_twice_leaves_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "json")
    logs.configure("INFO", "json")
    log.info("once")
    assert capsys.readouterr().err.count('"once"') == 1


def test_drivers_never_log_statement_parameters_even_at_debug() -> None:
    logs.configure("DEBUG", "json")
    for name in ("aiosqlite", "sqlalchemy.engine"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)


def test_production_logs_json_and_development_text_unless_chosen() -> None:
    assert Settings.from_env({}).log_style == "text"
    assert Settings.from_env({"TRUSTCENTER_LOG_FORMAT": "JSON"}).log_style == "json"
    production = Settings(env="production")
    assert production.log_style == "json"
    for name, value in (("TRUSTCENTER_LOG_FORMAT", "xml"), ("TRUSTCENTER_LOG_LEVEL", "loud")):
        with pytest.raises(SystemExit, match=name):
            Settings.from_env({name: value})
    assert Settings.from_env({"TRUSTCENTER_ACCESS_LOG": "0"}).access_log is False
