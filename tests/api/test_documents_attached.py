"""Documents attached to requests, on SQLite and PostgreSQL: `legalBasis.documentIds` and
`answerClarification`'s `documentIds` attach an agency's own uploads once, within their day; a
reviewer cannot approve a request whose legal basis needs its document before one arrived; an
emergency declaration is approvable alone but gets a finding asking for the formal process.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.api.test_documents import PDF, PNG, upload
from tests.helpers import (
    START_REVIEW,
    VALID_SUBMISSION,
    Actor,
    approve_all,
    request_count,
    submission,
)
from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent, Document
from trustcenter.plugins import RequestView, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

README = Path(__file__).resolve().parents[2] / "README.md"

SUBMIT = """mutation($input: SubmitRequestInput!) { submitRequest(input: $input) {
  request { id status legalBasis { documentSha256 documents {
    id sha256 size contentType url uploadedAt } } }
  userErrors { field message code } } }"""
READ = """query($id: ID!) { request(id: $id) { id status
  legalBasis { documents { id sha256 } }
  messages { author body documents { id sha256 contentType url } }
  findings { code severity message } } }"""
ASK = """mutation($i: AskClarificationInput!) { askClarification(input: $i) {
  request { status } userErrors { code message } } }"""
ANSWER = """mutation($i: AnswerClarificationInput!) { answerClarification(input: $i) {
  request { status } userErrors { field code message } } }"""


def basis(**changes: Any) -> dict[str, Any]:
    """The valid submission's legal basis without its (deprecated) inline document."""
    out = copy.deepcopy(VALID_SUBMISSION["legalBasis"])
    out.pop("document")
    out.update(changes)
    return out


async def submit(actor: Actor, **changes: Any) -> dict[str, Any]:
    data = await actor.data(SUBMIT, {"input": submission(**changes)})
    return data["submitRequest"]  # type: ignore[no-any-return]


async def uploaded(actor: Actor, body: bytes = PDF) -> str:
    r = await upload(actor, body)
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


async def decide_all(reviewer: Actor, rid: str, outcome: str = "APPROVE") -> dict[str, Any]:
    """Approve every item of a request that is IN_REVIEW."""
    read = await reviewer.data(
        "query($id: ID!) { request(id: $id) { version items { id } } }", {"id": rid}
    )
    request = read["request"]
    data = await reviewer.data(
        """mutation($i: DecideRequestInput!) { decideRequest(input: $i) {
             request { status } userErrors { field code message } } }""",
        {
            "i": {
                "requestId": rid,
                "version": request["version"],
                "decisions": [{"itemId": i["id"], "outcome": outcome} for i in request["items"]],
            }
        },
    )
    return data["decideRequest"]  # type: ignore[no-any-return]


# --- attaching ----------------------------------------------------------------------------------


async def test_submitting_with_document_ids_attaches_them_to_the_legal_basis(
    agency, reviewer, container, clock
):
    pdf = await uploaded(agency, PDF)
    clock.advance(timedelta(seconds=5))
    png = await uploaded(agency, PNG)
    payload = await submit(agency, legalBasis=basis(documentIds=[pdf, png]))
    assert payload["userErrors"] == []
    documents = payload["request"]["legalBasis"]["documents"]
    assert [(d["id"], d["contentType"]) for d in documents] == [
        (pdf, "application/pdf"),
        (png, "image/png"),
    ]
    assert documents[0]["url"] == f"http://localhost/documents/{pdf}"
    assert payload["request"]["legalBasis"]["documentSha256"] is None
    seen = await reviewer.data(READ, {"id": payload["request"]["id"]})
    assert [d["id"] for d in seen["request"]["legalBasis"]["documents"]] == [pdf, png]
    async with container.db.reader() as s:
        rows = (await s.scalars(select(Document))).all()
    assert all(r.expires_at is None and r.attached_at is not None for r in rows)


async def test_a_document_is_attached_once(agency, container):
    pdf = await uploaded(agency)
    assert (await submit(agency, legalBasis=basis(documentIds=[pdf])))["userErrors"] == []
    again = await submit(agency, legalBasis=basis(documentIds=[pdf], reference="AG-2026-114"))
    assert again["request"] is None
    assert again["userErrors"] == [
        {
            "field": "legalBasis.documentIds[0]",
            "code": "DOCUMENT_ALREADY_ATTACHED",
            "message": again["userErrors"][0]["message"],
        }
    ]
    assert "attached once" in again["userErrors"][0]["message"]
    assert await request_count(container) == 1


async def test_a_retry_with_the_same_key_and_documents_is_the_first_request(agency, container):
    pdf = await uploaded(agency)
    first = await submit(agency, idempotencyKey="k-1", legalBasis=basis(documentIds=[pdf]))
    again = await submit(agency, idempotencyKey="k-1", legalBasis=basis(documentIds=[pdf]))
    assert first["userErrors"] == again["userErrors"] == []
    assert again["request"]["id"] == first["request"]["id"]
    other = await uploaded(agency, PNG)
    changed = await submit(agency, idempotencyKey="k-1", legalBasis=basis(documentIds=[other]))
    assert [e["code"] for e in changed["userErrors"]] == ["CONFLICT"]
    assert await request_count(container) == 1


async def test_naming_one_document_twice_is_refused(agency, container):
    pdf = await uploaded(agency)
    payload = await submit(agency, legalBasis=basis(documentIds=[pdf, pdf]))
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("legalBasis.documentIds[1]", "INVALID_INPUT")
    ]
    assert await request_count(container) == 0


async def test_another_agencys_document_is_no_such_document(world, agency, container):
    theirs = await uploaded(await world.agency_actor("DE"))
    for document_id in (theirs, "00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        payload = await submit(agency, legalBasis=basis(documentIds=[document_id]))
        assert [(e["field"], e["code"], e["message"]) for e in payload["userErrors"]] == [
            ("legalBasis.documentIds[0]", "NOT_FOUND", "no such document")
        ]
    assert await request_count(container) == 0
    # and it stays the other agency's, unattached
    async with container.db.reader() as s:
        row = await s.get(Document, uuid.UUID(theirs))
    assert row is not None and row.attached_at is None


async def test_an_expired_upload_cannot_be_attached(agency, container, clock):
    pdf = await uploaded(agency)
    clock.advance(timedelta(days=1))
    await agency.fetch_token()
    payload = await submit(agency, legalBasis=basis(documentIds=[pdf]))
    assert [e["code"] for e in payload["userErrors"]] == ["DOCUMENT_EXPIRED"]
    assert await request_count(container) == 0


async def test_an_attached_document_is_never_purged(agency, container, clock):
    pdf = await uploaded(agency)
    assert (await submit(agency, legalBasis=basis(documentIds=[pdf])))["userErrors"] == []
    clock.advance(timedelta(days=30))
    await agency.fetch_token()
    await uploaded(agency, PNG)  # an upload purges what expired
    r = await agency.http.get(
        f"/documents/{pdf}", headers={"Authorization": f"Bearer {agency.token}"}
    )
    assert r.status_code == 200 and r.content == PDF


async def test_the_agency_answers_a_question_with_a_document(world, agency, reviewer):
    payload = await submit(agency, legalBasis=basis())
    rid = payload["request"]["id"]
    await reviewer.data(START_REVIEW, {"i": {"requestId": rid}})
    asked = await reviewer.data(
        ASK, {"i": {"requestId": rid, "message": "Please send the court's order."}}
    )
    assert asked["askClarification"]["userErrors"] == []

    other = await uploaded(await world.agency_actor("DE"))
    refused = await agency.data(
        ANSWER, {"i": {"requestId": rid, "message": "Attached.", "documentIds": [other]}}
    )
    assert [(e["field"], e["code"]) for e in refused["answerClarification"]["userErrors"]] == [
        ("documentIds[0]", "NOT_FOUND")
    ]

    order = await uploaded(agency)
    answered = await agency.data(
        ANSWER, {"i": {"requestId": rid, "message": "The order, attached.", "documentIds": [order]}}
    )
    assert answered["answerClarification"] == {"request": {"status": "IN_REVIEW"}, "userErrors": []}
    seen = (await reviewer.data(READ, {"id": rid}))["request"]
    assert seen["legalBasis"]["documents"] == []  # the request was not revised
    assert seen["messages"][-1]["author"] == "AGENCY"
    assert [d["id"] for d in seen["messages"][-1]["documents"]] == [order]
    assert seen["messages"][0]["documents"] == []
    decided = await decide_all(reviewer, rid)
    assert decided["userErrors"] == []


# --- approval needs the document ---------------------------------------------------------------


async def test_approval_is_refused_without_a_document(agency, reviewer, container):
    rid = (await submit(agency, legalBasis=basis()))["request"]["id"]
    decided = await approve_all(reviewer, rid)
    assert [e["code"] for e in decided["userErrors"]] == ["DOCUMENT_REQUIRED"]
    assert "WARRANT" in decided["userErrors"][0]["message"]
    assert (await reviewer.data(READ, {"id": rid}))["request"]["status"] == "IN_REVIEW"
    async with container.db.reader() as s:
        decisions = await s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "request.decided")
        )
    assert decisions == 0


async def test_approval_is_allowed_with_an_uploaded_document(agency, reviewer):
    pdf = await uploaded(agency)
    rid = (await submit(agency, legalBasis=basis(documentIds=[pdf])))["request"]["id"]
    assert (await approve_all(reviewer, rid))["userErrors"] == []


async def test_the_deprecated_inline_document_still_works_and_counts(agency, reviewer):
    payload = await submit(agency)  # the valid submission sends a base64 document
    assert payload["userErrors"] == []
    assert payload["request"]["legalBasis"]["documentSha256"] is not None
    assert (await approve_all(reviewer, payload["request"]["id"]))["userErrors"] == []
    schema = await reviewer.data(
        """{ __type(name: "LegalBasisInput") {
             inputFields(includeDeprecated: true) { name isDeprecated deprecationReason } } }"""
    )
    fields = {f["name"]: f for f in schema["__type"]["inputFields"]}
    assert fields["document"]["isDeprecated"] is True
    assert "POST /documents" in fields["document"]["deprecationReason"]
    assert fields["documentIds"]["isDeprecated"] is False


EMERGENCY = {
    "emergency": True,
    "emergencyDescription": "A child is missing; the camera may show where.",
    "legalBasis": {
        "kind": "EMERGENCY_DECLARATION",
        "reference": "LKA-EMERG-7",
        "issuedBy": "Landeskriminalamt Berlin",
        "issuedAt": "2026-11-30",
    },
}


async def test_an_emergency_declaration_is_approvable_alone_with_a_finding_for_the_process(
    agency, reviewer
):
    rid = (await submit(agency, **EMERGENCY))["request"]["id"]
    findings = (await reviewer.data(READ, {"id": rid}))["request"]["findings"]
    due = [f for f in findings if f["code"] == "EMERGENCY_FORMAL_PROCESS_DUE"]
    assert len(due) == 1
    assert due[0]["severity"] == "WARNING"
    assert "2026-12-02 09:00 UTC (48 hours)" in due[0]["message"]
    assert "formal legal process" in due[0]["message"]
    assert (await approve_all(reviewer, rid))["userErrors"] == []


async def test_a_request_that_is_no_emergency_declaration_gets_no_such_finding(agency, reviewer):
    pdf = await uploaded(agency)
    rid = (await submit(agency, legalBasis=basis(documentIds=[pdf])))["request"]["id"]
    findings = (await reviewer.data(READ, {"id": rid}))["request"]["findings"]
    assert "EMERGENCY_FORMAL_PROCESS_DUE" not in {f["code"] for f in findings}


def use(container: Container, plugin: Any) -> None:
    container.plugins = PluginHost(*load("", extra=[("xx", plugin)]))


class NoDocumentForSubpoenas:
    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["DE"]

    @hookimpl
    def trustcenter_document_required(self, request: RequestView) -> bool | None:
        return False if request.legal_basis.kind == "subpoena" else None


class Nonsense:
    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["DE"]

    @hookimpl
    def trustcenter_document_required(self, request: RequestView) -> Any:
        return "no"


async def test_a_plugin_may_waive_the_document_for_its_jurisdiction(agency, reviewer, container):
    use(container, NoDocumentForSubpoenas())
    subpoena = (await submit(agency, legalBasis=basis(kind="SUBPOENA")))["request"]["id"]
    assert (await approve_all(reviewer, subpoena))["userErrors"] == []
    warrant = (await submit(agency, legalBasis=basis()))["request"]["id"]  # None: the default
    assert [e["code"] for e in (await approve_all(reviewer, warrant))["userErrors"]] == [
        "DOCUMENT_REQUIRED"
    ]


async def test_a_plugin_answering_nonsense_fails_by_name_and_nothing_is_approved(
    agency, reviewer, container
):
    use(container, Nonsense())
    rid = (await submit(agency, legalBasis=basis()))["request"]["id"]
    r = await reviewer.gql(
        """mutation($i: StartReviewInput!) { startReview(input: $i) {
             request { version items { id } } } }""",
        {"i": {"requestId": rid}},
    )
    request = r.json()["data"]["startReview"]["request"]
    r = await reviewer.gql(
        """mutation($i: DecideRequestInput!) { decideRequest(input: $i) {
             request { status } userErrors { code } } }""",
        {
            "i": {
                "requestId": rid,
                "version": request["version"],
                "decisions": [{"itemId": i["id"], "outcome": "APPROVE"} for i in request["items"]],
            }
        },
    )
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "PLUGIN_FAILED"
    assert "trustcenter_document_required" in body["errors"][0]["message"]
    assert (await reviewer.data(READ, {"id": rid}))["request"]["status"] == "IN_REVIEW"


# --- the README tour ----------------------------------------------------------------------------


def tour_step() -> tuple[str, str]:
    """The tour's printf making the PDF, and its submission's JSON (shell-quoted)."""
    text = README.read_text()
    tour = text[text.index("## A five-minute tour") :]
    printf = re.search(r"^printf .* > warrant\.pdf$", tour, re.MULTILINE)
    assert printf is not None, "the tour makes warrant.pdf with printf"
    assert "--data-binary @warrant.pdf" in tour and "/documents" in tour
    body = re.search(r"-d @- <<JSON\n(.*?)\nJSON\n", tour, re.DOTALL)
    assert body is not None, "the tour submits with a heredoc"
    return printf.group(0), body.group(1)


async def test_the_readme_tour_uploads_a_pdf_and_submits_with_it(world, tmp_path, reviewer):
    printf, body = tour_step()
    shell = await asyncio.create_subprocess_exec("/bin/sh", "-c", printf, cwd=tmp_path)
    assert await asyncio.wait_for(shell.wait(), timeout=60) == 0
    pdf = (tmp_path / "warrant.pdf").read_bytes()
    agency = await world.agency_actor("DE", scopes=["requests:submit", "requests:read"])
    r = await upload(agency, pdf, "application/pdf")
    assert r.status_code == 201, r.text
    assert r.json()["contentType"] == "application/pdf"
    document_id = r.json()["id"]
    request = json.loads(body.replace("$DOC", document_id).replace("\\$", "$"))
    answer = await agency.http.post(
        "/graphql", json=request, headers={"Authorization": f"Bearer {agency.token}"}
    )
    payload = answer.json()["data"]["submitRequest"]
    assert payload["userErrors"] == []
    assert payload["request"]["status"] == "RECEIVED"
    rid = payload["request"]["id"]
    seen = (await reviewer.data(READ, {"id": rid}))["request"]
    assert [d["id"] for d in seen["legalBasis"]["documents"]] == [document_id]
    assert (await approve_all(reviewer, rid))["userErrors"] == []
