"""The console's transparency page (scope ``reports``), on SQLite and PostgreSQL: build the
year's draft through the form, read its figures — equal to ``transparencyReportDraft`` — and the
public page's charts, preview it in the public page's own template, publish it once the year has
ended, and correct it with a changelog. Forms refused without the CSRF token build or publish
nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from tests.api.console_admin_support import (
    assert_forbidden_page,
    assert_refused_form,
    form_token,
    post,
    signed_in,
    text_of,
)
from tests.api.test_report_graphql import release, submitted
from tests.helpers import World
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import TransparencyReport
from trustcenter.domain.report import FIGURES

PAGE = "/console/transparency"
YEAR = 2026
NEW_YEAR = datetime(YEAR + 1, 1, 4, 9, 0, tzinfo=UTC)
FIGURE_FIELDS = (
    "category requests challengedOrRejected withData withDataPct accountsSpecified "
    "productsSpecified medianDaysToRespond"
)
DRAFT = f"""query($y: Int!) {{ transparencyReportDraft(year: $y) {{ version figuresSha256
  worldwide {{ {FIGURE_FIELDS} }} categoryTotals {{ {FIGURE_FIELDS} }} }} }}"""
STATEMENT = """mutation($t: String!) { confirmTransparencyStatement(input: {text: $t}) {
  statement { text } userErrors { code } } }"""
_CELL = re.compile(r'data-figure="(\w+)" data-value="([^"]*)"')


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def raw(value: Any) -> str:
    return "" if value is None else str(value)


def cells(html: str) -> dict[str, str]:
    return dict(_CELL.findall(html))


def expected(figures: dict[str, Any]) -> dict[str, str]:
    return {f: raw(figures[camel(f)]) for f in FIGURES}


async def reports_rows(container: Container) -> list[tuple[str, int]]:
    async with container.db.reader() as s:
        found = await s.execute(select(TransparencyReport.status, TransparencyReport.version))
        return sorted((str(a), int(b)) for a, b in found.all())


async def draft_json(world: World) -> dict[str, Any]:
    staff = await world.staff_actor(["reports"])
    return (await staff.data(DRAFT, {"y": YEAR}))["transparencyReportDraft"]  # type: ignore[no-any-return]


async def test_the_draft_is_built_and_shown_as_the_api_gives_it(
    container: Container, world: World
) -> None:
    await release(world, await submitted(world))
    await submitted(world, "AG-2026-200", country="FR")
    async with signed_in(container, "reports") as b:
        page = await b.http.get(PAGE)
        assert f"No draft of {YEAR} has been built." in text_of(page)
        assert_refused_form(await b.http.post(f"{PAGE}/build", data={"year": str(YEAR)}))
        assert await reports_rows(container) == []

        r = await post(b, f"{PAGE}/build", {"year": YEAR}, page=PAGE)
        assert r.status_code == 303, r.text
        page = await b.http.get(r.headers["location"])
        preview = await b.http.get(f"{PAGE}/preview", params={"year": str(YEAR)})
    assert f"The draft of {YEAR} was built (version 1 when published)." in text_of(page)
    assert await reports_rows(container) == [("draft", 1)]
    draft = await draft_json(world)
    worldwide = page.text.split('data-totals="worldwide"', 1)[1].split("</table>", 1)[0]
    assert cells(worldwide) == expected(draft["worldwide"])
    assert cells(worldwide)["requests"] == "2"
    by_category = page.text.split('data-totals="categories"', 1)[1].split("</table>", 1)[0]
    for total in draft["categoryTotals"]:
        row = by_category.split(f'data-category="{total["category"]}"', 1)[1].split("</tr>")[0]
        assert cells(row) == expected(total)
    # the public page's charts, drawn for the draft
    assert page.text.count("<svg") == 3 and "Requests by country or region" in page.text

    # the preview is the public page's template, marked as a draft, never cached
    assert preview.status_code == 200, preview.text
    assert preview.headers["cache-control"] == "no-store"
    assert "This is the draft of the 2026 report" in text_of(preview)
    key = preview.text.split('aria-labelledby="key-figures"', 1)[1].split("</section>", 1)[0]
    assert cells(key)["requests"] == "2" and cells(key)["with_data"] == raw(
        draft["worldwide"]["withData"]
    )
    total = preview.text.split('data-total="worldwide"', 1)[1].split("</tr>", 1)[0]
    assert cells(total) == expected(draft["worldwide"])
    assert draft["figuresSha256"] in preview.text


async def test_publish_after_the_year_then_correct_it_with_a_changelog(
    container: Container, world: World, clock: FixedClock
) -> None:
    await release(world, await submitted(world))
    async with signed_in(container, "reports") as b:
        await post(b, f"{PAGE}/build", {"year": YEAR}, page=PAGE)
        r = await post(b, f"{PAGE}/publish", {"year": YEAR}, page=PAGE)
        assert r.status_code == 400 and "2026 has not ended" in text_of(r)
        assert await reports_rows(container) == [("draft", 1)]

    clock.set(NEW_YEAR)
    admin = await world.staff_actor(["admin"])
    await admin.data(STATEMENT, {"t": "We have never built a backdoor."})
    async with signed_in(container, "reports", email="second@staff.example") as b:
        url = f"{PAGE}?year={YEAR}"
        await post(b, f"{PAGE}/build", {"year": YEAR}, page=url)
        assert_refused_form(await b.http.post(f"{PAGE}/publish", data={"year": str(YEAR)}))
        assert await reports_rows(container) == [("draft", 1)]
        r = await post(b, f"{PAGE}/publish", {"year": YEAR}, page=url)
        assert r.status_code == 303, r.text
        page = await b.http.get(r.headers["location"])
        assert "Version 1 of the 2026 report is published." in text_of(page)
        assert "No draft of 2026 has been built." in text_of(page)

        # a correction: a new statement, built again, published with what changed
        clock.advance(timedelta(minutes=5))
        await admin.fetch_token()
        done = await admin.data(STATEMENT, {"t": "We have never built a backdoor or a master key."})
        assert done["confirmTransparencyStatement"]["userErrors"] == []
        await post(b, f"{PAGE}/build", {"year": YEAR}, page=url)
        page = await b.http.get(url)
        assert "Publish a correction of 2026 (version 2)" in page.text
        r = await post(b, f"{PAGE}/publish", {"year": YEAR, "changelog": ""}, page=url)
        assert r.status_code == 400 and "a correction needs a changelog" in r.text
        changelog = "The statement now names master keys."
        r = await post(b, f"{PAGE}/publish", {"year": YEAR, "changelog": changelog}, page=url)
        assert r.status_code == 303, r.text
        page = await b.http.get(r.headers["location"])
    assert f"Version 2, published 2027-01-04 09:05 UTC — {changelog}" in text_of(page)
    assert await reports_rows(container) == [("published", 1), ("published", 2)]
    public = await world.http.get(f"/transparency/{YEAR}")
    assert changelog in public.text


async def test_other_roles_cannot_build_or_publish(container: Container) -> None:
    async with signed_in(container, "admin reviewer auditor notices") as b:
        token = await form_token(b, "/console/plugins")
        for action in ("build", "publish"):
            r = await b.http.post(f"{PAGE}/{action}", data={"csrf_token": token, "year": "2026"})
            assert_forbidden_page(r)
    assert await reports_rows(container) == []


async def test_a_year_out_of_range_is_not_found(container: Container) -> None:
    async with signed_in(container, "reports") as b:
        for year in ("1999", "2027", "20x6"):
            r = await b.http.get(PAGE, params={"year": year})
            assert r.status_code == 404 and "Choose a year from 2000 to 2026." in r.text
        r = await b.http.get(f"{PAGE}/preview", params={"year": "2025"})
        assert r.status_code == 404 and "There is no draft of 2025: build it first." in r.text


async def test_an_admin_confirms_the_statement_and_the_next_draft_carries_it(
    container: Container, world: World
) -> None:
    await release(world, await submitted(world))
    async with signed_in(container, "reports") as b:
        page = await b.http.get(PAGE)
        assert "Confirm the public statement" not in page.text  # not an admin
        token = await form_token(b, PAGE)
        r = await b.http.post(f"{PAGE}/statement", data={"csrf_token": token, "text": "x"})
        assert_forbidden_page(r)
    async with signed_in(container, "reports admin", email="ada@staff.example") as b:
        r = await post(b, f"{PAGE}/statement", {"text": "   "}, page=PAGE)
        assert r.status_code == 400 and "Confirm the public statement" in r.text
        assert_refused_form(
            await b.http.post(f"{PAGE}/statement", data={"text": "We never built a backdoor."})
        )
        await post(b, f"{PAGE}/build", {"year": YEAR}, page=PAGE)
        assert "No statement confirmed" in text_of(await b.http.get(PAGE))

        r = await post(b, f"{PAGE}/statement", {"text": "We never built a backdoor."}, page=PAGE)
        assert r.status_code == 303, r.text
        shown = text_of(await b.http.get(r.headers["location"]))
        assert "The statement is confirmed; build the draft again to carry it." in shown
        await post(b, f"{PAGE}/build", {"year": YEAR}, page=PAGE)
        shown = text_of(await b.http.get(PAGE))
        assert "“We never built a backdoor.”" in shown and "No statement confirmed" not in shown


async def test_a_crafted_link_cannot_put_words_on_a_console_page(container: Container) -> None:
    async with signed_in(container, "reports admin") as b:
        words = "Your session expired: call +1 555 0100 with your code"
        for query in ({"notice": words}, {"notice": words, "sig": "0" * 32}):
            page = await b.http.get(PAGE, params=query)
            assert page.status_code == 200 and words not in text_of(page)
        # a notice signed for another session is not shown either
        r = await post(b, f"{PAGE}/statement", {"text": "We never built a backdoor."}, page=PAGE)
        signed = r.headers["location"]
    async with signed_in(container, "reports admin", email="other@staff.example") as other:
        assert "The statement is confirmed" not in text_of(await other.http.get(signed))
