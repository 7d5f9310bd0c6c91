"""The host: the only code that calls hooks.

It awaits async results in one place, routes each jurisdiction to the one plugin that claims
it, and turns any exception a plugin raises into a ``PluginFailure`` naming the plugin and the
hook — which the calling use case lets propagate, so its transaction rolls back.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
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
    HoldDecision,
    Problem,
    ReasonCodeSpec,
    RequestView,
    VendorView,
)
from trustcenter.plugins.manager import Loaded, PluginLoadError, load

_REASON_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")

T = TypeVar("T")


class PluginFailure(Exception):
    """A plugin raised; nothing of the change it took part in remains."""

    def __init__(self, plugin: str, hook: str, error: BaseException) -> None:
        super().__init__(f"plugin {plugin!r} failed in {hook}: {type(error).__name__}: {error}")
        self.plugin = plugin
        self.hook = hook


async def _await_me_maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    version: str | None
    builtin: bool
    hooks: tuple[str, ...]


class PluginHost:
    def __init__(self, pm: pluggy.PluginManager, loaded: list[Loaded]) -> None:
        self._pm = pm
        self._loaded = loaded
        self._routes = self._route_table()
        self.categories: dict[str, CategorySpec] = self._collect_categories()
        self.reason_codes: dict[str, ReasonCodeSpec] = self._collect_reason_codes()
        self.legal_basis_kinds: frozenset[str] = frozenset(
            k for _, kinds in self._each("trustcenter_legal_basis_kinds") for k in kinds or []
        )

    @classmethod
    def from_settings(cls, allow: str | None) -> PluginHost:
        pm, loaded = load(allow)
        return cls(pm, loaded)

    # --- start-up ---------------------------------------------------------------------------
    def _each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a start-up hook on every implementation, keeping who answered what."""
        out = []
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            try:
                value = impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
            except Exception as exc:
                raise PluginFailure(impl.plugin_name, hook, exc) from exc
            if inspect.isawaitable(value):
                if hasattr(value, "close"):
                    value.close()
                raise PluginLoadError(
                    f"plugin {impl.plugin_name!r}: {hook} is called at "
                    "start-up and must be a plain function, not async"
                )
            out.append((impl.plugin_name, value))
        return out

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
                if not isinstance(spec, ReasonCodeSpec) or not _REASON_CODE.match(str(code)):
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

    def reason_vocabulary(self) -> ReasonVocabulary:
        """The registered reason codes as the domain's decision rules read them."""
        return ReasonVocabulary.of((s.code, s.account_state) for s in self.reason_codes.values())

    # --- routing ----------------------------------------------------------------------------
    def plugin_for(self, jurisdiction: str) -> str:
        code = jurisdiction.upper()
        return self._routes.get(code) or self._routes.get(code[:2]) or self._routes["*"]

    def _only(self, hook: str, plugin: str) -> Any:
        others = [p for n, p in self._pm.list_name_plugin() if n != plugin]
        return self._pm.subset_hook_caller(hook, remove_plugins=others)

    async def _call_one(self, hook: str, plugin: str, **kwargs: Any) -> Any:
        try:
            results = self._only(hook, plugin)(**kwargs)
            values = [await _await_me_maybe(r) for r in results]
        except Exception as exc:
            raise PluginFailure(plugin, hook, exc) from exc
        answered = [v for v in values if v is not None]
        return answered[0] if answered else None

    async def _routed(self, hook: str, request: RequestView, **kwargs: Any) -> tuple[str, Any]:
        """The answer of the plugin governing the request's jurisdiction, and who gave it: the
        built-in defaults answer when that plugin does not (implement the hook)."""
        plugin = self.plugin_for(request.jurisdiction)
        value = await self._call_one(hook, plugin, request=request, **kwargs)
        default = self._routes["*"]
        if value is None and plugin != default:
            return default, await self._call_one(hook, default, request=request, **kwargs)
        return plugin, value

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
        hook = "trustcenter_review_findings"
        plugin, found = await self._routed(hook, request)
        checked = self._checked(plugin, hook, answers.findings, [] if found is None else found)
        return [(plugin, f) for f in checked]

    async def validate(self, request: RequestView) -> list[Problem]:
        return [
            p
            for problems in await self._all("trustcenter_validate_request", request=request)
            for p in problems or []
        ]

    async def classify(self, request: RequestView) -> str:
        hook = "trustcenter_classify"
        for plugin, result in await self._all_named(hook, first_only=True, request=request):
            return self._checked(plugin, hook, answers.category, result, self.categories, request)
        raise PluginLoadError("no plugin classified the request")

    async def release_refusals(self, request: RequestView) -> list[tuple[str, str]]:
        """(plugin, reason) for every plugin that refuses to let this request be released."""
        answers = await self._all_named("trustcenter_release_check", request=request)
        return [(plugin, str(reason)) for plugin, reason in answers if reason]

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

    async def _all_named(
        self, hook: str, *, first_only: bool = False, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call every implementation in pluggy's order (tryfirst first, trylast last), keeping
        who answered; ``first_only`` stops at the first answer that is not None."""
        out = []
        for impl in reversed(getattr(self._pm.hook, hook).get_hookimpls()):
            try:
                params = {k: v for k, v in kwargs.items() if k in impl.argnames}
                value = await _await_me_maybe(impl.function(**params))
            except Exception as exc:
                raise PluginFailure(impl.plugin_name, hook, exc) from exc
            if first_only and value is not None:
                return [(impl.plugin_name, value)]
            if not first_only:
                out.append((impl.plugin_name, value))
        return out

    async def hold_until(self, request: RequestView) -> datetime | None:
        answers = [u for u in await self._all("trustcenter_hold_until", request=request) if u]
        return max(answers) if answers else None

    async def extend_hold(
        self, request: RequestView, hold_until: datetime, extensions: int
    ) -> tuple[str, HoldDecision] | None:
        for plugin, decision in await self._all_named(
            "trustcenter_extend_hold",
            request=request,
            hold_until=hold_until,
            extensions=extensions,
        ):
            if decision is not None:
                return plugin, decision
        return None

    def notice_channels(self, db: Any = None) -> dict[str, Any]:
        """Every channel the plugins provide, by name."""
        out: dict[str, Any] = {}
        for plugin, channels in self._each("trustcenter_notice_channels", db=db):
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

    def data_source(self, db: Any) -> Any:
        """The source that fetches A to E: the first plugin's that offers one, else the
        built-in SQL source."""
        # in pluggy's calling order: tryfirst first, the built-in (trylast) last
        for plugin, source in reversed(self._each("trustcenter_data_source", db=db)):
            if source is not None:
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
            if answer is None:
                continue
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
            out.append(PluginInfo(item.name, item.version, item.builtin, hooks))
        return out

    def jurisdictions(self) -> dict[str, str]:
        return dict(self._routes)


@cache
def builtin_host() -> PluginHost:
    """Only the core's defaults: for code paths used without a configured application."""
    return PluginHost.from_settings("")
