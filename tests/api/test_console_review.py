"""The console's review pages (issue 14 §2), through the pages only, on SQLite and PostgreSQL:
the queue (emergency first, filters, counts, time left, paging), the request (agency, legal
document, items, the thread with the agency, notes, assignment) and deciding its items.

Releasing (four eyes), the refusals and the notice exceptions are in
``test_console_release.py``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.api.console_review_support import (
    EMERGENCY,
    THREE_ITEMS,
    answer,
    basis,
    document,
    order_of,
    person,
    raw,
    row_of,
    seen,
    send,
)
from tests.api.test_documents import PDF, PNG
from trustcenter.web.console import queue_page

RITA = ("rita@staff.example", "Rita Reviewer")


def version_on(text: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', text)
    assert found, text
    return found[1]


def my_id_on(text: str) -> str:
    """The staff id the request page's "Assign to me" form sends."""
    found = re.search(
        r'name="staff_id" value="([^"]+)">\s*<button type="submit">Assign to me', text
    )
    assert found, text
    return found[1]


def links(text: str, rel: str) -> str:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', text)
    assert found, text
    return found[1]


async def test_the_queue_puts_an_emergency_first_then_the_nearest_deadline(container, world, clock):
    agency = await world.agency_actor("DE")
    late = raw(await send(agency))  # due in 30 days, read 31 days later
    clock.advance(timedelta(days=31))
    await agency.fetch_token()
    mine = raw(await send(agency))
    urgent = raw(await send(agency, **EMERGENCY))  # the newest, due in 8 hours
    async with person(container, *RITA) as rita:
        text = await rita.page("/console/queue")
        first, second, third = order_of(text, urgent, late, mine)
        assert first < second < third
        assert "<strong>3</strong> requests match" in text
        assert "Emergency" in row_of(text, urgent) and "due in 8 h" in row_of(text, urgent)
        overdue = row_of(text, late)
        assert 'class="overdue"' in overdue and "overdue by 1 d" in overdue
        assert 'class="overdue"' not in row_of(text, mine)
        assert "Overdue: 1" in text and "In my queue: 0" in text

        only_late = await rita.page("/console/queue?due=overdue")
        assert late in only_late and urgent not in only_late and mine not in only_late

        page = await rita.page(f"/console/requests/{mine}")
        r = await rita.post(f"/console/requests/{mine}/assign", staff_id=my_id_on(page))
        assert r.status_code == 303
        assert r.headers["location"] == f"/console/requests/{mine}?notice=assigned"
        assert "In <strong>Rita Reviewer</strong>'s queue" in await rita.page(r.headers["location"])

        only_mine = await rita.page("/console/queue?mine=1")
        assert mine in only_mine and urgent not in only_mine and late not in only_mine
        assert "In my queue: 1" in only_mine
        assert 'name="mine" type="checkbox" value="1" checked' in only_mine

        none = await rita.page("/console/queue?country=FR&status=RECEIVED")
        assert "No request matches these filters." in none
        wrong = await rita.page("/console/queue?country=Germany")
        assert "two-letter code" in wrong and "<strong>3</strong> requests match" in wrong


WITHDRAW = """mutation($i: WithdrawRequestInput!) { withdrawRequest(input: $i) {
  request { status } userErrors { message } } }"""


async def test_the_queue_shows_the_open_requests_unless_every_status_is_asked_for(container, world):
    """A withdrawn request owes nobody an answer: the queue leaves it out by default (even an
    emergency, which would otherwise come first) and shows it with "Any" status."""
    agency = await world.agency_actor("DE")
    gone = await send(agency, **EMERGENCY)
    waiting = raw(await send(agency))
    answer = await agency.data(WITHDRAW, {"i": {"requestId": gone, "reason": "solved"}})
    assert answer["withdrawRequest"]["request"]["status"] == "WITHDRAWN"
    async with person(container, *RITA) as rita:
        queue = await rita.page("/console/queue")
        assert waiting in queue and raw(gone) not in queue
        assert "<strong>1</strong> request match" in queue
        every = await rita.page("/console/queue?status=ANY")
        assert waiting in every and raw(gone) in every
        assert "<strong>2</strong> requests match" in every


async def test_the_queue_pages_by_cursor_keeping_its_filters(container, world, clock, monkeypatch):
    monkeypatch.setattr(queue_page, "PAGE_SIZE", 1)
    agency = await world.agency_actor("DE")
    ids = []
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        ids.append(raw(await send(agency)))
    async with person(container, *RITA) as rita:
        pages = [await rita.page("/console/queue?status=RECEIVED")]
        assert ids[0] in pages[0] and ids[1] not in pages[0]
        assert 'rel="prev"' not in pages[0]
        for expected in ids[1:]:
            following = links(pages[-1], "next")
            assert "status=RECEIVED" in following
            pages.append(await rita.page(following))
            assert expected in pages[-1] and "<strong>3</strong> requests match" in pages[-1]
        assert 'rel="next"' not in pages[-1]
        back = await rita.page(links(pages[-1], "prev"))
        assert ids[1] in back and ids[2] not in back
        first = await rita.page(links(back, "prev"))
        assert ids[0] in first and 'rel="prev"' not in first
        assert (await rita.get("/console/queue?after=not%20a%20cursor")).status_code == 200


async def test_a_reviewer_reads_a_request_asks_the_agency_and_reads_its_answer(
    container, world, clock
):
    agency = await world.agency_actor("DE")
    pdf = await document(agency)
    gid = await send(agency, legalBasis=basis(documentIds=[pdf]), targets=THREE_ITEMS)
    rid = raw(gid)
    async with person(container, *RITA) as rita:
        r = await rita.get(f"/console/requests/{rid}")
        assert r.status_code == 200
        policy = r.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "frame-src 'self'" in policy and "img-src 'self' data:" in policy
        text = seen(r)
        assert "Agency DE" in text and "Verified" in text
        assert "Kommissarin K. Weber" in text and "AG-2026-113" in text
        assert f'<iframe src="/documents/{pdf}"' in text
        assert "suspect@example.com" in text and text.count("Not decided") == 3
        # the document the page frames, read with the session
        shown = await rita.get(f"/documents/{pdf}")
        assert shown.status_code == 200 and shown.content == PDF

        r = await rita.post(f"/console/requests/{rid}/start", version=version_on(text))
        assert r.status_code == 303
        text = await rita.page(r.headers["location"])
        assert "The review has started." in text and "In review" in text

        question = "Please send the court's order for the usage log."
        r = await rita.post(
            f"/console/requests/{rid}/ask", message=question, version=version_on(text)
        )
        assert r.status_code == 303
        text = await rita.page(r.headers["location"])
        assert "Your question was sent to the agency." in text
        assert "We wrote" in text and question in text and "Clarification requested" in text

        clock.advance(timedelta(minutes=5))
        png = await document(agency, PNG, "image/png")
        await answer(agency, gid, "The order is attached.", [png])
        text = await rita.page(f"/console/requests/{rid}")
        assert "The agency wrote" in text and "The order is attached." in text
        assert f'<img src="/documents/{png}"' in text and "In review" in text
        assert order_of(text, question, "The order is attached.") == sorted(
            order_of(text, question, "The order is attached.")
        )

        r = await rita.post(f"/console/requests/{rid}/notes", body="Legal: order checked.")
        assert r.status_code == 303
        assert "Legal: order checked." in await rita.page(r.headers["location"])
        # an empty question is refused next to its form, and nothing is sent
        r = await rita.post(f"/console/requests/{rid}/ask", message=" ", version="99")
        assert r.status_code == 400
        assert 'id="ask-errors"' in r.text and seen(r).count("We wrote") == 1


def item_numbers(text: str) -> dict[str, str]:
    """The decide form's item number of each information type."""
    found = re.findall(
        r'information type (\w)</legend>\s*<input type="hidden" name="item-(\d+)"', text
    )
    return dict(found)


def decisions(text: str, **chosen: dict[str, str]) -> dict[str, str]:
    """The decide form as a browser sends it: every field of every item, ``chosen`` by type."""
    form = {"version": version_on(text)}
    ids = dict(re.findall(r'name="(item-\d+)" value="([^"]+)"', text))
    form.update(ids)
    for info_type, n in item_numbers(text).items():
        picked = chosen.get(info_type, {})
        for key in ("outcome", "reason", "explanation", "from", "to", "fields"):
            form[f"{key}-{n}"] = picked.get(key, "")
    return form


async def test_a_reviewer_approves_a_narrows_c_to_a_week_and_rejects_d(container, world):
    agency = await world.agency_actor("DE")
    rid = raw(await send(agency, targets=THREE_ITEMS))
    async with person(container, *RITA) as rita:
        text = await rita.page(f"/console/requests/{rid}")
        await rita.post(f"/console/requests/{rid}/start", version=version_on(text))
        text = await rita.page(f"/console/requests/{rid}/decide")
        assert set(item_numbers(text)) == {"A", "C", "D"}
        assert "OVERBROAD" in text and "NO_LEGAL_BASIS" in text

        week = {"outcome": "NARROW", "from": "2026-03-01", "to": "2026-03-07"}
        r = await rita.post(
            f"/console/requests/{rid}/decide",
            **decisions(text, A={"outcome": "APPROVE"}, C=week),
        )
        assert r.status_code == 400  # NARROW needs a reason code: nothing is decided
        refused = seen(r)
        assert "NARROW needs a reason code" in refused
        assert 'value="2026-03-07"' in refused and refused.count("nothing yet") == 3

        r = await rita.post(
            f"/console/requests/{rid}/decide",
            **decisions(
                text,
                A={"outcome": "APPROVE"},
                C={**week, "reason": "OVERBROAD"},
                D={
                    "outcome": "REJECT",
                    "reason": "NO_LEGAL_BASIS",
                    "explanation": "The warrant does not cover orders.",
                },
            ),
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/console/requests/{rid}/decide?notice=decided"
        text = await rita.page(r.headers["location"])
        assert "The decisions are recorded." in text and "Findings as they stand" in text
        assert "partially approved" in text and "Preview and release" in text
        request = await rita.page(f"/console/requests/{rid}")
        assert "Narrow" in request and "2026-03-01 \N{EN DASH} 2026-03-07" in request
        assert "NO_LEGAL_BASIS" in request and "The warrant does not cover orders." in request
        assert "Approve" in request and "Not decided" not in request


@pytest.mark.parametrize("bad", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
async def test_a_request_that_does_not_exist_is_a_404_page(container, bad):
    async with person(container, *RITA) as rita:
        for path in ("", "/decide", "/release"):
            r = await rita.get(f"/console/requests/{bad}{path}")
            assert r.status_code == 404 and "There is no such request" in r.text


async def test_a_reviewer_reclassifies_with_a_reason_and_a_bad_form_changes_nothing(
    container, world
):
    agency = await world.agency_actor("DE")
    gid = await send(agency)
    page = f"/console/requests/{raw(gid)}"
    async with person(container, *RITA) as rita:
        text = await rita.page(page)
        category = re.search(r"<dt>Category</dt><dd>([A-Z_]+)</dd>", text)
        assert category and category[1] == "ACCOUNT"
        version = version_on(text)
        # no reason, an unknown category, a stale version: refused, with the reason kept
        r = await rita.post(f"{page}/reclassify", category="PRODUCT", reason=" ", version=version)
        assert r.status_code == 400
        r = await rita.post(
            f"{page}/reclassify", category="NOPE", reason="Wrong one.", version=version
        )
        assert r.status_code == 400 and "Wrong one." in r.text
        r = await rita.post(
            f"{page}/reclassify", category="PRODUCT", reason="Stale.", version="999"
        )
        assert r.status_code == 400
        assert "<dt>Category</dt><dd>ACCOUNT</dd>" in await rita.page(page)

        r = await rita.post(
            f"{page}/reclassify",
            category="PRODUCT",
            reason="The identifier is a camera's serial number.",
            version=version,
        )
        assert r.headers["location"] == f"{page}?notice=reclassified"
        text = await rita.page(r.headers["location"])
        assert "moved to another category" in text
        assert "<dt>Category</dt><dd>PRODUCT</dd>" in text
    # the agency reads the new category too
    read = "query($id: ID!) { request(id: $id) { category } }"
    assert (await agency.data(read, {"id": gid}))["request"]["category"] == "PRODUCT"
