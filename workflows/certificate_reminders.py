"""CertificateRemindersWorkflow: one per authority, for its Cyber Essentials Plus certificate
(Concordat commitment a). It sleeps until 90, 30 and 7 days before the certificate expires,
reminding the senior management member and the central team each time, then tells them on
the day after expiry that commitment a is no longer met, and ends.

Saving the certificate again starts it afresh with the new dates (the old run is ended), and
reminder points already past when it starts are skipped. Each message is sent at most once
per certificate, expiry and point, however often the workflow is restarted. The status itself
is worked out on reading (`domain.commitments.certificate_status`): this only tells people.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.commitments import (
        CertificateReminders,
        ReminderPoint,
        ReminderSent,
        certificate_reminder_points,
        uk_day,
    )
    from domain.national_messages import (
        SEND_NATIONAL_MESSAGE,
        NationalMessage,
        NationalMessageKind,
        NationalMessageOutcome,
    )
    from domain.vocabulary import MemberRole

#: Long enough for the message to each recipient; a failed attempt is retried until it goes.
SEND_TIMEOUT = timedelta(minutes=2)


@workflow.defn
class CertificateRemindersWorkflow:
    @workflow.run
    async def run(self, certificate: CertificateReminders) -> list[ReminderSent]:
        sent: list[ReminderSent] = []
        for point in certificate_reminder_points(certificate.expires_on):
            if point.day < uk_day(workflow.now()):
                continue  # its day has gone: the next point tells them
            wait = point.at - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait, summary=f"certificate-{point.name}")
            await workflow.execute_activity(
                SEND_NATIONAL_MESSAGE,
                _message(certificate, point),
                start_to_close_timeout=SEND_TIMEOUT,
                result_type=NationalMessageOutcome,
            )
            workflow.logger.info("certificate reminder sent: %s", point.name)
            sent.append(ReminderSent(name=point.name, sent_at=workflow.now()))
        return sent


def _message(certificate: CertificateReminders, point: ReminderPoint) -> NationalMessage:
    """To the senior management member and the central team: expiring in so many days, or
    expired."""
    expiring = point.days_before is not None
    return NationalMessage(
        idempotency_key=":".join(
            (
                "certificate",
                certificate.authority_code,
                certificate.certificate_number,
                certificate.expires_on.isoformat(),
                point.name,
            )
        ),
        kind=(
            NationalMessageKind.CERTIFICATE_EXPIRING
            if expiring
            else NationalMessageKind.CERTIFICATE_EXPIRED
        ),
        authority_code=certificate.authority_code,
        to_roles=[MemberRole.SENIOR_MANAGEMENT_MEMBER],
        to_centre=True,
        facts={
            "days_left": point.days_before,
            "expires_on": certificate.expires_on.isoformat(),
            "certificate_number": certificate.certificate_number,
            "commitments_url": certificate.commitments_url,
        },
    )
