"""An SMTP server in a process of its own that reports every message it receives.

    .venv/bin/python -m bench.smtp_sink --port 2525

Prints `READY` once it listens, then one tab-separated line a message: the arrival time on the
machine's monotonic clock (the same clock in every process, so a benchmark can subtract the
moment it called the API), the first recipient, the Message-ID and the subject. The benchmarks
read these lines; a process of its own keeps the server's work off the measuring process.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Arrival:
    """One message as the sink reported it."""

    at: float
    recipient: str
    message_id: str
    subject: str

    @classmethod
    def parse(cls, line: str) -> Arrival:
        at, recipient, message_id, subject = line.rstrip("\n").split("\t", 3)
        return cls(float(at), recipient, message_id, subject)


class Reporter:
    """aiosmtpd handler: headers only, one line a message, written before the 250 reply."""

    def __init__(self) -> None:
        self._parser = BytesHeaderParser(policy=default)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        arrived = time.monotonic()
        headers = self._parser.parsebytes(envelope.content)
        subject = " ".join(str(headers["Subject"]).split())
        line = f"{arrived:.6f}\t{envelope.rcpt_tos[0]}\t{headers['Message-ID']}\t{subject}\n"
        with self._lock:
            sys.stdout.write(line)
            sys.stdout.flush()
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    controller = Controller(Reporter(), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("READY", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
