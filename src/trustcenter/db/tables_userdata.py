"""The company's user data that requests ask about (information types A to E).

Production deployments fetch these through a data-source plugin from their own systems; the
embedded default keeps them here so that the product works end to end.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class Account(UUIDPk, Base):
    """A: account information."""

    __tablename__ = "accounts"

    username: Mapped[str] = mapped_column(String(128), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8), default="en")
    registered_at: Mapped[datetime]
    background: Mapped[str | None] = mapped_column(Text)


class Product(UUIDPk, Base):
    """B: product information, bound to an account."""

    __tablename__ = "products"

    serial_number: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(64))
    verification_code: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    bound_at: Mapped[datetime | None]
    network_environment: Mapped[str | None] = mapped_column(String(200))


class UsageEvent(Base):
    """C: usage information: logins and device online/offline records."""

    __tablename__ = "usage_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    client_device_model: Mapped[str | None] = mapped_column(String(100))
    app_version: Mapped[str | None] = mapped_column(String(32))


class PremiumSubscription(UUIDPk, Base):
    """A premium service (such as cloud storage) that makes D available for an account."""

    __tablename__ = "premium_subscriptions"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    service: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Order(UUIDPk, Base):
    """D: shopping or transaction records."""

    __tablename__ = "orders"

    order_number: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    placed_at: Mapped[datetime]
    goods: Mapped[str] = mapped_column(String(500))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(64))
    delivery_address: Mapped[str | None] = mapped_column(Text)


class SupportRecord(UUIDPk, Base):
    """E: customer-service information."""

    __tablename__ = "support_records"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    content: Mapped[str] = mapped_column(Text)
