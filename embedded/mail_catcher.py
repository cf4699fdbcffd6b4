"""A local SMTP server that keeps every message in var/mail/ instead of delivering it."""

from __future__ import annotations

import email
import email.policy
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MailCatcher:
    """aiosmtpd handler: saves each message as an .eml file and prints one line about it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # The messages hold live acknowledge links: for the owner's eyes only.
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = (
            envelope.content
            if isinstance(envelope.content, bytes)
            else str(envelope.content).encode()
        )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(content)
        message = email.message_from_bytes(content, policy=email.policy.default)
        print(
            f"mail  {', '.join(envelope.rcpt_tos)}  {message['Subject']}  ({path.name})", flush=True
        )
        return "250 Message accepted for delivery"


def start_mail_catcher(directory: Path, port: int) -> Controller:
    controller = Controller(MailCatcher(directory), hostname="127.0.0.1", port=port)
    controller.start()
    return controller
