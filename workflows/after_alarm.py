"""What the incident's record takes in after the alarm: evidence, hand-overs of it, and public
statements. The same words whichever process holds the timeline: the incident's workflow while
it is open, its post-incident process after closure (`workflows.post_incident`).

Each is a pure step over the holder's state and its `record` method; the holder checks, then
records. A refusal is raised before anything is recorded, so a refused request leaves nothing.
"""

from __future__ import annotations

from typing import Any, NoReturn, Protocol

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.commands import Rejection
    from domain.evidence import AttachEvidence, RecordCustody
    from domain.statements import PublishStatement, WithdrawStatement
    from domain.vocabulary import EventKind


class Recorder(Protocol):
    def __call__(
        self, kind: EventKind, summary: str, /, actor: str = ..., **detail: Any
    ) -> None: ...


class RecordHolder(Protocol):
    """What a process holding the timeline keeps about the after-alarm record."""

    evidence_ids: list[str]
    statement_versions: dict[int, int]


def _refuse(message: str) -> NoReturn:
    raise ApplicationError(message, type=Rejection.CONFLICT.value, non_retryable=True)


def check_custody(holder: RecordHolder, file_ids: list[str]) -> None:
    unknown = [file_id for file_id in file_ids if file_id not in holder.evidence_ids]
    if unknown:
        _refuse(
            f"No evidence {', '.join(unknown)} is kept for this incident. / "
            f"Nid oes tystiolaeth {', '.join(unknown)} wedi'i chadw ar gyfer y digwyddiad hwn."
        )


def check_statement(
    holder: RecordHolder, statement_id: int, *, withdrawing: bool, withdrawn: list[int]
) -> None:
    if withdrawing and statement_id not in holder.statement_versions:
        _refuse(
            "That statement has not been published, so it cannot be withdrawn. / "
            "Nid yw'r datganiad hwnnw wedi'i gyhoeddi, felly ni ellir ei dynnu'n ôl."
        )
    if withdrawing and statement_id in withdrawn:
        _refuse(
            "That statement is already withdrawn. / Mae'r datganiad hwnnw eisoes wedi'i dynnu'n ôl."
        )


def refuse_unpublishable(reason: str) -> NoReturn:
    _refuse(reason)


def record_evidence(holder: RecordHolder, record: Recorder, command: AttachEvidence) -> None:
    """One event per file uploaded together, in the order they were sent."""
    for evidence in command.files:
        if evidence.file_id in holder.evidence_ids:
            continue  # sent again after a lost answer: recorded once
        holder.evidence_ids.append(evidence.file_id)
        record(
            EventKind.EVIDENCE_ADDED,
            f"Evidence added: {evidence.name} ({evidence.size} bytes, SHA-256 {evidence.sha256})",
            actor=command.actor,
            file_id=evidence.file_id,
            name=evidence.name,
            content_type=evidence.content_type,
            size=evidence.size,
            sha256=evidence.sha256,
            storage_key=evidence.storage_key,
            key_id=evidence.key_id,
            description=command.description,
        )


def record_custody(record: Recorder, command: RecordCustody) -> None:
    record(
        EventKind.CUSTODY_TRANSFERRED,
        f"Evidence handed over to {command.recipient_name} ({command.recipient.value}) by "
        f"{command.method.value.replace('_', ' ')}: {len(command.file_ids)} file(s)",
        actor=command.actor,
        file_ids=list(command.file_ids),
        recipient=command.recipient.value,
        recipient_name=command.recipient_name,
        method=command.method.value,
        handed_over_at=command.handed_over_at.isoformat(),
        reference=command.reference,
        note=command.note,
    )


def record_statement(holder: RecordHolder, record: Recorder, command: PublishStatement) -> int:
    """Publish the statement's next version; its number."""
    version = holder.statement_versions.get(command.statement_id, 0) + 1
    holder.statement_versions[command.statement_id] = version
    content = command.content
    record(
        EventKind.STATEMENT_PUBLISHED,
        f"Public statement {command.statement_id} version {version} published "
        f"(SHA-256 {content.content_hash()})",
        actor=command.actor,
        statement_id=command.statement_id,
        version=version,
        approver=command.approver,
        tlp=command.tlp.value,
        content=content.model_dump(mode="json"),
        content_sha256=content.content_hash(),
    )
    return version


def record_withdrawal(record: Recorder, command: WithdrawStatement) -> None:
    record(
        EventKind.STATEMENT_WITHDRAWN,
        f"Public statement {command.statement_id} withdrawn",
        actor=command.actor,
        statement_id=command.statement_id,
        reason=command.reason,
    )
