"""The four categories of the policy and the report's precedence for classifying a request."""

from __future__ import annotations

from trustcenter.domain.enums import IdentifierType, InfoType
from trustcenter.domain.rules import classify_items
from trustcenter.plugins import CategorySpec, RequestView, hookimpl


@hookimpl
def trustcenter_categories() -> list[CategorySpec]:
    return [
        CategorySpec("PRODUCT", "Product requests"),
        CategorySpec("ACCOUNT", "Account requests"),
        CategorySpec("TRANSACTION", "Transaction-related requests"),
        CategorySpec("EMERGENCY", "Emergency requests"),
    ]


@hookimpl(trylast=True)
def trustcenter_classify(request: RequestView) -> str:
    return policy_category(request)


def policy_category(request: RequestView) -> str:
    """The policy's classification of the request (SPEC section 6)."""
    return classify_items(
        request.emergency,
        (
            (IdentifierType(i.identifier_type), i.identifier, InfoType(i.info_type))
            for i in request.items
        ),
    ).name
