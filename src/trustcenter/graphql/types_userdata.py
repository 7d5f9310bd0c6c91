"""The company's own records about a target (staff only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from trustcenter.db.models import Account as AccountRow
from trustcenter.db.models import Product as ProductRow


@strawberry.type(name="Account", description="A user account (staff only).")
class AccountType:
    row: strawberry.Private[AccountRow]

    @strawberry.field
    def username(self) -> str:
        return self.row.username

    @strawberry.field
    def email(self) -> str | None:
        return self.row.email

    @strawberry.field
    def phone(self) -> str | None:
        return self.row.phone

    @strawberry.field
    def region(self) -> str:
        return self.row.region

    @strawberry.field
    def registered_at(self) -> datetime:
        return self.row.registered_at


@strawberry.type(name="Product", description="A device bound to an account (staff only).")
class ProductType:
    row: strawberry.Private[ProductRow]

    @strawberry.field
    def serial_number(self) -> str:
        return self.row.serial_number

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def model(self) -> str:
        return self.row.model

    @strawberry.field
    def bound_at(self) -> datetime | None:
        return self.row.bound_at


def wrap_subject(row: Any) -> AccountType | ProductType | None:
    if isinstance(row, AccountRow):
        return AccountType(row=row)
    if isinstance(row, ProductRow):
        return ProductType(row=row)
    return None
