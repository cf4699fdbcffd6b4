"""Time from the API call that opens an incident to its first email, on a running Concordat.

    make run                                   # in one terminal
    .venv/bin/python -m bench.first_alert -n 30  # in another

Opens incidents one at a time through the API with the development token and watches the
local mail catcher's folder (var/mail/), whose file names carry the time each message arrived.
Prints the median, p90 and maximum.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _post(base_url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 (the operator's own loopback URL)
        f"{base_url}/api/incidents",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response)


def _arrival(path: Path) -> datetime:
    return datetime.strptime(path.name.split("-", 1)[0], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)


def _first_mail_for(reference: str, mail_dir: Path, seen: set[Path], deadline: float) -> Path:
    while time.monotonic() < deadline:
        for path in sorted(set(mail_dir.glob("*.eml")) - seen):
            if reference.encode() in path.read_bytes():
                return path
        time.sleep(0.005)
    raise TimeoutError(f"no email for {reference}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--incidents", type=int, default=20)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--var-dir", type=Path, default=Path("var"))
    parser.add_argument("--authority", default="CDF")
    args = parser.parse_args()

    token = (args.var_dir / "dev-token").read_text().strip()
    mail_dir = args.var_dir / "mail"
    latencies: list[float] = []
    for number in range(args.incidents):
        seen = set(mail_dir.glob("*.eml"))
        opened = datetime.now(UTC)
        created = _post(
            args.base_url,
            token,
            {
                "authority": args.authority,
                "title": f"Benchmark incident {number}",
                "description": "Measuring the time to the first alert.",
                "incident_type": "other",
                "category": 5,
                "detected_at": (opened - timedelta(minutes=1)).isoformat(),
                "reporter_name": "Benchmark",
                "reporter_email": "bench@example.org",
            },
        )
        first = _first_mail_for(created["reference"], mail_dir, seen, time.monotonic() + 30)
        latencies.append((_arrival(first) - opened).total_seconds() * 1000)

    latencies.sort()
    p90 = latencies[max(0, int(len(latencies) * 0.9) - 1)]
    median = statistics.median(latencies)
    print(
        f"time to first alert over {len(latencies)} incidents: median {median:.0f} ms, "
        f"p90 {p90:.0f} ms, max {latencies[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
