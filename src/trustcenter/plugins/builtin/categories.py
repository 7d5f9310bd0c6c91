"""The four categories of the policy and the report's precedence for classifying a request."""

from __future__ import annotations

from trustcenter.domain.enums import Category, IdentifierType, InfoType
from trustcenter.domain.rules import derive_category
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
    targets: dict[tuple[str, str], list[InfoType]] = {}
    for item in request.items:
        targets.setdefault((item.identifier_type, item.identifier), []).append(
            InfoType(item.info_type)
        )
    category = derive_category(
        request.emergency,
        [(IdentifierType(kind), infos) for (kind, _), infos in targets.items()],
    )
    return Category(category).name
