"""Staff are people, administered by admins: add a person (the initial password shown once and
stored only as an Argon2id hash), list, rename and change roles, disable (every session ends at
once) and enable, reset the sign-in. Callers without the admin scope change nothing; an e-mail
address is taken once whatever its case; an admin cannot disable themselves and the last active
admin person stays one; the audit names every change and never a password."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.relay import to_base64

from tests.helpers import OPERATOR, Actor, World
from trustcenter.auth.passwords import check_password
from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import scopes_of_roles
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import AuditEvent, StaffMember, StaffSession
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.graphql.context import Context
from trustcenter.graphql.loaders import Loaders
from trustcenter.graphql.schema import build_schema
from trustcenter.services.staff import (
    create_staff,
    disable_staff,
    enable_staff,
    reset_staff_sign_in,
    update_staff,
)
from trustcenter.services.staff_views import StaffView

MEMBER = "id name email roles status createdAt disabledAt lastSignInAt totpEnrolled locked"
CREATE = f"""mutation($i: CreateStaffMemberInput!) {{ createStaffMember(input: $i) {{
  staffMember {{ {MEMBER} }} initialPassword userErrors {{ field code message }} }} }}"""
UPDATE = f"""mutation($i: UpdateStaffMemberInput!) {{ updateStaffMember(input: $i) {{
  staffMember {{ {MEMBER} }} userErrors {{ field code message }} }} }}"""
DISABLE = f"""mutation($i: StaffMemberIdInput!) {{ disableStaffMember(input: $i) {{
  staffMember {{ {MEMBER} }} userErrors {{ field code message }} }} }}"""
ENABLE = f"""mutation($i: StaffMemberIdInput!) {{ enableStaffMember(input: $i) {{
  staffMember {{ {MEMBER} }} userErrors {{ field code message }} }} }}"""
RESET = f"""mutation($i: StaffMemberIdInput!) {{ resetStaffSignIn(input: $i) {{
  staffMember {{ {MEMBER} }} initialPassword userErrors {{ field code message }} }} }}"""
LIST = f"""query($s: StaffStatus) {{ staffMembers(status: $s) {{ {MEMBER} }} }}"""
NODE = """query($id: ID!) { node(id: $id) { __typename ... on StaffMember { email } } }"""
ME = f"""{{ me {{ clientId staffMember {{ {MEMBER} }} }} }}"""


async def _row(container: Container, email: str) -> StaffMember:
    async with container.db.reader() as s:
        row = (await s.scalars(select(StaffMember).where(StaffMember.email == email))).one()
    return row


async def _audit(container: Container, prefix: str = "staff.") -> list[AuditEvent]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.seq)
        )
        return list(rows)


def _data(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.data) if isinstance(event.data, str) else dict(event.data)


async def _counts(container: Container) -> tuple[int, int]:
    async with container.db.reader() as s:
        members = await s.scalar(select(func.count()).select_from(StaffMember))
        events = await s.scalar(select(func.count()).select_from(AuditEvent))
    return int(members or 0), int(events or 0)


async def _create(admin: Actor, email: str, name: str, roles: list[str]) -> dict[str, Any]:
    out = await admin.data(CREATE, {"i": {"email": email, "name": name, "roles": roles}})
    return out["createStaffMember"]  # type: ignore[no-any-return]


async def _add(container: Container, email: str, name: str, *roles: str) -> StaffView:
    """A member added by the operator at the command line."""
    done = await create_staff(container, OPERATOR, email=email, name=name, roles=roles)
    return done.member


def _person(member_id: uuid.UUID, name: str, email: str, roles: list[str]) -> Principal:
    return Principal.person(member_id, name, email, scopes_of_roles(roles), session_id="s1")


async def _as(container: Container, principal: Principal, query: str, **variables: Any) -> Any:
    """Run an operation as ``principal`` (a person signed in), on the app's own schema."""
    context = Context(principal=principal, app=container, loaders=Loaders(container, principal))
    result = await build_schema().execute(query, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    return result.data


# --- the admin's flow ---------------------------------------------------------------------------


async def test_an_admin_adds_a_person_who_can_sign_in_with_the_password_shown_once(
    world: World, container: Container
) -> None:
    admin = await world.staff_actor(["admin"])
    made = await _create(admin, "Rita.Reviewer@Example.org", "  Rita   Reviewer ", ["REVIEWER"])
    assert made["userErrors"] == []
    member = made["staffMember"]
    assert member["email"] == "rita.reviewer@example.org"
    assert member["name"] == "Rita Reviewer"
    assert member["roles"] == ["REVIEWER"] and member["status"] == "ACTIVE"
    assert member["totpEnrolled"] is False and member["locked"] is False
    assert member["lastSignInAt"] is None and member["disabledAt"] is None
    password = made["initialPassword"]
    assert isinstance(password, str) and len(password) >= 16

    row = await _row(container, "rita.reviewer@example.org")
    assert row.password_hash is not None and password not in row.password_hash
    assert row.password_hash.startswith("$argon2id$")
    assert check_password(row.password_hash, password).ok
    assert not check_password(row.password_hash, password + "x").ok
    assert member["id"] == to_base64("StaffMember", str(row.id))

    [event] = await _audit(container)
    assert event.action == "staff.created" and event.subject_id == str(row.id)
    assert event.actor_id == admin.client_id
    assert _data(event) == {
        "email": "rita.reviewer@example.org",
        "name": "Rita Reviewer",
        "roles": ["reviewer"],
        "password_generated": True,
    }
    assert password not in json.dumps(_data(event))

    # listed, found by its id, and nobody is shown the password again
    listed = (await admin.data(LIST))["staffMembers"]
    assert [m["email"] for m in listed] == ["rita.reviewer@example.org"]
    node = (await admin.data(NODE, {"id": member["id"]}))["node"]
    assert node == {"__typename": "StaffMember", "email": "rita.reviewer@example.org"}


async def test_an_admin_changes_roles_disables_enables_and_resets_a_member(
    world: World, container: Container
) -> None:
    admin = await world.staff_actor(["admin"])
    made = await _create(admin, "sam@example.org", "Sam", ["REVIEWER"])
    gid = made["staffMember"]["id"]
    await _create(admin, "ada@example.org", "Ada", ["ADMIN"])

    out = (
        await admin.data(
            UPDATE,
            {"i": {"staffMemberId": gid, "name": "Sam Smith", "roles": ["AUDITOR", "REVIEWER"]}},
        )
    )["updateStaffMember"]
    assert out["userErrors"] == []
    assert out["staffMember"]["roles"] == ["REVIEWER", "AUDITOR"]
    assert out["staffMember"]["name"] == "Sam Smith"

    out = (await admin.data(DISABLE, {"i": {"staffMemberId": gid}}))["disableStaffMember"]
    assert out["userErrors"] == [] and out["staffMember"]["status"] == "DISABLED"
    assert out["staffMember"]["disabledAt"] is not None
    active = (await admin.data(LIST, {"s": "ACTIVE"}))["staffMembers"]
    disabled = (await admin.data(LIST, {"s": "DISABLED"}))["staffMembers"]
    everyone = (await admin.data(LIST))["staffMembers"]
    assert [m["email"] for m in active] == ["ada@example.org"]
    assert [m["email"] for m in disabled] == ["sam@example.org"]
    assert [m["email"] for m in everyone] == ["ada@example.org", "sam@example.org"]
    again = (await admin.data(DISABLE, {"i": {"staffMemberId": gid}}))["disableStaffMember"]
    assert [e["code"] for e in again["userErrors"]] == ["CONFLICT"]

    out = (await admin.data(ENABLE, {"i": {"staffMemberId": gid}}))["enableStaffMember"]
    assert out["staffMember"]["status"] == "ACTIVE" and out["staffMember"]["disabledAt"] is None

    out = (await admin.data(RESET, {"i": {"staffMemberId": gid}}))["resetStaffSignIn"]
    new_password = out["initialPassword"]
    assert out["userErrors"] == [] and len(new_password) >= 16
    row = await _row(container, "sam@example.org")
    assert check_password(row.password_hash, new_password).ok

    events = await _audit(container)
    actions = [e.action for e in events]
    assert actions == [
        "staff.created",
        "staff.created",
        "staff.updated",
        "staff.disabled",
        "staff.enabled",
        "staff.sign_in_reset",
    ]
    assert _data(events[2]) == {
        "name": {"from": "Sam", "to": "Sam Smith"},
        "roles": {"from": ["reviewer"], "to": ["reviewer", "auditor"]},
    }
    assert _data(events[3]) == {"sessions_ended": 0}
    assert _data(events[5]) == {"sessions_ended": 0, "password_generated": True}
    trail = json.dumps([_data(e) for e in events])
    assert made["initialPassword"] not in trail and new_password not in trail

    # an id that names no member, or names something else, finds nobody
    for wrong in (to_base64("StaffMember", str(uuid.uuid4())), to_base64("Agency", str(row.id))):
        out = (await admin.data(ENABLE, {"i": {"staffMemberId": wrong}}))["enableStaffMember"]
        assert [e["code"] for e in out["userErrors"]] == ["NOT_FOUND"]


# --- who may not ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agency", "reviewer"])
async def test_callers_without_the_admin_scope_are_refused_and_nothing_changes(
    world: World, container: Container, who: str
) -> None:
    admin = await world.staff_actor(["admin"])
    made = await _create(admin, "sam@example.org", "Sam", ["REVIEWER"])
    gid = made["staffMember"]["id"]
    caller = await (
        world.agency_actor("DE") if who == "agency" else world.staff_actor(["review", "audit"])
    )
    before = await _counts(container)
    calls: list[tuple[str, dict[str, Any]]] = [
        (LIST, {}),
        (CREATE, {"i": {"email": "eve@example.org", "name": "Eve", "roles": ["ADMIN"]}}),
        (UPDATE, {"i": {"staffMemberId": gid, "roles": ["ADMIN"]}}),
        (DISABLE, {"i": {"staffMemberId": gid}}),
        (ENABLE, {"i": {"staffMemberId": gid}}),
        (RESET, {"i": {"staffMemberId": gid}}),
    ]
    for query, variables in calls:
        body = (await caller.gql(query, variables)).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    # nor does the member's global id tell a non-admin client anything
    body = (await caller.gql(NODE, {"id": gid})).json()
    assert body.get("data", {}).get("node") is None
    assert await _counts(container) == before
    row = await _row(container, "sam@example.org")
    assert row.roles == "reviewer" and row.status == "active"
    assert check_password(row.password_hash, made["initialPassword"]).ok


async def test_an_e_mail_address_is_taken_once_whatever_its_case(
    world: World, container: Container
) -> None:
    admin = await world.staff_actor(["admin"])
    assert (await _create(admin, "Sam@Example.org", "Sam", ["REVIEWER"]))["userErrors"] == []
    before = await _counts(container)
    out = await _create(admin, "sam@EXAMPLE.ORG", "Another Sam", ["ADMIN"])
    assert out["staffMember"] is None and out["initialPassword"] is None
    [error] = out["userErrors"]
    assert (error["field"], error["code"]) == ("email", "CONFLICT")
    assert "sam@example.org" in error["message"]
    assert await _counts(container) == before


async def test_bad_fields_are_named_and_an_unknown_role_names_the_known_ones(
    world: World, container: Container
) -> None:
    with pytest.raises(DomainError) as caught:
        await create_staff(container, OPERATOR, email="nope", name=" ", roles=["boss", "admin"])
    by_field = {p.field: p for p in caught.value.problems}
    assert set(by_field) == {"email", "name", "roles"}
    message = by_field["roles"].message
    assert "boss" in message
    for role in ("reviewer", "notices", "reports", "auditor", "admin"):
        assert role in message
    with pytest.raises(DomainError, match="at least 12"):
        await create_staff(
            container, OPERATOR, email="a@example.org", name="A", roles=["admin"], password="short"
        )
    admin = await world.staff_actor(["admin"])
    gid = (await _create(admin, "sam@example.org", "Sam", ["REVIEWER"]))["staffMember"]["id"]
    out = (await admin.data(UPDATE, {"i": {"staffMemberId": gid, "roles": []}}))[
        "updateStaffMember"
    ]
    assert [(e["field"], e["code"]) for e in out["userErrors"]] == [("roles", "INVALID_INPUT")]
    body = (
        await admin.gql(CREATE, {"i": {"email": "b@example.org", "name": "B", "roles": ["BOSS"]}})
    ).json()
    assert body["errors"] and body.get("data") is None
    assert (await _counts(container))[0] == 1


# --- the admins themselves -----------------------------------------------------------------------


async def test_the_last_active_admin_person_stays_an_admin(container: Container) -> None:
    ada = await _add(container, "ada@example.org", "Ada", "admin")
    before = await _counts(container)
    with pytest.raises(DomainError, match="last active admin") as caught:
        await disable_staff(container, OPERATOR, ada.id)
    assert caught.value.problems[0].code is ErrorCode.CONFLICT
    with pytest.raises(DomainError, match="last active admin"):
        await update_staff(container, OPERATOR, "ADA@example.org", roles=["reviewer"])
    assert await _counts(container) == before

    bob = await _add(container, "bob@example.org", "Bob", "admin", "reviewer")
    changed = await update_staff(container, OPERATOR, ada.id, roles=["reviewer"])
    assert [r.value for r in changed.roles] == ["reviewer"]
    with pytest.raises(DomainError, match=r"bob@example\.org is the last active admin"):
        await update_staff(container, OPERATOR, bob.id, roles=["reviewer"])
    # a disabled admin does not count: Bob, the only active one, stays
    await update_staff(container, OPERATOR, ada.id, roles=["admin"])
    await disable_staff(container, OPERATOR, ada.id)
    with pytest.raises(DomainError, match="last active admin"):
        await disable_staff(container, OPERATOR, "bob@example.org")
    await enable_staff(container, OPERATOR, ada.id)
    assert (await disable_staff(container, OPERATOR, bob.id)).status.value == "disabled"


async def test_an_admin_cannot_disable_themselves_and_sees_themselves_in_me(
    world: World, container: Container
) -> None:
    ada = await _add(container, "ada@example.org", "Ada", "admin")
    await _add(container, "bob@example.org", "Bob", "admin")
    as_ada = _person(ada.id, "Ada", ada.email, ["admin"])
    gid = to_base64("StaffMember", str(ada.id))

    me = (await _as(container, as_ada, ME))["me"]
    assert me["clientId"] == "person:ada@example.org"
    assert me["staffMember"]["email"] == "ada@example.org" and me["staffMember"]["id"] == gid
    refused = (await _as(container, as_ada, DISABLE, i={"staffMemberId": gid}))[
        "disableStaffMember"
    ]
    [error] = refused["userErrors"]
    assert error["code"] == "CONFLICT" and "yourself" in error["message"]
    assert (await _row(container, "ada@example.org")).status == "active"

    # a reviewer in person sees themselves, by `me` or by id, and nobody else
    rita = await _add(container, "rita@example.org", "Rita", "reviewer")
    as_rita = _person(rita.id, "Rita", rita.email, ["reviewer"])
    assert (await _as(container, as_rita, ME))["me"]["staffMember"]["roles"] == ["REVIEWER"]
    own = to_base64("StaffMember", str(rita.id))
    assert (await _as(container, as_rita, NODE, id=own))["node"]["email"] == "rita@example.org"
    assert (await _as(container, as_rita, NODE, id=gid))["node"] is None

    # the audit names the person who acted
    await _as(container, as_ada, DISABLE, i={"staffMemberId": own})
    [event] = [e for e in await _audit(container) if e.action == "staff.disabled"]
    assert (event.actor_kind, event.actor_id, event.actor_name) == ("person", str(ada.id), "Ada")
    assert event.actor_via == "session:s1"

    # a machine client has no person behind it
    client = await world.staff_actor(["review"])
    assert (await client.data(ME))["me"]["staffMember"] is None


# --- sessions ------------------------------------------------------------------------------------


async def _session(container: Container, staff_id: uuid.UUID, at: Any, ended: Any = None) -> str:
    token = uuid.uuid4().hex * 2
    async with container.uow() as uow:
        uow.add(
            StaffSession(
                token_sha256=token,
                public_id=uuid.uuid4().hex,
                staff_id=staff_id,
                stage="signed_in",
                method="password",
                created_at=at,
                last_seen_at=at,
                idle_expires_at=at + timedelta(minutes=30),
                expires_at=at + timedelta(hours=12),
                ended_at=ended,
            )
        )
    return token


async def _ended(container: Container) -> dict[str, Any]:
    async with container.db.reader() as s:
        return {r.token_sha256: r.ended_at for r in await s.scalars(select(StaffSession))}


async def test_disabling_and_resetting_end_every_live_session_at_once(
    container: Container, clock: FixedClock
) -> None:
    sam = await _add(container, "sam@example.org", "Sam", "reviewer")
    rita = await _add(container, "rita@example.org", "Rita", "reviewer")
    earlier = clock.now() - timedelta(hours=1)
    live = [await _session(container, sam.id, earlier), await _session(container, sam.id, earlier)]
    old = await _session(container, sam.id, earlier, ended=earlier)
    others = await _session(container, rita.id, earlier)
    clock.advance(timedelta(minutes=5))

    await disable_staff(container, OPERATOR, sam.id)
    ended = await _ended(container)
    assert [ended[t] for t in live] == [clock.now(), clock.now()]
    assert ended[old] == earlier and ended[others] is None
    [event] = [e for e in await _audit(container) if e.action == "staff.disabled"]
    assert _data(event) == {"sessions_ended": 2}

    # a reset starts the sign-in afresh: second factor, lockout and sessions
    async with container.uow() as uow:
        row = await uow.staff.get(rita.id)
        assert row is not None
        row.totp_secret, row.totp_enrolled_at, row.totp_last_step = "secret", earlier, 7
        row.failed_sign_ins, row.locked_until = 6, clock.now() + timedelta(minutes=30)
    done = await reset_staff_sign_in(
        container, OPERATOR, "Rita@example.org", password="a new passphrase"
    )
    assert done.initial_password is None  # the operator chose it
    assert not done.member.locked and not done.member.totp_enrolled
    row = await _row(container, "rita@example.org")
    assert (row.totp_secret, row.totp_enrolled_at, row.totp_last_step) == (None, None, None)
    assert (row.failed_sign_ins, row.locked_until) == (0, None)
    assert check_password(row.password_hash, "a new passphrase").ok
    assert (await _ended(container))[others] == clock.now()
    [reset] = [e for e in await _audit(container) if e.action == "staff.sign_in_reset"]
    assert _data(reset) == {"sessions_ended": 1, "password_generated": False}
    assert "a new passphrase" not in json.dumps([_data(e) for e in await _audit(container, "")])
