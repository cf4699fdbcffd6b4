"""The README's "Try it", followed as written, against the real app, worker and mail server.

The API commands are read out of the README itself and run in order, so a change that makes the
walk-through untrue (a new body to tell before closing, a renamed route or field) fails here until
the README says so too. The numbered steps on the pages are followed as a person would.
"""

from __future__ import annotations

import html
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from domain.obligations import Body
from embedded.demo import name_demo_members
from embedded.stack import DEVELOPMENT_USER, development_token, development_user
from runtime.database import Database
from tests.support import MailServer, ReceivedMail, eventually, sign_in

README = Path(__file__).resolve().parents[1] / "README.md"

#: Where the README's commands send their requests: `make run`'s web app.
README_BASE_URL = "http://127.0.0.1:8000"

#: The demonstration members `make run` names for Cardiff.
EXECUTIVE = "executive.member@cdf.council.example"
SENIOR_MANAGEMENT = "senior.management.member@cdf.council.example"

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def try_it() -> str:
    """The README's "Try it" section, up to the next top-level heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index("### Try it\n")
    end = text.index("\n## ", start)
    return text[start:end]


def prose(section: str) -> str:
    """The section without its code blocks, with its line breaks as spaces."""
    return " ".join(re.sub(r"```.*?```", "", section, flags=re.S).split())


def numbered_steps(section: str) -> str:
    steps = re.search(r"^1\. .*?(?=\n\n)", section, flags=re.S | re.M)
    assert steps is not None, "the numbered steps of Try it are missing"
    return " ".join(steps.group(0).split())


def shell_commands(section: str) -> list[str]:
    """Every command of the section's `sh` blocks, as the shell would read them: lines joined
    where they end with a backslash or a quotation is still open; comments left out."""
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    assert blocks, "Try it has no commands"
    commands: list[str] = []
    pending = ""
    for line in "".join(blocks).splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        try:
            shlex.split(pending)
        except ValueError:  # a quotation spans lines, as the JSON bodies do
            pending += "\n"
            continue
        commands.append(pending.strip())
        pending = ""
    assert not pending, f"an unfinished command ends the block: {pending!r}"
    return commands


@dataclass
class Step:
    command: str
    response: httpx.Response

    @property
    def path(self) -> str:
        return self.response.request.url.path


@dataclass
class Shell:
    """Just enough of a shell for the README's commands: variables, `$(...)`, `cat`, `curl`
    (to the app in process) and a pipe into `python3`. Anything else fails the test, so the
    README cannot drift into commands nobody has run."""

    http: httpx.AsyncClient
    directory: Path
    """Where `make run` was started: `var/` is under it."""
    variables: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)

    async def run(self, command: str) -> Step | None:
        captured = re.fullmatch(r"(\w+)=\$\((.*)\)", command, flags=re.S)
        if captured:
            self.variables[captured.group(1)] = (await self._pipeline(captured.group(2))).strip()
            return None
        assigned = re.fullmatch(r"(\w+)=(\S+)", command)
        if assigned:
            self.variables[assigned.group(1)] = self._expand(assigned.group(2))
            return None
        await self._pipeline(command)
        return self.steps[-1]

    def _expand(self, word: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            assert name in self.variables, f"${name} is used before it is set"
            return self.variables[name]

        return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, word)

    async def _pipeline(self, pipeline: str) -> str:
        lexer = shlex.shlex(pipeline, posix=True, punctuation_chars="|")
        lexer.whitespace_split = True
        stages: list[list[str]] = [[]]
        for word in lexer:
            if word == "|":
                stages.append([])
            else:
                stages[-1].append(self._expand(word))
        output = await self._first(stages[0], pipeline)
        for stage in stages[1:]:
            output = self._filter(stage, output)
        return output

    async def _first(self, words: list[str], command: str) -> str:
        match words:
            case ["cat", path]:
                return (self.directory / path).read_text()
            case ["curl", *arguments]:
                response = await self._curl(arguments)
                self.steps.append(Step(command, response))
                return response.text
        pytest.fail(f"the README runs a command this walk-through does not know: {command}")

    def _filter(self, words: list[str], given: str) -> str:
        assert words[:2] == ["python3", "-c"] and len(words) == 3, words
        done = subprocess.run(  # noqa: S603 (the README's own one-liner)
            [sys.executable, "-c", words[2]],
            input=given,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, f"{words[2]} failed on {given!r}: {done.stderr}"
        return done.stdout

    async def _curl(self, arguments: list[str]) -> httpx.Response:
        method, url, data = "", "", None
        headers: dict[str, str] = {}
        words = iter(arguments)
        for word in words:
            if word == "-s":
                continue
            if word == "-H":
                name, _, value = next(words).partition(":")
                headers[name.strip()] = value.strip()
            elif word == "-d":
                data = next(words)
            elif word == "-X":
                method = next(words)
            elif word.startswith("http"):
                url = word
            else:
                pytest.fail(f"curl {word} is not understood by this walk-through")
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == README_BASE_URL, url
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        method = method or ("POST" if data is not None else "GET")
        return await self.http.request(method, target, headers=headers, content=data)


async def set_up_as_make_run_does(database: Database, directory: Path) -> None:
    """What `concordat run` does before it serves: demonstration members for every council that
    has none, and the development token in var/."""
    async with database.session() as session:
        await name_demo_members(session=session)
    (directory / "var").mkdir()
    await development_token(database, directory / "var" / "dev-token")


def about(incident_id: str) -> Callable[[ReceivedMail], bool]:
    """Messages about this incident: each carries its page's address."""
    return lambda mail: incident_id in mail.text()


def closing(mail: ReceivedMail) -> bool:
    return mail.subject.endswith(("cyber incident closed", "digwyddiad seiber wedi'i gau"))


async def check_the_first_emails(
    mail_server: MailServer, incident_id: str, required: list[Body]
) -> list[ReceivedMail]:
    """Step 2: both named members are asked to acknowledge, the executive member in Welsh and
    the senior management member in English, and the owner gets one email for each body."""
    expected = 2 + len(required)
    first = about(incident_id)
    mails = await mail_server.inbox.wait_for(lambda m: first(m) and not closing(m), expected)
    by_recipient: dict[str, list[str]] = {}
    for mail in mails:
        by_recipient.setdefault(mail.to, []).append(mail.subject)
    [welsh] = by_recipient[EXECUTIVE]
    assert welsh.endswith("Categori 3: cydnabyddwch y digwyddiad seiber hwn"), welsh
    senior = by_recipient[SENIOR_MANAGEMENT]
    assert any(s.endswith("Category 3: acknowledge this cyber incident") for s in senior), senior
    for body in required:
        assert any(f"report to {body.label} by " in s for s in senior), (body, senior)
    assert len(mails) == expected, [m.subject for m in mails]
    return mails


async def check_the_closing_emails(mail_server: MailServer, incident_id: str) -> None:
    mine = about(incident_id)
    closed = await mail_server.inbox.wait_for(lambda m: mine(m) and closing(m), count=2)
    assert {m.to for m in closed} == {EXECUTIVE, SENIOR_MANAGEMENT}


def check_the_readme_names(section: str, required: list[Body]) -> None:
    """The README names every body the example must tell before it closes, and how many."""
    words = prose(section)
    assert f"{NUMBER_WORDS[len(required)]} bodies" in words, "the README miscounts the bodies"
    for body in required:
        assert body.label.removeprefix("the ") in words, f"the README does not name {body.label}"


async def test_the_readme_api_walkthrough_runs_as_written(
    http: httpx.AsyncClient,
    web_app: FastAPI,
    database: Database,
    mail_server: MailServer,
    tmp_path: Path,
) -> None:
    section = try_it()
    commands = shell_commands(section)
    await set_up_as_make_run_does(database, tmp_path)
    shell = Shell(http, tmp_path)
    closes = [c for c in commands if re.search(r"/close\s", c)]
    assert len(closes) == 1, "the README's commands should close the incident once"
    [close] = closes
    refused_before_recording, waiting = False, ""

    for command in commands:
        if "/obligations/" in command and not refused_before_recording:
            # "A close sent before all four are recorded is refused (409) with the bodies
            # still waiting named."
            early = await shell.run(close)
            assert early is not None and early.response.status_code == 409, early
            waiting = early.response.json()["detail"]
            refused_before_recording = True
        step = await shell.run(command)
        if step is not None:
            assert step.response.is_success, (command, step.response.text)
    assert refused_before_recording, "the README records no obligation before closing"

    created, *rest = shell.steps
    assert created.response.status_code == 201, created.response.text
    incident_id = shell.variables["INCIDENT"]
    assert incident_id == created.response.json()["id"]
    # "Each recording answers with the incident's state, and the last one shows "stage":"closed"."
    for step in rest:
        if step.response.is_success and step.response.request.method == "POST":
            assert step.response.json()["incident_id"] == incident_id, step.command
    assert '"stage":"closed"' in rest[-1].response.text
    # "Its stage, who has acknowledged, and each body's obligation with its deadline."
    [looked] = [s for s in rest if s.response.request.method == "GET"]
    live = looked.response.json()["live"]
    assert live is not None and {"stage", "acknowledgements", "obligations"} <= live.keys()
    assert all("deadline" in o for o in live["obligations"])

    obligations = await eventually(lambda: obligations_of(http, tmp_path, incident_id))
    required = [Body(o["body"]) for o in obligations if o["state"] != "not_required"]
    assert Body.NCSC in required
    for body in required:
        assert body.label in waiting, (body, waiting)
    recorded = {
        s.path.split("/obligations/")[1].split("/")[0] for s in rest if "/obligations/" in s.path
    }
    assert recorded == {body.value for body in required}, "the README skips a body"
    assert {o["state"] for o in obligations if o["state"] != "not_required"} == {"submitted"}
    # "four bodies must be told within 24 hours"
    assert all(o["rule"]["window"] == "P1D" for o in obligations if o["body"] in required)
    check_the_readme_names(section, required)

    await check_the_first_emails(mail_server, incident_id, required)
    await check_the_closing_emails(mail_server, incident_id)

    # Every route the section mentions in passing (the waiver) is one the API has.
    routes = web_app.openapi()["paths"]
    mentioned = re.findall(r"`(GET|POST|PUT) \$API([^`\s]*)`", section)
    assert mentioned, "the README no longer says how to record a decision not to tell a body"
    for method, rest_of_path in mentioned:
        path = "/api/incidents" + rest_of_path.replace("$INCIDENT", "{incident_id}")
        assert method.lower() in routes.get(path, {}), f"{method} {path} is not in the API"


async def obligations_of(
    http: httpx.AsyncClient, directory: Path, incident_id: str
) -> list[dict[str, Any]] | None:
    """Each body's obligation, from the live state; None while the workflow cannot answer."""
    token = (directory / "var" / "dev-token").read_text().strip()
    answer = await http.get(
        f"/api/incidents/{incident_id}/obligations", headers={"Authorization": f"Bearer {token}"}
    )
    return answer.json() if answer.status_code == 200 else None


def _form_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found is not None, name
    return found.group(1)


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def test_the_readme_walkthrough_on_the_pages(
    http: httpx.AsyncClient, database: Database, mail_server: MailServer, tmp_path: Path
) -> None:
    from tests.incident_form_steps import confirm, moment_fields

    section = try_it()
    steps = numbered_steps(section)
    await set_up_as_make_run_does(database, tmp_path)
    password = await development_user(database, tmp_path / "var" / "dev-password")
    # The README's own example, reported through the form instead.
    example = re.search(r"-d '(\{\"authority\".*?\})'", section, flags=re.S)
    assert example is not None, "the README's example incident is missing"
    report = json.loads(example.group(1))

    # 1. Sign in with the printed email and password; report an incident for Cardiff, category 3.
    signed_in = await sign_in(http, DEVELOPMENT_USER, password, next="/incidents/new")
    assert signed_in.status_code == 303, signed_in.text
    http.cookies.set("concordat_language", "en")  # the README's words are the English pages'
    form = await http.get("/incidents/new")
    assert "Cardiff Council" in form.text
    detected = datetime.fromisoformat(report["detected_at"]).astimezone(ZoneInfo("Europe/London"))
    checked = await http.post(
        "/incidents/new",
        data={
            "csrf_token": _form_value(form.text, "csrf_token"),
            "form_id": _form_value(form.text, "form_id"),
            "authority": "CDF",
            "title": report["title"],
            "description": report["description"],
            "incident_type": report["incident_type"],
            "category": "3",
            **moment_fields("detected_at", detected),
            "reporter_name": report["reporter_name"],
            "reporter_email": report["reporter_email"],
            "tlp": "TLP:AMBER",
        },
    )
    submitted = await confirm(http, checked)
    assert submitted.status_code == 303, submitted.text
    status_page = submitted.headers["location"]
    incident_id = status_page.rsplit("/", 1)[1]

    # 2. The emails: acknowledge requests and one for each body that must be told.
    obligations = await eventually(lambda: obligations_of(http, tmp_path, incident_id))
    required = [Body(o["body"]) for o in obligations if o["state"] != "not_required"]
    assert required and Body.NCSC in required
    check_the_readme_names(section, required)
    mails = await check_the_first_emails(mail_server, incident_id, required)

    # 3. Open a message, follow its acknowledge link, press the button.
    [request] = [m for m in mails if m.to == EXECUTIVE]
    link = re.search(r"https?://[^/\s]+(/ack/\S+)", request.text())
    assert link is not None, request.text()
    assert "I acknowledge this incident" in (await http.get(link.group(1))).text
    pressed = await http.post(link.group(1))
    assert pressed.status_code == 200 and "Your acknowledgement of" in pressed.text

    # 4. The status page: who acknowledged, the reporting steps, the timeline, and the forms the
    # README names in quotation marks.
    page = (await http.get(status_page)).text
    text = _text(page)
    assert re.search(r"Executive Member \(CDF\)[^.]{0,40} acknowledged", text), text
    assert "Timeline" in text
    for body in required:
        assert body.label in text, body
    for label in re.findall(r'"([^"]+)"', steps):
        assert label in text, f'the status page has no "{label}"'

    async def act(action: str, **fields: str) -> httpx.Response:
        csrf = _form_value((await http.get(status_page)).text, "csrf_token")
        return await http.post(
            f"{status_page}/actions/{action}", data={"csrf_token": csrf, **fields}
        )

    summary = {"summary": "Server rebuilt from backup; no data was taken."}
    told = await act("submission", body=Body.NCSC.value, reference="NCSC-CASE-0042")
    assert told.status_code == 303, _text(told.text)

    # 5. Closing is refused, naming the bodies still waiting, until every one is recorded.
    refused = await act("close", **summary)
    assert refused.status_code == 409
    error = re.search(r'class="govuk-error-summary"[^>]*>(.*?)</ul>', refused.text, flags=re.S)
    assert error is not None, _text(refused.text)
    for body in required:
        assert (body.label in html.unescape(error.group(1))) is (body != Body.NCSC), body
    *others, last = [body for body in required if body != Body.NCSC]
    for body in others:
        assert (await act("submission", body=body.value)).status_code == 303, body
    # "A body the council decides not to tell is recorded under "Decide not to tell" instead."
    decided = await act(
        "waiver", body=last.value, reason="Decided with the SIRO: told through another route."
    )
    assert decided.status_code == 303, _text(decided.text)
    closed = await act("close", **summary)
    assert closed.status_code == 303, _text(closed.text)
    await check_the_closing_emails(mail_server, incident_id)
