"""The README's "Try the afterlife", run as written after its "Try it", against the real app,
worker, mail server and the real `tar` and `sha256sum`.

The commands are read out of the README, so a renamed route or field fails here until the README
says so too. The steps on the pages are checked through what they rest on: the senior management
member's own token publishes the statement and signs the review off.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from embedded.stack import DEVELOPMENT_MEMBER_USER, DevelopmentSignIn, development_user
from runtime.database import Database
from services.tokens import issue_token
from services.users import user_by_email
from tests.support import eventually
from tests.test_readme_walkthrough import (
    README,
    Shell,
    set_up_as_make_run_does,
    shell_commands,
    try_it,
)


def try_the_afterlife() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Try the afterlife\n")
    end = text.index("\n## ", start)
    return text[start:end]


def after_the_alarm() -> str:
    """The README's whole section on the afterlife, walk-through and all."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## After the alarm")
    return text[start : text.index("\n## ", start + 1)]


@dataclass
class AfterlifeShell(Shell):
    """The walk-through's shell, with the few commands the afterlife adds: writing a file with
    `printf`, curl's `-F` and `-o`, and the real `tar` and `sha256sum` in the directory."""

    def __post_init__(self) -> None:
        self.outputs: list[str] = []

    async def _first(self, words: list[str], command: str) -> str:
        match words:
            case ["printf", text, ">", name]:
                self.directory.joinpath(name).write_text(_printf(text))
                return ""
            case ["tar", "-xf", archive]:
                return self._real(["tar", "-xf", archive], self.directory)
            case ["cd", folder, "&&", "sha256sum", "-c", sums]:
                return self._real(["sha256sum", "-c", sums], self.directory / folder)
        return await super()._first(words, command)

    def _real(self, argv: list[str], where: Path) -> str:
        done = subprocess.run(  # noqa: S603 (the README's own commands)
            argv, cwd=where, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
        self.outputs.append(done.stdout)
        return done.stdout

    async def _curl(self, arguments: list[str]) -> httpx.Response:
        plain: list[str] = []
        files: list[tuple[str, tuple[str, bytes]]] = []
        fields: dict[str, str] = {}
        output: str | None = None
        words = iter(arguments)
        for word in words:
            if word == "-F":
                name, _, value = next(words).partition("=")
                if value.startswith("@"):
                    path = self.directory / value[1:]
                    files.append((name, (path.name, path.read_bytes())))
                else:
                    fields[name] = value
            elif word == "-o":
                output = next(words)
            else:
                plain.append(word)
        if not files and output is None:
            return await super()._curl(plain)
        url = next(word for word in plain if word.startswith("http"))
        headers = dict(
            header.split(":", 1)
            for header in (plain[index + 1] for index, word in enumerate(plain) if word == "-H")
        )
        headers = {name.strip(): value.strip() for name, value in headers.items()}
        target = url.removeprefix("http://127.0.0.1:8000")
        if files:
            return await self.http.post(target, headers=headers, files=files, data=fields)
        response = await self.http.get(target, headers=headers)
        assert output is not None
        self.directory.joinpath(output).write_bytes(response.content)
        return response


def _printf(text: str) -> str:
    return text.replace("\\n", "\n")


async def test_the_readme_afterlife_runs_as_written(
    http: httpx.AsyncClient, web_app: FastAPI, database: Database, tmp_path: Path
) -> None:
    await set_up_as_make_run_does(database, tmp_path)
    shell = AfterlifeShell(http, tmp_path)
    for command in shell_commands(try_it()):
        # "give a new key to open another": Try it's own test opens the README's incident.
        await shell.run(re.sub(r"Idempotency-Key: [\w-]+", f"Idempotency-Key: {uuid4()}", command))
    incident_id = shell.variables["INCIDENT"]
    token = shell.variables["TOKEN"]
    auth = {"Authorization": f"Bearer {token}"}

    async def closed() -> bool:
        answer = await http.get(f"/api/incidents/{incident_id}", headers=auth)
        return answer.json()["stage"] == "closed"

    await eventually(closed)
    for command in shell_commands(try_the_afterlife()):
        step = await shell.run(command)
        if step is not None:
            assert step.response.is_success, (command, step.response.text)

    # "The last command prints `OK` for each file in the bundle."
    checked = shell.outputs[-1].splitlines()
    assert checked and all(line.endswith(": OK") for line in checked), checked
    assert any("evidence/ransom-note.txt" in line for line in checked), checked
    # Step 1: the two files, each with its hash, and the hand-over.
    evidence = (await http.get(f"/api/incidents/{incident_id}/evidence", headers=auth)).json()
    assert {f["name"] for f in evidence["files"]} == {"ransom-note.txt", "headers.txt"}
    assert [h["recipient"] for h in evidence["custody"]] == ["police_regional_cyber_unit"]

    member = await _member_token(database, tmp_path)
    as_member = {"Authorization": f"Bearer {member}"}
    [statement] = (await http.get(f"/api/incidents/{incident_id}/statements", headers=auth)).json()
    # Step 2: marked TLP:AMBER like the incident, it is refused; marked TLP:CLEAR, published.
    publish = f"/api/incidents/{incident_id}/statements/{statement['id']}/publish"
    refused = await http.post(publish, headers=as_member, json={})
    assert refused.status_code == 409, refused.text
    published = await http.post(publish, headers=as_member, json={"tlp": "TLP:CLEAR"})
    assert published.is_success, published.text
    page = (await http.get("/public/CDF")).text
    welsh, english = (
        page.find("Taliadau ar-lein ddim ar gael"),
        page.find("Online payments unavailable"),
    )
    assert 0 <= welsh < english, "the public page is Welsh first"

    # Steps 3 and 4: the review, an action, sign-off refused until it is done.
    review = f"/api/incidents/{incident_id}/review"
    owner = (await http.get(review, headers=as_member)).json()
    assert owner["owner"]["member_role"] == "senior_management_member", owner
    findings = await http.put(
        review,
        headers=as_member,
        json={"root_cause": "A phishing email.", "went_well": "Backups.", "commitments": ["c"]},
    )
    assert findings.is_success, findings.text
    due = (date.today() + timedelta(days=28)).isoformat()
    added = await http.post(
        f"{review}/actions",
        headers=as_member,
        json={"title": "Phishing-resistant sign-in for finance", "due_on": due},
    )
    assert added.is_success, added.text
    early = await http.post(f"{review}/sign-off", headers=as_member, json={})
    assert early.status_code == 409, early.text
    done = await http.post(
        f"{review}/actions/1/done", headers=as_member, json={"note": "Security keys issued."}
    )
    assert done.is_success, done.text
    signed = await http.post(f"{review}/sign-off", headers=as_member, json={})
    assert signed.is_success, signed.text

    # Every route the section names in passing is one the API has.
    routes = web_app.openapi()["paths"]
    mentioned = re.findall(r"`(GET|POST|PUT|GET\|PUT) /api([^`\s]*)`", after_the_alarm())
    assert len(mentioned) > 5, mentioned
    for methods, path in mentioned:
        template = "/api" + path.replace("/incidents/{id}", "/incidents/{incident_id}")
        for method in methods.split("|"):
            assert method.lower() in routes.get(template, {}), f"{method} {template}"


async def _member_token(database: Database, directory: Path) -> str:
    """What `make run` prints for Cardiff's senior management member, and their own token."""
    await development_user(
        database,
        directory / "var" / "dev-member-password",
        who=DevelopmentSignIn.SENIOR_MANAGEMENT,
    )
    async with database.session() as session:
        member = await user_by_email(DEVELOPMENT_MEMBER_USER, session=session)
        if member is None:
            pytest.fail("make run names no senior management member to sign in as")
        _, token = await issue_token(
            "readme",
            authority_id=member.authority_id,
            role=member.role,
            user_id=member.id,
            session=session,
        )
    return token
