"""The demo's staff: three people who sign in to the console with a password and a second
factor whose secrets are fixed, so ``make serve`` can print them.

Made through the staff services (created, then their authenticators preset) by the operator
who loads the demo; a second load changes nothing. With four eyes on (the demo serves with
``TRUSTCENTER_RELEASE_APPROVERS=2``), Rita asks for a release and Sam approves it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

from trustcenter.auth.totp import code_at
from trustcenter.bootstrap import Container
from trustcenter.services.access import operator
from trustcenter.services.sign_in import preset_second_factor
from trustcenter.services.staff import create_staff, list_staff

#: every demo address ends so; ``trustcenter demo codes`` answers for these only
DEMO_DOMAIN = "demo.trustcenter.example"


@dataclass(frozen=True, slots=True)
class DemoMember:
    name: str
    email: str
    roles: tuple[str, ...]
    password: str

    @property
    def totp_secret(self) -> str:
        """A fixed base32 secret (160 bits) derived from the address: the demo's only."""
        digest = hashlib.sha256(f"trustcenter demo {self.email}".encode()).digest()
        return base64.b32encode(digest[:20]).decode()


DEMO_STAFF = (
    DemoMember(
        "Rita Reviewer",
        f"rita@{DEMO_DOMAIN}",
        ("reviewer", "notices", "reports", "auditor"),
        "rita-demo-password",
    ),
    DemoMember("Sam Second", f"sam@{DEMO_DOMAIN}", ("reviewer",), "sam-demo-password"),
    DemoMember("Ada Admin", f"ada@{DEMO_DOMAIN}", ("admin", "auditor"), "ada-demo-password"),
)


async def load_demo_staff(container: Container, operator_name: str) -> int:
    """Create the demo's staff members that are missing; how many were created."""
    acting = operator(operator_name)
    present = {v.email for v in await list_staff(container, acting)}
    created = 0
    for member in DEMO_STAFF:
        if member.email in present:
            continue
        made = await create_staff(
            container,
            acting,
            email=member.email,
            name=member.name,
            roles=member.roles,
            password=member.password,
        )
        await preset_second_factor(container, acting, made.member.id, member.totp_secret)
        created += 1
    return created


def describe_demo_staff(console_url: str) -> str:
    """What ``make serve`` prints: where to sign in, and each person's credentials."""
    lines = [f"demo staff — sign in at {console_url} (an authenticator app takes the secret):"]
    for m in DEMO_STAFF:
        lines.append(
            f"  {m.name:<14} {m.email:<32} password {m.password:<20} "
            f"TOTP secret {m.totp_secret}  ({', '.join(m.roles)})"
        )
    lines.append("  the current codes, without an app: trustcenter demo codes")
    return "\n".join(lines)


def demo_codes(now: datetime) -> str:
    """The demo members' current one-time codes."""
    return "\n".join(f"{m.email:<32} {code_at(m.totp_secret, now)}" for m in DEMO_STAFF)
