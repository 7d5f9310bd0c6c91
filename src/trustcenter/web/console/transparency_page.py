"""Transparency (scope ``reports``): build a year's draft, look at its figures and charts
exactly as the public page will show them, publish it, and correct a published year (publish
again, with a changelog).

- ``GET /console/transparency?year=YYYY``: the year's draft (its key figures, totals and the
  public page's charts) and its newest published version;
- ``GET /console/transparency/preview?year=YYYY``: the draft rendered by the public page's own
  template and context (``web/transparency.py``), marked as a draft;
- ``POST /console/transparency/build`` (``year``) and ``/console/transparency/publish``
  (``year``, ``changelog``);
- ``POST /console/transparency/statement`` (``text``; admins): confirm the public statement the
  next draft carries.

The draft comes from ``transparencyReportDraft`` and is put in the shape of the published JSON
(``transparency.document``) so that the public page's pieces render it unchanged."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from trustcenter.domain.report import FIGURES
from trustcenter.web import transparency
from trustcenter.web.console.admin_shared import (
    GENERAL,
    field,
    notice_of,
    parse_time,
    problems,
    refused_whole,
    times_of,
)
from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.runner import Runner
from trustcenter.web.console_auth import PAGE_HEADERS

LIST = "/console/transparency"
PREVIEW = f"{LIST}/preview"
FIRST_YEAR = 2000
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")

Errors = dict[str, list[str]]


def routes(runner: Runner) -> list[Route]:
    reports = console_page(runner, scopes={"reports"})
    admins = console_page(runner, scopes={"admin"})
    return [
        Route(LIST, reports(overview), methods=["GET"]),
        Route(PREVIEW, reports(preview), methods=["GET"]),
        Route(f"{LIST}/build", reports(build), methods=["POST"]),
        Route(f"{LIST}/publish", reports(publish), methods=["POST"]),
        Route(f"{LIST}/statement", admins(confirm_statement), methods=["POST"]),
    ]


# -- the draft as the published document ---------------------------------------------------------


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def _figures(row: dict[str, Any], *, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    out = {_snake(k): v for k, v in row.items()}
    return {k: out[k] for k in keys} if keys is not None else out


def draft_document(draft: dict[str, Any], published: dict[str, Any] | None) -> dict[str, Any]:
    """The draft as ``/transparency/{year}.json`` will give it once published (the versions: the
    newest published one, if any, and this draft, dated when it was built)."""
    statement = draft.get("statement")
    versions = []
    if published is not None:
        versions.append(
            {
                "version": published["version"],
                "published_at": published["publishedAt"],
                "changelog": published["changelog"],
                "figures_sha256": published["figuresSha256"],
            }
        )
    versions.append(
        {
            "version": draft["version"],
            "published_at": draft["builtAt"],
            "changelog": None,
            "figures_sha256": draft["figuresSha256"],
        }
    )
    confirmed = parse_time(statement["confirmedAt"]) if statement else None
    return {
        "year": draft["year"],
        "version": draft["version"],
        "method_version": draft["methodVersion"],
        "figures_sha256": draft["figuresSha256"],
        "published_at": None,
        "excluded_countries": list(draft["excludedCountries"]),
        "exclusions": [dict(e) for e in draft["excluded"]],
        "rows": [_figures(r) for r in draft["rows"]],
        "totals": {
            "categories": [
                {k: v for k, v in _figures(c).items() if k != "country"}
                for c in draft["categoryTotals"]
            ],
            "worldwide": _figures(draft["worldwide"], keys=FIGURES),
        },
        "statement": {
            "text": statement["text"],
            "confirmed_on": confirmed.date().isoformat() if confirmed else None,
        }
        if statement
        else None,
        "changelog": None,
        "versions": versions,
    }


# -- the pages ---------------------------------------------------------------------------------


def _year(c: Page) -> int | None:
    """The year asked for (``?year=`` or the form's), by default this one (UTC)."""
    given = c.form.get("year") or c.request.query_params.get("year") or ""
    this_year = c.runner.container.clock.now().year
    if not given:
        return this_year
    if not re.fullmatch(r"[0-9]{4}", given) or not FIRST_YEAR <= int(given) <= this_year:
        return None
    return int(given)


async def overview(c: Page) -> Response:
    return await show(c)


async def show(
    c: Page,
    *,
    failed: str = "",
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    year = _year(c)
    this_year = c.runner.container.clock.now().year
    if year is None:
        error = f"Choose a year from {FIRST_YEAR} to {this_year}."
        return c.render("failed.html", "No such year", 404, error=error, back=LIST)
    outcome = await c.run("TransparencyDraft", {"year": year})
    if outcome.errors:
        return c.failed(outcome, "/console")
    draft = outcome.data["transparencyReportDraft"]
    published = outcome.data["transparencyReport"]
    doc = draft_document(draft, published) if draft else None
    return c.render(
        "transparency.html",
        f"Transparency report {year}",
        status,
        year=year,
        this_year=this_year,
        first_year=FIRST_YEAR,
        ended=year < this_year,
        published_years=outcome.data["transparencyReportYears"],
        draft=draft,
        published=published,
        doc=doc,
        charts=transparency.charts_of(doc) if doc else [],
        headings=[(f.value, h) for f, h in transparency.HEADINGS.items()],
        figure=transparency.shown,
        raw=transparency.raw,
        category=transparency.category_label,
        country=transparency.country_name,
        t=times_of(c),
        notice=notice_of(c),
        may_confirm="admin" in c.principal.scopes,
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


async def preview(c: Page) -> Response:
    """The draft as the public page will show it: its own template and context, marked as a
    draft (a console page: no-store, and only for ``reports``)."""
    year = _year(c)
    if year is None:
        return c.render("failed.html", "No such year", 404, error="No such year.", back=LIST)
    outcome = await c.run("TransparencyDraft", {"year": year})
    if outcome.errors:
        return c.failed(outcome, LIST)
    draft = outcome.data["transparencyReportDraft"]
    if draft is None:
        error = f"There is no draft of {year}: build it first."
        return c.render("failed.html", "No draft", 404, error=error, back=f"{LIST}?year={year}")
    doc = draft_document(draft, outcome.data["transparencyReport"])
    context = transparency.year_context(doc, pinned=False)
    body = transparency.templates.get_template("console/transparency_preview.html").render(
        **context,
        built_at=times_of(c).at(draft["builtAt"]),
        console=f"{LIST}?year={year}",
    )
    return HTMLResponse(body, headers=dict(PAGE_HEADERS))


# -- the actions -------------------------------------------------------------------------------


async def build(c: Page) -> Response:
    year = _year(c)
    if year is None:
        return await show(c, failed="build", errors={"year": ["no such year"]}, status=400)
    outcome = await c.run("TransparencyBuild", {"input": {"year": year}})
    done = await _done(c, outcome, "buildTransparencyReport", "build")
    if not isinstance(done, dict):
        return done
    notice = f"The draft of {year} was built (version {done['version']} when published)."
    return c.back_to(LIST, year=str(year), notice=notice)


async def publish(c: Page) -> Response:
    year = _year(c)
    if year is None:
        return await show(c, failed="publish", errors={"year": ["no such year"]}, status=400)
    given = {"year": year, "changelog": field(c.form, "changelog") or None}
    outcome = await c.run("TransparencyPublish", {"input": given})
    done = await _done(c, outcome, "publishTransparencyReport", "publish")
    if not isinstance(done, dict):
        return done
    notice = f"Version {done['version']} of the {year} report is published."
    return c.back_to(LIST, year=str(year), notice=notice)


async def confirm_statement(c: Page) -> Response:
    year = _year(c) or c.runner.container.clock.now().year
    given = {"text": field(c.form, "text")}
    outcome = await c.run("TransparencyConfirmStatement", {"input": given})
    name = "confirmTransparencyStatement"
    if refused_whole(outcome) and not outcome.user_errors(name):
        return c.failed(outcome, LIST)
    errors = problems(outcome, name)
    if errors or not outcome.payload(name).get("statement"):
        errors = errors or {GENERAL: ["Nothing was done."]}
        return await show(c, failed="statement", errors=errors, values=c.form, status=400)
    notice = "The statement is confirmed; build the draft again to carry it."
    return c.back_to(LIST, year=str(year), notice=notice)


async def _done(c: Page, outcome: Any, name: str, failed: str) -> dict[str, Any] | Response:
    """The report the action answered with, or the page that says why there is none."""
    if refused_whole(outcome) and not outcome.user_errors(name):
        return c.failed(outcome, LIST)
    errors = problems(outcome, name)
    report = outcome.payload(name).get("report")
    if errors or not report:
        errors = errors or {GENERAL: ["Nothing was done."]}
        return await show(c, failed=failed, errors=errors, values=c.form, status=400)
    return dict(report)
