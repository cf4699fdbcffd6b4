"""The annual review: a review nobody answers is reminded, then escalated to the chief executive
and the central team; an answered one is returned, answered again and accepted, closing its
workflow; and its record verifies, catches tampering, and replays against the code.
(`concordat audit verify` prints the same broken link: `tests/test_audit_chain.py` runs it.)

Real servers throughout: Temporal (time-skipping for the weeks of silence, the shared dev
server for the rest), the SMTP server whose inbox the tests read, and the database.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from audit.verify import verify
from domain.access import AccessRole, TokenScope
from domain.commitments import Commitment, CommitmentStatus, uk_day
from domain.reviews import ReviewOutcome, review_workflow_id, year_just_ended
from domain.vocabulary import MemberRole
from models import CentreRecipient
from runtime.database import Database
from runtime.migrate import upgrade_database
from runtime.settings import Settings
from runtime.temporal import bundled_binary, converter_for
from services.councils import seed_councils
from services.reviews import ReviewTimings, events_of, open_review, review_of, reviews_in
from services.tokens import issue_token
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.support import CouncilUnderTest, MailServer, make_authority, make_user, sign_in
from workflows import AnnualReviewWorkflow, ReviewScheduleWorkflow

YEAR = year_just_ended(uk_day(datetime.now(UTC)))


async def _token(database: Database, user_id: int | None) -> dict[str, str]:
    async with database.session() as session:
        _, token = await issue_token(
            "reviews", authority_id=None, user_id=user_id, scope=TokenScope.WRITE, session=session
        )
    return {"Authorization": f"Bearer {token}"}


async def _tamper(database: Database, statement: str) -> None:
    """Change a row behind the application's back, round the append-only triggers."""
    async with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text(statement))
            return
        triggers = (
            await connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'review_event'"
                )
            )
        ).all()
        for name, _ in triggers:
            await connection.execute(text(f"DROP TRIGGER {name}"))
        await connection.execute(text(statement))
        for _, sql in triggers:
            await connection.execute(text(sql))


async def test_a_review_nobody_answers_is_reminded_then_escalated(
    database: Database, settings: Settings, time_skipping: WorkflowEnvironment, mail_server
) -> None:
    from worker import build_worker

    inbox = mail_server.inbox
    council = await make_authority(database)
    centre = f"duty-{uuid.uuid4().hex[:8]}@centre.example"
    async with database.session() as session:
        recipient = CentreRecipient(name="Central team duty officer", email=centre)
        session.add(recipient)
        await session.commit()
        await session.refresh(recipient)
    queue = f"reviews-{uuid.uuid4()}"
    try:
        async with build_worker(time_skipping.client, database, settings, task_queue=queue):
            async with database.session() as session:
                review, created = await open_review(
                    council.authority,
                    YEAR,
                    opened_by="Central team",
                    timings=ReviewTimings(response_days=28, reminder_days=14),
                    base_url=settings.base_url,
                    session=session,
                    temporal=time_skipping.client,
                    task_queue=queue,
                )
            assert created and review.due_at - review.opened_at == timedelta(days=28)
            senior = council.email(MemberRole.SENIOR_MANAGEMENT_MEMBER)
            await inbox.wait_for(lambda m: m.to == senior and "please answer by" in m.subject)

            await time_skipping.sleep(timedelta(days=29))

            reminder = await inbox.wait_for(lambda m: m.to == senior and "Reminder" in m.subject)
            chief = council.email(MemberRole.CHIEF_EXECUTIVE)
            overdue = await inbox.wait_for(lambda m: m.to == chief and "Overdue" in m.subject)
            told = await inbox.wait_for(
                lambda m: m.to == centre and council.authority.name_en in m.subject
            )
            assert f"/reviews/{council.code}/{YEAR}" in reminder[0].text()
            assert "escalated to the chief executive" in overdue[0].text()
            assert "Overdue" in told[0].subject
            handle = time_skipping.client.get_workflow_handle(review.workflow_id)
            await handle.terminate("the test is over")
    finally:
        async with database.session() as session:
            recipient.active = False
            session.add(recipient)
            await session.commit()
    async with database.session() as session:
        row = await review_of(council.id, YEAR, session=session)
        assert row is not None
        kinds = [event.kind for event in await events_of(row, session=session)]
    assert kinds == ["opened", "reminder_sent", "escalated"]
    assert row.state == "open" and row.reminded_at and row.overdue_at
    # Fourteen days, then twenty-eight, on the workflow's own clock.
    assert row.reminded_at - row.opened_at >= timedelta(days=14)
    assert row.overdue_at - row.opened_at >= timedelta(days=28)


async def _people(
    database: Database, council: CouncilUnderTest, *, central: bool = True
) -> tuple[dict[str, str], dict[str, str], str, str]:
    """The council's senior management member (their token, address and password), and a
    member of the central team (their token)."""
    senior, password = await make_user(
        database,
        council,
        AccessRole.RESPONSIBLE_MEMBER,
        member_role=MemberRole.SENIOR_MANAGEMENT_MEMBER,
    )
    centre = (await make_user(database, None, AccessRole.CENTRAL_TEAM))[0] if central else None
    return (
        await _token(database, senior.id),
        await _token(database, centre.id) if centre else {},
        senior.email,
        password,
    )


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


async def test_submitted_returned_submitted_again_and_accepted_closes_the_review(
    http: httpx.AsyncClient,
    database: Database,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database)
    authority_smm, central, email, password = await _people(database, council)
    base = f"/api/authorities/{council.code}/reviews/{YEAR}"

    opened = await http.post(
        "/api/national/reviews", json={"authority": council.code, "year": YEAR}, headers=central
    )
    assert opened.status_code == 201, opened.text
    again = await http.post(
        "/api/national/reviews", json={"authority": council.code, "year": YEAR}, headers=central
    )
    assert again.status_code == 200 and again.json()["opened_at"] == opened.json()["opened_at"]
    assert [c["commitment"] for c in opened.json()["commitments"]] == list("abcdefg")

    # Nothing to decide before the authority answers; the workflow says so in both languages.
    early = await http.post(f"{base}/acceptance", json={}, headers=central)
    assert early.status_code == 409 and " / " in early.json()["detail"], early.text
    # Beyond the access matrix: the executive member reads the review but does not answer it;
    # another authority's senior management member is told it does not exist.
    executive, _ = await make_user(
        database, council, AccessRole.RESPONSIBLE_MEMBER, member_role=MemberRole.EXECUTIVE_MEMBER
    )
    reader = await _token(database, executive.id)
    assert (await http.get(base, headers=reader)).status_code == 200
    answer = {"statement": "As recorded."}
    assert (await http.post(f"{base}/submission", json=answer, headers=reader)).status_code == 403
    others_smm, _, _, _ = await _people(database, await make_authority(database), central=False)
    hidden = await http.post(f"{base}/submission", json=answer, headers=others_smm)
    assert hidden.status_code == 404 and hidden.json()["detail"].startswith("No authority")
    later = {"authority": council.code, "year": YEAR + 2}
    assert (
        await http.post("/api/national/reviews", json=later, headers=central)
    ).status_code == 422

    # The senior management member submits on the review's page, as a person would.
    http.cookies.set("concordat_language", "en")
    await sign_in(http, email, password)
    page = await http.get(f"/reviews/{council.code}/{YEAR}")
    assert page.status_code == 200 and "submit-statement" in page.text
    empty = await http.post(
        f"/reviews/{council.code}/{YEAR}/submission",
        data={"csrf_token": _csrf(page.text), "statement": " "},
    )
    assert empty.status_code == 422 and "There is a problem" in empty.text
    sent = await http.post(
        f"/reviews/{council.code}/{YEAR}/submission",
        data={"csrf_token": _csrf(page.text), "statement": "All seven stand as recorded."},
        follow_redirects=True,
    )
    assert sent.status_code == 200 and "submitted to the central team" in sent.text
    http.cookies.clear()

    returned = await http.post(
        f"{base}/return", json={"comments": "Commitment d: give the CiSP date."}, headers=central
    )
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    senior_address = council.email(MemberRole.SENIOR_MANAGEMENT_MEMBER)
    mail = await mail_server.inbox.wait_for(
        lambda m: m.to == senior_address and "Returned with comments" in m.subject
    )
    assert "Commitment d: give the CiSP date." in mail[0].text()

    resubmitted = await http.post(
        f"{base}/submission", json={"statement": "CiSP date added."}, headers=authority_smm
    )
    assert resubmitted.json()["submissions"] == 2, resubmitted.text
    accepted = await http.post(f"{base}/acceptance", json={"note": "Thank you."}, headers=central)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["state"] == "accepted" and body["accepted_at"]
    assert [event["kind"] for event in body["record"]] == [
        "opened",
        "submitted",
        "returned",
        "submitted",
        "accepted",
    ]
    closed = await http.post(f"{base}/return", json={"comments": "Too late."}, headers=central)
    assert closed.status_code == 409

    handle: WorkflowHandle[AnnualReviewWorkflow, ReviewOutcome] = (
        dev_server.client.get_workflow_handle_for(
            AnnualReviewWorkflow.run, review_workflow_id(council.code, YEAR)
        )
    )
    outcome = await handle.result()
    assert outcome.submissions == 2

    async with database.session() as session:
        row = await review_of(council.id, YEAR, session=session)
        assert row is not None and row.snapshot is not None
        snapshot = {item["commitment"]: item["status"] for item in row.snapshot}
        # The named members are there (c); nothing significant went unreported (g).
        assert snapshot["c"] == CommitmentStatus.MET and snapshot["g"] == CommitmentStatus.MET
        assert set(snapshot) == {c.value for c in Commitment}
        result = await verify(session=session, authority_code=council.code)
        assert result.intact and (result.reviews, result.review_events) == (1, 5)

    # The history replays against today's code: a change that breaks reviews in flight fails.
    history: WorkflowHistory = await handle.fetch_history()
    replayer = Replayer(
        workflows=[AnnualReviewWorkflow], data_converter=converter_for(dev_settings)
    )
    await replayer.replay_workflow(history)

    await _tamper(
        database,
        f"UPDATE review_event SET summary = 'Accepted by nobody' "
        f"WHERE review_id = {row.id} AND sequence = 5",
    )
    async with database.session() as session:
        broken = await verify(session=session, authority_code=council.code)
    assert [str(b) for b in broken.breaks] == [
        f"{council.code} review {YEAR} event #5: was altered (its content differs)"
    ]


async def test_the_yearly_schedule_opens_every_councils_review_once(tmp_path: Path) -> None:
    """What the yearly Schedule starts (`worker.review_schedule`): every council's review of the
    year just ended, each its own workflow; run again, it opens nothing twice. On a database of
    its own, so that only the 22 councils are there."""
    from worker import build_worker, review_schedule

    url = f"sqlite:///{tmp_path / 'schedule.db'}"
    upgrade_database(url)
    database = Database(url)
    async with database.session() as session:
        await seed_councils(session=session)
    settings = Settings(
        database_url=url,
        secret_key="test-secret-key",
        payload_keys=TEST_PAYLOAD_KEYS,
        task_queue=f"schedule-{uuid.uuid4()}",
    )
    spec = review_schedule(settings).spec
    assert spec.time_zone_name == "Europe/London"
    assert [
        (c.month[0].start, c.day_of_month[0].start, c.hour[0].start) for c in spec.calendars
    ] == [(4, 1, 9)]
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for(settings),
        test_server_existing_path=bundled_binary("temporal-test-server"),
    )
    try:
        async with build_worker(env.client, database, settings):
            for run in ("first", "again"):
                opened = await env.client.execute_workflow(
                    ReviewScheduleWorkflow.run, id=f"yearly-{run}", task_queue=settings.task_queue
                )
                assert (opened.year, len(opened.opened), opened.failed) == (YEAR, 22, [])
            cardiff = await env.client.get_workflow_handle(
                review_workflow_id("CDF", YEAR)
            ).describe()
            assert cardiff.status == WorkflowExecutionStatus.RUNNING
        async with database.session() as session:
            assert len(await reviews_in(YEAR, session=session)) == 22
    finally:
        await env.shutdown()
        await database.dispose()
