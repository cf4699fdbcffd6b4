"""Every recorded history still replays: a change that would break incidents in flight fails here.

When behaviour must change, guard the new code with `workflow.patched("<change-id>")` so that
recorded (and running) incidents keep taking the old path; see README, "Changing the workflow".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from runtime.payloads import PayloadKeys, data_converter
from tests.histories.keys import RECORDING_PAYLOAD_KEYS
from workflows import ALL_WORKFLOWS
from workflows.process import IncidentProcess

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_recorded_histories() -> None:
    assert len(HISTORIES) >= 3


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_against_the_current_code(path: Path) -> None:
    document = json.loads(path.read_text())
    # Newer recordings keep their workflow id (child workflow ids derive from it).
    workflow_id = document.pop("workflow_id", f"incident-{path.stem}")
    history = WorkflowHistory.from_json(workflow_id, document)
    converter = data_converter(PayloadKeys.parse(RECORDING_PAYLOAD_KEYS))
    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=converter)
    await replayer.replay_workflow(history)


def test_a_change_newer_than_the_gathering_marker_must_be_patched_on_its_own() -> None:
    """Incidents in flight carry `all-changes-to-2026-11`: it cannot stand for a later change."""
    process = object.__new__(IncidentProcess)
    with pytest.raises(ValueError, match="patch it"):
        process._changed("remind-deputies")
