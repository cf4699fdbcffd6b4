"""The all-Wales report: an authority's accepted review shows in it, as a page, as CSV and ready
to print, with each commitment's status and how it changed since the year before, in Welsh
and in English; with the exercises the authority held that year.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole, TokenScope
from domain.commitments import (
    CispRegistration,
    ClearanceGroup,
    Commitment,
    CommitmentStatus,
    SecurityClearances,
    review_year_of,
    uk_day,
)
from domain.reviews import review_workflow_id
from domain.vocabulary import Language, MemberRole
from models import AnnualReview
from runtime.database import Database
from runtime.settings import Settings
from services import commitments
from services.administration import Actor
from services.tokens import issue_token
from tests.support import CouncilUnderTest, make_authority, make_user, open_test_incident, sign_in
from translations import translate
from web.pages.commitments import STATUS_WORDS

TODAY = uk_day(datetime.now(UTC))
#: The review year under way: its exercises are the ones opened now.
YEAR = review_year_of(TODAY)

#: Last year's accepted answer: d not met and f met then; c and g met, the rest unknown.
LAST_YEAR = {
    Commitment.A: CommitmentStatus.UNKNOWN,
    Commitment.B: CommitmentStatus.UNKNOWN,
    Commitment.C: CommitmentStatus.MET,
    Commitment.D: CommitmentStatus.NOT_MET,
    Commitment.E: CommitmentStatus.UNKNOWN,
    Commitment.F: CommitmentStatus.MET,
    Commitment.G: CommitmentStatus.MET,
}


async def _token(database: Database, user_id: int | None) -> dict[str, str]:
    async with database.session() as session:
        _, token = await issue_token(
            "report", authority_id=None, user_id=user_id, scope=TokenScope.WRITE, session=session
        )
    return {"Authorization": f"Bearer {token}"}


async def _last_years_answer(database: Database, council: CouncilUnderTest) -> None:
    """As the read side keeps an accepted review: the year before's, written as it stands."""
    opened = datetime.now(UTC) - timedelta(days=365)
    async with database.session() as session:
        session.add(
            AnnualReview(
                authority_id=council.id,
                year=YEAR - 1,
                workflow_id=review_workflow_id(council.code, YEAR - 1),
                state="accepted",
                opened_by="Central team",
                opened_at=opened,
                due_at=opened + timedelta(days=28),
                submissions=1,
                accepted_at=opened + timedelta(days=20),
                accepted_by="Central team",
                snapshot=[
                    {"commitment": c.value, "status": s.value, "evidence": {}}
                    for c, s in LAST_YEAR.items()
                ],
            )
        )
        await session.commit()


async def _this_years_answer(
    http: httpx.AsyncClient,
    database: Database,
    council: CouncilUnderTest,
    central: dict[str, str],
    temporal: WorkflowEnvironment,
    settings: Settings,
) -> None:
    """d registered with CiSP (now met); f's clearances all expired (now not met); reviewed,
    submitted and accepted through the review's workflow."""
    async with database.session() as session:
        for commitment, evidence in (
            (Commitment.D, CispRegistration(organisation_name="Test", registered_on=TODAY)),
            (
                Commitment.F,
                SecurityClearances(
                    clearances=[
                        ClearanceGroup(level="sc", holders=3, expires_on=TODAY - timedelta(days=9))
                    ]
                ),
            ),
        ):
            await commitments.attest(
                council.authority,
                commitment,
                evidence,
                actor=Actor("Senior Manager"),
                session=session,
                temporal=temporal.client,
                task_queue=settings.task_queue,
                today=TODAY,
            )
    senior, _ = await make_user(
        database,
        council,
        AccessRole.RESPONSIBLE_MEMBER,
        member_role=MemberRole.SENIOR_MANAGEMENT_MEMBER,
    )
    base = f"/api/authorities/{council.code}/reviews/{YEAR}"
    opened = await http.post(
        "/api/national/reviews", json={"authority": council.code, "year": YEAR}, headers=central
    )
    assert opened.status_code == 201, opened.text
    submitted = await http.post(
        f"{base}/submission",
        json={"statement": "As recorded."},
        headers=await _token(database, senior.id),
    )
    assert submitted.status_code == 200, submitted.text
    accepted = await http.post(f"{base}/acceptance", json={}, headers=central)
    assert accepted.json()["state"] == "accepted", accepted.text


def _row_of(page: str, name: str) -> str:
    """The council's row of the councils' table."""
    start = page.index(f">{name}</th>")
    return page[start : page.index("</tr>", start)]


async def test_an_accepted_review_is_in_the_report_with_what_changed_in_both_languages(
    http: httpx.AsyncClient,
    database: Database,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
) -> None:
    council = await make_authority(database)
    person, password = await make_user(database, None, AccessRole.CENTRAL_TEAM)
    central = await _token(database, person.id)
    await _last_years_answer(database, council)
    await _this_years_answer(http, database, council, central, dev_server, dev_settings)
    await open_test_incident(database, council, exercise=True, title="Tabletop exercise")

    await sign_in(http, person.email, password)
    for language in (Language.WELSH, Language.ENGLISH):
        http.cookies.set("concordat_language", language.value)
        await _report_reads_right(http, council, language)


async def _report_reads_right(
    http: httpx.AsyncClient, council: CouncilUnderTest, language: Language
) -> None:
    def words(text: str) -> str:
        return translate(language, text)

    authority = council.authority
    name = authority.name_cy if language is Language.WELSH else authority.name_en
    page = await http.get(f"/wales/report/{YEAR}")
    assert page.status_code == 200, page.text
    assert f'lang="{language.value}"' in page.text
    row = _row_of(page.text, name)
    assert words("Accepted") in row and words("Unreviewed") not in row
    assert words(STATUS_WORDS[CommitmentStatus.MET]) in row
    assert words(STATUS_WORDS[CommitmentStatus.NOT_MET]) in row
    assert words("Improved") in row and words("Worse") in row and words("Unchanged") in row

    printed = await http.get(f"/wales/report/{YEAR}/print")
    assert printed.status_code == 200
    assert "national-report-print.css" in printed.text
    assert "govuk-service-navigation" not in printed.text  # no navigation on paper
    assert printed.text.count('class="app-report-section"') == 3  # a page each
    assert _row_of(printed.text, name) == row

    spreadsheet = await http.get(f"/wales/report/{YEAR}.csv")
    assert spreadsheet.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(spreadsheet.text)))
    headings, found = lines[0], next(line for line in lines if line[0] == council.code)
    cells = dict(zip(headings, found, strict=True))
    assert cells[words("Council")] == name
    assert cells[words("Accepted review")] == words("Yes")

    def commitment(letter: str, since: bool = False) -> str:
        heading = "Commitment %(letter)s since last year" if since else "Commitment %(letter)s"
        return cells[words(heading) % {"letter": letter}]

    assert commitment("d") == words(STATUS_WORDS[CommitmentStatus.MET])
    assert commitment("d", since=True) == words("Improved")
    assert commitment("f") == words(STATUS_WORDS[CommitmentStatus.NOT_MET])
    assert commitment("f", since=True) == words("Worse")
    assert commitment("c", since=True) == words("Unchanged")
    assert commitment("a", since=True) == words("Not compared")
    assert cells[words("Exercises")] == "1"
