"""The load script, small: a burst across the councils with a worker cache far smaller than the
number of incidents, so workflows are evicted and replayed while their escalations fire."""

from __future__ import annotations

import subprocess
import sys


def test_a_small_burst_loses_nothing_and_sends_nothing_twice() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--incidents",
            "12",
            "--concurrency",
            "6",
            "--cache-size",
            "3",
            "--ack-seconds",
            "4",
            "--timeout",
            "240",
        ],
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "yes  no email arrived twice" in result.stdout
    assert "yes  every escalation happened once" in result.stdout
