"""The yardsticks Concordat is measured against: the least any alerting system could do.

- A bare Temporal workflow that runs one activity, which sends one email: what durable
  execution itself costs on this machine, with no database, templates or timeline.
- A direct SMTP send with no workflow at all: what the mail server itself costs.

    .venv/bin/python -m bench.baseline --address 127.0.0.1:7233 --task-queue bare
    # the bare workflow's worker, in a process of its own; each alert names its SMTP port

The benchmark runs this worker beside Concordat's, against the same server and SMTP sink, so
each of Concordat's figures can be quoted as a ratio that means something on any machine.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from temporalio import activity, workflow

# As in any well-kept worker: the sandbox re-imports only the workflow's own module.
with workflow.unsafe.imports_passed_through():
    import aiosmtplib
    from temporalio.client import Client
    from temporalio.worker import Worker

BARE_SENDER = "bench@concordat.invalid"


@dataclass(frozen=True)
class BareAlert:
    """One email, addressed and titled by the benchmark."""

    key: str
    recipient: str
    smtp_port: int


def bare_message(alert: BareAlert) -> EmailMessage:
    message = EmailMessage()
    message["From"] = BARE_SENDER
    message["To"] = alert.recipient
    message["Subject"] = f"Benchmark alert {alert.key}"
    message["Message-ID"] = f"<{alert.key}@concordat.invalid>"
    message.set_content("A cyber incident needs your acknowledgement.\n")
    return message


async def send_direct(alert: BareAlert) -> None:
    """One SMTP conversation, as Concordat's activity has it: connect, send, quit."""
    await aiosmtplib.send(bare_message(alert), hostname="127.0.0.1", port=alert.smtp_port)


@activity.defn(name="bench.send_one_email")
async def send_one_email(alert: BareAlert) -> None:
    await send_direct(alert)


@workflow.defn(name="BareAlert")
class BareAlertWorkflow:
    @workflow.run
    async def run(self, alert: BareAlert) -> None:
        await workflow.execute_activity(
            send_one_email, alert, start_to_close_timeout=timedelta(seconds=60)
        )


async def serve(address: str, task_queue: str) -> None:
    """Run the bare worker with the SDK's defaults until SIGTERM."""
    client = await Client.connect(address)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[BareAlertWorkflow],
        activities=[send_one_email],
    ):
        await stopping.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue))


if __name__ == "__main__":
    main()
