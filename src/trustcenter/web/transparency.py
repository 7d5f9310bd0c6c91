"""The public transparency report, for anyone and with no token: published versions only.

- ``GET /transparency``: the years with a published report, newest first (HTML; JSON with
  ``?format=json``);
- ``GET /transparency/{year}``: the year's newest published version as a page with charts
  (``?version=N`` for an older one);
- ``GET /transparency/{year}.json`` and ``/transparency/{year}.csv``: the same figures as data
  (``?version=N`` too).

A draft, a year with nothing published and a version that does not exist are 404. A published
version never changes, so its representations are cached (``Cache-Control: public``) and carry
an ETag made of its ``figures_sha256`` and version. The pages load nothing from anywhere (inline
CSS, charts drawn as SVG here: :mod:`trustcenter.web.charts`) and say so in a strict
Content-Security-Policy."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pycountry
from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from trustcenter.auth.principal import ANONYMOUS
from trustcenter.bootstrap import Container
from trustcenter.domain.report import FIGURES, Figure
from trustcenter.domain.rules import stored_category
from trustcenter.services import transparency_pages
from trustcenter.services.transparency_pages import PublishedVersion
from trustcenter.web import charts

#: the columns of a row in the JSON and the CSV, in this order
COLUMNS = ("country", "category", *FIGURES)
METHOD_DOC = "docs/transparency-method.md"
CACHE = "public, max-age=300"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
DATA_HEADERS = {"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"}
_NAME = re.compile(r"(?P<year>[0-9]{4})(?:\.(?P<kind>json|csv))?")

#: the figures' headings, in the table and the key figures
HEADINGS = {
    Figure.REQUESTS: "Requests",
    Figure.CHALLENGED_OR_REJECTED: "Challenged or rejected",
    Figure.WITH_DATA: "With data disclosed",
    Figure.WITH_DATA_PCT: "Share with data",
    Figure.ACCOUNTS_SPECIFIED: "Accounts specified",
    Figure.PRODUCTS_SPECIFIED: "Products specified",
    Figure.MEDIAN_DAYS_TO_RESPOND: "Median days to respond",
}
CATEGORY_LABELS = {
    "account": "Account",
    "product": "Product",
    "transaction": "Transaction",
    "emergency": "Emergency",
}

templates = Environment(
    loader=PackageLoader("trustcenter.web", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


# -- how figures, countries, categories and dates read -----------------------------------------


def country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


def category_label(category: str) -> str:
    """A category code as the page names it (codes are upper case since method 2026.2, lower
    case in reports built before)."""
    label = CATEGORY_LABELS.get(stored_category(category))
    return label or category.replace("_", " ").capitalize()


#: shown for a figure there is nothing to compute from (an en dash)
NONE = "\u2013"


def count(value: int | None) -> str:
    return NONE if value is None else f"{value:,}"


def share(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}%"


def days(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}"


def shown(value: Any, figure: str) -> str:
    """A figure as the page shows it."""
    if figure == Figure.WITH_DATA_PCT:
        return share(value)
    if figure == Figure.MEDIAN_DAYS_TO_RESPOND:
        return days(value)
    return count(value)


def raw(value: Any) -> str:
    """A figure as the page's ``data-value`` attributes carry it (as in the CSV)."""
    return "" if value is None else str(value)


def long_date(when: datetime | date | None) -> str:
    return "" if when is None else f"{when.day} {when:%B %Y}"


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


templates.filters.update(
    country=country_name,
    category=category_label,
    colour=charts.category_colour,
    figure=shown,
    raw=raw,
    long_date=long_date,
)


# -- the published document ----------------------------------------------------------------------


def _ordered(row: Mapping[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    """The row with its columns in the published order (any other key kept, after them)."""
    return {**{k: row[k] for k in first if k in row}, **row}


def _version_entry(row: PublishedVersion) -> dict[str, Any]:
    return {
        "version": row.version,
        "published_at": _iso(row.published_at),
        "changelog": row.changelog,
        "figures_sha256": row.figures_sha256,
    }


def document(row: PublishedVersion, all_versions: list[PublishedVersion]) -> dict[str, Any]:
    """What ``/transparency/{year}.json`` says about one published version."""
    figures = row.figures
    totals = figures["totals"]
    statement = None
    if row.statement:
        confirmed = row.statement_confirmed_at
        statement = {
            "text": row.statement,
            "confirmed_on": confirmed.date().isoformat() if confirmed else None,
        }
    return {
        "year": figures["year"],
        "version": row.version,
        "method_version": figures["method_version"],
        "figures_sha256": row.figures_sha256,
        "published_at": _iso(row.published_at),
        "excluded_countries": figures["excluded_countries"],
        # with their reasons since method 2026.2; a report built before keeps its JSON as it was
        **({"exclusions": figures["exclusions"]} if "exclusions" in figures else {}),
        "rows": [_ordered(r, COLUMNS) for r in figures["rows"]],
        "totals": {
            **totals,
            "categories": [_ordered(c, COLUMNS[1:]) for c in totals["categories"]],
            "worldwide": _ordered(totals["worldwide"], FIGURES),
        },
        "statement": statement,
        "changelog": row.changelog,
        "versions": [_version_entry(v) for v in all_versions],
    }


def as_csv(doc: Mapping[str, Any]) -> str:
    """One line per country and category, with the JSON's column names (an empty cell: null)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in doc["rows"]:
        writer.writerow([raw(row.get(column)) for column in COLUMNS])
    return out.getvalue()


def csv_headers(doc: Mapping[str, Any]) -> dict[str, str]:
    """What the CSV's rows cannot say, in its HTTP header: the method version the figures were
    computed with and the exclusions with their reasons (JSON, ASCII-escaped)."""
    return {
        "X-Report-Method-Version": str(doc["method_version"]),
        "X-Report-Exclusions": json.dumps(exclusions_of(doc), separators=(",", ":")),
        "Access-Control-Expose-Headers": "X-Report-Method-Version, X-Report-Exclusions",
    }


def exclusions_of(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each exclusion and its reason (None in reports built under method 2026.1)."""
    if "exclusions" in doc:
        return [{"country": e["country"], "reason": e["reason"]} for e in doc["exclusions"]]
    return [{"country": code, "reason": None} for code in doc["excluded_countries"]]


# -- responses -----------------------------------------------------------------------------------


def _page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    headers = dict(PAGE_HEADERS)
    headers["Cache-Control"] = CACHE if status_code == 200 else "no-cache"
    body = templates.get_template(name).render(**context)
    return HTMLResponse(body, status_code=status_code, headers=headers)


def _not_found(kind: str | None, message: str) -> Response:
    if kind == "json":
        return Response(
            json.dumps({"error": "not_found", "error_description": message}),
            status_code=404,
            media_type="application/json",
            headers={**DATA_HEADERS, "Cache-Control": "no-cache"},
        )
    if kind == "csv":
        return Response(
            message + "\n",
            status_code=404,
            media_type="text/plain",
            headers={**DATA_HEADERS, "Cache-Control": "no-cache"},
        )
    return _page("transparency_index.html", 404, missing=message, reports=[])


def _etag(doc: Mapping[str, Any], kind: str) -> str:
    """The figures' digest and the version identify what is shown; the representation and the
    newest version (which every page lists) complete it, so a 304 never hides a correction."""
    newest = max((v["version"] for v in doc["versions"]), default=doc["version"])
    return f'"{doc["figures_sha256"]}-v{doc["version"]}-{kind}-n{newest}"'


def _unchanged(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match", "")
    return etag in {tag.strip() for tag in wanted.split(",")} or wanted.strip() == "*"


def _version_of(request: Request) -> tuple[bool, int | None]:
    """(valid, version): no ``?version`` is the newest; anything but a positive whole number
    names no version."""
    given = request.query_params.get("version")
    if given is None:
        return True, None
    if not re.fullmatch(r"[0-9]{1,9}", given) or int(given) < 1:
        return False, None
    return True, int(given)


def _summary(row: PublishedVersion, figures: Mapping[str, Any]) -> dict[str, Any]:
    year = row.year
    return {
        "year": year,
        "version": row.version,
        "published_at": _iso(row.published_at),
        "figures_sha256": row.figures_sha256,
        "requests": figures["totals"]["worldwide"]["requests"],
        "html": f"/transparency/{year}",
        "json": f"/transparency/{year}.json",
        "csv": f"/transparency/{year}.csv",
    }


def routes(container: Container) -> list[Route]:
    async def index(request: Request) -> Response:
        years, newest = await transparency_pages.newest_per_year(container, ANONYMOUS)
        summaries = [_summary(r, r.figures) for r in newest]
        if request.query_params.get("format") == "json":
            body = {"years": years, "reports": summaries}
            return Response(
                json.dumps(body, indent=2) + "\n",
                media_type="application/json",
                headers={**DATA_HEADERS, "Cache-Control": CACHE},
            )
        for summary, found in zip(summaries, newest, strict=True):
            summary["published_on"] = long_date(found.published_at)
        return _page("transparency_index.html", reports=summaries, missing=None)

    async def year(request: Request) -> Response:
        name = request.path_params["name"]
        kind = "json" if name.endswith(".json") else "csv" if name.endswith(".csv") else None
        matched = _NAME.fullmatch(name)
        valid, version = _version_of(request)
        if matched is None:
            return _not_found(kind, "There is no transparency report here.")
        number = int(matched["year"])
        if not valid:
            return _not_found(kind, f"There is no such version of the {number} report.")
        found = await transparency_pages.published(container, ANONYMOUS, number, version)
        if found is None:
            if version is None:
                return _not_found(kind, f"No report for {number} has been published.")
            return _not_found(kind, f"Version {version} of the {number} report is not published.")
        doc = document(found, await transparency_pages.versions(container, ANONYMOUS, number))
        etag = _etag(doc, kind or "html")
        headers = {"ETag": etag, "Cache-Control": CACHE}
        if _unchanged(request, etag):
            return Response(status_code=304, headers=headers)
        if kind == "json":
            return Response(
                json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                media_type="application/json",
                headers={**DATA_HEADERS, **headers},
            )
        if kind == "csv":
            filename = f"transparency-{number}-v{doc['version']}.csv"
            return Response(
                as_csv(doc),
                media_type="text/csv; charset=utf-8",
                headers={
                    **DATA_HEADERS,
                    **headers,
                    **csv_headers(doc),
                    "Content-Disposition": f'attachment; filename="{filename}"',
                },
            )
        page = _page("transparency_year.html", **year_context(doc, version is not None))
        page.headers.update(headers)
        return page

    return [
        Route("/transparency", index, methods=["GET"]),
        Route("/transparency/{name}", year, methods=["GET"]),
    ]


def year_context(doc: dict[str, Any], pinned: bool) -> dict[str, Any]:
    """What the year's page shows: the document, arranged for reading (the console shows a
    draft with the same arrangement)."""
    year, version = doc["year"], doc["version"]
    newest = max(v["version"] for v in doc["versions"])
    suffix = f"?version={version}" if pinned else ""
    rows = sorted(doc["rows"], key=lambda r: (country_name(r["country"]), r["category"]))
    published = {v["version"]: v["published_at"] for v in doc["versions"]}
    return {
        "doc": doc,
        "year": year,
        "version": version,
        "newest": newest,
        "rows": rows,
        "categories": sorted(doc["totals"]["categories"], key=lambda c: c["category"]),
        "worldwide": doc["totals"]["worldwide"],
        "figures": [(figure.value, HEADINGS[figure]) for figure in Figure],
        "headings": {figure.value: heading for figure, heading in HEADINGS.items()},
        "charts": charts_of(doc),
        "published_on": long_date(datetime.fromisoformat(published[version])),
        "versions": [
            {**v, "published_on": long_date(datetime.fromisoformat(v["published_at"]))}
            for v in sorted(doc["versions"], key=lambda v: -v["version"])
        ],
        "excluded": [
            (e["country"], country_name(e["country"]), e["reason"]) for e in exclusions_of(doc)
        ],
        "statement_on": long_date(date.fromisoformat(doc["statement"]["confirmed_on"]))
        if doc["statement"] and doc["statement"]["confirmed_on"]
        else "",
        "method_doc": METHOD_DOC,
        "json_url": f"/transparency/{year}.json{suffix}",
        "csv_url": f"/transparency/{year}.csv{suffix}",
    }


def charts_of(doc: Mapping[str, Any]) -> list[tuple[str, Markup]]:
    return [
        ("Requests by category", charts.requests_by_category(doc, category_label, count)),
        ("Requests by country or region", charts.requests_by_country(doc, country_name, count)),
        ("Share with data disclosed", charts.with_data_share(doc, category_label, share)),
    ]
