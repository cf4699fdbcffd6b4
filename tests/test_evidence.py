"""Evidence on an incident, through the API and the pages, against real servers: files sent
together are each on the hash chain with their hash; `concordat audit verify` names a stored
file changed or removed; the bundle is the same bytes twice and checks with the real
`sha256sum -c`; an oversized upload leaves nothing; another authority's officer finds
nothing; TLP decides who downloads, and every download is recorded.

The app here keeps its evidence in a folder of its own (its `var_dir`), with a small file
limit, so the tests can look at what is stored and reach the limit cheaply.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from domain.clock import UK_TIME
from domain.vocabulary import EventKind, Language, MemberRole
from models import EvidenceDownload, EvidenceFile, Incident, TimelineEvent
from runtime.database import Database
from runtime.settings import Settings
from services.evidence import check_kept_files, kept_files
from services.tokens import issue_token
from storage import LocalEvidenceStore
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.support import (
    CouncilUnderTest,
    make_authority,
    make_user,
    open_test_incident,
    sign_in,
)
from tests.test_api import report
from web.pages.timeline_words import event_sentence

CONCORDAT = str(Path(sys.executable).parent / "concordat")
#: Small, so that "too large" costs nothing to send.
LIMIT = 64 * 1024


@dataclass
class Site:
    app: Any
    settings: Settings
    store: LocalEvidenceStore


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory,
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    dev_worker: None,
) -> Site:
    from web.app import create_app

    settings = dev_settings.model_copy(
        update={"var_dir": tmp_path_factory.mktemp("var"), "evidence_max_bytes": LIMIT}
    )
    app = create_app(settings=settings, database=database, temporal=dev_server.client)
    store = LocalEvidenceStore(settings.var_dir / "evidence", settings.payload_key_ring())
    return Site(app, settings, store)


@pytest.fixture
async def client(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=site.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http:
        yield http


@dataclass
class Caller:
    http: httpx.AsyncClient
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path, headers=self.headers)

    async def post(self, path: str, **sent: Any) -> httpx.Response:
        return await self.http.post(path, headers=self.headers, **sent)

    async def upload(self, incident: dict[str, Any], *files: tuple[str, bytes, str], **data: str):
        return await self.post(
            f"/api/incidents/{incident['id']}/evidence",
            files=[("files", file) for file in files],
            data=data,
        )


async def _token(database: Database, **details: Any) -> str:
    async with database.session() as session:
        _, token = await issue_token("evidence tests", **details, session=session)
    return token


@dataclass
class Council:
    officer: Caller
    made: CouncilUnderTest

    @property
    def code(self) -> str:
        return self.made.code

    async def open(self, **overrides: Any) -> dict[str, Any]:
        answer = await self.officer.post("/api/incidents", json=report(self.code, **overrides))
        assert answer.status_code == 201, answer.text
        return answer.json()


async def council(database: Database, http: httpx.AsyncClient) -> Council:
    made = await make_authority(database, reporting=False)
    token = await _token(database, authority_id=made.id)
    return Council(Caller(http, token), made)


async def _events(database: Database, incident_id: str, kind: EventKind) -> list[TimelineEvent]:
    async with database.session() as session:
        found = await session.exec(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == incident_id, TimelineEvent.kind == kind
            )
        )
        return list(found.all())


def _stored(site: Site, incident_id: str) -> list[Path]:
    folder = site.store.root / "evidence" / incident_id
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


async def test_files_uploaded_together_are_each_on_the_chain_with_their_hash(
    client: httpx.AsyncClient, database: Database, site: Site
) -> None:
    cardiff = await council(database, client)
    incident = await cardiff.open()
    log = os.urandom(LIMIT)  # exactly the limit
    note = "Mae'ch ffeiliau wedi'u cloi â chyfrinair. Your files are encrypted.".encode()
    page = b"<script>alert(1)</script>"
    sent = [
        ("logiau'r wal dân.log", log, "text/plain"),
        ("ransom-note.txt", note, "text/plain"),
        ("phish.html", page, "text/html"),
    ]

    answer = await cardiff.officer.upload(incident, *sent, description="Found on FS01")

    assert answer.status_code == 201, answer.text
    files = answer.json()["files"]
    assert [(f["name"], f["sha256"], f["size"]) for f in files] == [
        (name, hashlib.sha256(data).hexdigest(), len(data)) for name, data, _ in sent
    ]
    assert all(f["timeline_event"] and f["uploaded_at"] for f in files), files
    added = await _events(database, incident["id"], EventKind.EVIDENCE_ADDED)
    assert sorted(e.detail["sha256"] for e in added) == sorted(f["sha256"] for f in files)
    assert {e.detail["description"] for e in added} == {"Found on FS01"}
    timeline = (await cardiff.officer.get(f"/api/incidents/{incident['id']}/timeline")).json()
    assert timeline["chain"]["intact"], timeline["chain"]
    listed = (await cardiff.officer.get(f"/api/incidents/{incident['id']}/evidence")).json()
    assert [f["file_id"] for f in listed["files"]] == [f["file_id"] for f in files]
    assert listed["may_download"] is True

    # Given back as recorded; a type a browser would run is given as plain bytes.
    html = await cardiff.officer.get(
        f"/api/incidents/{incident['id']}/evidence/{files[2]['file_id']}"
    )
    assert html.status_code == 200 and html.content == page
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith('attachment; filename="phish.html"')
    assert html.headers["x-content-type-options"] == "nosniff"
    welsh = await cardiff.officer.get(
        f"/api/incidents/{incident['id']}/evidence/{files[0]['file_id']}"
    )
    assert welsh.content == log
    assert (
        "filename*=UTF-8''logiau%27r%20wal%20d%C3%A2n.log" in welsh.headers["content-disposition"]
    )


@pytest.mark.backend("sqlite", reason="runs the command line; the database is not its subject")
async def test_verify_names_a_stored_file_changed_and_one_removed(
    client: httpx.AsyncClient, database: Database, site: Site, database_url: str
) -> None:
    cardiff = await council(database, client)
    incident = await cardiff.open()
    answer = await cardiff.officer.upload(
        incident, ("firewall.log", b"DENY 10.0.0.1" * 50, "text/plain"), ("note.txt", b"pay", "")
    )
    assert answer.status_code == 201, answer.text
    log, note = answer.json()["files"]
    async with database.session() as session:
        row = await session.get(Incident, incident["id"])
        assert row is not None
        kept = await kept_files(session=session, incident=row)
    assert len(kept) == 2 and not await check_kept_files(site.store, kept)

    changed = site.store.path_of(next(k.storage_key for k in kept if k.file_id == log["file_id"]))
    data = bytearray(changed.read_bytes())
    data[-20] ^= 1
    changed.write_bytes(bytes(data))
    site.store.path_of(next(k.storage_key for k in kept if k.file_id == note["file_id"])).unlink()

    result = await _concordat(site, database_url, "audit", "verify", incident["reference"])
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "BROKEN" in output and "2 evidence files" in output, output
    lines = [line for line in output.splitlines() if incident["reference"] in line]
    assert any("'firewall.log'" in line and "was changed" in line for line in lines), output
    assert any("'note.txt'" in line and "is missing" in line for line in lines), output
    # The file that is still whole is still given out; the one gone is refused, not a 500.
    gone = await cardiff.officer.get(f"/api/incidents/{incident['id']}/evidence/{note['file_id']}")
    assert gone.status_code == 409 and " / " in gone.json()["detail"]


async def _concordat(site: Site, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line, as an operator on the server runs it, off the worker's event loop."""
    return await asyncio.to_thread(
        subprocess.run,  # our own command
        [CONCORDAT, *args],
        env=os.environ
        | {
            "CONCORDAT_DATABASE_URL": database_url,
            "CONCORDAT_VAR_DIR": str(site.settings.var_dir),
            "CONCORDAT_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """tar and sha256sum, on our own files, off the event loop the worker runs on."""
    return await asyncio.to_thread(
        subprocess.run, list(command), cwd=cwd, capture_output=True, text=True, timeout=30
    )


@pytest.mark.backend("postgresql", reason="a bundle's bytes do not depend on the database")
async def test_the_bundle_is_the_same_twice_and_checks_with_sha256sum(
    client: httpx.AsyncClient, database: Database, site: Site, tmp_path: Path, database_url: str
) -> None:
    cardiff = await council(database, client)
    incident = await cardiff.open()
    first = await cardiff.officer.upload(
        incident, ("note.txt", b"first", "text/plain"), ("Note.TXT", b"second", "text/plain")
    )
    second = await cardiff.officer.upload(incident, ("headers.eml", b"Received: x", ""))
    ids = [f["file_id"] for f in first.json()["files"] + second.json()["files"]]
    base = f"/api/incidents/{incident['id']}"
    handed = await cardiff.officer.post(
        f"{base}/custody",
        json={
            "file_ids": ids[:2],
            "recipient": "police_regional_cyber_unit",
            "recipient_name": "Tarian regional cyber crime unit, DC Jones",
            "method": "evidence_bundle",
            "handed_over_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "reference": "CRN-2611-0042",
        },
    )
    assert handed.status_code == 201, handed.text
    assert handed.json()["timeline_event"]
    unknown = await cardiff.officer.post(
        f"{base}/custody",
        json={
            "file_ids": ["0" * 32],
            "recipient": "insurer",
            "recipient_name": "Insurer",
            "method": "in_person",
            "handed_over_at": datetime.now(UTC).isoformat(),
        },
    )
    assert unknown.status_code == 409 and " / " in unknown.json()["detail"]

    bundles = [await cardiff.officer.get(f"{base}/evidence/bundle") for _ in range(2)]
    assert [b.status_code for b in bundles] == [200, 200], bundles[0].text
    assert bundles[0].content == bundles[1].content
    assert int(bundles[0].headers["content-length"]) == len(bundles[0].content)
    written = tmp_path / "written.tar"
    exported = await _concordat(
        site, database_url, "evidence", "bundle", incident["reference"], "--out", str(written)
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert written.read_bytes() == bundles[0].content
    reference = incident["reference"]
    archive = tmp_path / f"{reference}-evidence.tar"
    archive.write_bytes(bundles[0].content)

    extracted = await _run("tar", "-xf", archive.name, cwd=tmp_path)
    assert extracted.returncode == 0, extracted.stderr
    checked = await _run("sha256sum", "-c", "SHA256SUMS", cwd=tmp_path / reference)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert sorted(line.rsplit(": ", 1)[0] for line in checked.stdout.splitlines()) == [
        "README.txt",
        "custody.json",
        "evidence/Note (2).TXT",
        "evidence/headers.eml",
        "evidence/note.txt",
        "manifest.json",
        "timeline.json",
    ]
    assert all(line.endswith(": OK") for line in checked.stdout.splitlines())
    folder = tmp_path / reference
    assert (folder / "evidence/Note (2).TXT").read_bytes() == b"second"
    readme = (folder / "README.txt").read_text()
    assert "sha256sum -c SHA256SUMS" in readme and "Sut i'w wirio" in readme
    custody = (folder / "custody.json").read_text()
    assert "CRN-2611-0042" in custody and "evidence/note.txt" in custody
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert len({m.mtime for m in members}) == 1

    async with database.session() as session:
        downloads = (
            await session.exec(
                select(EvidenceDownload).where(EvidenceDownload.incident_id == incident["id"])
            )
        ).all()
    assert [d.file_id for d in downloads] == [None, None, None]
    assert downloads[-1].downloaded_by.startswith("command line")


async def test_an_oversized_upload_is_refused_with_nothing_kept(
    client: httpx.AsyncClient, database: Database, site: Site
) -> None:
    cardiff = await council(database, client)
    incident = await cardiff.open()

    answer = await cardiff.officer.upload(
        incident,
        ("small.txt", b"fits", "text/plain"),
        ("memory.dmp", b"\0" * (LIMIT + 1), "application/octet-stream"),
    )

    assert answer.status_code == 413, answer.text
    detail = answer.json()["detail"]
    assert "memory.dmp" in detail and "64 KB" in detail and "yn fwy na" in detail
    assert _stored(site, incident["id"]) == []
    assert await _events(database, incident["id"], EventKind.EVIDENCE_ADDED) == []
    async with database.session() as session:
        rows = await session.exec(
            select(EvidenceFile).where(EvidenceFile.incident_id == incident["id"])
        )
        assert rows.all() == []
    empty = await cardiff.officer.upload(incident)
    assert empty.status_code in (400, 422)

    # Stored, then not recorded (its workflow never started): the files go again.
    unstarted = await open_test_incident(database, cardiff.made)
    refused = await cardiff.officer.upload({"id": unstarted.id}, ("note.txt", b"x", "text/plain"))
    assert refused.status_code == 503 and " / " in refused.json()["detail"], refused.text
    assert _stored(site, unstarted.id) == []


@pytest.mark.backend("postgresql", reason="who may download: the database is not its subject")
async def test_an_officer_of_another_authority_finds_nothing(
    client: httpx.AsyncClient, database: Database, site: Site
) -> None:
    cardiff, swansea = await council(database, client), await council(database, client)
    incident = await cardiff.open()
    answer = await cardiff.officer.upload(incident, ("note.txt", b"pay up", "text/plain"))
    file_id = answer.json()["files"][0]["file_id"]
    base = f"/api/incidents/{incident['id']}/evidence"

    for path in (f"{base}/{file_id}", f"{base}/bundle", base):
        refused = await swansea.officer.get(path)
        assert refused.status_code == 404, (path, refused.text)
        assert refused.json()["detail"].startswith("No incident")
    sent = await swansea.officer.upload(incident, ("planted.txt", b"x", "text/plain"))
    assert sent.status_code == 404
    assert len(_stored(site, incident["id"])) == 1


@pytest.mark.backend("postgresql", reason="who may download: the database is not its subject")
async def test_red_evidence_goes_to_a_named_member_not_the_central_team(
    client: httpx.AsyncClient, database: Database, site: Site
) -> None:
    cardiff = await council(database, client)
    incident = await cardiff.open(tlp="TLP:RED")
    answer = await cardiff.officer.upload(incident, ("dump.pcap", b"\xd4\xc3\xb2\xa1", ""))
    file_id = answer.json()["files"][0]["file_id"]
    base = f"/api/incidents/{incident['id']}/evidence"
    centre = Caller(
        client,
        await _token(
            database, authority_id=None, role=AccessRole.CENTRAL_TEAM, all_authorities=True
        ),
    )
    member, _ = await make_user(
        database,
        cardiff.made,
        AccessRole.RESPONSIBLE_MEMBER,
        member_role=MemberRole.EXECUTIVE_MEMBER,
    )
    named = Caller(client, await _token(database, authority_id=None, user_id=member.id))

    for path in (f"{base}/{file_id}", f"{base}/bundle"):
        refused = await centre.get(path)
        assert refused.status_code == 403, refused.text
        assert "TLP:RED" in refused.json()["detail"] and " / " in refused.json()["detail"]
    listed = (await centre.get(base)).json()
    assert listed["may_download"] is False and listed["files"][0]["file_id"] == file_id

    given = await named.get(f"{base}/{file_id}")
    assert given.status_code == 200 and given.content == b"\xd4\xc3\xb2\xa1"
    downloads = (await cardiff.officer.get(base)).json()["downloads"]
    assert [(d["file_id"], d["downloaded_by"]) for d in downloads] == [(file_id, member.name)]


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.backend("sqlite", reason="the pages over the same operations as the API")
async def test_the_page_takes_files_and_hand_overs_and_gives_files_out(
    client: httpx.AsyncClient, database: Database, site: Site
) -> None:
    cardiff = await council(database, client)
    incident = await cardiff.open()
    officer, password = await make_user(database, cardiff.made, AccessRole.ON_CALL_OFFICER)
    await sign_in(client, officer.email, password)
    path = f"/incidents/{incident['id']}/evidence"
    page = await client.get(path)
    assert page.status_code == 200
    assert 'type="file"' in page.text and "multiple" in page.text

    added = await client.post(
        path,
        data={"csrf_token": _csrf(page.text), "description": "Ransom note"},
        files=[("files", ("ransom-note.txt", b"Pay 5 BTC", "text/plain"))],
    )
    assert added.status_code == 303, added.text
    page = await client.get(path)
    digest = hashlib.sha256(b"Pay 5 BTC").hexdigest()
    assert "ransom-note.txt" in page.text and digest in page.text
    assert "Mae'r ffeiliau wedi'u hychwanegu" in html.unescape(page.text)  # Welsh by default
    file_id = page.text.split(f"{path}/")[1].split("/download")[0]

    too_large = await client.post(
        path,
        data={"csrf_token": _csrf(page.text)},
        files=[("files", ("disk.img", b"\0" * (LIMIT + 1), "application/octet-stream"))],
    )
    assert too_large.status_code == 413
    assert "disk.img" in too_large.text and "yn fwy na 64 KB" in html.unescape(too_large.text)
    none_chosen = await client.post(
        path,
        data={"csrf_token": _csrf(page.text)},
        files=[("files", ("", b"", "application/octet-stream"))],  # as a browser sends it
    )
    assert none_chosen.status_code == 422
    assert "Dewiswch o leiaf un ffeil" in html.unescape(none_chosen.text)
    forged = await client.post(
        path, data={"csrf_token": "forged"}, files=[("files", ("x.txt", b"x", "text/plain"))]
    )
    assert forged.status_code == 403
    assert len(_stored(site, incident["id"])) == 1

    handed = await client.post(
        f"{path}/custody",
        data={
            "csrf_token": _csrf(page.text),
            "file_ids": [file_id],
            "recipient": "insurer",
            "recipient_name": "Cyber insurer claims team",
            "method": "encrypted_email",
            "handed_over_at": (datetime.now(UK_TIME) - timedelta(minutes=5)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
    )
    assert handed.status_code == 303, handed.text
    given = await client.post(f"{path}/{file_id}/download", data={"csrf_token": _csrf(page.text)})
    assert given.status_code == 200 and given.content == b"Pay 5 BTC"
    page = await client.get(path)
    assert "Cyber insurer claims team" in page.text and "Yswiriwr" in page.text
    assert page.text.count(officer.name) >= 3  # added, handed over, downloaded

    sentences = [
        event_sentence(event, language)
        for kind in (EventKind.EVIDENCE_ADDED, EventKind.CUSTODY_TRANSFERRED)
        for event in await _events(database, incident["id"], kind)
        for language in (Language.WELSH, Language.ENGLISH)
    ]
    assert sentences[0] is not None and sentences[0].startswith("Ychwanegwyd tystiolaeth")
    assert sentences[1] == f"Evidence added: ransom-note.txt (9 bytes, SHA-256 {digest}). " + (
        "Description: Ransom note"
    )
    assert sentences[2] is not None and sentences[2].startswith(
        "Trosglwyddwyd tystiolaeth i Cyber insurer claims team (Yswiriwr)"
    )
    assert sentences[3] is not None and "how: encrypted email; files: 1" in sentences[3]
