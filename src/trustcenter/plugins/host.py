"""The host: the only code that has hooks called.

pluggy calls every implementation (``calls.HookCalls``: one plugin at a time, through subset
callers, so its monitoring and tracing see every call); the host awaits async results in one
place, routes each jurisdiction to the one plugin that claims it, checks answers before they are
applied (``answers``), and turns any exception a plugin raises into a ``PluginFailure`` naming
the plugin and the hook — which the calling use case lets propagate, so its transaction rolls
back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pluggy

from trustcenter.domain.decisions import NO_RESPONSIVE_DATA, ReasonVocabulary
from trustcenter.domain.notice_policy import NOTICE_DELAY
from trustcenter.domain.rules import default_deadline
from trustcenter.plugins import answers
from trustcenter.plugins.api import (
    CategorySpec,
    Exclusion,
    Finding,
    FindingCodeSpec,
    HoldDecision,
    OutboxWriter,
    Problem,
    ReasonCodeSpec,
    RequestView,
    VendorView,
)
from trustcenter.plugins.calls import Around, HookCalls, PluginFailure, trace_hook_calls
from trustcenter.plugins.manager import Loaded, PluginLoadError, load

__all__ = ["PluginFailure", "PluginHost", "PluginInfo", "builtin_host"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    version: str | None
    builtin: bool
    hooks: tuple[str, ...]
    #: the finding codes the plugin declares, in its order (empty: it declares none)
    finding_codes: tuple[FindingCodeSpec, ...] = ()


class PluginHost:
    """``outbox``: the writer the built-in notice channel is handed when ``notice_channels``
    is not given one. ``trace``: log every hook call (``TRUSTCENTER_TRACE_PLUGINS``). ``around``:
    a context every call of a hook at run time runs in (a trace span per plugin and hook)."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        loaded: list[Loaded],
        *,
        outbox: OutboxWriter | None = None,
        trace: bool = False,
        around: Around | None = None,
    ) -> None:
        self._pm = pm
        self._loaded = loaded
        self._outbox = outbox
        if trace:
            trace_hook_calls(pm)
        self._calls = HookCalls(pm, trace=trace, around=around)
        self._routes = self._route_table()
        self.categories: dict[str, CategorySpec] = self._collect_categories()
        self.reason_codes: dict[str, ReasonCodeSpec] = self._collect_reason_codes()
        #: by plugin, the finding codes it declares (a plugin declaring none is not here)
        self.finding_codes: dict[str, dict[str, FindingCodeSpec]] = self._collect_finding_codes()
        self.legal_basis_kinds: frozenset[str] = frozenset(
            k for _, kinds in self._each("trustcenter_legal_basis_kinds") for k in kinds or []
        )

    @classmethod
    def from_settings(
        cls,
        allow: str | None,
        *,
        folder: Path | str | None = None,
        extra: Sequence[tuple[str, Any]] = (),
        outbox: OutboxWriter | None = None,
        trace: bool = False,
        around: Around | None = None,
    ) -> PluginHost:
        """The allow-listed installed plugins, the plugins folder's files and ``extra``."""
        pm, loaded = load(allow, extra=list(extra), folder=folder)
        return cls(pm, loaded, outbox=outbox, trace=trace, around=around)

    # --- start-up ---------------------------------------------------------------------------
    def _each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a start-up hook on every implementation, keeping who answered what."""
        return self._calls.at_start_up(hook, **kwargs)

    def _route_table(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for plugin, codes in self._each("trustcenter_jurisdictions"):
            for code in codes or []:
                key = str(code).upper()
                if key in table:
                    raise PluginLoadError(
                        f"jurisdiction {key} is claimed by both {table[key]!r} and {plugin!r}"
                    )
                table[key] = plugin
        if "*" not in table:
            raise PluginLoadError("no plugin provides the default jurisdiction rules")
        return table

    def _collect_categories(self) -> dict[str, CategorySpec]:
        out: dict[str, CategorySpec] = {}
        for plugin, specs in self._each("trustcenter_categories"):
            for spec in specs or []:
                if spec.code in out:
                    raise PluginLoadError(
                        f"category {spec.code} is registered twice (again by {plugin!r})"
                    )
                out[spec.code] = spec
        return out

    def _collect_reason_codes(self) -> dict[str, ReasonCodeSpec]:
        out: dict[str, ReasonCodeSpec] = {}
        for plugin, specs in self._each("trustcenter_reason_codes"):
            for spec in specs or []:
                code = getattr(spec, "code", None)
                upper_case = answers.DECLARED_CODE.match(str(code))
                if not isinstance(spec, ReasonCodeSpec) or not upper_case:
                    raise PluginLoadError(
                        f"plugin {plugin!r}: a reason code is a ReasonCodeSpec with an upper-case "
                        f"code such as OVERBROAD, not {spec!r}"
                    )
                if code == NO_RESPONSIVE_DATA:
                    raise PluginLoadError(
                        f"plugin {plugin!r}: {code} is what agencies read, not a reason to give"
                    )
                if not str(spec.description or "").strip():
                    raise PluginLoadError(
                        f"plugin {plugin!r}: reason code {code} has no description"
                    )
                if code in out:
                    raise PluginLoadError(
                        f"reason code {code} is registered twice (again by {plugin!r})"
                    )
                out[spec.code] = spec
        return out

    def _collect_finding_codes(self) -> dict[str, dict[str, FindingCodeSpec]]:
        """Each plugin's own codes: two plugins may declare the same code (findings are kept by
        plugin and code, so they never meet)."""
        out: dict[str, dict[str, FindingCodeSpec]] = {}
        for plugin, specs in self._each("trustcenter_finding_codes"):
            try:
                declared = answers.finding_codes(specs)
            except ValueError as exc:
                raise PluginLoadError(f"plugin {plugin!r}: {exc}") from exc
            if declared:
                out[plugin] = declared
        return out

    def reason_vocabulary(self) -> ReasonVocabulary:
        """The registered reason codes as the domain's decision rules read them."""
        return ReasonVocabulary.of((s.code, s.account_state) for s in self.reason_codes.values())

    # --- routing ----------------------------------------------------------------------------
    def plugin_for(self, jurisdiction: str) -> str:
        code = jurisdiction.upper()
        return self._routes.get(code) or self._routes.get(code[:2]) or self._routes["*"]

    async def _routed(self, hook: str, request: RequestView, **kwargs: Any) -> tuple[str, Any]:
        """The answer of the plugin governing the request's jurisdiction, and who gave it: the
        built-in defaults answer when that plugin does not (implement the hook)."""
        plugin = self.plugin_for(request.jurisdiction)
        value = await self._calls.answer(hook, plugin, request=request, **kwargs)
        default = self._routes["*"]
        if value is None and plugin != default:
            return default, await self._calls.answer(hook, default, request=request, **kwargs)
        return plugin, value

    async def _all_named(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin, answer) for every answer that is not None, in pluggy's calling order (the
        first alone for a firstresult hook)."""
        return await self._calls.answers(hook, **kwargs)

    async def _all(self, hook: str, **kwargs: Any) -> list[Any]:
        return [value for _, value in await self._all_named(hook, **kwargs)]

    # --- the hooks, typed ---------------------------------------------------------------------
    async def response_deadline(self, request: RequestView) -> datetime:
        """The answer must be a timezone-aware datetime after receipt; anything else is the
        answering plugin's failure, never stored."""
        hook = "trustcenter_response_deadline"
        plugin, due = await self._routed(hook, request)
        if due is None:
            return default_deadline(request.received_at, request.emergency)
        return self._checked(plugin, hook, answers.response_deadline, due, request.received_at)

    async def notice_delay(self, request: RequestView) -> timedelta:
        """At least the guideline's 31 days (the domain's floor): a plugin answering less, or
        not a timedelta, fails (named) and its answer is never applied."""
        plugin, delay = await self._routed("trustcenter_notice_delay", request)
        if delay is None:
            return NOTICE_DELAY
        return self._checked(plugin, "trustcenter_notice_delay", answers.notice_delay, delay)

    @staticmethod
    def _checked(plugin: str, hook: str, check: Callable[..., T], *args: Any) -> T:
        """A hook's answer as ``check`` accepts it, or the plugin's failure (ValueError)."""
        try:
            return check(*args)
        except ValueError as exc:
            raise PluginFailure(plugin, hook, exc) from exc

    async def accepts_from_abroad(self, request: RequestView) -> bool:
        """Whether the plugin governing the request's jurisdiction accepts it from an agency
        abroad (the built-in defaults answer when that plugin does not)."""
        plugin, answer = await self._routed("trustcenter_accepts_from_abroad", request)
        if not isinstance(answer, bool):
            raise PluginFailure(
                plugin,
                "trustcenter_accepts_from_abroad",
                TypeError(f"answered {repr(answer)[:80]}; expected True or False"),
            )
        return answer

    async def document_required(self, request: RequestView) -> bool:
        """Whether approving the request needs its legal document (the built-in defaults
        answer when the governing plugin does not)."""
        plugin, answer = await self._routed("trustcenter_document_required", request)
        if not isinstance(answer, bool):
            raise PluginFailure(
                plugin,
                "trustcenter_document_required",
                TypeError(f"answered {answer!r}; expected True or False"),
            )
        return answer

    async def findings(self, request: RequestView) -> list[tuple[str, Finding]]:
        """The answering plugin's findings, each checked, and against the codes and severities
        that plugin declares when it declares any; anything else is its failure."""
        hook = "trustcenter_review_findings"
        plugin, found = await self._routed(hook, request)
        checked = self._checked(
            plugin,
            hook,
            answers.findings,
            [] if found is None else found,
            self.finding_codes.get(plugin),
        )
        return [(plugin, f) for f in checked]

    async def validate(self, request: RequestView) -> list[Problem]:
        return [
            p
            for problems in await self._all("trustcenter_validate_request", request=request)
            for p in problems or []
        ]

    async def classify(self, request: RequestView) -> str:
        """The first answer in pluggy's order (the hook is firstresult; the built-in
        classification answers last)."""
        hook = "trustcenter_classify"
        for plugin, result in await self._all_named(hook, request=request):
            return self._checked(plugin, hook, answers.category, result, self.categories, request)
        raise PluginLoadError("no plugin classified the request")

    async def release_refusals(self, request: RequestView) -> list[tuple[str, str]]:
        """(plugin, reason) for every plugin that refuses to let this request be released."""
        refusals = await self._all_named("trustcenter_release_check", request=request)
        return [(plugin, str(reason)) for plugin, reason in refusals if reason]

    async def vendor_refusals(
        self, vendor: VendorView, info_types: list[str], now: datetime
    ) -> list[tuple[str, str]]:
        reasons = await self._all_named(
            "trustcenter_vendor_check", vendor=vendor, info_types=info_types, now=now
        )
        return [(plugin, str(reason)) for plugin, reason in reasons if reason]

    async def vendor_notify(
        self, vendor: VendorView, request: RequestView, info_types: list[str]
    ) -> None:
        await self._all(
            "trustcenter_vendor_notify", vendor=vendor, request=request, info_types=info_types
        )

    async def release_approvers(self, request: RequestView) -> int | None:
        """The most people any plugin asks to agree before this request is released (each
        answer checked: 1 or 2, else that plugin's failure); None when no plugin asks."""
        hook = "trustcenter_release_approvers"
        asked = [
            self._checked(plugin, hook, answers.release_approvers, answer)
            for plugin, answer in await self._all_named(hook, request=request)
        ]
        return max(asked) if asked else None

    async def hold_until(self, request: RequestView) -> datetime | None:
        answers = [u for u in await self._all("trustcenter_hold_until", request=request) if u]
        return max(answers) if answers else None

    async def extend_hold(
        self, request: RequestView, hold_until: datetime, extensions: int
    ) -> tuple[str, HoldDecision] | None:
        """The first answer in pluggy's order (every plugin is asked)."""
        answered = await self._all_named(
            "trustcenter_extend_hold",
            request=request,
            hold_until=hold_until,
            extensions=extensions,
        )
        return answered[0] if answered else None

    def notice_channels(self, db: Any = None, outbox: OutboxWriter | None = None) -> dict[str, Any]:
        """Every channel the plugins provide, by name. ``outbox`` (else the host's own) is the
        writer handed to the built-in outbox channel; without one it offers none."""
        out: dict[str, Any] = {}
        writer = outbox if outbox is not None else self._outbox
        for plugin, channels in self._each("trustcenter_notice_channels", db=db, outbox=writer):
            for channel in channels or []:
                name = getattr(channel, "name", None)
                if not name or not hasattr(channel, "deliver"):
                    raise PluginLoadError(
                        f"plugin {plugin!r}: a notice channel needs a name and deliver()"
                    )
                if name in out:
                    raise PluginLoadError(
                        f"notice channel {name!r} is provided twice (again by {plugin!r})"
                    )
                out[name] = channel
        return out

    def data_source(self, db: Any, sql_source: Any = None) -> Any:
        """The source that fetches A to E: the first plugin's that offers one (the hook is
        firstresult), else ``sql_source``, the built-in source over trustcenter's own tables,
        which the built-in plugin answers with last."""
        hook = "trustcenter_data_source"
        for plugin, source in self._each(hook, db=db, sql_source=sql_source):
            if not hasattr(source, "records"):
                raise PluginLoadError(f"plugin {plugin!r}: its data source has no records()")
            return source
        raise PluginLoadError("no data source")

    async def report_exclusions(self) -> list[Exclusion]:
        """Every plugin's exclusions, each marked with the plugin that made it. A bare code is
        kept as an exclusion without a reason (the build refuses it, naming the plugin);
        anything else is the plugin's failure."""
        hook = "trustcenter_report_exclusions"
        out = []
        for plugin, answer in await self._all_named(hook):
            for item in self._checked(plugin, hook, answers.exclusions, answer):
                out.append(replace(item, source=f"plugin {plugin!r}"))
        return out

    async def after_submit(self, request: RequestView) -> None:
        await self._all("trustcenter_after_submit", request=request)

    async def after_decision(self, request: RequestView, status: str) -> None:
        await self._all("trustcenter_after_decision", request=request, status=status)

    async def after_release(self, request: RequestView, sha256: str) -> None:
        await self._all("trustcenter_after_release", request=request, sha256=sha256)

    async def after_notice(self, request_id: str, status: str) -> None:
        await self._all("trustcenter_after_notice", request_id=request_id, status=status)

    # --- visibility ---------------------------------------------------------------------------
    def describe(self) -> list[PluginInfo]:
        out = []
        for item in self._loaded:
            plugin = self._pm.get_plugin(item.name)
            hooks = tuple(sorted(h.name for h in self._pm.get_hookcallers(plugin) or []))
            codes = tuple(self.finding_codes.get(item.name, {}).values())
            out.append(PluginInfo(item.name, item.version, item.builtin, hooks, codes))
        return out

    def jurisdictions(self) -> dict[str, str]:
        return dict(self._routes)


@cache
def builtin_host() -> PluginHost:
    """Only the core's defaults: for code paths used without a configured application."""
    return PluginHost.from_settings("")
