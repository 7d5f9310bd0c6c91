"""The policy's reason codes for decisions other than APPROVE."""

from __future__ import annotations

from trustcenter.domain.enums import ReasonCode
from trustcenter.plugins import ReasonCodeSpec, hookimpl

R = ReasonCode

_DESCRIPTIONS = {
    R.NO_LEGAL_BASIS: "No valid legal basis for what is asked.",
    R.UNCLEAR: "The request is unclear: what or whom it asks about cannot be told.",
    R.OVERBROAD: "The request asks for more than its purpose needs.",
    R.THIRD_PARTY_HARM: "Providing it may harm a third party's legitimate interests.",
    R.NOT_HELD: "The company holds no such data (for example, no account for the identifier).",
    R.NOT_PREMIUM: "Transaction records (D) asked of an account that never used a premium service.",
    R.JURISDICTION: "The requesting authority has no jurisdiction over this data.",
}

#: codes that tell the state of an account: the agency reads NO_RESPONSIVE_DATA instead
_ACCOUNT_STATE = frozenset({R.NOT_HELD, R.NOT_PREMIUM})


@hookimpl
def trustcenter_reason_codes() -> list[ReasonCodeSpec]:
    return [ReasonCodeSpec(c.name, _DESCRIPTIONS[c], c in _ACCOUNT_STATE) for c in ReasonCode]
