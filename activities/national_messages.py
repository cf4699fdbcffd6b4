"""Send a message about an authority (not an incident) to its named members and the centre.

The workflows that need one (certificate reminders, a named role emptied, the annual review)
call `SEND_NATIONAL_MESSAGE` by name. Each recipient's message is in the ledger before it is
sent and marked once the relay took it, so a retry sends only what has not gone; a retry after
the relay took it but before the mark sends again with the same Message-ID.
"""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.transports import Deferred, Refused, Transport, Unaddressable
from domain.national_messages import (
    SEND_NATIONAL_MESSAGE,
    NationalMessage,
    NationalMessageOutcome,
)
from notifications.compose import Outgoing, message_id_for
from notifications.national import NationalMessageRenderer
from runtime.database import Database
from services import national_messages as ledger
from services.directory import authority_by_code

log = structlog.get_logger(__name__)


class NationalMessageActivities:
    def __init__(
        self,
        database: Database,
        transport: Transport,
        *,
        mail_from: str,
        renderer: NationalMessageRenderer | None = None,
    ) -> None:
        self._database = database
        self._transport = transport
        self._mail_from = mail_from
        self._renderer = renderer or NationalMessageRenderer()

    @activity.defn(name=SEND_NATIONAL_MESSAGE)
    async def send_national_message(self, message: NationalMessage) -> NationalMessageOutcome:
        bound = log.bind(
            authority=message.authority_code,
            workflow_id=activity.info().workflow_id,
            kind=message.kind.value,
            attempt=activity.info().attempt,
        )
        async with self._database.session() as session:
            authority = await authority_by_code(message.authority_code, session=session)
            if authority is None or authority.id is None:
                raise ApplicationError(f"no authority {message.authority_code}", non_retryable=True)
            addressees, missing = await ledger.addressees(
                authority.id,
                message.to_roles,
                centre=message.to_centre,
                users=message.to_users,
                session=session,
            )
        sent = already = 0
        for addressee in addressees:
            key = f"{message.idempotency_key}:{addressee.email.lower()}"
            async with self._database.session() as session:
                record = await ledger.claim(
                    key,
                    authority_id=authority.id,
                    kind=message.kind.value,
                    recipient=addressee.email,
                    language=addressee.language.value,
                    message_id=message_id_for(key, self._mail_from),
                    session=session,
                )
            if record.sent_at is not None:
                already += 1
                continue
            rendered = self._renderer.render(
                message.kind,
                language=addressee.language,
                recipient_name=addressee.name,
                authority_name_en=authority.name_en,
                authority_name_cy=authority.name_cy,
                facts=message.facts,
            )
            outgoing = Outgoing(
                rendered=rendered,
                sender=self._mail_from,
                to_name=addressee.name,
                to_address=addressee.email,
                message_id=record.message_id,
                language=addressee.language,
            )
            try:
                await self._transport.send(outgoing, retrying=activity.info().attempt > 1)
            except (Unaddressable, Refused) as refusal:
                # One recipient's address must not hold up everyone else's message.
                bound.warning("national_message_refused", reason=str(refusal))
                continue
            except Deferred:
                bound.warning("national_message_deferred")
                raise
            async with self._database.session() as session:
                await ledger.mark_sent(key, session=session)
            sent += 1
        bound.info(
            "national_message_sent",
            sent=sent,
            already_sent=already,
            missing_roles=[r.value for r in missing],
        )
        return NationalMessageOutcome(sent=sent, already_sent=already, missing_roles=missing)
