"""The speed benchmark, run for a few seconds so it keeps working; it asserts no timings, only
that every phase ran and nothing was lost or sent twice."""

from __future__ import annotations

import subprocess
import sys


def test_the_speed_benchmark_runs_every_phase_and_loses_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.speed", "--smoke"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = result.stdout
    assert result.returncode == 0, report + result.stderr[-3000:]
    for phase in ("1. Time to first alert", "2. Sustained throughput", "3. Replay"):
        assert phase in report
    for figure in ("Concordat          median", "x the bare workflow", "incidents a second"):
        assert figure in report
    assert "NO " not in report
    assert "yes  the replay checks out" in report
