"""The auditor's fold of the timeline agrees with the workflow's own state.

`audit.as_of` rebuilds an incident's state from its timeline alone; the workflow keeps its own
`IncidentFile`. For every recorded history, the fold at the end must say what the workflow's
query says at the end of replay: stage, assessment, each chain, each acknowledgement and each
reporting clock. A change to one without the other fails here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    UnsandboxedWorkflowRunner,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from audit.as_of import IncidentAsOf, state_as_of
from audit.history import IncidentHistory
from audit.replay import timeline_from_history
from domain.obligations import ObligationState
from domain.state import IncidentState
from runtime.payloads import PayloadKeys, data_converter
from tests.histories.keys import RECORDING_PAYLOAD_KEYS
from workflows import IncidentWorkflow

HISTORIES = Path(__file__).parent / "histories"


def _workflow_type(path: Path) -> str:
    started = json.loads(path.read_text())["events"][0]["workflowExecutionStartedEventAttributes"]
    return str(started["workflowType"]["name"])


#: The recorded incidents (an annual review's history has no incident timeline to fold).
INCIDENTS = sorted(
    p.stem
    for p in HISTORIES.glob("*.json")
    if ".run" not in p.stem and _workflow_type(p) == "IncidentWorkflow"
)

_replayed: list[Any] = []


class _KeepInstance(Interceptor):
    """Keeps each replayed workflow object, to ask its state once the history has run out."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _Inbound


class _Inbound(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        _replayed.append(workflow.instance())
        return await super().execute_workflow(input)


def _runs(name: str) -> list[WorkflowHistory]:
    paths = [HISTORIES / f"{name}.json", *sorted(HISTORIES.glob(f"{name}.run*.json"))]
    runs = []
    for path in paths:
        document = json.loads(path.read_text())
        workflow_id = document.pop("workflow_id", f"incident-{name}")
        runs.append(WorkflowHistory.from_json(workflow_id, document))
    return runs


def _workflow_view(state: IncidentState) -> dict[str, Any]:
    return {
        "stage": state.stage,
        "category": int(state.category),
        "significant": state.significant,
        "personal_data": state.personal_data,
        "chains": [
            (c.chain, c.level, c.acknowledged_at, c.unacknowledged, c.stopped_at, c.respond_by)
            for c in state.chains
        ],
        "acknowledgements": [(a.name, a.at, a.via) for a in state.acknowledgements],
        "clocks": {
            o.body: (o.state.value, o.deadline, o.initial_submission.reference)
            if o.initial_submission
            else (o.state.value, o.deadline, None)
            for o in state.obligations
            if o.state is not ObligationState.NOT_REQUIRED or o.deadline is not None
        },
    }


def _fold_view(folded: IncidentAsOf, state: IncidentState) -> dict[str, Any]:
    clocks = {c.body: c for c in folded.clocks}
    deadlines = {o.body: o.deadline for o in state.obligations}
    return {
        "stage": folded.stage,
        "category": folded.category,
        "significant": folded.significant,
        "personal_data": folded.personal_data,
        "chains": [
            (c.chain, c.level, c.acknowledged_at, c.unacknowledged, c.stopped_at, c.respond_by)
            for c in folded.chains
        ],
        "acknowledgements": [(a.who, a.at, a.via) for a in folded.acknowledgements],
        "clocks": {
            body: (clock.state, clock.deadline, clock.reference)
            for body, clock in clocks.items()
            if clock.state != "not_required" or deadlines.get(body) is not None
        },
    }


def test_every_recorded_incident_is_checked() -> None:
    assert len(INCIDENTS) >= 7


@pytest.mark.parametrize("name", INCIDENTS)
async def test_the_timeline_folded_agrees_with_the_workflow(name: str) -> None:
    runs = _runs(name)
    converter = data_converter(PayloadKeys.parse(RECORDING_PAYLOAD_KEYS))
    replayer = Replayer(
        workflows=[IncidentWorkflow],
        data_converter=converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
        interceptors=[_KeepInstance()],
    )
    _replayed.clear()
    for run in runs:
        await replayer.replay_workflow(run)
    state: IncidentState = _replayed[-1].state()

    history = IncidentHistory(workflow_id=runs[0].workflow_id, runs=runs, source="archive")
    timeline = await timeline_from_history(history, converter)
    folded = state_as_of(timeline.entries, datetime.max.replace(tzinfo=UTC))

    assert _fold_view(folded, state) == _workflow_view(state)
