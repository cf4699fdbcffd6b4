"""Email through the council's own SMTP relay."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib

from activities.transports import Deferred, Refused, Unaddressable
from activities.transports.smtp_sessions import SmtpSessions, session_factory
from notifications.compose import WIRE_POLICY, Outgoing, email_for
from runtime.settings import Settings, SmtpTls


def permanent_refusal(error: Exception) -> str | None:
    """The server's reason when no retry can help: a 5xx for the address or for the message.

    Everything else is retried: 4xx answers (greylisting, a full mailbox), and refusals of our
    own session (authentication, TLS, sender), which an administrator can put right while the
    message waits.
    """
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refused = error.recipients
        if refused and all(500 <= r.code < 600 for r in refused):
            return "; ".join(f"{r.code} {r.message}" for r in refused)
        return None
    if isinstance(error, aiosmtplib.SMTPDataError) and 500 <= error.code < 600:
        return f"{error.code} {error.message}"
    return None


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: SmtpTls
    timeout: float
    sessions: SmtpSessions = field(compare=False, repr=False)
    """Sessions kept open between sends (see `smtp_sessions`)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        host = settings.smtp_host or "127.0.0.1"
        username = settings.smtp_username
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        timeout = settings.smtp_timeout_seconds
        opener = session_factory(
            host=host,
            port=settings.smtp_port,
            username=username,
            password=password,
            use_tls=settings.smtp_tls is SmtpTls.TLS,
            start_tls=settings.smtp_tls is SmtpTls.STARTTLS,
            timeout=timeout,
        )
        return cls(
            host=host,
            port=settings.smtp_port,
            username=username,
            password=password,
            tls=settings.smtp_tls,
            timeout=timeout,
            sessions=SmtpSessions(opener),
        )

    async def send(self, message: Outgoing, *, retrying: bool) -> None:
        """SMTP cannot be asked what it took: a retry sends again with the same Message-ID
        (see `services.deliveries`)."""
        try:
            email = email_for(message)
        except (ValueError, IndexError, MessageError) as unusable:
            # Line breaks in a header (`HeaderInjection`), an address the email package
            # cannot parse.
            raise Unaddressable(str(unusable)) from unusable
        try:
            await self._submit(email)
        except (aiosmtplib.SMTPException, OSError) as error:
            refusal = permanent_refusal(error)
            if refusal is not None:
                raise Refused(refusal, refused_by="the mail server") from error
            raise Deferred(str(error)) from error

    async def _submit(self, email: EmailMessage) -> None:
        await self.sessions.sendmail(
            parseaddr(str(email["From"]))[1],
            [address.addr_spec for address in email["To"].addresses],
            email.as_bytes(policy=WIRE_POLICY),
        )
