"""The alert rules shipped in ops/prometheus/, checked and tested by Debian's `promtool`
(installed by tests/install_prometheus.sh, which `make test` runs first), and held to the
metric names the web app really exports: a renamed metric would leave a rule that never fires.

The worker's names (`temporal_...`) are held to a real worker's scrape in tests/test_metrics.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.channels import Channel
from models import Routine, RoutineRun
from services.metrics import ChannelFigures, OperationalFigures
from web.metrics import FiguresCollector

OPS = Path(__file__).resolve().parent.parent / "ops" / "prometheus"
RULES = OPS / "concordat-alerts.yml"
RULE_TESTS = sorted((OPS / "tests").glob("*.test.yml"))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: run `sh tests/install_prometheus.sh`"
    return subprocess.run(  # noqa: S603 (Debian's promtool on our own files)
        [promtool, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_rules_are_valid() -> None:
    checked = _promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout


@pytest.mark.parametrize("fixture", RULE_TESTS, ids=lambda path: path.name)
def test_each_alert_fires_when_it_must_and_only_then(fixture: Path) -> None:
    tested = _promtool("test", "rules", str(fixture))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_there_are_rule_tests() -> None:
    assert RULE_TESTS, "no promtool rule tests in ops/prometheus/tests/"


def test_every_concordat_metric_a_rule_reads_is_exported() -> None:
    now = datetime.now(UTC)
    everything = OperationalFigures(
        open_incidents={("CDF", 3, "notifying"): 1},
        unacknowledged={"under_15m": 1},
        clocks={("ncsc", "overdue"): 1},
        overdue_untold={"ncsc": 1},
        notifications={Channel.EMAIL: ChannelFigures(sent=1, oldest_retrying_since=now)},
        routines={
            routine: RoutineRun(
                routine=routine, last_run_at=now, succeeded=True, last_success_at=now
            )
            for routine in Routine
        },
    )
    exported = {
        sample.name
        for family in FiguresCollector(everything, now=now, read_seconds=0.01).collect()
        for sample in family.samples
    }
    read = set(re.findall(r"\bconcordat_[a-z_]+", RULES.read_text(encoding="utf-8")))
    assert read, "the rules read no Concordat metric"
    assert read <= exported, f"rules read metrics nobody exports: {sorted(read - exported)}"
