"""The regime file: the shipped one holds every body, a bad one is refused with its line and
reason and changes nothing, the ICO's new name is one line, and `concordat reporting import`
says what it changes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from domain.obligations import BUILT_IN_BODIES, Body, ClockStart, Trigger
from models import ReportingRegimeRecord
from regimes.format import RegimeError, read_regime
from regimes.shipped import SHIPPED_FILE, SHIPPED_REGIME
from regimes.store import import_regime, regime_in_force
from runtime.database import Database
from runtime.settings import Settings
from tests.regime_files import DIGITAL_REGULATOR, shipped_with

SHIPPED = SHIPPED_FILE.read_text(encoding="utf-8")
CONCORDAT = str(Path(sys.executable).parent / "concordat")


def test_the_shipped_regime_holds_every_body_the_product_knows() -> None:
    assert list(SHIPPED_REGIME.rules) == list(BUILT_IN_BODIES)
    ico = SHIPPED_REGIME.rules[Body.ICO]
    assert (ico.window, ico.clock_starts, ico.trigger) == (
        timedelta(hours=72),
        ClockStart.AWARE_AT,
        Trigger.PERSONAL_DATA_RISK,
    )
    assert ico.late_reason_required and ico.reference_required
    assert not SHIPPED_REGIME.rules[Body.INSURER].enabled
    for rule in SHIPPED_REGIME.rules.values():
        assert rule.names is not None and rule.names.en and rule.names.cy


def test_the_ico_rename_is_one_line_with_its_date() -> None:
    commented = next(
        line for line in SHIPPED.splitlines() if line.startswith("# renamed = [{ since =")
    )
    renamed = read_regime(
        SHIPPED.replace(commented, commented.removeprefix("# ").replace("2027-01-01", "2027-04-01"))
    ).rules[Body.ICO]
    before = datetime(2027, 3, 31, 12, tzinfo=UTC)
    after = datetime(2027, 4, 1, 12, tzinfo=UTC)
    assert renamed.name_at(before) == "the ICO"
    assert renamed.name_at(after) == "the Information Commission"
    assert renamed.name_at(after, welsh=True) == "y Comisiwn Gwybodaeth"


def _line(text: str, needle: str) -> int:
    """The line of the last mention of `needle` (the changed line comes after the comments)."""
    return [n for n, line in enumerate(text.splitlines(), 1) if needle in line][-1]


@pytest.mark.parametrize(
    ("change", "needle", "reason"),
    [
        (
            ('window = "72h"\nclock_starts', 'window = "72 hours"\nclock_starts'),
            'window = "72 hours"',
            "not a duration",
        ),
        (('trigger = "any_incident"', 'trigger = "sometimes"'), "sometimes", "trigger"),
        (('key = "police"', 'key = "ncsc"'), None, "listed more than once"),
        (
            (
                'owner = "data_protection_officer"\nescalate_to = ["senior',
                'owner = "nobody"\nescalate_to = ["senior',
            ),
            '"nobody"',
            "owner",
        ),
        (
            ('reminders = ["1h", "4h", "12h"]', 'reminders = ["1h", "4h", "30h"]'),
            "30h",
            "before the deadline",
        ),
        (
            ('key = "cymrusoc"', 'key = "cymrusoc"\nwindow_hours = 3'),
            "window_hours",
            "Extra inputs",
        ),
        (
            ('[[body]]\nkey = "insurer"', '[[body]\nkey = "insurer"'),
            "[[body]",
            "not valid TOML",
        ),
    ],
)
def test_a_malformed_regime_is_refused_with_the_line_and_the_reason(
    change: tuple[str, str], needle: str | None, reason: str
) -> None:
    text = SHIPPED.replace(*change)
    assert text != SHIPPED
    with pytest.raises(RegimeError) as refused:
        read_regime(text)
    assert reason in refused.value.reason
    if needle is not None:
        assert refused.value.line == _line(text, needle)
    else:
        assert refused.value.line is None or refused.value.line > 0


def test_a_stage_copied_to_a_body_the_file_does_not_list_is_refused() -> None:
    text = shipped_with(DIGITAL_REGULATOR.replace('copy_to = ["ncsc"]', 'copy_to = ["nsca"]', 1))
    with pytest.raises(RegimeError) as refused:
        read_regime(text)
    assert "'nsca'" in refused.value.reason


def test_a_staged_body_gives_its_deadlines_in_its_stages_only() -> None:
    both = DIGITAL_REGULATOR.replace(
        'escalate_to = ["senior_management_member", "executive_member"]',
        'escalate_to = ["senior_management_member", "executive_member"]\nwindow = "24h"',
    )
    with pytest.raises(RegimeError) as refused:
        read_regime(shipped_with(both))
    assert "not both" in refused.value.reason
    assert refused.value.line == _line(shipped_with(both), 'key = "digital_regulator"') - 1


async def test_importing_shows_the_changes_and_a_bad_file_changes_nothing(
    database: Database,
) -> None:
    text = shipped_with(DIGITAL_REGULATOR, version="2027.1")
    async with database.session() as session:
        before = (await session.exec(select(func.count()).select_from(ReportingRegimeRecord))).one()
        dry = await import_regime(
            text, file_name="new.toml", imported_by="test", session=session, dry_run=True
        )
        assert (
            "+ digital_regulator: the digital regulator added (initial notice within 24h, "
            "full report within 72h)" in dry.changes
        )
        assert "version 2026.12 -> 2027.1" in dry.changes
        assert dry.record_id is None
        with pytest.raises(RegimeError):
            await import_regime(
                text.replace('window = "72h"', 'window = "soon"', 1),
                file_name="bad.toml",
                imported_by="test",
                session=session,
            )
        after = (await session.exec(select(func.count()).select_from(ReportingRegimeRecord))).one()
        assert after == before
        assert Body("digital_regulator") not in (await regime_in_force(session)).rules
        same = await import_regime(
            SHIPPED, file_name="same.toml", imported_by="test", session=session
        )
        assert same.changes == [] and same.record_id is None


def test_the_import_command_names_the_line_and_changes_nothing(
    tmp_path: Path, settings: Settings
) -> None:
    bad = tmp_path / "regime.toml"
    text = shipped_with(DIGITAL_REGULATOR).replace('window = "72h"', 'window = "3 days"', 1)
    bad.write_text(text, encoding="utf-8")
    environment = os.environ | {"CONCORDAT_DATABASE_URL": settings.database_url}

    def concordat(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own command)
            [CONCORDAT, "reporting", *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    answer = concordat("import", str(bad))
    assert answer.returncode == 2, answer.stderr
    assert f"{bad}:{_line(text, '3 days')}: body.window: '3 days' is not a duration" in (
        answer.stderr
    )
    assert "Nothing changed. / Ni newidiwyd dim." in answer.stderr
    good = tmp_path / "good.toml"
    good.write_text(shipped_with(DIGITAL_REGULATOR), encoding="utf-8")
    checked = concordat("import", "--dry-run", str(good))
    assert checked.returncode == 0, checked.stderr
    assert "+ digital_regulator: the digital regulator added" in checked.stdout
    assert "nothing changed (--dry-run)" in checked.stdout
    shown = concordat("show")
    assert "digital_regulator" not in shown.stdout
    assert "ico: the ICO, personal_data_risk: one report within 3 days" in shown.stdout


def test_the_readmes_staged_example_is_a_regime_file_concordat_reads() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    rule = read_regime(shipped_with(example)).rules[Body("digital_regulator")]
    assert [(s.key, s.window) for s in rule.stages] == [
        ("initial_notice", timedelta(hours=24)),
        ("full_report", timedelta(hours=72)),
    ]
    assert rule.stages[1].copy_to == [Body.NCSC]
