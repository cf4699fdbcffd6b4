"""The benchmarks, run for a few seconds so they keep working; they assert no timings. The
speed benchmark: every phase ran, the time to first text was printed beside the time to first
email, and no email or text was lost or sent twice. The national picture's: every page answered
and counted what was seeded."""

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
    # Time to first text, beside the first email of the same category 3 incidents.
    for figure in (
        "Time to first text: category 3 incidents",
        "first email      median",
        "first text       median",
        "first text / first email    median",
        "first text / bare workflow  median",
        "category 4, paged first by email alone:",
        "yes  category 3: every email and text arrived",
        "yes  category 3: no text arrived twice",
        "yes  in the whole run, no text arrived twice",
    ):
        assert figure in report
    assert "NO " not in report
    assert "yes  the replay checks out" in report


def test_the_national_picture_benchmark_runs_and_every_check_holds() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.national", "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout
    assert result.returncode == 0, report + result.stderr[-3000:]
    for page in ("/incidents ", "/wales ", "/api/national/picture ", "/wales/performance "):
        assert page in report
    for check in (
        "yes  every answer was a 200",
        "yes  every council has a row",
        "yes  each council's open incidents are those seeded",
        "yes  exercises are counted apart",
    ):
        assert check in report
    assert "NO " not in report
