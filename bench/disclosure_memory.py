"""Benchmark: releasing a disclosure for an account with a million usage rows.

Assembly must stream: the package (hundreds of MB of JSON) is never held in memory. Each phase
runs in its own process so that its peak RSS is its own:

  baseline  start the application and stream-read every usage row of the account (no package)
  release   start the application and release the disclosure (fetch, minimise, write, seal)

Printed: rows, package size, time and peak RSS of both, and the ratios release/baseline.
Usage: python bench/disclosure_memory.py [--rows 1000000] [--database-url URL]
(default: a fresh SQLite file in a temporary folder).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.bootstrap import build
from trustcenter.clock import FixedClock
from trustcenter.config import Settings
from trustcenter.db.models import Account, Disclosure, UsageEvent
from trustcenter.domain.enums import (
    AgencyKind,
    IdentifierType,
    InfoType,
    IssuerRole,
    LegalBasisKind,
)
from trustcenter.domain.submission import LegalBasisDraft, Officer, SubmissionDraft, TargetDraft
from trustcenter.services.access import operator

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
KEYS = "bench:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
EMAIL = "heavy.user@example.com"


def settings(url: str) -> Settings:
    return Settings.from_env({}, database_url=url, issuer="http://localhost", disclosure_keys=KEYS)


async def seed(url: str, rows: int) -> dict[str, str]:
    from trustcenter.domain.decisions import Decision
    from trustcenter.domain.enums import DecisionOutcome, VerificationState
    from trustcenter.services.agencies import create_agency, set_verification
    from trustcenter.services.requests import submit_request
    from trustcenter.services.review import ItemDecision, decide, start_review

    clock = FixedClock(NOW)
    c = build(settings(url), clock)
    await c.start()
    admin = operator("bench", frozenset({"admin"}))
    agency = await create_agency(
        c, admin, name="Bench agency", kind=AgencyKind.JUDICIAL, country="DE"
    )
    await set_verification(c, admin, agency.id, VerificationState.VERIFIED)
    account_id = uuid.uuid4()
    async with c.db.transaction() as s:
        s.add(
            Account(
                id=account_id,
                username="heavy",
                email=EMAIL,
                region="DE",
                registered_at=NOW - timedelta(days=900),
            )
        )
    start = NOW - timedelta(days=365)
    step = timedelta(days=365) / rows
    batch = 50_000
    for offset in range(0, rows, batch):
        values = [
            {
                "account_id": account_id,
                "kind": "login" if n % 3 else "device_online",
                "occurred_at": start + step * n,
                "ip_address": f"198.51.100.{n % 250}",
                "client_device_model": "Pixel 9",
                "app_version": "7.4.1",
            }
            for n in range(offset, min(rows, offset + batch))
        ]
        async with c.db.transaction() as s:
            await s.execute(insert(UsageEvent), values)
    agency_p = Principal(
        PrincipalKind.AGENCY,
        client_id="bench-agency",
        agency_id=agency.id,
        agency_verified=True,
        scopes=frozenset({"requests:submit"}),
    )
    staff = Principal(PrincipalKind.STAFF, client_id="bench-staff", scopes=frozenset({"review"}))
    draft = SubmissionDraft(
        jurisdiction="DE",
        officer=Officer("Bench Officer", "bench@agency.example"),
        legal_basis=LegalBasisDraft(
            LegalBasisKind.COURT_ORDER,
            "B-1",
            "Amtsgericht",
            NOW.date() - timedelta(days=3),
            document=b"%PDF-1.4 bench order\n%%EOF\n",
            issuer_role=IssuerRole.COURT,
        ),
        targets=(TargetDraft(IdentifierType.EMAIL, EMAIL, (InfoType.C,)),),
        reason="bench",
    )
    request = (await submit_request(c, agency_p, draft)).request
    row = await start_review(c, staff, request.id)
    async with c.db.reader() as s:
        from trustcenter.db.models import RequestedItem

        item = (
            await s.scalars(select(RequestedItem).where(RequestedItem.request_id == request.id))
        ).one()
    await decide(
        c,
        staff,
        request.id,
        row.version,
        [ItemDecision(item.id, Decision(DecisionOutcome.APPROVE))],
    )
    await c.close()
    return {"request": str(request.id), "account": str(account_id)}


async def phase(url: str, which: str, request_id: str, account_id: str) -> dict[str, object]:
    clock = FixedClock(NOW)
    c = build(settings(url), clock)
    await c.start(upgrade=False)
    started = time.perf_counter()
    out: dict[str, object] = {}
    if which == "baseline":
        n = 0
        async with c.db.reader() as s:
            result = await s.stream(
                select(
                    UsageEvent.occurred_at,
                    UsageEvent.kind,
                    UsageEvent.ip_address,
                    UsageEvent.client_device_model,
                    UsageEvent.app_version,
                )
                .where(UsageEvent.account_id == uuid.UUID(account_id))
                .execution_options(yield_per=5000)
            )
            async for _ in result:
                n += 1
        out["rows"] = n
    else:
        from trustcenter.services.disclosure import release

        staff = Principal(
            PrincipalKind.STAFF, client_id="bench-staff", scopes=frozenset({"review"})
        )
        await release(c, staff, uuid.UUID(request_id))
        async with c.db.reader() as s:
            d = (await s.scalars(select(Disclosure))).one()
        out.update(records=d.record_count, size=d.size, chunks=d.chunk_count)
    out["seconds"] = time.perf_counter() - started
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await c.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--phase", choices=["baseline", "release"], help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        ids = json.loads(args.ids)
        print(
            json.dumps(
                asyncio.run(phase(args.database_url, args.phase, ids["request"], ids["account"]))
            )
        )
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        t0 = time.perf_counter()
        ids = asyncio.run(seed(url, args.rows))
        print(f"seeded {args.rows:,} usage rows in {time.perf_counter() - t0:.1f} s")
        results = {}
        for which in ("baseline", "release"):
            done = subprocess.run(  # noqa: S603  (this script, with arguments it made)
                [
                    sys.executable,
                    __file__,
                    "--phase",
                    which,
                    "--database-url",
                    url,
                    "--ids",
                    json.dumps(ids),
                ],
                check=False,
                capture_output=True,
                text=True,
                env={**os.environ},
            )
            if done.returncode:
                sys.exit(f"the {which} phase failed:\n{done.stderr}")
            results[which] = json.loads(done.stdout.strip().splitlines()[-1])
    base, rel = results["baseline"], results["release"]
    print(
        f"baseline: streamed {base['rows']:,} rows in {base['seconds']:.1f} s, "
        f"peak RSS {base['peak_rss_mib']:.0f} MiB"
    )
    print(
        f"release:  {rel['records']:,} records, package {rel['size'] / 2**20:.0f} MiB in "
        f"{rel['chunks']:,} sealed chunks, {rel['seconds']:.1f} s, "
        f"peak RSS {rel['peak_rss_mib']:.0f} MiB"
    )
    print(
        f"ratio release/baseline: time {rel['seconds'] / base['seconds']:.2f}x, "
        f"peak RSS {rel['peak_rss_mib'] / base['peak_rss_mib']:.2f}x; "
        f"package size / peak RSS {rel['size'] / 2**20 / rel['peak_rss_mib']:.2f}x"
    )


if __name__ == "__main__":
    main()
