"""Within the necessary limits: which fields each information type has, and how a record is cut
down to exactly what a decision approved (fields and time range)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from trustcenter.domain.enums import InfoType

#: Every field the company can provide for each information type (the policy's lists).
FIELDS: dict[InfoType, tuple[str, ...]] = {
    InfoType.A: ("username", "email", "phone", "region", "registered_at", "background"),
    InfoType.B: (
        "serial_number",
        "name",
        "model",
        "verification_code",
        "bound_at",
        "network_environment",
    ),
    InfoType.C: (
        "occurred_at",
        "kind",
        "ip_address",
        "client_device_model",
        "app_version",
        "serial_number",
    ),
    InfoType.D: (
        "order_number",
        "placed_at",
        "goods",
        "amount",
        "currency",
        "payment_method",
        "delivery_address",
    ),
    InfoType.E: ("created_at", "kind", "content"),
}

#: The field that dates a record, for time ranges; A and B describe a state, not events.
TIME_FIELD: dict[InfoType, str | None] = {
    InfoType.A: None,
    InfoType.B: None,
    InfoType.C: "occurred_at",
    InfoType.D: "placed_at",
    InfoType.E: "created_at",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """What one decision allows out for one target and information type."""

    info_type: InfoType
    fields: frozenset[str]
    range_from: date | None = None
    range_to: date | None = None

    def covers(self, moment: datetime | date | str | None) -> bool:
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        if moment is None:
            return self.range_from is None and self.range_to is None
        day = moment.date() if isinstance(moment, datetime) else moment
        if self.range_from is not None and day < self.range_from:
            return False
        return not (self.range_to is not None and day > self.range_to)


def scope_for(
    info_type: InfoType,
    requested: tuple[date | None, date | None],
    approved: tuple[date | None, date | None] = (None, None),
    fields: frozenset[str] | None = None,
) -> Scope:
    """The scope of an approved or narrowed item: the narrower of what was asked and what
    the decision allowed; every field of the type unless the decision chose fewer."""
    lo = max((d for d in (requested[0], approved[0]) if d is not None), default=None)
    hi = min((d for d in (requested[1], approved[1]) if d is not None), default=None)
    allowed = frozenset(FIELDS[info_type]) if fields is None else fields & set(FIELDS[info_type])
    if TIME_FIELD[info_type] is None:
        lo = hi = None
    return Scope(info_type, allowed, lo, hi)


def minimise(record: Mapping[str, Any], scope: Scope) -> dict[str, Any] | None:
    """The record cut to the scope's fields, or None when it falls outside the time range."""
    time_field = TIME_FIELD[scope.info_type]
    if time_field is not None and not scope.covers(record.get(time_field)):
        return None
    return {k: record[k] for k in FIELDS[scope.info_type] if k in scope.fields and k in record}
