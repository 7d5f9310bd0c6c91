"""Staff members: the people who sign in to the console, and their roles."""

from __future__ import annotations

import sys
from typing import Any

import click

from trustcenter.auth.scopes import ADMIN
from trustcenter.bootstrap import Container
from trustcenter.cli import _acting, _emit, _run, main
from trustcenter.domain.staff import Role, StaffStatus

_ROLES = ", ".join(r.value for r in Role)
_SHOWN_ONCE = (
    "This password is shown only once: hand it to the person privately. They set up their "
    "second factor (TOTP) at their first sign-in."
)


def _as_dict(view: Any) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "email": view.email,
        "name": view.name,
        "roles": [r.value for r in view.roles],
        "status": view.status.value,
        "created_at": view.created_at.isoformat(),
        "disabled_at": view.disabled_at.isoformat() if view.disabled_at else None,
        "last_sign_in_at": view.last_sign_in_at.isoformat() if view.last_sign_in_at else None,
        "totp_enrolled": view.totp_enrolled,
        "locked": view.locked,
    }


def _line(view: Any) -> str:
    return f"{view.name} <{view.email}> ({', '.join(r.value for r in view.roles)})"


def _show_password(done: Any, as_json: bool, text: str) -> None:
    """Print a member and, when it was generated, their initial password with the warning that
    it is shown once (on standard error with --json, so the output stays JSON)."""
    password = done.initial_password
    _emit(
        {**_as_dict(done.member), "initial_password": password},
        as_json,
        text + (f"\ninitial password: {password}\n{_SHOWN_ONCE}" if password else ""),
    )
    if as_json and password:
        click.echo(_SHOWN_ONCE, err=True)


def _password_from_stdin() -> str:
    """The password on standard input (one line; the line break is not part of it)."""
    return sys.stdin.readline().rstrip("\r\n")


@main.group()
def staff() -> None:
    """Staff members: people who sign in to the console, their roles and their standing."""


@staff.command("create")
@click.option("--email", required=True, help="The sign-in name (compared case-insensitively).")
@click.option("--name", required=True, help="The person's name, as the audit names them.")
@click.option(
    "--role", "roles", multiple=True, required=True, help=f"One of {_ROLES}; repeat for more."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the initial password from standard input instead of generating one.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def staff_create(
    email: str, name: str, roles: tuple[str, ...], password_stdin: bool, as_json: bool
) -> None:
    """Add a person to the staff; prints the generated initial password once."""
    from trustcenter.services.staff import create_staff

    password = _password_from_stdin() if password_stdin else None

    async def work(c: Container) -> Any:
        return await create_staff(
            c, _acting(ADMIN), email=email, name=name, roles=roles, password=password
        )

    done = _run(work)
    _show_password(done, as_json, f"staff member {done.member.id} created: {_line(done.member)}")


@staff.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in StaffStatus]),
    help="Only the members with this status (default: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def staff_list(status: str | None, as_json: bool) -> None:
    """List the staff members, active and disabled, by name."""
    from trustcenter.services.staff import list_staff

    async def work(c: Container) -> Any:
        return await list_staff(
            c, _acting(ADMIN), status=StaffStatus(status) if status is not None else None
        )

    views = _run(work)
    lines = [
        f"{v.email:<32} {v.name:<28} {','.join(r.value for r in v.roles):<24} {v.status.value:<8}"
        f" {'totp' if v.totp_enrolled else 'no-totp'}{' locked' if v.locked else ''}"
        for v in views
    ]
    _emit([_as_dict(v) for v in views], as_json, "\n".join(lines) or "no staff members")


def _change(use: str, email: str, as_json: bool, done_text: str) -> None:
    from trustcenter.services import staff as services

    async def work(c: Container) -> Any:
        act = {"disable": services.disable_staff, "enable": services.enable_staff}[use]
        return await act(c, _acting(ADMIN), email)

    view = _run(work)
    _emit(_as_dict(view), as_json, f"{_line(view)} {done_text}")


@staff.command("disable")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def staff_disable(email: str, as_json: bool) -> None:
    """Disable a staff member: no more sign-ins, and their sessions end at once."""
    _change("disable", email, as_json, "is disabled; their sessions have ended")


@staff.command("enable")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def staff_enable(email: str, as_json: bool) -> None:
    """Let a disabled staff member sign in again."""
    _change("enable", email, as_json, "is active again")


@staff.command("reset-sign-in")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new initial password from standard input instead of generating one.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def staff_reset_sign_in(email: str, password_stdin: bool, as_json: bool) -> None:
    """Start a member's sign-in afresh: a new initial password (printed once), the second
    factor enrolled again, the lockout lifted, their sessions ended."""
    from trustcenter.services.staff import reset_staff_sign_in

    password = _password_from_stdin() if password_stdin else None

    async def work(c: Container) -> Any:
        return await reset_staff_sign_in(c, _acting(ADMIN), email, password=password)

    done = _run(work)
    _show_password(done, as_json, f"sign-in of {_line(done.member)} reset")
