"""The local GOV.UK Notify (`embedded/notify_catcher.py`) in a process of its own, reporting
every text it accepts.

    CONCORDAT_NOTIFY_API_KEY=... CONCORDAT_NOTIFY_CALLBACK_TOKEN=... \\
        .venv/bin/python -m bench.notify_sink --port 6011 \\
        --callbacks http://127.0.0.1:8000/callbacks/notify

The catcher is the product's own, with its key and bearer token from the environment the
worker and web processes also read, so it checks every request as Notify does and posts each
delivery receipt back to the web app, as Notify does.

It runs in a process of its own, as the SMTP sink does, and not as a thread of the benchmark:
its HTTP server, token checks and receipt posts would otherwise share the benchmark's
interpreter lock with the open-loop driver, delaying calls already timed, and the first text
and the first email would not be measured alike.

Prints `READY` once it answers, then one tab-separated line a text: the moment the catcher
accepted it on the machine's monotonic clock (the same clock in every process, so a benchmark
can subtract the moment it called the API), the recipient in E.164, Notify's id for it, and
its words on one line. The moment is the catcher's own record of acceptance (`created_at`),
so it does not depend on how soon this process reports it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass

from embedded.notify_catcher import NotifyCatcher, SentMessage, start_notify_catcher

#: How often the catcher is asked for new texts while they are coming, and at most when idle.
BUSY_LOOK_SECONDS = 0.05
IDLE_LOOK_SECONDS = 1.0


@dataclass(frozen=True)
class Text:
    """One text as the sink reported it."""

    at: float
    recipient: str
    notify_id: str
    body: str

    @classmethod
    def parse(cls, line: str) -> Text:
        at, recipient, notify_id, body = line.rstrip("\n").split("\t", 3)
        return cls(float(at), recipient, notify_id, body)


def _monotonic_at(message: SentMessage) -> float:
    """When the catcher accepted the message, moved from the wall clock to the monotonic one."""
    return message.created_at.timestamp() - (time.time() - time.monotonic())


def _report(message: SentMessage) -> str:
    body = " ".join(message.body.split())
    return f"{_monotonic_at(message):.6f}\t{message.recipient}\t{message.id}\t{body}\n"


def report_texts(catcher: NotifyCatcher, stop: threading.Event) -> None:
    """Write a line for each text the catcher accepts, oldest first, until `stop` is set."""
    seen = 0
    wait = BUSY_LOOK_SECONDS
    while not stop.wait(wait):
        newer, seen = catcher.sent_since(seen)
        for message in newer:
            if message.type == "sms":
                sys.stdout.write(_report(message))
        sys.stdout.flush()
        wait = BUSY_LOOK_SECONDS if newer else min(2 * wait, IDLE_LOOK_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--callbacks", required=True, help="The web app's /callbacks/notify, for receipts."
    )
    args = parser.parse_args()
    catcher = NotifyCatcher(
        os.environ["CONCORDAT_NOTIFY_API_KEY"],
        echo=False,
        delivery_callback_url=f"{args.callbacks}/delivery-status",
        inbound_callback_url=f"{args.callbacks}/received-text",
        callback_token=os.environ["CONCORDAT_NOTIFY_CALLBACK_TOKEN"],
    )
    server = start_notify_catcher(catcher, port=args.port)
    stop = threading.Event()
    reporter = threading.Thread(target=report_texts, args=(catcher, stop), daemon=True)
    reporter.start()
    print("READY", flush=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    stopping.wait()
    stop.set()
    reporter.join(timeout=5)
    server.stop()


if __name__ == "__main__":
    main()
