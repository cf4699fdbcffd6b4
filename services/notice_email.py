"""A supplier's notice that came by email: reading the message file, and finding the supplier
it came from.

The message is read with the standard library's `email` package (the modern policy): its
sender, subject and text (the plain part, or the HTML part's text when there is no plain one).
The supplier is the one whose security or escalation contact, on any council's register, has
the sender's address; an address no register knows, or one two suppliers share, is refused
unless the supplier is named. Every refusal says what to do, in English and Welsh.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.rules import in_both
from domain.supplier_notices import (
    SUBJECT_LENGTH,
    TEXT_LENGTH,
    NoticeChannel,
    NoticeContent,
)
from domain.suppliers import normalised_name
from models import Supplier, SupplierContact, SupplierNotice
from services.notice_intake import (
    NotOnRegister,
    Receiving,
    chosen_councils,
    record_notice,
    registering_councils,
)

_TAGS = re.compile(r"<[^>]+>")
_PARAGRAPHS = re.compile(r"(?i)<\s*/(p|div|h[1-6])\s*>")
_LINES = re.compile(r"(?i)<\s*(br|/li|/tr)\s*/?>")
_SPACES = re.compile(r"[ \t]+")


class UnusableEmail(Exception):
    """The file cannot be read as a supplier's email, or matched to a supplier; nothing was
    recorded. The message says why, in English and Welsh."""


@dataclass(frozen=True)
class NoticeEmail:
    sender: str
    subject: str
    text: str
    key: str
    """What makes a second import of the same message find the notice the first made: its
    Message-ID, or the file's digest when it has none."""


def _plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    if not isinstance(content, str):
        return ""
    if body.get_content_type() == "text/html":
        content = _LINES.sub("\n", _PARAGRAPHS.sub("\n\n", content))
        content = html.unescape(_TAGS.sub("", content))
    lines = [_SPACES.sub(" ", line).strip() for line in content.replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def read_notice_email(raw: bytes) -> NoticeEmail:
    """The sender, subject and text of a message file; `UnusableEmail` if it has none."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    sender = parseaddr(str(message.get("From") or ""))[1].strip().lower()
    if "@" not in sender:
        raise UnusableEmail(
            in_both(
                "The file is not an email with a sender: save the supplier's message as an .eml "
                "file (with its From line) and import that.",
                "Nid yw'r ffeil yn e-bost gydag anfonwr: cadwch neges y cyflenwr fel ffeil .eml "
                "(gyda'i llinell From) a mewnforiwch honno.",
            )
        )
    text = _plain(message)
    if not text:
        raise UnusableEmail(
            in_both(
                "The email has no text to record.",
                "Nid oes testun yn yr e-bost i'w gofnodi.",
            )
        )
    subject = " ".join(str(message.get("Subject") or "").split()) or f"Email from {sender}"
    message_id = str(message.get("Message-ID") or "").strip()
    key = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    return NoticeEmail(
        sender=sender,
        subject=subject[:SUBJECT_LENGTH],
        text=text[:TEXT_LENGTH],
        key=f"email:{key}"[:400],
    )


async def supplier_of_sender(sender: str, *, session: AsyncSession) -> str:
    """The normalised name of the supplier whose contact, on a council's register now, has
    this address; `UnusableEmail` when none has, or more than one supplier does."""
    names = (
        await session.exec(
            select(Supplier.normalised_name)
            .join(SupplierContact, col(SupplierContact.supplier_id) == col(Supplier.id))
            .where(
                func.lower(SupplierContact.email) == sender.lower(),
                col(Supplier.retired_at).is_(None),
            )
            .distinct()
        )
    ).all()
    if not names:
        raise UnusableEmail(
            in_both(
                f"No supplier on a council's register has {sender} as a security or escalation "
                "contact: name the supplier with --supplier.",
                f"Nid oes gan unrhyw gyflenwr ar gofrestr cyngor {sender} fel cyswllt diogelwch "
                "neu uwchgyfeirio: enwch y cyflenwr gyda --supplier.",
            )
        )
    if len(names) > 1:
        raise UnusableEmail(
            in_both(
                f"{sender} is a contact of more than one supplier: name the supplier with "
                "--supplier.",
                f"Mae {sender} yn gyswllt i fwy nag un cyflenwr: enwch y cyflenwr gyda --supplier.",
            )
        )
    return names[0]


async def record_email_notice(
    raw: bytes,
    *,
    supplier: str | None,
    codes: list[str],
    window_minutes: int,
    session: AsyncSession,
) -> tuple[SupplierNotice, bool, list[Receiving]]:
    """Record the message as a notice that arrived by email, for the councils named (or every
    council that has the supplier on its register); returns it, whether it is new, and the
    councils. Nothing is recorded when the file cannot be read or matched (`UnusableEmail`,
    `NotOnRegister`)."""
    found = read_notice_email(raw)
    name = normalised_name(supplier) if supplier else None
    name = name or await supplier_of_sender(found.sender, session=session)
    registering = await registering_councils(name, session=session)
    if not registering:
        raise UnusableEmail(
            in_both(
                f"No council has {supplier or found.sender} on its supplier register now.",
                f"Nid oes gan unrhyw gyngor {supplier or found.sender} ar ei gofrestr cyflenwyr "
                "nawr.",
            )
        )
    wanted = [code.strip().upper() for code in codes if code.strip()]
    try:
        councils = chosen_councils(registering, list(dict.fromkeys(wanted)))
    except NotOnRegister as refused:
        named = ", ".join(c for c in wanted if c not in {r.authority.code for r in registering})
        raise UnusableEmail(
            in_both(
                f"{named}: not a council with this supplier on its register.",
                f"{named}: nid yw'n gyngor gyda'r cyflenwr hwn ar ei gofrestr.",
            )
        ) from refused
    try:
        content = NoticeContent(subject=found.subject, text=found.text)
    except ValidationError as invalid:
        problem = str(invalid.errors()[0]["msg"])
        raise UnusableEmail(problem) from None
    notice, created = await record_notice(
        content,
        supplier_name=name,
        display_name=councils[0].supplier.name,
        channel=NoticeChannel.EMAIL,
        councils=councils,
        recorded_by=f"Email import, from {found.sender}",
        window_minutes=window_minutes,
        sender=found.sender[:320],
        idempotency_key=found.key,
        session=session,
    )
    return notice, created, councils
