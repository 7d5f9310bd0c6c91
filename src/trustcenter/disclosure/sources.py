"""Data sources: where the records of information types A to E come from.

The built-in source reads the core tables. It streams large record sets (usage logs can run to
millions of rows) in batches and filters the time range in SQL; every record still passes
through ``domain.minimization.minimise`` before it is written, whatever a source returns.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select

from trustcenter.db.models import Account, Order, Product, SupportRecord, UsageEvent
from trustcenter.db.session import Database
from trustcenter.domain.enums import IdentifierType, InfoType
from trustcenter.domain.minimization import Scope

BATCH = 5000


@dataclass(frozen=True, slots=True)
class TargetRef:
    identifier_type: IdentifierType
    identifier: str


class DataSource(Protocol):
    """Yields plain records (field name -> JSON-ready value) for one target and one type."""

    def records(self, target: TargetRef, scope: Scope) -> AsyncIterator[dict[str, Any]]: ...


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _bounds(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if scope.range_from is not None:
        out.append(column >= datetime.combine(scope.range_from, time(), UTC))
    if scope.range_to is not None:
        out.append(column < datetime.combine(scope.range_to + timedelta(days=1), time(), UTC))
    return out


@dataclass(frozen=True, slots=True)
class _Subject:
    account_id: uuid.UUID | None
    product_id: uuid.UUID | None
    order_number: str | None


class SqlDataSource:
    """The embedded default: the accounts, products and records in trustcenter's own tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _subject(self, target: TargetRef) -> _Subject:
        kind, ident = target.identifier_type, target.identifier
        async with self._db.reader() as session:
            if kind is IdentifierType.SERIAL_NUMBER:
                product = (
                    await session.scalars(select(Product).where(Product.serial_number == ident))
                ).first()
                return _Subject(
                    product.account_id if product else None, product.id if product else None, None
                )
            if kind is IdentifierType.ORDER_ID:
                owner = await session.scalar(
                    select(Order.account_id).where(Order.order_number == ident)
                )
                return _Subject(owner, None, ident if owner else None)
            column = {
                IdentifierType.EMAIL: Account.email,
                IdentifierType.PHONE: Account.phone,
                IdentifierType.USERNAME: Account.username,
            }[kind]
            account_id = await session.scalar(select(Account.id).where(column == ident))
            return _Subject(account_id, None, None)

    async def records(self, target: TargetRef, scope: Scope) -> AsyncIterator[dict[str, Any]]:
        subject = await self._subject(target)
        if subject.account_id is None and subject.product_id is None:
            return
        stmt: Any
        info = scope.info_type
        if info is InfoType.A:
            if subject.account_id is None:
                return
            stmt = select(
                Account.username,
                Account.email,
                Account.phone,
                Account.region,
                Account.registered_at,
                Account.background,
            ).where(Account.id == subject.account_id)
        elif info is InfoType.B:
            stmt = select(
                Product.serial_number,
                Product.name,
                Product.model,
                Product.verification_code,
                Product.bound_at,
                Product.network_environment,
            )
            stmt = (
                stmt.where(Product.id == subject.product_id)
                if subject.product_id
                else stmt.where(Product.account_id == subject.account_id)
            )
            stmt = stmt.order_by(Product.serial_number)
        elif info is InfoType.C:
            stmt = select(
                UsageEvent.occurred_at,
                UsageEvent.kind,
                UsageEvent.ip_address,
                UsageEvent.client_device_model,
                UsageEvent.app_version,
                Product.serial_number,
            ).outerjoin(Product, Product.id == UsageEvent.product_id)
            stmt = (
                stmt.where(UsageEvent.product_id == subject.product_id)
                if subject.product_id
                else stmt.where(UsageEvent.account_id == subject.account_id)
            )
            stmt = stmt.where(*_bounds(UsageEvent.occurred_at, scope)).order_by(UsageEvent.id)
        elif info is InfoType.D:
            stmt = select(
                Order.order_number,
                Order.placed_at,
                Order.goods,
                Order.amount,
                Order.currency,
                Order.payment_method,
                Order.delivery_address,
            )
            stmt = (
                stmt.where(Order.order_number == subject.order_number)
                if subject.order_number
                else stmt.where(Order.account_id == subject.account_id)
            )
            stmt = stmt.where(*_bounds(Order.placed_at, scope)).order_by(Order.placed_at)
        else:
            if subject.account_id is None:
                return
            stmt = (
                select(SupportRecord.created_at, SupportRecord.kind, SupportRecord.content)
                .where(
                    SupportRecord.account_id == subject.account_id,
                    *_bounds(SupportRecord.created_at, scope),
                )
                .order_by(SupportRecord.created_at)
            )
        async with self._db.reader(snapshot=True) as session:  # a server-side cursor
            result = await session.stream(stmt.execution_options(yield_per=BATCH))
            async for row in result:
                yield {key: _plain(value) for key, value in row._mapping.items()}
