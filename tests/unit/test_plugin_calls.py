"""pluggy calls the hooks: every call goes through pluggy (its monitoring sees it), firstresult
hooks stop at the first answer that is not None, and TRUSTCENTER_TRACE_PLUGINS logs each call
on ``trustcenter.plugins`` with hook, plugins, argument names and duration, never values.

No database: plugins are registered directly (``load("", extra=[...])``).
"""

from __future__ import annotations

import logging
import types
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from trustcenter.config import Settings
from trustcenter.plugins import (
    CategorySpec,
    Finding,
    ItemView,
    LegalBasisView,
    NoticeView,
    Problem,
    RequestView,
    Severity,
    hookimpl,
)
from trustcenter.plugins.host import PluginFailure, PluginHost
from trustcenter.plugins.manager import PluginLoadError, load, unknown_hooks
from trustcenter.plugins.testing import conformance_problems

RECEIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
#: a value that must never reach the log
SECRET = "private.person@example.com"


def request(jurisdiction: str = "NL") -> RequestView:
    return RequestView(
        id=None,
        jurisdiction=jurisdiction,
        category=None,
        emergency=False,
        received_at=RECEIVED,
        agency_kind="law_enforcement",
        agency_country=jurisdiction[:2],
        legal_basis=LegalBasisView(
            "warrant", "REF-1", "Rechtbank", "judge", date(2026, 11, 1), None, None
        ),
        items=(ItemView("email", SECRET, "A", None, None),),
    )


def host_with(*plugins: tuple[str, Any], trace: bool = False) -> PluginHost:
    return PluginHost(*load("", extra=list(plugins)), trace=trace)


class Classifier:
    """Answers ``trustcenter_classify`` with ``answer`` and records that it was asked."""

    def __init__(self, answer: str | None, *, is_async: bool = False) -> None:
        self.answer = answer
        self.is_async = is_async
        self.asked = 0

    @hookimpl
    def trustcenter_categories(self) -> list[CategorySpec]:
        return [CategorySpec(self.answer, self.answer)] if self.answer else []

    @hookimpl
    def trustcenter_classify(self, request: RequestView) -> Any:
        self.asked += 1
        if not self.is_async:
            return self.answer

        async def later() -> str | None:
            return self.answer

        return later()


# --- pluggy makes the calls -------------------------------------------------------------------


async def test_every_hook_call_goes_through_pluggy():
    seen: list[tuple[str, tuple[str, ...]]] = []
    pm, loaded = load("", extra=[("nl", Classifier("PRESERVATION"))])
    pm.add_hookcall_monitoring(
        lambda hook, impls, kwargs: seen.append((hook, tuple(i.plugin_name for i in impls))),
        lambda outcome, hook, impls, kwargs: None,
    )
    host = PluginHost(pm, loaded)
    assert ("trustcenter_categories", ("nl",)) in seen  # at start-up
    await host.response_deadline(request())
    assert ("trustcenter_response_deadline", ("trustcenter.jurisdiction",)) in seen
    assert ("trustcenter_classify", ("nl",)) not in seen  # not asked yet
    await host.classify(request())
    assert ("trustcenter_classify", ("nl",)) in seen


# --- firstresult ---------------------------------------------------------------------------


async def test_a_firstresult_hook_stops_at_the_first_answer_that_is_not_none():
    """pluggy calls the plugins registered later first; the built-in classification (trylast)
    would answer last."""
    never = Classifier("UNREACHED")
    answers = Classifier("PRESERVATION")
    silent = Classifier(None)
    host = host_with(("never", never), ("answers", answers), ("silent", silent))
    assert await host.classify(request()) == "PRESERVATION"
    assert (silent.asked, answers.asked, never.asked) == (1, 1, 0)


async def test_an_async_none_is_no_answer_and_the_next_plugin_is_asked():
    answers = Classifier("PRESERVATION")
    silent = Classifier(None, is_async=True)
    host = host_with(("answers", answers), ("silent", silent))
    assert await host.classify(request()) == "PRESERVATION"
    assert (silent.asked, answers.asked) == (1, 1)


async def test_when_no_plugin_answers_the_built_in_classification_does():
    silent = Classifier(None)
    assert await host_with(("silent", silent)).classify(request()) == "ACCOUNT"


def test_the_data_source_is_the_first_offered_and_the_others_are_not_asked():
    asked: list[str] = []

    class Source:
        def __init__(self, name: str) -> None:
            self.name = name

        async def records(self, target: Any, scope: Any) -> Any:
            yield {}

        @hookimpl
        def trustcenter_data_source(self, db: Any) -> Any:
            asked.append(self.name)
            return self

    first, second = Source("first"), Source("second")
    host = host_with(("second", second), ("first", first))
    builtin = Source("built-in")
    assert host.data_source(db=None, sql_source=builtin) is first
    assert asked == ["first"]
    # with no plugin's source, the built-in plugin answers with the built-in source
    assert host_with().data_source(None, builtin) is builtin
    with pytest.raises(PluginLoadError, match="no data source"):
        host_with().data_source(None)


async def test_an_all_hook_asks_every_plugin():
    class Rule:
        def __init__(self, field: str) -> None:
            self.field = field

        @hookimpl
        def trustcenter_validate_request(self, request: RequestView) -> list[Problem]:
            return [Problem(self.field, "no")]

    host = host_with(("a", Rule("a")), ("b", Rule("b")))
    assert sorted(p.field for p in await host.validate(request())) == ["a", "b"]


async def test_a_failure_names_the_plugin_among_several():
    class Quiet:
        @hookimpl
        def trustcenter_after_submit(self, request: RequestView) -> None:
            return None

    class Loud:
        @hookimpl
        async def trustcenter_after_submit(self, request: RequestView) -> None:
            raise RuntimeError("queue down")

    host = host_with(("quiet", Quiet()), ("loud", Loud()), ("also-quiet", Quiet()))
    with pytest.raises(PluginFailure) as caught:
        await host.after_submit(request())
    assert (caught.value.plugin, caught.value.hook) == ("loud", "trustcenter_after_submit")


# --- the outbox writer is handed in -------------------------------------------------------------


async def test_the_outbox_channel_writes_through_the_writer_it_is_handed():
    class Writer:
        def __init__(self) -> None:
            self.kept: list[tuple[uuid.UUID, str]] = []

        async def put(self, notice: NoticeView, idempotency_key: str) -> None:
            self.kept.append((notice.id, idempotency_key))

    host = host_with()
    assert host.notice_channels() == {}  # no writer: no outbox channel
    writer = Writer()
    channel = host.notice_channels(outbox=writer)["outbox"]
    notice = NoticeView(uuid.uuid4(), uuid.uuid4(), "u@example.com", "en", "S", "B")
    await channel.deliver(notice, "key-1")
    assert writer.kept == [(notice.id, "key-1")]
    own = PluginHost(*load(""), outbox=writer)  # the host's own writer, when none is given
    assert list(own.notice_channels()) == ["outbox"]


# --- one misspelt-hook check ------------------------------------------------------------------


def test_start_up_and_the_conformance_check_find_the_same_misspelt_names():
    plugin = types.ModuleType("typo_plugin")
    plugin.trustcenter_reveiw_findings = lambda request: []  # type: ignore[attr-defined]
    assert unknown_hooks(plugin) == ["trustcenter_reveiw_findings"]
    assert "trustcenter_reveiw_findings is not a hook of the contract (misspelt?)" in (
        conformance_problems(plugin)
    )
    with pytest.raises(PluginLoadError, match=r"trustcenter_reveiw_findings.*misspelt"):
        load("", extra=[("typo", plugin)])


# --- tracing ------------------------------------------------------------------------------------


class Traced:
    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["NL"]

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> list[Finding]:
        return [Finding(Severity.INFO, "NL_SEEN", f"saw {request.items[0].identifier}", "x")]

    @hookimpl
    async def trustcenter_notice_delay(self, request: RequestView) -> timedelta:
        return timedelta(days=40)


async def test_tracing_logs_every_hook_call_with_names_and_duration_but_no_values(caplog):
    caplog.set_level(logging.INFO, logger="trustcenter.plugins")
    host = host_with(("nl", Traced()), trace=True)
    start_up = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("trustcenter_jurisdictions() on ") for m in start_up)
    caplog.clear()

    await host.findings(request())
    await host.notice_delay(request())
    messages = [r.getMessage() for r in caplog.records]
    assert all(r.name == "trustcenter.plugins" for r in caplog.records)
    assert any(
        m.startswith("trustcenter_review_findings(request) on nl: answered in ") and "ms" in m
        for m in messages
    ), messages
    assert any(
        m.startswith("trustcenter_notice_delay(request) on nl: returned an awaitable")
        for m in messages
    ), messages
    assert any(m.startswith("trustcenter_notice_delay on nl: awaited in ") for m in messages)
    text = "\n".join(messages)
    assert SECRET not in text and "NL_SEEN" not in text and "Rechtbank" not in text


async def test_a_failing_call_is_traced_by_the_type_of_its_error_only(caplog):
    class Loud:
        @hookimpl
        def trustcenter_after_submit(self, request: RequestView) -> None:
            raise KeyError(request.items[0].identifier)

    caplog.set_level(logging.INFO, logger="trustcenter.plugins")
    host = host_with(("loud", Loud()), trace=True)
    with pytest.raises(PluginFailure):
        await host.after_submit(request())
    messages = [r.getMessage() for r in caplog.records]
    assert any("on loud: raised KeyError in " in m for m in messages), messages
    assert SECRET not in "\n".join(messages)


async def test_without_tracing_nothing_is_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="trustcenter.plugins")
    host = host_with(("nl", Traced()))
    await host.findings(request())
    await host.notice_delay(request())
    assert [r for r in caplog.records if r.name == "trustcenter.plugins"] == []


def test_the_settings_read_tracing_and_the_plugins_folder(tmp_path):
    assert Settings.from_env({}).trace_plugins is False
    assert Settings.from_env({}).plugins_dir == ""
    on = Settings.from_env(
        {"TRUSTCENTER_TRACE_PLUGINS": "1", "TRUSTCENTER_PLUGINS_DIR": str(tmp_path)}
    )
    assert on.trace_plugins is True and on.plugins_dir == str(tmp_path)
    assert Settings.from_env({"TRUSTCENTER_TRACE_PLUGINS": "0"}).trace_plugins is False
    with pytest.raises(SystemExit, match="TRUSTCENTER_TRACE_PLUGINS"):
        Settings.from_env({"TRUSTCENTER_TRACE_PLUGINS": "loud"})
