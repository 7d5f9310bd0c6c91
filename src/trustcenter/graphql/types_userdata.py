"""The company's own records about a target (staff only)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from trustcenter.services.views import AccountView, ProductView


@strawberry.type(name="Account", description="A user account (staff only).")
class AccountType:
    view: strawberry.Private[AccountView]

    @strawberry.field
    def username(self) -> str:
        return self.view.username

    @strawberry.field
    def email(self) -> str | None:
        return self.view.email

    @strawberry.field
    def phone(self) -> str | None:
        return self.view.phone

    @strawberry.field
    def region(self) -> str:
        return self.view.region

    @strawberry.field
    def registered_at(self) -> datetime:
        return self.view.registered_at


@strawberry.type(name="Product", description="A device bound to an account (staff only).")
class ProductType:
    view: strawberry.Private[ProductView]

    @strawberry.field
    def serial_number(self) -> str:
        return self.view.serial_number

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field
    def model(self) -> str:
        return self.view.model

    @strawberry.field
    def bound_at(self) -> datetime | None:
        return self.view.bound_at


def wrap_subject(view: AccountView | ProductView | None) -> AccountType | ProductType | None:
    if isinstance(view, AccountView):
        return AccountType(view=view)
    if isinstance(view, ProductView):
        return ProductType(view=view)
    return None
