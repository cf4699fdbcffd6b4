"""Address a rendered notification, and turn it into an email with a stable Message-ID."""

from __future__ import annotations

import email.policy
import hashlib
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, NamedTuple

from domain.vocabulary import Language
from notifications.render import RenderedMessage

#: Long subjects stay on one line (RFC 5322 allows 998 characters), so readers and filters
#: never see a subject folded before its first word.
_POLICY = email.policy.default.clone(max_line_length=998)
#: How a message goes over SMTP: the same, with CRLF line endings.
WIRE_POLICY = _POLICY.clone(linesep="\r\n")


class HeaderInjection(ValueError):
    pass


class Outgoing(NamedTuple):
    """One rendered message with its addressing: what a transport delivers, in its own form."""

    rendered: RenderedMessage
    sender: str
    """Who it is from (in email, the From header)."""
    to_name: str
    to_address: str
    message_id: str
    """The same for every attempt at this one notification (see `message_id_for`)."""
    language: Language
    """The recipient's preference; `unknown` means the message is in Welsh and English."""
    reference: str = ""
    """Our reference for the message at a channel that keeps one (Notify): the same for every
    attempt, so a retry can ask whether an earlier attempt got through."""
    card: dict[str, Any] | None = None
    """A Teams message's Adaptive Card, instead of the rendered text."""


def _header_safe(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjection("line breaks are not allowed in an email header")
    return value


def message_id_for(idempotency_key: str, mail_from: str) -> str:
    """The same notification always has the same Message-ID, whichever attempt sends it,
    so a receiving system can drop the copy if a retry ever delivers it twice."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "concordat.invalid"
    return f"<{digest}@{domain}>"


def reference_for(idempotency_key: str) -> str:
    """The reference a channel keeps for one notification: a digest of its business key, so
    it names no one and is the same for every attempt."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


def compose_email(
    rendered: RenderedMessage,
    *,
    mail_from: str,
    to_name: str,
    to_address: str,
    message_id: str,
    language: str,
    sent_at: datetime | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = _header_safe(rendered.subject)
    message["From"] = _header_safe(mail_from)
    message["To"] = Address(display_name=_header_safe(to_name), addr_spec=_header_safe(to_address))
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at or datetime.now(UTC))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After the parts exist: making the message multipart moves Content-* headers into them.
    message["Content-Language"] = "cy, en" if language == "unknown" else language
    return message


def email_for(outgoing: Outgoing) -> EmailMessage:
    return compose_email(
        outgoing.rendered,
        mail_from=outgoing.sender,
        to_name=outgoing.to_name,
        to_address=outgoing.to_address,
        message_id=outgoing.message_id,
        language=outgoing.language.value,
    )
