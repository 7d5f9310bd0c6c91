"""The plugin contract: every hook trustcenter calls, in one place.

Conventions (each hook's docstring says which apply):

- **Routed** hooks are called only on the one plugin that claims the request's jurisdiction
  (see ``trustcenter_jurisdictions``); no plugin ever receives another plugin's result.
- **All** hooks are called on every plugin that implements them; the host combines the results.
- **firstresult** hooks stop at the first plugin that returns something other than None.
- Any hook may be a plain function or ``async def``, except the start-up hooks (jurisdictions,
  finding codes, categories, legal-basis kinds, reason codes, notice channels, data source),
  which must be plain functions; the host awaits results in one place.
- **In the transaction**: the hook runs inside the use case's database transaction. If it
  raises, the host names the plugin and the hook, the transaction is rolled back, and nothing of
  the change remains.

Implement hooks with ``@trustcenter.plugins.hookimpl`` and the same parameter names (you may
leave out parameters you do not need).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pluggy

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

hookspec = pluggy.HookspecMarker("trustcenter")


# --- jurisdiction rules -------------------------------------------------------------------


@hookspec
def trustcenter_jurisdictions() -> list[str]:
    """The jurisdictions this plugin's rules govern: ISO 3166-1 alpha-2 codes (``"DE"``) or
    subdivisions (``"US-CA"``). A request is routed to the plugin claiming its exact code, else
    the one claiming its country, else the built-in defaults (which claim ``"*"``).

    All. Called once at start-up. Two plugins claiming the same code is a start-up error.
    """


@hookspec
def trustcenter_review_findings(request: RequestView) -> list[Finding]:
    """Check the request's legal basis against what it asks for; return findings that reviewers
    see (severity ``info``, ``warning`` or ``block``, a code, a message and the legal citation).
    A ``block`` finding stops release until an admin overrides it with a justification.
    Anything but a list of ``Finding`` (known severity, non-empty code of at most 64
    characters, message and citation as text) is a plugin failure; so is, from a plugin that
    declares its codes (``trustcenter_finding_codes``), a finding whose code it did not declare
    or whose severity is not the one declared for that code.

    Routed. Called when a request is submitted or revised, and again when its review starts,
    after every decision, every answer to a question and every reclassification, with
    ``request.items`` holding only the items still in play (not rejected or objected); in the
    transaction.
    """


@hookspec
def trustcenter_finding_codes() -> list[FindingCodeSpec]:
    """The codes this plugin's ``trustcenter_review_findings`` may return, each as
    ``FindingCodeSpec(code, severity, description)``: an upper-case code (``EU_JUDGE_REQUIRED``,
    at most 64 characters), the ``Severity`` every finding under it carries, and a description
    for reviewers. Staff read them on the plugins page and as ``Plugin.findingCodes``.

    Once a plugin declares codes, a finding of it with another code, or with another severity
    than the one declared for its code, is that plugin's failure (nothing is stored). A plugin
    that declares none (does not implement this hook, or returns an empty list) may return any
    well-formed code. Codes belong to the plugin that declares them: two plugins may declare the
    same code, since findings are kept by plugin and code.

    All. Called once at start-up; anything but a ``FindingCodeSpec``, a code that is not upper
    case, an unknown severity, an empty description or one code declared twice by the plugin
    stops start-up, naming the plugin.
    """


@hookspec
def trustcenter_response_deadline(request: RequestView) -> datetime | None:
    """When the company's response is due; None leaves the default (30 days; 8 hours for
    emergencies). Anything but a timezone-aware datetime after receipt is a plugin failure.

    Routed. Called at submission, in the transaction.
    """


@hookspec
def trustcenter_notice_delay(request: RequestView) -> timedelta | None:
    """How long after release the affected users are notified; None leaves the policy's 31
    days. (A non-disclosure order's end date pushes the notice back on top of this.) Longer is
    allowed, shorter never: less than 31 days, more than ten years or anything but a
    ``timedelta`` is a plugin failure and the release rolls back.

    Routed. Called at release, in the transaction.
    """


@hookspec
def trustcenter_accepts_from_abroad(request: RequestView) -> bool | None:
    """Whether this jurisdiction accepts the request from an agency abroad: the request's
    jurisdiction lies outside the agency's own country (``request.agency_country``) and the
    jurisdictions granted when the agency was verified. Look at ``request.legal_basis.kind``
    (mutual legal assistance, a production order between member states, an executive
    agreement …). True accepts, False refuses (``JURISDICTION``, nothing is stored), None
    leaves it to the built-in default, which accepts only ``mutual_legal_assistance``. Any
    other answer is a plugin failure.

    Routed. Called at submission and revision of cross-border requests only, before anything
    is written, in the transaction.
    """


@hookspec
def trustcenter_document_required(request: RequestView) -> bool | None:
    """Whether a request on this legal basis may be approved only once the company holds its
    document (an upload attached to the request, or the legacy base64 ``document``). Look at
    ``request.legal_basis.kind``. True: an APPROVE or NARROW without a document is refused
    (``DOCUMENT_REQUIRED``); False: it may be approved on the request alone; None leaves it to
    the built-in default, which requires a document for every kind but
    ``emergency_declaration``. Any other answer is a plugin failure.

    Routed. Called when a reviewer approves or narrows an item of a request that holds no
    document, before the decisions are written, in the transaction.
    """


@hookspec
def trustcenter_report_exclusions() -> list[Exclusion]:
    """Countries or regions left out of the transparency report, each with the written reason
    the published report prints beside it: ``Exclusion("KP", "no lawful channel exists")``.
    CN is always excluded by the core, whatever plugins answer. A bare code (an exclusion
    without a reason) or an empty reason stops the build, naming the plugin.

    All; every answer is applied. Called when a report is built, outside any transaction.
    """


# --- request categories and legal-basis kinds ----------------------------------------------


@hookspec
def trustcenter_categories() -> list[CategorySpec]:
    """Request categories this plugin adds (the built-ins add PRODUCT, ACCOUNT, TRANSACTION
    and EMERGENCY). Codes are upper case and unique across plugins.

    All. Called once at start-up.
    """


@hookspec
def trustcenter_validate_request(request: RequestView) -> list[Problem]:
    """Problems with a request's input that this plugin's rules see (for example a category's
    own requirements); each becomes a user error and nothing is stored.

    All. Called at submission before anything is written, in the transaction.
    """


@hookspec(firstresult=True)
def trustcenter_classify(request: RequestView) -> str | None:
    """The category of a request that did not name one, or None to let others decide. The
    built-in classification (the report's precedence) runs last. A plugin classifies into its
    own categories: one of the policy's four where the precedence gives another is a plugin
    failure.

    firstresult. Called at submission, in the transaction.
    """


@hookspec
def trustcenter_legal_basis_kinds() -> list[str]:
    """Kinds of legal basis this plugin adds (lower case, such as ``"preservation_letter"``).

    All. Called once at start-up.
    """


@hookspec
def trustcenter_reason_codes() -> list[ReasonCodeSpec]:
    """Reason codes this plugin adds for decisions other than APPROVE (the built-ins add
    NO_LEGAL_BASIS, UNCLEAR, OVERBROAD, THIRD_PARTY_HARM, NOT_HELD, NOT_PREMIUM and
    JURISDICTION). Codes are upper case, unique across plugins, each with a description;
    ``account_state=True`` marks a code that tells the state of an account: it goes only with
    REJECT and the agency reads NO_RESPONSIVE_DATA in its place.

    All. Called once at start-up; a code registered twice, or without a description, stops
    start-up.
    """


@hookspec
def trustcenter_release_check(request: RequestView) -> str | None:
    """Why this request may not be released at all (for example a category that never
    discloses), or None.

    All; any reason refuses the release with a user error naming the plugin. Called at release
    before anything is assembled, in the transaction.
    """


@hookspec
def trustcenter_release_approvers(request: RequestView) -> int | None:
    """How many people must agree before this request is released: 1 (the reviewer alone) or
    2 (four eyes: a second person, who decided no item of it, approves the release the first
    one asked for). None leaves it to the deployment (``TRUSTCENTER_RELEASE_APPROVERS``).
    Answer for the requests your rules govern (look at ``request.jurisdiction``) and None for
    the others. Anything but 1, 2 or None (``3``, ``"yes"``, ``True``) is a plugin failure.

    All; the largest answer counts, and the deployment's setting is the floor: a plugin can
    ask for more eyes on a request, never for fewer. Called at release and when an approval is
    given, in the transaction, and when staff read a request's ``approvalsNeeded``.
    """


@hookspec
def trustcenter_hold_until(request: RequestView) -> datetime | None:
    """Until when the data the request names must be kept (preserved), or None. The latest
    answer of all plugins is kept on the request as ``holdUntil``.

    All. Called at submission, in the transaction.
    """


@hookspec
def trustcenter_extend_hold(
    request: RequestView, hold_until: datetime, extensions: int
) -> HoldDecision | None:
    """A reviewer asks to extend the request's hold (``extensions`` made so far): answer with
    the new end, a refusal, or None when the request is not yours to judge.

    All; the first answer counts. Called by ``extendHold``, in its transaction.
    """


# --- vendor compliance --------------------------------------------------------------------


@hookspec
def trustcenter_vendor_check(
    vendor: VendorView, info_types: list[str], now: datetime
) -> str | None:
    """Why the given vendor's data (of ``info_types``, which the package needs) may not be used
    now — a clear reason — or None. The core already refuses vendors without a valid
    attestation or same-standards clause; plugins add their own conditions.

    All; any reason refuses the release (VENDOR_NOT_ATTESTED, naming the plugin and vendor).
    Called at release before anything is assembled, in the transaction.
    """


@hookspec
def trustcenter_vendor_notify(
    vendor: VendorView, request: RequestView, info_types: list[str]
) -> None:
    """Tell a vendor that a released disclosure used data it holds (``info_types``).

    All. Called at release after the package is stored, in the transaction.
    """


# --- notices and data -----------------------------------------------------------------------


@hookspec
def trustcenter_notice_channels(db: Any, outbox: OutboxWriter | None) -> list[Any]:
    """Notice channels this plugin provides: objects with a unique ``name`` and an async
    ``deliver(notice: NoticeView, idempotency_key: str)`` that returns once the channel has
    accepted the notice and raises otherwise (the notice is then retried). The key is the same
    for every retry of one notice: a channel passes it on so that a retry is never a second
    notice to the user.

    ``db`` is trustcenter's own ``Database``; ``outbox`` is the product's outbox table as an
    ``OutboxWriter`` (``await outbox.put(notice, idempotency_key)``), which the built-in
    ``outbox`` channel writes to (None when the caller has no database).

    All. Called once at start-up; two channels with one name stop start-up.
    """


@hookspec(firstresult=True)
def trustcenter_data_source(db: Any, sql_source: Any) -> Any:
    """The data source that fetches information types A to E for a target: an object with
    ``records(target, scope)``, an async iterator of plain dicts (field name to value). ``db``
    is trustcenter's own ``Database``, for sources that read it; ``sql_source`` is the built-in
    source over trustcenter's own tables, for a source that adds to it. Whatever a source
    returns, only the approved fields and time range reach a package. The built-in plugin
    answers last, with ``sql_source``.

    firstresult. Called once at start-up.
    """


# --- lifecycle events -------------------------------------------------------------------------


@hookspec
def trustcenter_after_submit(request: RequestView) -> None:
    """A request was submitted (or a revision was). For integrations.

    All. Called in the transaction, after the request is written: raising undoes the submission.
    """


@hookspec
def trustcenter_after_decision(request: RequestView, status: str) -> None:
    """Reviewers decided items of a request; ``status`` is its status afterwards.

    All. Called in the transaction, after the decisions are written.
    """


@hookspec
def trustcenter_after_release(request: RequestView, sha256: str) -> None:
    """A disclosure was released; ``sha256`` is the package's digest.

    All. Called in the transaction, after the package is stored.
    """


@hookspec
def trustcenter_after_notice(request_id: str, status: str) -> None:
    """The notice worker delivered a user notice (``status`` "delivered"), or gave up on it
    after the last retry ("failed"). Only the request's id: a plugin that needs more asks
    trustcenter, so nothing about the user travels with the event.

    All. Called once per notice in the worker's transaction that records the outcome; raising
    undoes that record, and the notice is delivered again (same idempotency key) later.
    """
