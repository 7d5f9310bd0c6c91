"""Every table of the product; one import gives Alembic and the repositories the whole model.

The tables are grouped by concept in sibling modules; this module only gathers them.
"""

from trustcenter.db.base import Base
from trustcenter.db.tables_access import Agency, OAuthClient, SigningKey
from trustcenter.db.tables_requests import LegalBasis, Request, RequestedItem, Target
from trustcenter.db.tables_userdata import (
    Account,
    Order,
    PremiumSubscription,
    Product,
    SupportRecord,
    UsageEvent,
)

__all__ = [
    "Account",
    "Agency",
    "Base",
    "LegalBasis",
    "OAuthClient",
    "Order",
    "PremiumSubscription",
    "Product",
    "Request",
    "RequestedItem",
    "SigningKey",
    "SupportRecord",
    "Target",
    "UsageEvent",
]
