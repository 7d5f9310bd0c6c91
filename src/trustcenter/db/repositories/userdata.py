"""Finding the accounts and products that request targets name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select

from trustcenter.db.models import Account, Order, PremiumSubscription, Product, Target
from trustcenter.db.repositories import Repository
from trustcenter.domain.enums import IdentifierType

_ACCOUNT_COLUMNS = {
    IdentifierType.EMAIL.value: Account.email,
    IdentifierType.PHONE.value: Account.phone,
    IdentifierType.USERNAME.value: Account.username,
}


def subject_key(subject: Account | Product | None) -> str | None:
    """How a request target records what it named: "account:<id>", "product:<id>" or None."""
    if isinstance(subject, Account):
        return f"account:{subject.id}"
    if isinstance(subject, Product):
        return f"product:{subject.id}"
    return None


class UserDataRepository(Repository):
    """The accounts and products that request targets name."""

    async def subjects_for(
        self, targets: Sequence[Target]
    ) -> dict[uuid.UUID, Account | Product | None]:
        """Each target's account (by e-mail, phone, user name or order) or product (by serial).

        One query per kind of subject, however many targets are asked about."""
        out: dict[uuid.UUID, Account | Product | None] = {t.id: None for t in targets}
        by_kind: dict[str, list[Target]] = {}
        for t in targets:
            by_kind.setdefault(t.identifier_type, []).append(t)
        account_conditions = [
            column.in_([t.identifier for t in by_kind[kind]])
            for kind, column in _ACCOUNT_COLUMNS.items()
            if kind in by_kind
        ]
        if account_conditions:
            accounts = (
                await self._session.scalars(select(Account).where(or_(*account_conditions)))
            ).all()
            index = {
                (kind, getattr(a, column.key)): a
                for a in accounts
                for kind, column in _ACCOUNT_COLUMNS.items()
            }
            for kind in _ACCOUNT_COLUMNS:
                for t in by_kind.get(kind, []):
                    out[t.id] = index.get((kind, t.identifier))
        serials = by_kind.get(IdentifierType.SERIAL_NUMBER.value, [])
        if serials:
            stmt = select(Product).where(Product.serial_number.in_([t.identifier for t in serials]))
            products = {p.serial_number: p for p in (await self._session.scalars(stmt)).all()}
            for t in serials:
                out[t.id] = products.get(t.identifier)
        orders = by_kind.get(IdentifierType.ORDER_ID.value, [])
        if orders:
            stmt2 = (
                select(Order.order_number, Account)
                .join(Account, Account.id == Order.account_id)
                .where(Order.order_number.in_([t.identifier for t in orders]))
            )
            owners = {
                number: account for number, account in (await self._session.execute(stmt2)).all()
            }
            for t in orders:
                out[t.id] = owners.get(t.identifier)
        return out

    async def premium_by_target(self, targets: Sequence[Target]) -> dict[uuid.UUID, bool | None]:
        """For each target: did the account it names (or the owner of the product) ever use a
        premium service? None when the company holds no such account or product."""
        subjects = await self.subjects_for(targets)
        owners: dict[uuid.UUID, uuid.UUID | None] = {}
        for target_id, subject in subjects.items():
            if isinstance(subject, Account):
                owners[target_id] = subject.id
            elif isinstance(subject, Product):
                owners[target_id] = subject.account_id
            else:
                owners[target_id] = None
        accounts = {a for a in owners.values() if a is not None}
        premium: set[uuid.UUID] = set()
        if accounts:
            stmt = select(PremiumSubscription.account_id).where(
                PremiumSubscription.account_id.in_(accounts)
            )
            premium = set((await self._session.scalars(stmt)).all())
        return {t: (None if a is None else a in premium) for t, a in owners.items()}

    async def resolve_subjects(self, targets: Sequence[Target]) -> dict[uuid.UUID, str | None]:
        """Each target's subject key: an e-mail, phone or user name resolves to its account, a
        serial number to its product, an order id to the account that placed it; None when the
        company holds nothing the identifier names."""
        return {t: subject_key(s) for t, s in (await self.subjects_for(targets)).items()}
