"""Every table of the product; one import gives Alembic and the repositories the whole model.

The tables are grouped by concept in sibling modules; this module only gathers them.
"""

from trustcenter.db.base import Base
from trustcenter.db.tables_access import (
    Agency,
    AuthEpoch,
    ClientAuthFailures,
    OAuthClient,
    RevokedToken,
    SigningKey,
    UsedClientAssertion,
)
from trustcenter.db.tables_audit import AuditEvent, AuditHead
from trustcenter.db.tables_disclosure import (
    Disclosure,
    DisclosureChunk,
    ReleaseApproval,
    Vendor,
    VendorAttestation,
)
from trustcenter.db.tables_documents import Document, DocumentChunk
from trustcenter.db.tables_notices import Notice, NoticeException, OutboxMessage
from trustcenter.db.tables_reports import ReportFact, ReportStatement, TransparencyReport
from trustcenter.db.tables_requests import (
    Finding,
    InternalNote,
    LegalBasis,
    Message,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.db.tables_staff import StaffMember, StaffSession
from trustcenter.db.tables_userdata import (
    Account,
    Order,
    PremiumSubscription,
    Product,
    SupportRecord,
    UsageEvent,
)
from trustcenter.db.tables_webhooks import StatusEmail, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "Agency",
    "AuditEvent",
    "AuditHead",
    "AuthEpoch",
    "Base",
    "ClientAuthFailures",
    "Disclosure",
    "DisclosureChunk",
    "Document",
    "DocumentChunk",
    "Finding",
    "InternalNote",
    "LegalBasis",
    "Message",
    "Notice",
    "NoticeException",
    "OAuthClient",
    "Order",
    "OutboxMessage",
    "PremiumSubscription",
    "Product",
    "ReleaseApproval",
    "ReportFact",
    "ReportStatement",
    "Request",
    "RequestedItem",
    "RevokedToken",
    "SigningKey",
    "StaffMember",
    "StaffSession",
    "StatusEmail",
    "SupportRecord",
    "Target",
    "TransparencyReport",
    "UsageEvent",
    "UsedClientAssertion",
    "Vendor",
    "VendorAttestation",
    "WebhookDelivery",
    "WebhookEndpoint",
]
