"""``compose.yaml`` and the ``Dockerfile`` name only commands, options and settings the product
has (no container runtime runs here: they are parsed and checked against the CLI itself), and
keep the promises ``docs/operations.md`` makes of them (two API workers, the notice worker,
Redis for the shared rate limits, wheels built in a first stage, a slim non-root image)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from trustcenter.cli import main

ROOT = Path(__file__).resolve().parents[2]
#: a setting as the code reads it
_SETTING = re.compile(r"TRUSTCENTER_[A-Z0-9_]+")


def settings_the_product_reads() -> set[str]:
    """Every ``TRUSTCENTER_*`` name in the product's and the first-party plugins' code."""
    names: set[str] = set()
    for folder in (ROOT / "src" / "trustcenter", ROOT / "plugins"):
        for source in folder.rglob("*.py"):
            names.update(_SETTING.findall(source.read_text(encoding="utf-8")))
    return names


def command_problems(argv: list[str]) -> list[str]:
    """What in ``argv`` (``trustcenter …``) the command line does not have."""
    if not argv or argv[0] != "trustcenter":
        return [f"not a trustcenter command: {argv}"]
    command: click.Command = main
    words = argv[1:]
    while words and isinstance(command, click.Group) and not words[0].startswith("-"):
        sub = command.commands.get(words[0])
        if sub is None:
            return [f"no command {words[0]!r} in {' '.join(argv)}"]
        command, words = sub, words[1:]
    if isinstance(command, click.Group) and not command.invoke_without_command:
        return [f"{' '.join(argv)} names a group, not a command"]
    options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
    flags = {o for p in command.params if isinstance(p, click.Option) and p.is_flag for o in p.opts}
    problems, i = [], 0
    while i < len(words):
        word = words[i]
        name = word.split("=", 1)[0]
        if word.startswith("-"):
            if name not in options:
                problems.append(f"no option {name} on {' '.join(argv[:2])}")
            elif name not in flags and "=" not in word:
                i += 1  # its value
        i += 1
    return problems


def environment_problems(environment: dict[str, Any], known: set[str]) -> list[str]:
    return [
        f"unknown setting {k}"
        for k in environment
        if k.startswith("TRUSTCENTER_") and k not in known
    ]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) per instruction, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            out.append((instruction.upper(), rest.strip()))
    return out


def test_compose_names_only_commands_options_and_settings_the_product_has() -> None:
    known = settings_the_product_reads()
    problems = []
    for name, service in compose()["services"].items():
        command = service.get("command")
        if command is not None:
            problems += [f"{name}: {p}" for p in command_problems(command)]
        if str(service.get("image", "")).startswith("trustcenter"):
            problems += [
                f"{name}: {p}" for p in environment_problems(service["environment"], known)
            ]
    assert problems == []


def test_compose_runs_two_api_workers_the_notice_worker_postgresql_and_redis() -> None:
    services = compose()["services"]
    assert {"app", "worker", "migrate", "postgres", "redis"} <= set(services)
    app = services["app"]["command"]
    assert app[:2] == ["trustcenter", "serve"] and app[app.index("--workers") + 1] == "2"
    assert services["worker"]["command"] == ["trustcenter", "worker"]
    assert services["migrate"]["command"] == ["trustcenter", "db", "upgrade"]
    env = services["app"]["environment"]
    assert env["TRUSTCENTER_RATE_LIMIT_STORAGE"].startswith("redis://redis:")
    assert env["TRUSTCENTER_ENV"] == "production"
    assert env["TRUSTCENTER_DATABASE_URL"].startswith("postgresql://")
    # the secrets come from outside the file, never written in it
    for secret in ("TRUSTCENTER_SECRET_KEY", "TRUSTCENTER_DISCLOSURE_KEYS"):
        assert re.fullmatch(r"\$\{[A-Z_]+\}", env[secret]), secret
    # the API is published on the loopback only: the TLS proxy is what the world reaches
    assert all(p.startswith("127.0.0.1:") for p in services["app"]["ports"])


def test_the_dockerfile_builds_wheels_first_and_runs_slim_and_not_as_root() -> None:
    steps = dockerfile()
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) == 2 and all("-slim" in s for s in stages)
    first_end = [i for i, (op, _) in enumerate(steps) if op == "FROM"][1]
    assert any(op == "RUN" and "pip wheel" in args for op, args in steps[:first_end])
    final = steps[first_end:]
    assert any(op == "COPY" and "--from=wheels" in args for op, args in final)
    users = [args for op, args in final if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    [cmd] = [json.loads(args) for op, args in final if op == "CMD"]
    assert command_problems(cmd) == []
    [health] = [args for op, args in final if op == "HEALTHCHECK"]
    assert "/healthz" in health
    env = dict(
        re.findall(r"(TRUSTCENTER_[A-Z_]+)=(\S+)", " ".join(a for o, a in final if o == "ENV"))
    )
    assert environment_problems(env, settings_the_product_reads()) == []


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["trustcenter", "serve", "--wrokers", "2"], "no option --wrokers"),
        (["trustcenter", "sevre"], "no command 'sevre'"),
        (["trustcenter", "db"], "names a group"),
        (["python", "-m", "http.server"], "not a trustcenter command"),
    ],
)
def test_the_checker_catches_a_typo(argv: list[str], problem: str) -> None:
    assert any(problem in p for p in command_problems(argv))


def test_the_checker_catches_an_unknown_setting() -> None:
    found = environment_problems({"TRUSTCENTER_DATABSE_URL": "x"}, settings_the_product_reads())
    assert found == ["unknown setting TRUSTCENTER_DATABSE_URL"]
