"""RoleEmptiedWorkflow: an administrator left one of the two roles of Concordat commitment c
empty (the executive member or the senior management member), so the commitment is no longer
met. The central team is told, and so is the other named member, once, however often the
message has to be retried.

Started with the administration change that emptied the role, in the same transaction
(`services.commitments.empty_role`): the workflow id comes from the change, so a retried start
joins the run already telling of it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.commitments import NAMED_ROLES, RoleEmptied
    from domain.national_messages import (
        SEND_NATIONAL_MESSAGE,
        NationalMessage,
        NationalMessageKind,
        NationalMessageOutcome,
    )

#: Long enough for the message to each recipient; a failed attempt is retried until it goes.
SEND_TIMEOUT = timedelta(minutes=2)


@workflow.defn
class RoleEmptiedWorkflow:
    @workflow.run
    async def run(self, emptied: RoleEmptied) -> NationalMessageOutcome:
        still_named = [role for role in NAMED_ROLES if role is not emptied.role]
        outcome: NationalMessageOutcome = await workflow.execute_activity(
            SEND_NATIONAL_MESSAGE,
            NationalMessage(
                idempotency_key=(
                    f"role-emptied:{emptied.authority_code}:{emptied.role.value}:"
                    f"{emptied.change_id}"
                ),
                kind=NationalMessageKind.ROLE_EMPTIED,
                authority_code=emptied.authority_code,
                to_roles=still_named,
                to_centre=True,
                facts={"role": emptied.role.value, "commitments_url": emptied.commitments_url},
            ),
            start_to_close_timeout=SEND_TIMEOUT,
            result_type=NationalMessageOutcome,
        )
        return outcome
