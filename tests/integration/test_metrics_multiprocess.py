"""Several processes serving: each writes its measurements to ``PROMETHEUS_MULTIPROC_DIR`` and
a scrape sums them (the pool gauge over the live processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from trustcenter.observability.exposition import instruments_text, process_gone

WORKER = """
from trustcenter.observability.metrics import POOL_IN_USE, install
recorder = install()
recorder.token_outcome("issued")
recorder.token_outcome("invalid_client")
recorder.disclosure_released(1000)
recorder.graphql_operation("Submit", "mutation", 0.01, ["FORBIDDEN"])
POOL_IN_USE.inc(2)
"""


def test_two_processes_files_are_summed(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    pids = []
    for _ in range(2):
        run = [sys.executable, "-c", WORKER + "import os; print(os.getpid())"]
        done = subprocess.run(  # noqa: S603 - this interpreter
            run, env=env, check=True, timeout=60, capture_output=True, text=True
        )
        pids.append(int(done.stdout.strip()))
    assert len(list(tmp_path.glob("*.db"))) >= 4  # each process its own files

    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(instruments_text(str(tmp_path)).decode())
        for s in family.samples
    }
    token = "trustcenter_oauth_token_requests_total"
    assert values[(token, (("outcome", "issued"),))] == 2
    assert values[(token, (("outcome", "invalid_client"),))] == 2
    assert values[("trustcenter_disclosure_released_bytes_total", ())] == 2000
    assert values[("trustcenter_graphql_errors_total", (("code", "FORBIDDEN"),))] == 2
    ops = "trustcenter_graphql_operation_duration_seconds_count"
    assert values[(ops, (("operation", "Submit"), ("type", "mutation")))] == 2
    assert values[("trustcenter_db_pool_connections_in_use", ())] == 4

    # one worker is gone: its connections leave the gauge, its counts stay
    process_gone(pids[0], str(tmp_path))
    text = instruments_text(str(tmp_path)).decode()
    assert "trustcenter_db_pool_connections_in_use 2.0" in text
    assert 'trustcenter_oauth_token_requests_total{outcome="issued"} 2.0' in text
